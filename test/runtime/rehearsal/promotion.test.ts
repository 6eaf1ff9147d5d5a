// The rehearsal's promote scenario, run whole at full clock speed: two local environments with their own disk stores,
// fleets and rollout Lambdas, the real promote between them. Each of the four steps must go as the issue says, and a
// soak of 0 (no gate to hold it back) must make the run fail at step 2: the scenario can tell a gate that holds from
// one that does not.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { MANIFEST_KEY } from "../../../runtime/contract";
import { parseManifest } from "../../../runtime/core/manifest";
import { readRecord } from "../../../runtime/ops/releases";
import { DiskObjectStore } from "../../../runtime/rehearsal/disk-store";
import { NEXT_VERSION, runPromotionRehearsal } from "../../../runtime/rehearsal/promotion";
import { NEW_VERSION } from "../../../runtime/rehearsal/scenarios";
import { scratchDir } from "../../support/scratch-dir";

describe("the promote rehearsal", () => {
  const dir = scratchDir("phoenix-promote-rehearsal-");

  it("converges test, refuses before the soak, promotes after it so live converges, and catches a damaged copy", async () => {
    const lines: string[] = [];

    const result = await runPromotionRehearsal({
      workDir: dir("run"),
      log: (_at, source, line) => lines.push(`${source} ${line}`),
    });

    assert.equal(result.ok, true, result.outcome);
    assert.deepEqual(
      result.steps.map((s) => [s.step, s.ok]),
      [
        [1, true],
        [2, true],
        [3, true],
        [4, true],
      ],
    );
    assert.match(result.steps[1].detail, /^refused, soak: 0m of the 30m soak/);
    const [converged, , promoted] = result.steps;
    assert.ok(promoted.atMinutes! - converged.atMinutes! >= 30, `promoted at ${promoted.atMinutes} min`);
    assert.match(
      result.steps[3].detail,
      new RegExp(`live's manifest still names ${NEW_VERSION.replace(/\./g, "\\.")}`),
    );
    assert.ok(lines.some((l) => l.startsWith("gate FAIL soak: 0m of the 30m soak")));

    const live = new DiskObjectStore(path.join(dir("run"), "live", "bucket"));
    const test = new DiskObjectStore(path.join(dir("run"), "test", "bucket"));
    const manifest = parseManifest((await live.get(MANIFEST_KEY))!.body.toString("utf8"));
    assert.equal(manifest.version, NEW_VERSION);
    assert.deepEqual(
      (await live.get(`releases/${NEW_VERSION}/web.zip`))!.body,
      (await test.get(`releases/${NEW_VERSION}/web.zip`))!.body,
    );
    assert.equal((await readRecord(live, NEW_VERSION))?.promotion?.gate.result, "passed");
    assert.equal(await live.head(`releases/${NEXT_VERSION}/api.zip`), undefined, "nothing of the damaged promotion");
    assert.ok(fs.statSync(result.sweepLogs.live).size > 0);
  });

  it("fails at step 2 when nothing holds the promotion back (a soak of 0)", async () => {
    const result = await runPromotionRehearsal({ workDir: dir("no-soak"), soakMinutes: 0 });

    assert.equal(result.ok, false);
    assert.deepEqual(
      result.steps.map((s) => [s.step, s.ok]),
      [
        [1, true],
        [2, false],
      ],
    );
    assert.match(result.outcome, /^it was not refused/);
  });
});
