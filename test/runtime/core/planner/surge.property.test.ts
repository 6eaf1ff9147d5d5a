// Property tests of the surge strategy: whole rollouts simulated sweep by sweep over a MemoryFleet that behaves like
// an Auto Scaling group (it launches up to desired capacity; new instances boot for a few sweeps), with random group
// sizes, policies, boot times, crashes at any surge call, replayed sweeps and a newer release mid-rollout. With room to surge, in-service
// capacity never drops below the baseline; a good release converges back at the baseline with the tags cleared; a
// bad one is aborted with the baseline restored and only the new instances gone.
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { plan } from "../../../../runtime/core/planner";
import { executePlan } from "../../../../runtime/ops/sweep";
import { FleetSnapshot, InstanceState, Policy } from "../../../../runtime/core/types";
import { MemoryFleet } from "../../../support/memory-store";
import { SURGE_TAGS } from "../../../../runtime/contract";

const SWEEP_MS = 5 * 60_000;
const START = Date.parse("2026-11-26T04:00:00.000Z");
const OLD = "1.0.1";
const NEW = "1.0.2";
const NEWER = "1.0.3";
const MAX_SWEEPS = 250;

interface Scenario {
  baseline: number;
  /** Instances already on the new version before the release (the rest are stale). */
  fresh: number;
  room: number;
  minHealthy: number;
  minHealthyPercent: number;
  maxPerSweep?: number;
  maxSurgePercent?: number;
  /** Sweeps each launched instance takes to boot, used in turn. */
  boots: number[];
  /** Per surge call, in order: whether it fails (a crash, a throttle). Only the first calls can fail. */
  failures: boolean[];
  /** Per sweep: whether it is replayed at once (a redelivered event, two sweeps racing). */
  replays: boolean[];
  /** The sweep at which a newer release (1.0.3) is published mid-rollout, if any. */
  republishAt?: number;
}

function scenarioArb(options: { room: "some" | "none" }): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 1, max: 8 }).chain((baseline) =>
    fc.record({
      baseline: fc.constant(baseline),
      fresh: fc.integer({ min: 0, max: baseline - 1 }),
      room: options.room === "none" ? fc.constant(0) : fc.integer({ min: 1, max: 8 }),
      minHealthy: fc.integer({ min: 0, max: baseline }),
      minHealthyPercent: fc.integer({ min: 0, max: 100 }),
      maxPerSweep: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      maxSurgePercent: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
      boots: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
      failures: fc.array(fc.boolean(), { maxLength: 30 }).map((bs) => bs.map((b, i) => b && i % 3 === 0)),
      replays: fc.array(fc.boolean(), { maxLength: 20 }),
      republishAt: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined, freq: 3 }),
    }),
  );
}

interface Booting {
  readyAtSweep: number;
}

/** The simulated group and its Auto Scaling behaviour. */
class Simulation {
  readonly fleet: MemoryFleet;
  private readonly versions = new Map<string, string>();
  private readonly booting = new Map<string, Booting>();
  private launched = 0;
  sweeps = 0;
  /** Lowest count of healthy instances seen after any sweep, and the phases seen. */
  lowestHealthy = Number.POSITIVE_INFINITY;
  readonly phases: string[] = [];
  readonly terminatedStaleWhileShort: string[] = [];

  constructor(
    readonly s: Scenario,
    readonly release: "good" | "bad",
  ) {
    const instances: InstanceState[] = [];
    for (let n = 0; n < s.baseline; n++) {
      const id = `i-base-${n}`;
      this.versions.set(id, n < s.fresh ? NEW : OLD);
      instances.push(this.instance(id, new Date(START - (n + 1) * 86_400_000).toISOString()));
    }
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
            maxSize: s.baseline + s.room,
            port: 80,
            targetGroupArns: [],
            tags: { "phoenix:environment": "live", "phoenix:tier": "web", "phoenix:strategy": "surge" },
            instances,
          },
        ],
      },
      { surge: true },
    );
    let call = 0;
    this.fleet.failOn = () => (s.failures[call++] ? new Error("crash") : undefined);
  }

  /** The manifest's version now. */
  latest(): string {
    return this.s.republishAt !== undefined && this.sweeps >= this.s.republishAt ? NEWER : NEW;
  }

  get group() {
    return this.fleet.state.groups[0];
  }

  policy(): Policy {
    const p: Policy = { minHealthy: this.s.minHealthy, minHealthyPercent: this.s.minHealthyPercent };
    if (this.s.maxPerSweep !== undefined) p.maxPerSweep = this.s.maxPerSweep;
    if (this.s.maxSurgePercent !== undefined) p.maxSurgePercent = this.s.maxSurgePercent;
    return p;
  }

  private instance(id: string, launchTime: string): InstanceState {
    return { id, lifecycleState: "InService", asgHealth: "Healthy", lbHealth: {}, launchTime, privateIp: "10.0.0.1" };
  }

  private isUp(id: string): boolean {
    const b = this.booting.get(id);
    return b === undefined || this.sweeps >= b.readyAtSweep;
  }

  /** Healthy as the planner counts it: booted, and on a good release (or launched before it). */
  healthy(id: string): boolean {
    return this.isUp(id) && !(this.release === "bad" && this.booting.has(id));
  }

  /** Auto Scaling: launch up to desired capacity. It never has to pick a victim: phoenix never asks it to. */
  autoScale(): void {
    const g = this.group;
    assert.ok(g.instances.length <= g.desiredCapacity, `desired ${g.desiredCapacity} below ${g.instances.length}`);
    while (g.instances.length < g.desiredCapacity) {
      const id = `i-new-${this.launched}`;
      const boot = this.s.boots[this.launched % this.s.boots.length];
      this.launched += 1;
      this.versions.set(id, this.latest());
      this.booting.set(id, { readyAtSweep: this.sweeps + 1 + boot });
      g.instances.push(this.instance(id, new Date(START + this.sweeps * SWEEP_MS + 1000).toISOString()));
    }
  }

  snapshot(): FleetSnapshot {
    const state = structuredClone(this.fleet.state);
    state.readAt = new Date(START + this.sweeps * SWEEP_MS).toISOString();
    const g = state.groups[0];
    g.activityInProgress = g.instances.some((i) => !this.isUp(i.id));
    return {
      ...state,
      desiredVersion: this.latest(),
      groups: [
        {
          ...g,
          instances: g.instances.map((i) => {
            const up = this.isUp(i.id);
            return {
              ...i,
              lifecycleState: up ? "InService" : "Pending",
              probe: this.healthy(i.id)
                ? { ok: true as const, version: this.versions.get(i.id)! }
                : { ok: false as const, error: up ? "HTTP 503" : "connection refused" },
            };
          }),
        },
      ],
    };
  }

  healthyCount(): number {
    return this.group.instances.filter((i) => this.healthy(i.id)).length;
  }

  async sweep(): Promise<void> {
    const before = new Set(this.group.instances.map((i) => i.id));
    const p = plan(this.snapshot(), this.policy());
    const g = p.groups[0];
    this.phases.push(g.surge?.phase ?? (g.terminate.length > 0 ? "replace" : "none"));
    await executePlan(this.fleet, p.groups);
    const after = new Set(this.group.instances.map((i) => i.id));
    const healthyNow = this.healthyCount();
    for (const id of before) {
      if (!after.has(id) && this.versions.get(id) !== this.latest() && healthyNow < this.s.baseline) {
        this.terminatedStaleWhileShort.push(id);
      }
    }
    this.lowestHealthy = Math.min(this.lowestHealthy, healthyNow);
  }

  async run(): Promise<void> {
    while (this.sweeps < MAX_SWEEPS && !this.settled()) {
      await this.sweep();
      if (this.s.replays[this.sweeps]) await this.sweep();
      this.sweeps += 1;
      this.autoScale();
    }
  }

  settled(): boolean {
    const g = this.group;
    const noSurge = g.tags[SURGE_TAGS.baseline] === undefined && (g.suspendedProcesses ?? []).length === 0;
    if (this.release === "good") {
      return (
        noSurge &&
        g.desiredCapacity === this.s.baseline &&
        g.instances.length === this.s.baseline &&
        g.instances.every((i) => this.versions.get(i.id) === this.latest() && this.healthy(i.id))
      );
    }
    return noSurge && g.tags[SURGE_TAGS.failed] !== undefined && g.instances.length === g.desiredCapacity;
  }
}

describe("surge rollouts (properties over simulated sweeps)", () => {
  it("never takes in-service capacity below the baseline and converges at the baseline, for a good release", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ room: "some" }), async (s) => {
        const sim = new Simulation(s, "good");

        await sim.run();

        assert.ok(sim.settled(), `not converged after ${sim.sweeps} sweeps: ${sim.phases.join(" ")}`);
        assert.ok(sim.lowestHealthy >= s.baseline, `in service fell to ${sim.lowestHealthy} of ${s.baseline}`);
        assert.deepEqual(sim.terminatedStaleWhileShort, []);
        assert.ok(!sim.phases.includes("abort"), "a good release was aborted");
        assert.ok(sim.phases.includes("start") === (s.fresh < s.baseline || s.republishAt !== undefined));
      }),
      { numRuns: 300 },
    );
  });

  it("aborts a bad release back to the baseline: only new instances go, the old ones serve throughout", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ room: "some" }), async (scenario) => {
        const s = { ...scenario, republishAt: undefined };
        const sim = new Simulation(s, "bad");

        await sim.run();

        const g = sim.group;
        assert.ok(sim.settled(), `not settled after ${sim.sweeps} sweeps: ${sim.phases.join(" ")}`);
        assert.equal(g.desiredCapacity, s.baseline);
        assert.deepEqual(
          g.instances.map((i) => i.id),
          Array.from({ length: s.baseline }, (_, n) => `i-base-${n}`),
        );
        assert.equal(g.tags[SURGE_TAGS.failed], NEW);
        assert.ok(sim.lowestHealthy >= s.baseline);
        assert.ok(sim.phases.includes("abort"));
      }),
      { numRuns: 200 },
    );
  });

  it("with no room to surge, replaces in place and still converges (the original's rules, floor included)", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ room: "none" }), async (scenario) => {
        const s = { ...scenario, republishAt: undefined };
        const sim = new Simulation(s, "good");

        await sim.run();

        const floor = Math.max(s.minHealthy, Math.ceil((s.baseline * s.minHealthyPercent) / 100));
        // A floor at the baseline forbids every in-place termination: that is what surge is for.
        if (floor >= s.baseline) assert.ok(sim.group.instances.every((i) => i.id.startsWith("i-base-")));
        else assert.ok(sim.settled(), `not converged after ${sim.sweeps} sweeps: ${sim.phases.join(" ")}`);
        assert.ok(!sim.phases.includes("start"));
        assert.ok(sim.phases.every((p) => p === "fallback-replace" || p === "none"));
      }),
      { numRuns: 100 },
    );
  });
});
