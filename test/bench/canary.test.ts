// The canary rows' target: a bad release caught at the first checkpoint costs zero boots to undo and, where the
// first share can be under 15 % of those in service, reaches less than that; where it cannot (3 per tier: 1 of 4),
// the row is held to zero boots and says why, and a row not caught at the first checkpoint misses.
import * as assert from "node:assert/strict";
import { firstCheckpointTarget, Row } from "../../bench/canary";
import { CanaryFigures } from "../../runtime/rehearsal/canary";

function caught(peakShare: number, bootsToUndo = 0, stoppedAt = "1 of 3 (web)"): CanaryFigures {
  return {
    released: "1.0.275",
    previous: "1.0.266",
    servedInstanceMinutes: 15,
    peakShare,
    bootsToUndo,
    passed: [],
    bakeMinutes: 2,
    stoppedAtMinutes: 9,
    stoppedAt,
  };
}

const row = (instances: number): Row => ({ instances, seeds: [1, 2], checkpoints: [10, 50, 100], bakeMinutes: 5 });

describe("the canary bench's target", () => {
  it("holds 30 per tier to zero boots and under 15 % in service", () => {
    assert.equal(firstCheckpointTarget(row(30), [caught(3 / 33), caught(3 / 33)]).ok, true);
    assert.equal(firstCheckpointTarget(row(30), [caught(3 / 33), caught(0.16)]).ok, false, "one seed over 15 %");
    assert.equal(firstCheckpointTarget(row(30), [caught(3 / 33), caught(3 / 33, 1)]).ok, false, "one boot spent");
  });

  it("holds 3 per tier to zero boots only, and says why its share cannot be under 15 %", () => {
    const target = firstCheckpointTarget(row(3), [caught(0.25), caught(0.25)]);

    assert.equal(target.ok, true);
    assert.match(target.what, /the first share is 1 of 3 \(10 % rounded up, at least one\), 1 of 4 in service/);
    assert.match(target.what, /25 % by construction/);
    assert.equal(firstCheckpointTarget(row(3), [caught(0.25, 2)]).ok, false, "boots still count");
  });

  it("misses a release not caught at the first checkpoint, whatever it cost", () => {
    const late = { ...caught(0.09), stoppedAt: "2 of 3 (api)" };

    const target = firstCheckpointTarget(row(30), [caught(0.09), late]);

    assert.equal(target.ok, false);
    assert.match(target.what, /NOT always caught at the first checkpoint/);
  });

  it("misses a release never stopped", () => {
    const never = { ...caught(0.09), stoppedAt: undefined, stoppedAtMinutes: undefined };

    assert.equal(firstCheckpointTarget(row(30), [never]).ok, false);
  });
});
