// One whole local environment for a rehearsal that needs more than one (the promotion's test and live): its release
// store on disk, its fleet on loopback, and its rollout Lambda's real entry point, triggered as deployed (schedule,
// manifest notification, launch and terminate events, follow-ups) on the clock every environment of the run shares.
// The same parts a single-environment run wires (rehearsal.ts); a Measurement is only their sink here, since what the
// promotion checks is read from each environment's own records.
import * as path from "node:path";
import { ConvergenceRecord } from "../core/convergence";
import { DEFAULT_POLICY, Policy } from "../core/types";
import { readConvergence } from "../ops/convergence";
import { publishBuild } from "./artifact";
import { Prng, SimClock } from "./clock";
import { DiskObjectStore } from "./disk-store";
import { FleetTiming, isInService } from "./instance-lifecycle";
import { LoopbackAddresses } from "./instance-server";
import { LocalFleet } from "./local-fleet";
import { Measurement } from "./measurement";
import { LocalRolloutLambda } from "./rollout-lambda";
import { OLD_IMAGE, Scenario } from "./scenarios";
import { Triggers } from "./triggers";

export interface LocalEnvironmentOptions {
  name: string;
  clock: SimClock;
  random: Prng;
  /** The run's seed: what else an environment draws (lease holder ids) is drawn from it. */
  seed: number;
  timing: FleetTiming;
  tiers: string[];
  instances: number;
  /** Where its bucket, builds and logs go: `<dir>/bucket`, `<dir>/builds`, `<dir>/sweeps.jsonl`. */
  dir: string;
  /** Loopback addresses of its instances: each environment of a run needs its own range. */
  addresses: LoopbackAddresses;
  /** When its schedule starts, and its sweeps' interval. */
  scheduleFrom: number;
  scheduleMs: number;
  /** One line of the run's log, from `source` in this environment. */
  log: (source: string, line: string) => void;
}

const PROBE_TIMEOUT_MS = 1000;

/** A deployed environment, in this process. */
export class LocalEnvironment {
  readonly name: string;
  readonly store: DiskObjectStore;
  readonly fleet: LocalFleet;
  readonly sweepLogPath: string;
  private readonly triggers: Triggers;

  constructor(private readonly options: LocalEnvironmentOptions) {
    const { name, clock, random, dir, log } = options;
    this.name = name;
    const bucket = `${name}-releases`;
    const policy: Policy = { ...DEFAULT_POLICY };
    // The store's own clock is the run's, as S3's is AWS's: the sweep lease lapses in simulated time.
    this.store = new DiskObjectStore(path.join(dir, "bucket"), () => clock.now());
    // Each holding of the sweep lease gets an id of its own, drawn from the seed so that a run repeats.
    const leaseIds = new Prng(options.seed ^ 0x5eed1ea5);
    this.sweepLogPath = path.join(dir, "sweeps.jsonl");
    this.fleet = new LocalFleet({
      environment: name,
      clock,
      random,
      store: this.store,
      timing: options.timing,
      baseImageId: OLD_IMAGE,
      port: 8080,
      storeName: bucket,
      addresses: options.addresses,
    });
    const sink = new Measurement({
      scenario: sinkScenario(name, options.instances),
      mode: "phoenix",
      policy,
      clock,
      fleet: this.fleet,
      tiers: options.tiers,
      instances: options.instances,
      start: options.scheduleFrom,
    });
    // The Lambda schedules follow-ups through the triggers, which deliver events to the Lambda: built in turn.
    const holder: { triggers?: Triggers } = {};
    const lambda = new LocalRolloutLambda({
      environment: name,
      policy,
      probeTimeoutMs: PROBE_TIMEOUT_MS,
      bucket,
      fleet: this.fleet,
      store: this.store,
      clock,
      sweepLogPath: this.sweepLogPath,
      metricsPath: path.join(dir, "metrics.jsonl"),
      followUp: { schedule: (delaySeconds) => holder.triggers!.queueFollowUp(delaySeconds) },
      measurement: sink,
      holderId: () => leaseIds.hex8(),
      log,
    });
    this.triggers = new Triggers({
      mode: "phoenix",
      clock,
      random,
      fleet: this.fleet,
      store: this.store,
      bucket,
      lambda,
      measurement: sink,
      log,
    });
    holder.triggers = this.triggers;
  }

  /** Publishes `versions` (the last is current), fills every tier with instances running it, and starts the triggers. */
  async deploy(versions: string[]): Promise<void> {
    for (const version of versions) await this.release(version);
    for (const tier of this.options.tiers) {
      await this.fleet.addGroup(tier, { desired: this.options.instances, min: 1, max: this.options.instances * 2 });
    }
    this.fleet.onEvent((event) => this.triggers.fleetEvent(event));
    this.triggers.notifyReleases();
    this.triggers.startSchedule(this.options.scheduleFrom, this.options.scheduleMs, () => undefined);
  }

  /** What `phoenix release --env <name>` does on a build server: each tier's zip built, then published. */
  release(version: string): Promise<void> {
    return publishBuild(this.store, {
      buildsDir: path.join(this.options.dir, "builds"),
      version,
      tiers: this.options.tiers,
      now: () => new Date(this.options.clock.now()),
    });
  }

  /** The convergence record its sweeps keep (undefined until a sweep has seen a release). */
  convergence(): Promise<ConvergenceRecord | undefined> {
    return readConvergence(this.store);
  }

  /** Its sweeps recorded every tier converged on `version`, and every instance in service serves it. */
  async convergedOn(version: string): Promise<ConvergenceRecord | undefined> {
    const record = await this.convergence();
    if (record?.version !== version || record.convergedAt === null) return undefined;
    const serving = this.fleet.groups.flatMap((g) => g.instances.filter((i) => isInService(i)));
    return serving.every((i) => i.version === version) ? record : undefined;
  }

  close(): Promise<void> {
    return this.fleet.close();
  }
}

/** The Measurement's view of the environment: it only sums up what the Lambda decided, nothing is judged on it. */
function sinkScenario(name: string, instances: number): Scenario {
  return {
    name: `promote:${name}`,
    summary: `the ${name} environment of the promote scenario`,
    published: [],
    instances,
    actions: [],
    expect: { outcome: "converge", version: "0.0.0", imageId: OLD_IMAGE },
    horizon: { boots: 0, minutes: 0 },
  };
}
