// Example tests of how a sweep carries out a surge's plan: the crash-safe order of its steps, what a failed step
// leaves for the next sweep, and a fleet that cannot surge.
import * as assert from "node:assert/strict";
import { plan } from "../../../runtime/core/planner";
import { executePlan, withoutSurge } from "../../../runtime/ops/sweep";
import { GroupSnapshot } from "../../../runtime/core/types";
import { aGroup, aSnapshot, READ_AT } from "../../support/arbitraries";
import { MemoryFleet } from "../../support/memory-store";
import { minutesBefore, newOnes, oldOnes, only, SURGE, surging } from "../../support/plans";
import { SURGE_TAGS } from "../../../runtime/contract";

describe("executing a surge plan", () => {
  function fleetWith(group: GroupSnapshot): MemoryFleet {
    return new MemoryFleet({ environment: "live", readAt: READ_AT, groups: [group] }, { surge: true });
  }

  it("starts a surge in a crash-safe order: tags, then suspension, then desired capacity", async () => {
    const group = aGroup("live-web", oldOnes());
    const fleet = fleetWith(group);
    const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

    const result = await executePlan(fleet, [g]);

    assert.deepEqual(
      fleet.calls.map((c) => c.split(" ")[0]),
      ["set-tags", "suspend", "set-desired"],
    );
    assert.equal(fleet.state.groups[0].desiredCapacity, 6);
    assert.equal(fleet.state.groups[0].tags[SURGE_TAGS.baseline], "3");
    assert.ok(result.actions.every((a) => a.status === "done"));
  });

  it("finishes a surge: its end recorded, terminations with decrement, then desired capacity, resumption, the tags last", async () => {
    const group = surging([...oldOnes(), ...newOnes(8)], 8);
    const fleet = fleetWith(group);
    const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

    await executePlan(fleet, [g]);

    assert.deepEqual(
      fleet.calls.map((c) => c.split(" ")[0]),
      [
        "set-tags",
        "terminate-decrement",
        "terminate-decrement",
        "terminate-decrement",
        "set-desired",
        "resume",
        "remove-tags",
      ],
    );
    const after = fleet.state.groups[0];
    assert.deepEqual([after.desiredCapacity, after.instances.length, after.suspendedProcesses], [3, 3, []]);
    assert.equal(after.tags[SURGE_TAGS.baseline], undefined);
    assert.equal(after.tags[SURGE_TAGS.ended], `3 ${minutesBefore(8)}`);
  });

  it("leaves the tags in place when a termination fails, so the next sweep finishes the surge", async () => {
    const group = surging([...oldOnes(), ...newOnes(8)], 8);
    const fleet = fleetWith(group);
    fleet.failOn = (call) => (call.endsWith("i-old-2") ? new Error("Throttling: Rate exceeded") : undefined);
    const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

    const result = await executePlan(fleet, [g]);

    assert.deepEqual(
      result.outcomes.map((o) => o.status),
      ["terminated", "failed", "terminated"],
    );
    assert.deepEqual(
      result.actions.map((a) => `${a.action} ${a.status}`),
      ["set-tags done", "set-desired skipped", "resume skipped", "remove-tags skipped"],
    );
    const after = fleet.state.groups[0];
    assert.equal(after.desiredCapacity, 4);
    assert.equal(after.tags[SURGE_TAGS.baseline], "3");
    const next = only(plan(aSnapshot([after as GroupSnapshot], { version: "1.0.2" }), SURGE));
    assert.deepEqual(next.terminate, ["i-old-2"]);
    assert.equal(next.setDesired, 3);
  });

  it("stops a group's steps at the first failure and changes nothing after it", async () => {
    const group = aGroup("live-web", oldOnes());
    const fleet = fleetWith(group);
    fleet.failOn = (call) => (call.startsWith("suspend") ? new Error("AccessDenied") : undefined);
    const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

    const result = await executePlan(fleet, [g]);

    assert.deepEqual(
      result.actions.map((a) => `${a.action} ${a.status}`),
      ["set-tags done", "suspend failed", "set-desired skipped"],
    );
    assert.equal(fleet.state.groups[0].desiredCapacity, 3);
  });

  it("changes nothing on a fleet that cannot surge and reports every step skipped", async () => {
    const group = surging([...oldOnes(), ...newOnes(8)], 8);
    const fleet = new MemoryFleet({ environment: "live", readAt: READ_AT, groups: [group] });
    const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

    const result = await executePlan(fleet, [g]);

    assert.deepEqual(result.outcomes, []);
    assert.ok(result.actions.length > 0 && result.actions.every((a) => a.status === "skipped"));
    assert.equal(fleet.state.groups[0].instances.length, 6);
  });
});

describe("a policy for a fleet that cannot surge", () => {
  it("turns every strategy into replace for a fleet that cannot surge", () => {
    const policy = withoutSurge({ ...SURGE, tiers: { web: { strategy: "surge" } } });

    assert.equal(policy.strategy, "replace");
    assert.equal(policy.tiers?.web.strategy, "replace");
  });
});
