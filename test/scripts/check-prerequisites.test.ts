// scripts/check-prerequisites.js, the first step of `npm test`: on a machine missing a tool the suite runs, it says
// which one and how to install it, one line each, and fails; .ci/run installs what it lists with --packages.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { scratchDir } from "../support/scratch-dir";

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "check-prerequisites.js");
const TOOLS = ["bash", "python3", "openssl", "shellcheck"];

/** Runs the script with PATH set to exactly `dirs`. */
function check(dirs: string[], ...args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], {
    env: { PATH: dirs.join(path.delimiter) },
    encoding: "utf8",
  });
}

describe("the prerequisite check", () => {
  const scratch = scratchDir("phoenix-prerequisites-");

  /** A directory holding an executable stand-in for each named tool. */
  function binWith(name: string, tools: string[]): string {
    const dir = scratch(name);
    fs.mkdirSync(dir);
    for (const tool of tools) fs.writeFileSync(path.join(dir, tool), "#!/bin/sh\n", { mode: 0o755 });
    return dir;
  }

  it("names each missing tool and its Debian package on one line, and fails", () => {
    const result = check([binWith("only-openssl", ["openssl"])]);

    assert.equal(result.status, 1);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 4, result.stderr);
    for (const [line, tool] of lines.slice(0, 3).map((l, i) => [l, ["bash", "python3", "shellcheck"][i]])) {
      assert.match(
        line,
        new RegExp(`^npm test needs ${tool}, which is not on PATH \\(.+\\): sudo apt-get install -y ${tool}$`),
      );
    }
    assert.equal(lines[3], "all at once: sudo apt-get install -y bash python3 shellcheck");
    assert.equal(result.stdout, "");
  });

  it("says nothing and succeeds when every tool is on PATH", () => {
    const result = check([binWith("all", TOOLS)]);

    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, "");
  });

  it("does not count a file that is not executable", () => {
    const dir = binWith("not-executable", TOOLS);
    fs.chmodSync(path.join(dir, "shellcheck"), 0o644);

    const result = check([dir]);

    assert.equal(result.status, 1);
    assert.match(result.stderr, /^npm test needs shellcheck, which is not on PATH/);
  });

  it("lists only the packages to install with --packages, for CI", () => {
    assert.equal(check([binWith("bash-only", ["bash"])], "--packages").stdout, "python3 openssl shellcheck\n");
    assert.equal(check([binWith("complete", TOOLS)], "--packages").stdout, "");
  });

  it("runs first in npm test, before lint and the suite", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")).scripts;

    assert.match(scripts.test, /^npm run prerequisites && /);
    assert.equal(scripts.prerequisites, "node scripts/check-prerequisites.js");
  });
});
