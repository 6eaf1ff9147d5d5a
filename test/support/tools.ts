// The command-line tools some tests run (bash, python3, openssl, shellcheck). Such a test never skips: without the
// tool it fails saying what to install, the same words `npm test`'s first step (scripts/check-prerequisites.js) says.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

/** Fails the calling test or hook unless `command` runs; `pkg` is the Debian package that provides it. */
export function requireTool(command: string, pkg = command): void {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  assert.ok(
    found.status === 0,
    `${command} is not on PATH: sudo apt-get install -y ${pkg} (npm test checks every tool first; this test never skips)`,
  );
}
