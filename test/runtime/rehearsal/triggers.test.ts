// Follow-up sweeps in the rehearsal: the surge scenario, driven by the deployed entry point with the SQS delay queue
// simulated, converges with follow-ups delivered as SQS events, and no later than the same run without them.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RehearsalResult } from "../../../runtime/rehearsal/measurement";
import { runRehearsal } from "../../../runtime/rehearsal/rehearsal";
import { NEW_VERSION } from "../../../runtime/rehearsal/scenarios";
import { LIMITS } from "../../../runtime/contract";

describe("follow-up sweeps in the rehearsal", () => {
  let tmp: string;
  let withFollowUps: RehearsalResult;
  let without: RehearsalResult;
  const sources: string[] = [];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-follow-up-test-"));
    withFollowUps = await runRehearsal({
      scenario: "surge",
      workDir: path.join(tmp, "with"),
      observer: { log: (_at, source) => sources.push(source) },
    });
    without = await runRehearsal({ scenario: "surge", workDir: path.join(tmp, "without"), followUps: false });
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the surge scenario converges at full capacity with follow-up sweeps delivered from the queue", () => {
    assert.equal(withFollowUps.ok, true, withFollowUps.outcome);
    assert.ok(withFollowUps.followUps > 0, "no follow-up sweep ran");
    assert.ok(sources.includes("follow-up"), "no decision came from a follow-up sweep");
    for (const t of withFollowUps.tiers) {
      assert.equal(t.lowestInService, 3);
      assert.deepEqual(t.finalVersions, { [NEW_VERSION]: 3 });
    }
  });

  it("converges no later than the same run without follow-ups, which delivers none", () => {
    assert.equal(without.ok, true, without.outcome);
    assert.equal(without.followUps, 0);
    assert.ok(
      withFollowUps.convergedAtMinutes! <= without.convergedAtMinutes!,
      `${withFollowUps.convergedAtMinutes} min with follow-ups, ${without.convergedAtMinutes} without`,
    );
  });

  it("keeps at most one follow-up pending: never more follow-up sweeps than delay-long slots in the run", () => {
    const slots = Math.ceil((withFollowUps.endedAtMinutes * 60) / LIMITS.followUpDelaySeconds.fallback);
    assert.ok(withFollowUps.followUps <= slots, `${withFollowUps.followUps} follow-ups in ${slots} slots`);
  });
});
