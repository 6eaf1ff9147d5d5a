// `npm run bench`: a summary line of targets met, exit 1 when one is MISSED and 2 for a bench that does not exist,
// so a script (or CI) can read the exit code instead of the marks.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { median, summarize } from "../../bench/targets";

const ROOT = path.resolve(__dirname, "..", "..");

function bench(...names: string[]) {
  return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "bench/index.ts", ...names], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("npm run bench", () => {
  it("refuses a bench that does not exist before running any, naming the ones that do", function () {
    this.timeout(60_000);
    const result = bench("scheduled-capacity", "swep");

    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      "bench: no bench named swep; the benches are sweep, rollout, follow-up, scheduled-capacity " +
        "(npm run bench -- <name>...)\n",
    );
    assert.equal(result.stdout, "", "nothing ran");
  });

  it("ends with the targets met and exits 0 when every one was", function () {
    this.timeout(60_000);
    const result = bench("scheduled-capacity");

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /\ntargets met: 4 of 4\n$/);
  });

  it("names each missed target and exits 1", () => {
    const { lines, code } = summarize([
      { bench: "sweep", targets: [{ what: "2000 instances: wall time 1.72 x < 1.5", ok: false }] },
      { bench: "rollout", targets: [{ what: "3 per tier: 1.27 boots", ok: true }] },
    ]);

    assert.equal(code, 1);
    assert.deepEqual(lines, ["targets met: 1 of 2", "  MISSED  sweep: 2000 instances: wall time 1.72 x < 1.5"]);
  });

  it("takes the median of several runs, so one slow run does not flip a row", () => {
    assert.equal(median([1.3, 2.1, 1.2, 1.25, 1.28]), 1.28);
    assert.equal(median([1, 2]), 1.5);
  });

  it("silences the AWS SDK's Node 20 notice before any bench builds a client", () => {
    const source = fs.readFileSync(path.join(ROOT, "bench", "index.ts"), "utf8");

    assert.match(source, /^import "\.\.\/test\/support\/quiet-sdk";$/m);
    assert.ok(source.indexOf("quiet-sdk") < source.indexOf("./sweep"), "before the benches are imported");
  });
});
