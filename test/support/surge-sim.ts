// A whole environment for racing sweepers against each other: one web group (3 instances on 1.0.1, the manifest on
// 1.0.2, strategy surge, room to double twice) in a MemoryFleet that launches and boots instances like Auto Scaling,
// a MemoryObjectStore holding the release and the sweep lease, one simulated clock for all of them, and the real
// `phoenix sweep` and rollout Lambda as the sweepers. Nothing does I/O, so every interleaving is made of microtasks:
// the same gates (and seed) give the same run. Every change to the group is checked against the invariants the
// issue names: desired capacity never above baseline + stale, processes never suspended without surge tags.
import { LAMBDA_ENV, SURGE_PROCESSES, SURGE_TAGS } from "../../runtime/contract";
import { createRolloutHandler } from "../../runtime/lambda/handlers";
import { FleetState, InstanceState } from "../../runtime/core/types";
import { Prng } from "../../runtime/rehearsal/clock";
import { answeringProber, runCliWith } from "./fleets";
import { MemoryFleet, MemoryObjectStore, seedRelease } from "./memory-store";

export const OLD = "1.0.1";
export const NEW = "1.0.2";
export const BASELINE = 3;
/** Room to surge twice over: a double surge (3 → 6 → 9) would not be stopped by the group's max size. */
const MAX_SIZE = 10;
const START = Date.parse("2026-11-26T04:00:00.000Z");
/** From launch until the app answers /version. */
const BOOT_MS = 4 * 60_000;
const GROUP = "live-web";

/** What a sweeper did: its exit code (CLI) or whether it stood down (Lambda). */
export interface SweeperResult {
  who: string;
  /** `done`, `held` (stood down / exit 4), `incomplete` (exit 3), or the exit code / error. */
  outcome: string;
}

export type Sweeper = () => Promise<SweeperResult>;

/** The rehearsal's seeded random numbers, so a failing run can be replayed from its seed; plus whole numbers. */
export class Rng extends Prng {
  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/** Lets every pending microtask run: with no I/O anywhere, whatever can progress has progressed after this. */
export async function settleAll(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** `n` turns of the microtask queue: a delay that reorders concurrent sweepers without any clock. */
export async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

export class SurgeSim {
  now = START;
  readonly fleet: MemoryFleet;
  readonly store = new MemoryObjectStore();
  /** Every broken invariant, with the call after which it was seen. */
  readonly violations: string[] = [];
  /** The highest desired capacity ever set. */
  maxDesired = BASELINE;
  /** Every change to the fleet and every write to the store, in order (what a crash can follow). */
  readonly changes: string[] = [];
  private readonly bootsAt = new Map<string, number>();
  private launched = 0;
  readonly prober = answeringProber((id) => this.answer(id));

  constructor() {
    const instances: InstanceState[] = [1, 2, 3].map((n) => ({
      id: `i-old-${n}`,
      lifecycleState: "InService",
      asgHealth: "Healthy",
      lbHealth: {},
      launchTime: new Date(START - n * 86_400_000).toISOString(),
      privateIp: "10.0.0.1",
    }));
    const state: FleetState = {
      environment: "live",
      readAt: this.iso(),
      desiredVersion: NEW,
      groups: [
        {
          name: GROUP,
          tier: "web",
          desiredCapacity: BASELINE,
          minSize: 1,
          maxSize: MAX_SIZE,
          port: 80,
          targetGroupArns: [],
          tags: { "phoenix:environment": "live", "phoenix:tier": "web", "phoenix:strategy": "surge" },
          suspendedProcesses: [],
          instances,
        },
      ],
    };
    this.fleet = new MemoryFleet(state, { surge: true });
    this.fleet.onRead = (s) => (s.readAt = this.iso());
    this.fleet.onChange = (call) => this.check(call);
    this.store.clock = () => this.now;
    this.store.onPut = (key) => this.changes.push(`put ${key}`);
    seedRelease(this.store, NEW, ["web"]);
  }

  get group() {
    return this.fleet.state.groups[0];
  }

  iso(): string {
    return new Date(this.now).toISOString();
  }

  /** `phoenix sweep --env live` (with `args`), as `who`. */
  cli(who: string, ...args: string[]): Sweeper {
    return async () => {
      const result = await runCliWith(
        { fleet: this.fleet, store: this.store, prober: this.prober, now: () => this.now, who: () => who },
        "sweep",
        "--env",
        "live",
        ...args,
      );
      const outcome = { 0: "done", 3: "incomplete", 4: "held" }[result.code] ?? `exit ${result.code}: ${result.err}`;
      return { who, outcome };
    };
  }

  /** One invocation of the deployed rollout Lambda, for a scheduled event or (`release`) the manifest's. */
  lambda(who: string, event: "schedule" | "release" = "schedule"): Sweeper {
    return async () => {
      const logged: string[] = [];
      const handler = createRolloutHandler(
        {
          [LAMBDA_ENV.environment]: "live",
          [LAMBDA_ENV.policy]: JSON.stringify({ minHealthy: 1, minHealthyPercent: 0 }),
          [LAMBDA_ENV.probeTimeoutMs]: "1000",
          [LAMBDA_ENV.releaseBucket]: "live-releases",
        },
        {
          fleet: this.fleet,
          store: this.store,
          prober: this.prober,
          now: () => this.now,
          log: (l) => logged.push(l),
          metrics: () => undefined,
          followUp: { schedule: () => Promise.resolve({ status: "sent" }) },
        },
      );
      const input =
        event === "release"
          ? {
              Records: [
                {
                  eventSource: "aws:s3",
                  eventName: "ObjectCreated:Put",
                  s3: { bucket: { name: "live-releases" }, object: { key: "releases/current.json" } },
                },
              ],
            }
          : { "detail-type": "Scheduled Event" };
      try {
        await handler(input, { functionName: "live-rollout", awsRequestId: who });
      } catch (err) {
        return { who, outcome: `error: ${(err as Error).message}` };
      }
      const stoodDown = logged.some((l) => l.includes('"sweep.stood-down"'));
      const skipped = logged.some((l) => /"status":"(skipped|failed)"/.test(l));
      return { who, outcome: stoodDown ? "held" : skipped ? "incomplete" : "done" };
    };
  }

  /**
   * Time passes. Auto Scaling first brings the group to its desired capacity (launching, or scaling in oldest first),
   * as it does within moments of a change; the instances it launched boot while the time passes.
   */
  advance(ms: number): void {
    this.scale();
    this.now += ms;
  }

  private scale(): void {
    const g = this.group;
    while (g.instances.length < g.desiredCapacity) {
      this.launched += 1;
      const id = `i-new-${this.launched}`;
      g.instances.push({
        id,
        lifecycleState: "InService",
        asgHealth: "Healthy",
        lbHealth: {},
        launchTime: this.iso(),
        privateIp: "10.0.0.2",
      });
      this.bootsAt.set(id, this.now + BOOT_MS);
    }
    if (g.instances.length > g.desiredCapacity) {
      g.instances.sort((a, b) => Date.parse(a.launchTime) - Date.parse(b.launchTime));
      g.instances.splice(0, g.instances.length - g.desiredCapacity);
    }
  }

  /** Every instance on the new version, at the baseline, no surge tags and nothing suspended. */
  converged(): boolean {
    const g = this.group;
    return (
      g.desiredCapacity === BASELINE &&
      g.instances.length === BASELINE &&
      g.instances.every((i) => this.answer(i.id) === NEW) &&
      g.tags[SURGE_TAGS.baseline] === undefined &&
      (g.suspendedProcesses ?? []).length === 0
    );
  }

  private answer(id: string): string | undefined {
    if (id.startsWith("i-old")) return OLD;
    const boots = this.bootsAt.get(id);
    return boots !== undefined && this.now >= boots ? NEW : undefined;
  }

  private check(call: string): void {
    this.changes.push(call);
    const g = this.group;
    this.maxDesired = Math.max(this.maxDesired, g.desiredCapacity);
    // Baseline 3 and 3 stale: a surge may add at most 3.
    if (g.desiredCapacity > BASELINE + 3) {
      this.violations.push(`desired capacity ${g.desiredCapacity} above baseline + stale after ${call}`);
    }
    const suspended = (g.suspendedProcesses ?? []).filter((p) => SURGE_PROCESSES.includes(p));
    if (suspended.length > 0 && g.tags[SURGE_TAGS.baseline] === undefined) {
      this.violations.push(`${suspended.join(",")} suspended without surge tags after ${call}`);
    }
  }
}
