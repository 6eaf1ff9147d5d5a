// Property tests of checkpoints, bakes and rollout alarms: whole rollouts simulated one sweep a minute over a
// MemoryFleet that behaves like an Auto Scaling group, with random sizes, checkpoints, bakes, boot times, both
// strategies, and a release that is good or bad under traffic (healthy, but its rollout alarm goes into ALARM some
// minutes after one of its instances starts serving). The alarm states reach the planner the way a sweep reads them
// (runtime/ops/alarms.ts: only in the rollout's alarm window), and a rollback the plan asks for is written back as the
// sweep would. Surge never takes in-service capacity below the baseline; no rollout goes past a checkpoint before its
// share has served, all healthy, through its bake; an alarm always leads to an abort or a rollback, never to progress.
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { rolloutAlarmNames, SURGE_TAGS } from "../../../../runtime/contract";
import { plan, shareOf } from "../../../../runtime/core/planner";
import { AlarmState, FleetSnapshot, GroupPlan, InstanceState, Policy, Strategy } from "../../../../runtime/core/types";
import { withAlarms } from "../../../../runtime/ops/alarms";
import { executePlan } from "../../../../runtime/ops/sweep";
import { MemoryFleet } from "../../../support/memory-store";

const MINUTE_MS = 60_000;
const START = Date.parse("2026-11-26T04:00:00.000Z");
const OLD = "1.0.1";
const NEW = "1.0.2";
const ALARM = rolloutAlarmNames("live", "web").errors;
const MAX_SWEEPS = 400;

interface Scenario {
  strategy: Strategy;
  baseline: number;
  checkpoints: number[];
  bakeMinutes: number;
  /** Minutes each launched instance takes to serve, used in turn. */
  boots: number[];
  release: "good" | "bad";
  /** Minutes a bad instance serves before the alarm is in ALARM (its breach periods). */
  detectMinutes: number;
  autoRollback: boolean;
  maxSurgePercent?: number;
}

const checkpointsArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 3 })
  .map((cs) => [...cs.sort((a, b) => a - b), 100]);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  strategy: fc.constantFrom<Strategy>("surge", "replace"),
  baseline: fc.integer({ min: 1, max: 12 }),
  checkpoints: checkpointsArb,
  bakeMinutes: fc.integer({ min: 0, max: 8 }),
  boots: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 }),
  release: fc.constantFrom<"good" | "bad">("good", "bad"),
  detectMinutes: fc.integer({ min: 1, max: 6 }),
  autoRollback: fc.boolean(),
  maxSurgePercent: fc.option(fc.integer({ min: 10, max: 100 }), { nil: undefined, freq: 4 }),
});

/** One group, its Auto Scaling behaviour, its traffic (which says when the alarm fires) and the manifest. */
class Simulation {
  readonly fleet: MemoryFleet;
  minute = 0;
  /** The version the manifest names: NEW, until a rollback writes OLD back. */
  manifest = NEW;
  rolledBack = false;
  private readonly versions = new Map<string, string>();
  private readonly readyAt = new Map<string, number>();
  private launched = 0;
  /** Since when a bad instance has served without a break; the alarm fires detectMinutes after. */
  private badServingSince?: number;
  private alarmFiredAt?: number;
  /** Per checkpoint, since when its share has served on NEW without a break (undefined: not now). */
  private readonly shareServingSince: (number | undefined)[];
  /** Old instances terminated so far: how far the rollout has gone. */
  oldGone = 0;
  lowestServing = Number.POSITIVE_INFINITY;
  readonly violations: string[] = [];
  readonly plans: GroupPlan[] = [];
  /** Instances launched after the first alarm stop (the boots spent undoing the release). */
  bootsAfterStop = 0;
  stoppedAt?: number;

  constructor(readonly s: Scenario) {
    const instances: InstanceState[] = [];
    for (let n = 0; n < s.baseline; n++) {
      const id = `i-base-${n}`;
      this.versions.set(id, OLD);
      instances.push(instance(id, new Date(START - (n + 1) * 86_400_000).toISOString()));
    }
    this.shareServingSince = s.checkpoints.map(() => undefined);
    this.fleet = new MemoryFleet(
      {
        environment: "live",
        readAt: new Date(START).toISOString(),
        desiredVersion: NEW,
        groups: [
          {
            name: "live-web",
            tier: "web",
            desiredCapacity: s.baseline,
            minSize: 0,
            maxSize: 2 * s.baseline,
            port: 80,
            targetGroupArns: [],
            tags: { "phoenix:environment": "live", "phoenix:tier": "web", "phoenix:strategy": s.strategy },
            instances,
          },
        ],
      },
      { surge: true },
    );
    this.fleet.alarms = { read: (names) => Promise.resolve(names.map((name) => this.alarmState(name))) };
  }

  get group() {
    return this.fleet.state.groups[0];
  }

  policy(): Policy {
    return {
      // A floor of one would forbid replacing the only instance of a group of one (that is what surge is for).
      minHealthy: this.s.baseline > 1 ? 1 : 0,
      minHealthyPercent: 0,
      strategy: this.s.strategy,
      checkpoints: this.s.checkpoints,
      bakeMinutes: this.s.bakeMinutes,
      rolloutAlarms: [ALARM],
      ...(this.s.autoRollback && { autoRollback: true }),
      ...(this.s.maxSurgePercent !== undefined && { maxSurgePercent: this.s.maxSurgePercent }),
    };
  }

  private alarmState(name: string): AlarmState {
    const firing = this.alarmFiredAt !== undefined;
    return {
      name,
      state: firing ? "ALARM" : "OK",
      since: new Date(START + (firing ? this.alarmFiredAt! : 0) * MINUTE_MS).toISOString(),
    };
  }

  private serving(id: string): boolean {
    return this.minute >= (this.readyAt.get(id) ?? Number.NEGATIVE_INFINITY);
  }

  /** Traffic for the minute: a bad instance serving long enough puts the alarm in ALARM (and it stays there). */
  private traffic(): void {
    const bad = this.group.instances.some((i) => this.versions.get(i.id) === NEW && this.serving(i.id));
    if (this.s.release === "bad" && bad) this.badServingSince ??= this.minute;
    else this.badServingSince = undefined;
    if (this.badServingSince !== undefined && this.minute - this.badServingSince >= this.s.detectMinutes) {
      this.alarmFiredAt ??= this.minute;
    }
    const onNew = this.group.instances.filter((i) => this.versions.get(i.id) === NEW && this.serving(i.id)).length;
    this.s.checkpoints.forEach((c, k) => {
      const share = shareOf(this.s.baseline, c);
      this.shareServingSince[k] = onNew >= share ? (this.shareServingSince[k] ?? this.minute) : undefined;
    });
  }

  private snapshot(): FleetSnapshot {
    const state = structuredClone(this.fleet.state);
    const g = state.groups[0];
    g.activityInProgress = g.instances.some((i) => !this.serving(i.id));
    return {
      ...state,
      readAt: new Date(START + this.minute * MINUTE_MS).toISOString(),
      desiredVersion: this.manifest,
      groups: [
        {
          ...g,
          instances: g.instances.map((i) => ({
            ...i,
            lifecycleState: this.serving(i.id) ? "InService" : "Pending",
            probe: this.serving(i.id)
              ? { ok: true as const, version: this.versions.get(i.id)! }
              : { ok: false as const, error: "connection refused" },
          })),
        },
      ],
    };
  }

  async sweep(): Promise<void> {
    this.traffic();
    const snapshot = await withAlarms(this.fleet, this.snapshot(), this.policy());
    const p = plan(snapshot, this.policy());
    const g = p.groups[0];
    this.plans.push(g);
    this.check(snapshot, g);
    if (g.alarmStop !== undefined) this.stoppedAt ??= this.minute;
    const before = this.group.instances.map((i) => i.id);
    await executePlan(this.fleet, p.groups);
    const after = new Set(this.group.instances.map((i) => i.id));
    this.oldGone += before.filter((id) => !after.has(id) && this.versions.get(id) === OLD).length;
    // What runtime/ops/auto-rollback.ts does for the sweep: the previous release written back as current.
    if (g.alarmStop?.rollback === true && this.manifest === NEW) {
      this.manifest = OLD;
      this.rolledBack = true;
    }
  }

  /** The invariants, checked against the plan a sweep made from what it saw. */
  private check(snapshot: FleetSnapshot, g: GroupPlan): void {
    const at = `minute ${this.minute}`;
    const rollingOutNew = this.manifest === NEW;
    // Never past a checkpoint before its bake: more old instances gone than a checkpoint's share only once that
    // share has served, without a break, through the bake.
    const gone = g.terminate.filter((id) => this.versions.get(id) === OLD).length;
    if (rollingOutNew && gone > 0) {
      this.s.checkpoints.forEach((c, k) => {
        if (this.oldGone + gone <= shareOf(this.s.baseline, c) || k === this.s.checkpoints.length - 1) return;
        const since = this.shareServingSince[k];
        if (since === undefined || this.minute - since < this.s.bakeMinutes) {
          this.violations.push(`${at}: ${this.oldGone + gone} old gone past checkpoint ${c}% before its bake`);
        }
      });
    }
    // An alarm in ALARM, seen in the rollout's window, leads to an abort or a rollback and never to progress.
    const seen = snapshot.alarms?.find((a) => a.name === ALARM)?.state === "ALARM";
    const inWindow =
      this.group.tags[SURGE_TAGS.baseline] !== undefined || this.group.tags[SURGE_TAGS.checkpoint] !== undefined;
    if (rollingOutNew && seen && inWindow) {
      const raises = g.setDesired !== undefined && g.setDesired > this.group.desiredCapacity;
      if (raises || gone > 0) this.violations.push(`${at}: progress on an alarm (${g.reason})`);
      const stops = g.alarmStop !== undefined || g.surge?.phase === "abort" || g.surge?.phase === "blocked";
      if (!stops) this.violations.push(`${at}: an alarm that did not stop the rollout (${g.reason})`);
    }
    if (g.alarmStop?.rollback === true && !(g.alarmStop.remaining > 0 && this.s.autoRollback)) {
      this.violations.push(`${at}: a rollback asked for with nothing to undo or autoRollback off`);
    }
  }

  /** Auto Scaling: launch up to desired capacity (phoenix never asks it to pick a victim). */
  private autoScale(): void {
    const g = this.group;
    while (g.instances.length < g.desiredCapacity) {
      const id = `i-new-${this.launched}`;
      this.readyAt.set(id, this.minute + this.s.boots[this.launched % this.s.boots.length]);
      this.versions.set(id, this.manifest);
      this.launched += 1;
      if (this.stoppedAt !== undefined) this.bootsAfterStop += 1;
      g.instances.push(instance(id, new Date(START + this.minute * MINUTE_MS + 1000).toISOString()));
    }
  }

  async run(): Promise<void> {
    while (this.minute < MAX_SWEEPS && !this.settled()) {
      await this.sweep();
      this.minute += 1;
      this.autoScale();
      this.lowestServing = Math.min(this.lowestServing, this.group.instances.filter((i) => this.serving(i.id)).length);
    }
  }

  /** Each sweep's decision, for a failure's message. */
  trace(): string {
    const lines = this.plans.map((g, m) => `\n  ${m}: ${g.reason}${g.tags ? ` ${JSON.stringify(g.tags)}` : ""}`);
    return `${JSON.stringify(this.s)}${lines.slice(0, 40).join("")}${lines.length > 40 ? "\n  ..." : ""}`;
  }

  /** Everyone on the manifest's version at the baseline with no rollout left, or a rollout stopped for good. */
  settled(): boolean {
    const g = this.group;
    const quiet = g.tags[SURGE_TAGS.baseline] === undefined && g.tags[SURGE_TAGS.checkpoint] === undefined;
    const converged =
      quiet &&
      g.tags[SURGE_TAGS.bakeStartedAt] === undefined &&
      g.instances.length === this.s.baseline &&
      g.instances.every((i) => this.versions.get(i.id) === this.manifest && this.serving(i.id));
    const stopped = quiet && g.tags[SURGE_TAGS.failed] === NEW && g.instances.length === g.desiredCapacity;
    return converged || (this.manifest === NEW && stopped && g.instances.every((i) => this.serving(i.id)));
  }
}

function instance(id: string, launchTime: string): InstanceState {
  return { id, lifecycleState: "InService", asgHealth: "Healthy", lbHealth: {}, launchTime, privateIp: "10.0.0.1" };
}

describe("checkpoints, bakes and rollout alarms (properties over simulated sweeps)", () => {
  it("never goes past a checkpoint before its bake, never progresses on an alarm, and always settles", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const sim = new Simulation(s);

        await sim.run();

        assert.deepEqual(sim.violations, []);
        assert.ok(sim.settled(), `not settled after ${sim.minute} minutes:${sim.trace()}`);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a surge's in-service capacity at the baseline throughout, good release or bad", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const sim = new Simulation({ ...scenario, strategy: "surge", maxSurgePercent: undefined });

        await sim.run();

        assert.ok(sim.lowestServing >= scenario.baseline, `in service fell to ${sim.lowestServing}`);
      }),
      { numRuns: 200 },
    );
  });

  it("converges a good release with every checkpoint baked and every rollout tag cleared", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const sim = new Simulation({ ...scenario, release: "good" });

        await sim.run();

        assert.equal(sim.manifest, NEW);
        assert.ok(sim.settled(), sim.trace());
        // Only the record a surge's end leaves (issue 14's straggler guard) stays; no rollout state does.
        assert.deepEqual(
          Object.keys(sim.group.tags).filter((k) => k.startsWith("phoenix:surge-") && k !== SURGE_TAGS.ended),
          [],
          JSON.stringify(sim.group.tags),
        );
        assert.ok(sim.plans.every((g) => g.alarmStop === undefined));
      }),
      { numRuns: 150 },
    );
  });

  it("undoes a bad release caught at the first checkpoint with no boot, back to the old version at the baseline", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        // A bake longer than the alarm takes to fire catches it at the first checkpoint, before any old one goes.
        const s: Scenario = {
          ...scenario,
          strategy: "surge",
          release: "bad",
          maxSurgePercent: undefined,
          bakeMinutes: scenario.detectMinutes + 1,
          checkpoints: scenario.checkpoints.length > 1 ? scenario.checkpoints : [50, 100],
        };
        fc.pre(shareOf(s.baseline, s.checkpoints[0]) < s.baseline);
        const sim = new Simulation(s);

        await sim.run();

        assert.ok(sim.settled(), sim.trace());
        assert.equal(sim.oldGone, 0, sim.trace());
        assert.equal(sim.bootsAfterStop, 0);
        assert.ok(sim.group.instances.every((i) => i.id.startsWith("i-base-")));
        assert.equal(sim.group.desiredCapacity, s.baseline);
        assert.equal(sim.rolledBack, false);
      }),
      { numRuns: 150 },
    );
  });

  it("rolls back a bad release caught past a checkpoint when autoRollback is on, and stops it when off", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.boolean(), async (scenario, autoRollback) => {
        const s: Scenario = { ...scenario, release: "bad", autoRollback, bakeMinutes: 0, detectMinutes: 6 };
        const sim = new Simulation(s);

        await sim.run();

        assert.ok(sim.settled(), sim.trace());
        // An alarm after the rollout converged and baked is no longer the rollout's; before any old one went, the
        // surge's abort undid it all.
        const stop = sim.plans.find((g) => g.alarmStop !== undefined)?.alarmStop;
        if (stop === undefined || stop.remaining === 0) return;
        if (autoRollback) {
          assert.equal(sim.rolledBack, true);
          assert.ok(sim.group.instances.every((i) => i.id.startsWith("i-base-") || sim.manifest === OLD));
        } else {
          assert.equal(sim.rolledBack, false);
          assert.equal(sim.group.tags[SURGE_TAGS.failed], NEW, sim.trace());
          assert.match(
            sim.group.tags[SURGE_TAGS.alarm] ?? "",
            new RegExp(`^${ALARM} in ALARM at checkpoint \\d+ of \\d+$`),
          );
        }
      }),
      { numRuns: 150 },
    );
  });
});
