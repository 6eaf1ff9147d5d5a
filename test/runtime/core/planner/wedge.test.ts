// Examples of wedged groups (runtime/core/planner/wedge.ts): a surge's processes suspended or its capacity raised with
// no surge in progress, what the plan says about them, what `--repair` would do, and when it refuses to guess.
import * as assert from "node:assert/strict";
import { SURGE_PROCESSES, SURGE_TAGS } from "../../../../runtime/contract";
import { decideFollowUp } from "../../../../runtime/core/follow-up";
import { plan } from "../../../../runtime/core/planner";
import { CapacityChange, GroupSnapshot, InstanceSnapshot } from "../../../../runtime/core/types";
import { aGroup, anInstance, aSnapshot } from "../../../support/arbitraries";
import { minutesBefore, newOnes, oldOnes, only, SURGE } from "../../../support/plans";

/** Six instances on 1.0.2 (the surge's three and three launched by a straggling raise): a stable group of 6. */
function sixCurrent(): InstanceSnapshot[] {
  return [
    ...newOnes(30),
    ...[4, 5, 6].map((n) => anInstance(`i-new-${n}`, "1.0.2", { launchTime: minutesBefore(20 - n) })),
  ];
}

/** The web group after a surge that started 30 minutes ago and ended at baseline 3, as `overrides` leave it. */
function afterSurge(instances: InstanceSnapshot[], overrides: Partial<GroupSnapshot>): GroupSnapshot {
  return aGroup("live-web", instances, {
    tags: {
      "phoenix:environment": "live",
      "phoenix:tier": "web",
      [SURGE_TAGS.ended]: `3 ${minutesBefore(30)}`,
    },
    ...overrides,
  });
}

const straggler: CapacityChange = { at: minutesBefore(20), from: 3, to: 6, by: "request" };

function planned(group: GroupSnapshot) {
  return only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));
}

describe("planner: wedged groups", () => {
  it("reports a surge group whose processes are suspended with no surge tags as wedged, and leaves it alone", () => {
    const group = aGroup("live-web", oldOnes(), { suspendedProcesses: [...SURGE_PROCESSES], capacityHistory: [] });

    const g = planned(group);

    assert.equal(g.surge?.phase, "wedged");
    assert.deepEqual(
      [g.terminate, g.setDesired, g.tags, g.suspend, g.resume],
      [[], undefined, undefined, undefined, undefined],
    );
    assert.deepEqual(g.repair, {
      ok: true,
      resume: ["AlarmNotification", "ScheduledActions"],
      baselineFrom: "the group's history shows no raise to today's desired capacity 3",
    });
    assert.match(
      g.reason,
      /^wedged: scaling processes AlarmNotification, ScheduledActions are suspended but no surge is in progress/,
    );
    assert.match(g.reason, /`phoenix sweep --env live --repair` would resume AlarmNotification, ScheduledActions/);
    assert.match(g.log, /, wedged$/);
  });

  it("reports the issue's wedge (suspended, raised to 6, no tags) with the baseline from the tag and the history", () => {
    const group = afterSurge(sixCurrent(), {
      desiredCapacity: 6,
      suspendedProcesses: [...SURGE_PROCESSES],
      capacityHistory: [straggler],
    });

    const g = planned(group);

    assert.equal(g.surge?.phase, "wedged");
    assert.equal(g.surge?.baseline, 3);
    assert.deepEqual(g.repair, {
      ok: true,
      setDesired: 3,
      resume: ["AlarmNotification", "ScheduledActions"],
      baselineFrom: `tag ${SURGE_TAGS.ended}, confirmed by the group's history (raised 3 → 6 at ${minutesBefore(20)})`,
    });
    assert.match(g.reason, /desired capacity 6 is above the baseline 3 its last surge ended at/);
    assert.match(g.reason, /would set desired capacity 6 → 3 .* and then resume AlarmNotification, ScheduledActions/);
  });

  it("reports a capacity a straggling start raised after the surge ended, even with the processes resumed", () => {
    const g = planned(afterSurge(sixCurrent(), { desiredCapacity: 6, capacityHistory: [straggler] }));

    assert.equal(g.surge?.phase, "wedged");
    assert.deepEqual(g.repair && g.repair.ok && [g.repair.setDesired, g.repair.resume], [3, []]);
    assert.match(
      g.reason,
      /If a person raised it on purpose, keep it: delete the group's tag phoenix:surge-ended instead$/,
    );
  });

  it("takes a capacity that a scaling alarm raised after a surge for the group's own, not a wedge", () => {
    const byAlarm: CapacityChange = { ...straggler, by: "alarm" };

    const g = planned(afterSurge(sixCurrent(), { desiredCapacity: 6, capacityHistory: [byAlarm] }));

    assert.notEqual(g.surge?.phase, "wedged");
    assert.match(g.reason, /^converged/);
  });

  it("takes an explicit raise long after the surge's sweeps could act for an operator's, not a wedge", () => {
    const operator: CapacityChange = { at: minutesBefore(1), from: 3, to: 6, by: "request" };
    const group = afterSurge(sixCurrent(), { desiredCapacity: 6, capacityHistory: [operator] });
    group.tags[SURGE_TAGS.ended] = `3 ${minutesBefore(120)}`;

    assert.notEqual(planned(group).surge?.phase, "wedged");
  });

  it("refuses to repair when the tag and the group's history disagree on the baseline, saying both", () => {
    const group = afterSurge(sixCurrent(), {
      desiredCapacity: 6,
      suspendedProcesses: [...SURGE_PROCESSES],
      capacityHistory: [{ ...straggler, from: 4 }],
    });

    const g = planned(group);

    assert.equal(g.surge?.phase, "wedged");
    assert.equal(g.repair?.ok, false);
    assert.match(
      g.reason,
      /cannot put it back safely: tag phoenix:surge-ended says the last surge ended at 3, but the group's history says desired capacity was raised to 6 from 4/,
    );
    assert.match(g.reason, /aws autoscaling set-desired-capacity --auto-scaling-group-name live-web/);
  });

  it("refuses to repair a group that is still launching, until it is stable", () => {
    const group = afterSurge(newOnes(30), {
      desiredCapacity: 6,
      suspendedProcesses: [...SURGE_PROCESSES],
      capacityHistory: [straggler],
    });

    const g = planned(group);

    assert.equal(g.surge?.phase, "wedged");
    assert.deepEqual(g.repair, {
      ok: false,
      why: "the group is still changing (3 instances but desired capacity 6); repair it once it is stable",
    });
  });

  it("refuses to guess a baseline when the history was not read", () => {
    const g = planned(aGroup("live-web", oldOnes(), { suspendedProcesses: ["AlarmNotification"] }));

    assert.equal(g.repair?.ok, false);
    assert.match(g.reason, /the group's scaling history was not read, so its baseline is unknown/);
  });

  it("leaves a replace group that phoenix never surged to whoever suspended its processes", () => {
    const group = aGroup("live-web", oldOnes(), { suspendedProcesses: [...SURGE_PROCESSES], capacityHistory: [] });

    const g = only(plan(aSnapshot([group], { version: "1.0.2" }), { ...SURGE, strategy: "replace" }));

    assert.equal(g.surge, undefined);
    assert.deepEqual(g.terminate, ["i-old-1", "i-old-2"]);
  });

  it("asks for no follow-up sweep: nothing moves in a wedged group by itself", () => {
    const p = plan(
      aSnapshot([aGroup("live-web", oldOnes(), { suspendedProcesses: [...SURGE_PROCESSES], capacityHistory: [] })], {
        version: "1.0.2",
      }),
      SURGE,
    );

    assert.equal(decideFollowUp(p).schedule, false);
  });
});
