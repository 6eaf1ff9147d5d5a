// bin/phoenix.js as a shell runs it: a reader that closes the pipe early (`| head`, quitting `less`) ends the
// command quietly, not with an EPIPE stack trace.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

describe("bin/phoenix.js", () => {
  it("leaves quietly, exit 0, when the reader of its output has gone", async function () {
    // Starting the binary loads TypeScript when dist/ is older than the sources: seconds on a busy machine.
    this.timeout(120_000);
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "phoenix.js"), "release", "--help"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Gone before the command writes a byte: its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));

    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));

    assert.equal(stderr, "");
    assert.equal(code, 0);
  });
});
