// Example tests of checkpoints, bakes and rollout alarms, one decision each: the first share launched, its bake begun
// and waited out, the checkpoint passed and the next share started, a stop on an alarm with and without old instances
// gone, a hold while an alarm cannot be read, a rollback ungated, the same rules counted in replaced instances, and the
// policy's refusals. The properties over whole rollouts are in checkpoints.property.test.ts.
import * as assert from "node:assert/strict";
import { rolloutAlarmNames, SURGE_PROCESSES, SURGE_TAGS } from "../../../../runtime/contract";
import { plan } from "../../../../runtime/core/planner";
import { AlarmState, GroupSnapshot, InstanceSnapshot, Policy } from "../../../../runtime/core/types";
import { aGroup, anInstance, aSnapshot, READ_AT } from "../../../support/arbitraries";
import { minutesBefore, only } from "../../../support/plans";

const ALARM = rolloutAlarmNames("live", "web").errors;
const GATES: Policy = {
  minHealthy: 1,
  minHealthyPercent: 0,
  strategy: "surge",
  checkpoints: [10, 50, 100],
  bakeMinutes: 10,
  rolloutAlarms: [ALARM],
};
const OK: AlarmState[] = [{ name: ALARM, state: "OK" }];
const FIRING: AlarmState[] = [{ name: ALARM, state: "ALARM", since: minutesBefore(1) }];

/** `n` instances on 1.0.1 launched days ago, ids `i-old-<k>`. */
function old(n: number): InstanceSnapshot[] {
  return Array.from({ length: n }, (_, k) => anInstance(`i-old-${k}`, "1.0.1", { ageDays: 3 + k }));
}

/** `n` instances on 1.0.2 launched `minutesAgo`, ids `<prefix>-<k>`. */
function onNew(n: number, minutesAgo: number, prefix = "i-new"): InstanceSnapshot[] {
  return Array.from({ length: n }, (_, k) =>
    anInstance(`${prefix}-${k}`, "1.0.2", { launchTime: minutesBefore(minutesAgo) }),
  );
}

/** A group of ten surging to checkpoint `index` of three with `extra` instances, its surge started `minutesAgo`. */
function surgingTo(
  index: number,
  instances: InstanceSnapshot[],
  extra: number,
  minutesAgo: number,
  tags: Record<string, string> = {},
): GroupSnapshot {
  return aGroup("live-web", instances, {
    desiredCapacity: 10 + extra,
    maxSize: 20,
    suspendedProcesses: [...SURGE_PROCESSES],
    tags: {
      "phoenix:environment": "live",
      "phoenix:tier": "web",
      [SURGE_TAGS.baseline]: "10",
      [SURGE_TAGS.version]: "1.0.2",
      [SURGE_TAGS.startedAt]: minutesBefore(minutesAgo),
      [SURGE_TAGS.checkpoint]: `${index}/3 1.0.2`,
      ...tags,
    },
  });
}

describe("planner with checkpoints, bakes and rollout alarms", () => {
  it("starts the first checkpoint's share (10 % of ten, one instance) and records the checkpoint in a tag", () => {
    const g = only(plan(aSnapshot([aGroup("live-web", old(10), { maxSize: 20 })], { version: "1.0.2" }), GATES));

    assert.equal(g.setDesired, 11);
    assert.equal(g.tags?.set?.[SURGE_TAGS.checkpoint], "1/3 1.0.2");
    assert.deepEqual(g.checkpoint, { index: 1, count: 3, percent: 10, share: 1 });
    assert.match(g.reason, /^surge start for checkpoint 1 of 3 \(10%\), 1 of 10 on the target: raising desired/);
  });

  it("rounds a share up and never makes it less than one instance", () => {
    const g = only(
      plan(aSnapshot([aGroup("live-web", old(3), { maxSize: 6 })], { version: "1.0.2" }), {
        ...GATES,
        checkpoints: [1, 34, 100],
      }),
    );

    assert.equal(g.setDesired, 4);
    assert.deepEqual([g.checkpoint?.index, g.checkpoint?.share], [1, 1]);
  });

  it("begins the bake once the share is healthy, and changes nothing else", () => {
    const group = surgingTo(1, [...old(10), ...onNew(1, 7)], 1, 8);
    const snapshot = { ...aSnapshot([group], { version: "1.0.2" }), alarms: OK };

    const g = only(plan(snapshot, GATES));

    assert.equal(g.surge?.phase, "baking");
    assert.deepEqual(g.tags, { set: { [SURGE_TAGS.bakeStartedAt]: READ_AT } });
    assert.deepEqual([g.terminate, g.setDesired], [[], undefined]);
    assert.equal(g.checkpoint?.bakeEndsAt, new Date(Date.parse(READ_AT) + 10 * 60_000).toISOString());
    assert.match(g.reason, /^checkpoint 1 of 3 \(10%\) reached: 1 of 11 healthy on 1\.0\.2; baking for 10 min/);
  });

  it("while the bake runs, changes nothing and says how long remains", () => {
    const group = surgingTo(1, [...old(10), ...onNew(1, 12)], 1, 13, { [SURGE_TAGS.bakeStartedAt]: minutesBefore(4) });

    const g = only(plan({ ...aSnapshot([group], { version: "1.0.2" }), alarms: OK }, GATES));

    assert.equal(g.surge?.phase, "baking");
    assert.deepEqual([g.terminate, g.tags, g.setDesired], [[], undefined, undefined]);
    assert.match(
      g.reason,
      /^baking checkpoint 1 of 3 \(10%\): 1 of 11 healthy on 1\.0\.2, 6 min of the 10-min bake left$/,
    );
  });

  it("once baked, passes the checkpoint: its stale share goes and the checkpoint tag stays for the next", () => {
    const group = surgingTo(1, [...old(10), ...onNew(1, 20)], 1, 21, { [SURGE_TAGS.bakeStartedAt]: minutesBefore(10) });

    const g = only(plan({ ...aSnapshot([group], { version: "1.0.2" }), alarms: OK }, GATES));

    assert.equal(g.surge?.phase, "finish");
    assert.deepEqual(g.terminate, ["i-old-9"]);
    assert.equal(g.checkpoint?.passed, true);
    assert.deepEqual(g.tags?.remove, [
      SURGE_TAGS.baseline,
      SURGE_TAGS.version,
      SURGE_TAGS.startedAt,
      SURGE_TAGS.bakeStartedAt,
    ]);
    assert.match(g.reason, /^surge finish: checkpoint 1 of 3 \(10%\) passed; /);
  });

  it("starts the next checkpoint with what its share still lacks", () => {
    const group = aGroup("live-web", [...old(9), ...onNew(1, 30)], {
      maxSize: 20,
      tags: { "phoenix:environment": "live", "phoenix:tier": "web", [SURGE_TAGS.checkpoint]: "1/3 1.0.2" },
    });

    const g = only(plan({ ...aSnapshot([group], { version: "1.0.2" }), alarms: OK }, GATES));

    assert.equal(g.setDesired, 14);
    assert.equal(g.tags?.set?.[SURGE_TAGS.checkpoint], "2/3 1.0.2");
  });

  it("on an alarm in the first bake aborts the surge: no old instance was gone, so nothing is rolled back", () => {
    const group = surgingTo(1, [...old(10), ...onNew(1, 12)], 1, 13, { [SURGE_TAGS.bakeStartedAt]: minutesBefore(4) });

    const g = only(
      plan({ ...aSnapshot([group], { version: "1.0.2" }), alarms: FIRING }, { ...GATES, autoRollback: true }),
    );

    assert.equal(g.surge?.phase, "abort");
    assert.deepEqual(g.terminate, ["i-new-0"]);
    assert.equal(g.setDesired, 10);
    assert.deepEqual(g.alarmStop, {
      alarm: ALARM,
      checkpoint: "1 of 3",
      version: "1.0.2",
      remaining: 0,
      rollback: false,
    });
    assert.equal(g.tags?.set?.[SURGE_TAGS.failed], "1.0.2");
    assert.equal(g.tags?.set?.[SURGE_TAGS.alarm], `${ALARM} in ALARM at checkpoint 1 of 3`);
    assert.match(
      g.reason,
      new RegExp(`^surge abort: ${ALARM} in ALARM since .* at checkpoint 1 of 3: terminating i-new-0`),
    );
  });

  it("on an alarm past a checkpoint aborts the surge and asks for a rollback when autoRollback is on", () => {
    const instances = [...old(9), ...onNew(1, 40, "i-canary"), ...onNew(4, 5)];
    const group = surgingTo(2, instances, 4, 6);

    const g = only(
      plan({ ...aSnapshot([group], { version: "1.0.2" }), alarms: FIRING }, { ...GATES, autoRollback: true }),
    );

    assert.equal(g.surge?.phase, "abort");
    assert.deepEqual(g.terminate.sort(), ["i-new-0", "i-new-1", "i-new-2", "i-new-3"]);
    assert.deepEqual(g.alarmStop, {
      alarm: ALARM,
      checkpoint: "2 of 3",
      version: "1.0.2",
      remaining: 1,
      rollback: true,
    });
    assert.match(
      g.reason,
      /1 instance outside it already run 1\.0\.2 \(old ones gone\): writing the previous release back/,
    );
  });

  it("with autoRollback off stops the rollout there and says to roll back by hand", () => {
    const instances = [...old(9), ...onNew(1, 40, "i-canary"), ...onNew(4, 5)];

    const g = only(
      plan({ ...aSnapshot([surgingTo(2, instances, 4, 6)], { version: "1.0.2" }), alarms: FIRING }, GATES),
    );

    assert.equal(g.alarmStop?.rollback, false);
    assert.match(
      g.reason,
      /already run 1\.0\.2 and stay: roll back \(`phoenix rollback`\) or publish a fix \(autoRollback is off\)/,
    );
  });

  it("between checkpoints, an alarm stops the rollout with no surge to abort", () => {
    const group = aGroup("live-web", [...old(9), ...onNew(1, 30)], {
      maxSize: 20,
      tags: { "phoenix:environment": "live", "phoenix:tier": "web", [SURGE_TAGS.checkpoint]: "1/3 1.0.2" },
    });

    const g = only(
      plan({ ...aSnapshot([group], { version: "1.0.2" }), alarms: FIRING }, { ...GATES, autoRollback: true }),
    );

    assert.equal(g.surge?.phase, "stopped");
    assert.deepEqual([g.terminate, g.setDesired], [[], undefined]);
    assert.equal(g.alarmStop?.rollback, true);
    assert.deepEqual(g.tags?.remove, [SURGE_TAGS.checkpoint]);
  });

  it("never goes past a baked checkpoint while an alarm's state is unknown, and says which", () => {
    const group = surgingTo(1, [...old(10), ...onNew(1, 20)], 1, 21, { [SURGE_TAGS.bakeStartedAt]: minutesBefore(10) });

    const unread = only(plan(aSnapshot([group], { version: "1.0.2" }), GATES));
    const missing = only(
      plan({ ...aSnapshot([group], { version: "1.0.2" }), alarms: [{ name: ALARM, state: "missing" }] }, GATES),
    );

    for (const g of [unread, missing]) {
      assert.equal(g.surge?.phase, "blocked");
      assert.deepEqual([g.terminate, g.setDesired, g.tags], [[], undefined, undefined]);
    }
    assert.match(unread.reason, new RegExp(`held: the states of ${ALARM} were not read`));
    assert.match(missing.reason, new RegExp(`held: no alarm named ${ALARM} exists`));
  });

  it("reads INSUFFICIENT_DATA as quiet: a tier with no requests has no 5xx rate", () => {
    const group = surgingTo(1, [...old(10), ...onNew(1, 20)], 1, 21, { [SURGE_TAGS.bakeStartedAt]: minutesBefore(10) });
    const snapshot = {
      ...aSnapshot([group], { version: "1.0.2" }),
      alarms: [{ name: ALARM, state: "INSUFFICIENT_DATA" }],
    };

    assert.equal(only(plan(snapshot, GATES)).surge?.phase, "finish");
  });

  it("rolls back ungated: no checkpoint, bake or alarm holds a rollout back to an older version", () => {
    const group = aGroup("live-web", onNew(10, 60), { maxSize: 20 });
    const snapshot = { ...aSnapshot([group], { version: "1.0.1" }), alarms: FIRING };

    const g = only(plan(snapshot, { ...GATES, autoRollback: true }));

    assert.equal(g.setDesired, 20);
    assert.equal(g.checkpoint, undefined);
    assert.equal(g.tags?.set?.[SURGE_TAGS.checkpoint], undefined);
    assert.match(g.reason, /^surge start of a rollback \(no checkpoint, bake or rollout alarm holds/);
  });

  describe("replace, counted in replaced instances", () => {
    const REPLACE: Policy = { ...GATES, strategy: "replace" };

    it("terminates only the first checkpoint's share and records the checkpoint", () => {
      const g = only(plan(aSnapshot([aGroup("live-web", old(10))], { version: "1.0.2" }), REPLACE));

      assert.deepEqual(g.terminate, ["i-old-9"]);
      assert.deepEqual(g.tags, { set: { [SURGE_TAGS.checkpoint]: "1/3 1.0.2" } });
      assert.match(g.reason, /^checkpoint 1 of 3 \(10%\): 1 of 10 to run 1\.0\.2; /);
    });

    it("bakes the replaced share before the next, then terminates up to the next share in the same sweep", () => {
      const tags = { "phoenix:environment": "live", "phoenix:tier": "web", [SURGE_TAGS.checkpoint]: "1/3 1.0.2" };
      const baking = aGroup("live-web", [...old(9), ...onNew(1, 30)], {
        tags: { ...tags, [SURGE_TAGS.bakeStartedAt]: minutesBefore(3) },
      });
      const baked = aGroup("live-web", [...old(9), ...onNew(1, 30)], {
        tags: { ...tags, [SURGE_TAGS.bakeStartedAt]: minutesBefore(10) },
      });

      const waiting = only(plan({ ...aSnapshot([baking], { version: "1.0.2" }), alarms: OK }, REPLACE));
      const next = only(plan({ ...aSnapshot([baked], { version: "1.0.2" }), alarms: OK }, REPLACE));

      assert.deepEqual(waiting.terminate, []);
      assert.match(waiting.reason, /^baking checkpoint 1 of 3 \(10%\)/);
      assert.equal(next.terminate.length, 4);
      assert.deepEqual(next.tags, {
        set: { [SURGE_TAGS.checkpoint]: "2/3 1.0.2" },
        remove: [SURGE_TAGS.bakeStartedAt],
      });
      assert.match(next.reason, /^checkpoint 1 of 3 \(10%\) passed; checkpoint 2 of 3 \(50%\): 5 of 10 to run 1\.0\.2/);
    });

    it("stops on an alarm, terminating nothing more, and asks for a rollback of what it replaced", () => {
      const tags = { "phoenix:environment": "live", "phoenix:tier": "web", [SURGE_TAGS.checkpoint]: "2/3 1.0.2" };
      const group = aGroup("live-web", [...old(5), ...onNew(5, 30)], { tags });

      const g = only(
        plan({ ...aSnapshot([group], { version: "1.0.2" }), alarms: FIRING }, { ...REPLACE, autoRollback: true }),
      );

      assert.deepEqual(g.terminate, []);
      assert.deepEqual(g.alarmStop, {
        alarm: ALARM,
        checkpoint: "2 of 3",
        version: "1.0.2",
        remaining: 5,
        rollback: true,
      });
    });
  });

  describe("a rollout an alarm stopped whose automatic rollback was not made", () => {
    const stoppedTags = {
      "phoenix:environment": "live",
      "phoenix:tier": "web",
      [SURGE_TAGS.failed]: "1.0.2",
      [SURGE_TAGS.alarm]: `${ALARM} in ALARM at checkpoint 2 of 3`,
    };
    const stoppedGroup = () => aGroup("live-web", [...old(5), ...onNew(5, 30)], { tags: stoppedTags });

    for (const [strategy, policy] of [
      ["surge", GATES],
      ["replace", { ...GATES, strategy: "replace" } as Policy],
    ] as const) {
      it(`asks for it again (${strategy}), changing nothing in the group`, () => {
        const g = only(plan(aSnapshot([stoppedGroup()], { version: "1.0.2" }), { ...policy, autoRollback: true }));

        assert.deepEqual(g.alarmStop, {
          alarm: ALARM,
          checkpoint: "2 of 3",
          version: "1.0.2",
          remaining: 5,
          rollback: true,
        });
        assert.deepEqual([g.terminate, g.setDesired, g.tags], [[], undefined, undefined]);
        assert.match(g.reason, /5 instances still run 1\.0\.2 and no rollback is recorded: writing the previous/);
      });
    }

    it("asks for none with autoRollback off, or once the rollback's record marks the version", () => {
      const off = only(plan(aSnapshot([stoppedGroup()], { version: "1.0.2" }), GATES));
      const rollback = { kind: "phoenix.rollback", from: "1.0.2", to: "1.0.1", tier: "web", alarm: ALARM };
      const record = { ...rollback, checkpoint: "2 of 3", at: READ_AT, reason: "rolled back automatically" };
      const marked = only(
        plan(
          { ...aSnapshot([stoppedGroup()], { version: "1.0.2" }), rollback: record },
          { ...GATES, autoRollback: true },
        ),
      );

      assert.equal(off.alarmStop, undefined);
      assert.match(off.reason, /publish a fixed version or roll back/);
      assert.equal(marked.alarmStop, undefined);
    });
  });

  describe("policy", () => {
    for (const [checkpoints, problem] of [
      [[10, 50], /must end in 100/],
      [[50, 10, 100], /must increase/],
      [[0, 100], /whole percentages from 1 to 100/],
      [[10, 10, 100], /must increase/],
      [[], /list of 1 to 10 percentages/],
    ] as const) {
      it(`refuses checkpoints ${JSON.stringify(checkpoints)}`, () => {
        assert.throws(() => plan(aSnapshot([]), { ...GATES, checkpoints: [...checkpoints] }), problem);
      });
    }

    it("refuses a negative bake, an ARN or a wildcard for an alarm name", () => {
      assert.throws(() => plan(aSnapshot([]), { ...GATES, bakeMinutes: -1 }), /bakeMinutes is -1/);
      assert.throws(
        () => plan(aSnapshot([]), { ...GATES, rolloutAlarms: ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x"] }),
        /must be a name, not an ARN/,
      );
      assert.throws(() => plan(aSnapshot([]), { ...GATES, rolloutAlarms: ["web-*"] }), /must not hold \* or \?/);
    });
  });
});
