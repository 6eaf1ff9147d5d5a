// Each surge step checks the group right before it acts (runtime/ops/group-steps.ts): whatever another actor does
// between two steps (a finish, a raise, another surge's tags), a start never suspends processes without its own tags,
// never raises desired capacity from anything but the baseline it read, and a finish acts only on the surge it planned.
import * as assert from "node:assert/strict";
import { SURGE_PROCESSES, SURGE_TAGS } from "../../../runtime/contract";
import { plan } from "../../../runtime/core/planner";
import { FleetSnapshot, GroupSnapshot } from "../../../runtime/core/types";
import { executePlan, executeRepairs } from "../../../runtime/ops/sweep";
import { aGroup, aSnapshot, READ_AT } from "../../support/arbitraries";
import { MemoryFleet } from "../../support/memory-store";
import { minutesBefore, newOnes, oldOnes, only, SURGE, surging } from "../../support/plans";

function setUp(group: GroupSnapshot): { fleet: MemoryFleet; snapshot: FleetSnapshot } {
  const snapshot = aSnapshot([group], { version: "1.0.2" });
  const fleet = new MemoryFleet(
    { environment: "live", readAt: READ_AT, groups: [structuredClone(group)] },
    { surge: true },
  );
  return { fleet, snapshot };
}

/** Runs `interfere` once, right after the first call that starts with `call` took effect. */
function after(fleet: MemoryFleet, call: string, interfere: () => void): void {
  let done = false;
  fleet.gate = (c, when) => {
    if (!done && when === "after" && c.startsWith(call)) {
      done = true;
      interfere();
    }
    return undefined;
  };
}

const steps = (actions: { action: string; status: string }[]) => actions.map((a) => `${a.action} ${a.status}`);

describe("surge steps checked right before they act", () => {
  it("does not suspend or raise when a finish removed the start's tags between its steps", async () => {
    const { fleet, snapshot } = setUp(aGroup("live-web", oldOnes()));
    const g = only(plan(snapshot, SURGE));
    after(fleet, "set-tags", () => {
      const web = fleet.state.groups[0];
      for (const key of [SURGE_TAGS.baseline, SURGE_TAGS.version, SURGE_TAGS.startedAt]) delete web.tags[key];
    });

    const result = await executePlan(fleet, [g], { snapshot });

    assert.deepEqual(steps(result.actions), ["set-tags done", "suspend skipped", "set-desired skipped"]);
    assert.match(result.actions[1].error ?? "", /tag phoenix:surge-baseline was 3, gone; nothing more is done to it/);
    const web = fleet.state.groups[0];
    assert.deepEqual([web.desiredCapacity, web.suspendedProcesses ?? []], [3, []]);
  });

  it("does not raise desired capacity once it is no longer the baseline the plan read", async () => {
    const { fleet, snapshot } = setUp(aGroup("live-web", oldOnes()));
    const g = only(plan(snapshot, SURGE));
    after(fleet, "suspend", () => (fleet.state.groups[0].desiredCapacity = 5));

    const result = await executePlan(fleet, [g], { snapshot });

    assert.deepEqual(steps(result.actions), ["set-tags done", "suspend done", "set-desired skipped"]);
    assert.match(result.actions[2].error ?? "", /desired capacity is 5, not the 3 the surge raises from/);
    assert.equal(fleet.state.groups[0].desiredCapacity, 5);
  });

  it("does not overwrite another surge's tags that appeared after the plan read the group", async () => {
    const { fleet, snapshot } = setUp(aGroup("live-web", oldOnes()));
    const g = only(plan(snapshot, SURGE));
    Object.assign(fleet.state.groups[0].tags, { [SURGE_TAGS.baseline]: "3", [SURGE_TAGS.startedAt]: READ_AT });
    fleet.state.groups[0].desiredCapacity = 6;

    const result = await executePlan(fleet, [g], { snapshot });

    assert.deepEqual(steps(result.actions), ["set-tags skipped", "suspend skipped", "set-desired skipped"]);
    assert.deepEqual(fleet.calls, []);
  });

  it("does not finish a surge that another sweep already finished and restarted", async () => {
    const group = surging([...oldOnes(), ...newOnes(8)], 8);
    const { fleet, snapshot } = setUp(group);
    const g = only(plan(snapshot, SURGE));
    fleet.state.groups[0].tags[SURGE_TAGS.startedAt] = minutesBefore(1);

    const result = await executePlan(fleet, [g], { snapshot });

    assert.deepEqual(steps(result.actions), [
      "set-tags skipped",
      "set-desired skipped",
      "resume skipped",
      "remove-tags skipped",
    ]);
    assert.deepEqual(fleet.terminated, []);
  });

  it("starts no step once its guard says stop (the lease lapsing or taken, an interrupt)", async () => {
    const { fleet, snapshot } = setUp(aGroup("live-web", oldOnes()));
    const g = only(plan(snapshot, SURGE));
    let stop: string | undefined;
    after(fleet, "set-tags", () => (stop = "the sweep lease was taken over"));

    const result = await executePlan(fleet, [g], { snapshot, guard: () => Promise.resolve(stop) });

    assert.deepEqual(steps(result.actions), ["set-tags done", "suspend skipped", "set-desired skipped"]);
    assert.equal(result.actions[1].error, "the sweep lease was taken over");
  });
});

describe("repairing a wedged group", () => {
  /** The wedge: desired raised to 6 and processes suspended by a straggling start, its surge ended at 3. */
  function wedged(): GroupSnapshot {
    return aGroup(
      "live-web",
      [...newOnes(30), ...newOnes(20).map((i) => ({ ...i, id: i.id.replace("new", "late") }))],
      {
        desiredCapacity: 6,
        suspendedProcesses: [...SURGE_PROCESSES],
        tags: {
          "phoenix:environment": "live",
          "phoenix:tier": "web",
          [SURGE_TAGS.ended]: `3 ${minutesBefore(30)}`,
        },
        capacityHistory: [{ at: minutesBefore(20), from: 3, to: 6, by: "request" }],
      },
    );
  }

  it("lowers desired capacity to the baseline while the processes are still suspended, then resumes them", async () => {
    const { fleet, snapshot } = setUp(wedged());
    const p = plan(snapshot, SURGE);

    const actions = await executeRepairs(fleet, p, snapshot);

    assert.deepEqual(steps(actions), ["set-desired done", "resume done"]);
    assert.deepEqual(fleet.calls, ["set-desired live-web 3", "resume live-web AlarmNotification,ScheduledActions"]);
  });

  it("changes nothing when the group moved since it was read", async () => {
    const { fleet, snapshot } = setUp(wedged());
    const p = plan(snapshot, SURGE);
    fleet.state.groups[0].desiredCapacity = 7;

    const actions = await executeRepairs(fleet, p, snapshot);

    assert.deepEqual(steps(actions), ["set-desired skipped", "resume skipped"]);
    assert.deepEqual(fleet.calls, []);
  });

  it("does nothing to a group it cannot be sure about, nor to one that is not wedged", async () => {
    const unsure = wedged();
    unsure.capacityHistory = [{ at: minutesBefore(20), from: 4, to: 6, by: "request" }];
    const { fleet, snapshot } = setUp(unsure);

    const actions = await executeRepairs(fleet, plan(snapshot, SURGE), snapshot);

    assert.deepEqual(actions, []);
    assert.deepEqual(fleet.calls, []);
  });
});
