// Runs one rehearsal: builds a local fleet and a release store on disk, then lets the REAL runtime (publishRelease,
// rollback, the rollout Lambda's entry point = release handler + sweep = planner + probe + terminate) drive it on a
// simulated clock, triggered as deployed (triggers.ts), watched by a measurement (measurement.ts). This file sets
// the run up, plays the scenario at minute zero and turns the clock until the outcome; nothing here decides what to
// terminate.
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../core/errors";
import { rollback } from "../ops/releases";
import { Policy } from "../core/types";
import { publishBuild } from "./artifact";
import { writeChart } from "./chart";
import { Prng, SimClock } from "./clock";
import { DiskObjectStore } from "./disk-store";
import { defaultTiming, FleetEvent, FleetTiming } from "./instance-lifecycle";
import { LoopbackAddresses } from "./instance-server";
import { LoadModel } from "./load";
import { LocalFleet } from "./local-fleet";
import { Measurement, RehearsalResult } from "./measurement";
import { operatorSweep } from "./operator";
import { HomeRegion } from "./region-loss";
import { LocalRolloutLambda } from "./rollout-lambda";
import { describeScenario, findScenario, minuteZeroOf, OLD_IMAGE, Scenario, scenarioNames } from "./scenarios";
import { TriggerMode, Triggers } from "./triggers";
import { checkOptions, RehearsalObserver, RehearsalOptions, runPolicy, strategyText } from "./options";
import { prepareDirectory, prepareFile } from "./work-dir";

export { checkOptions, MAX_INSTANCES_PER_TIER } from "./options";
export type { RehearsalObserver, RehearsalOptions, RunInfo } from "./options";

const TIERS = ["web", "api"];
const ENVIRONMENT = "local";
const START = Date.UTC(2026, 0, 1, 9, 0, 0);
const SETUP_LEAD_MS = 60_000;
const PROBE_TIMEOUT_MS = 1000;
/** What a run writes in its directory (the chart goes wherever chartPath says). */
const RUN_FILES = ["bucket", "home-bucket", "builds", "sweeps.jsonl", "metrics.jsonl"];
const BUCKET = "local-releases";

/** Runs one scenario to its outcome and returns what was measured; the fleet is gone when it returns. */
export async function runRehearsal(options: RehearsalOptions): Promise<RehearsalResult> {
  const scenario = findScenario(options.scenario);
  if (scenario === undefined) {
    throw new UsageError(`no scenario named ${options.scenario}; choose one of ${scenarioNames().join(", ")}`);
  }
  checkOptions(scenario, options);
  prepareDirectory(options.workDir, `--dir ${options.workDir}`);
  if (options.chartPath !== undefined) prepareFile(options.chartPath, `--chart ${options.chartPath}`);
  const run = new Run(scenario, options);
  try {
    const result = await run.execute();
    if (options.chartPath !== undefined) await run.writeChart(result, options.chartPath);
    return result;
  } finally {
    await run.close();
  }
}

/** One run: its clock, fleet, store, Lambda, triggers and measurement, wired together once. */
class Run {
  private readonly clock = new SimClock(START - SETUP_LEAD_MS);
  private readonly random: Prng;
  /** Lease holder ids, from their own sequence: drawing them never moves the boots and jitter of a seed's run. */
  private readonly leaseIds: Prng;
  private readonly store: DiskObjectStore;
  private readonly fleet: LocalFleet;
  private readonly policy: Policy;
  private readonly timing: FleetTiming;
  private readonly mode: TriggerMode;
  private readonly instances: number;
  private readonly seed: number;
  private readonly speed: number;
  private readonly sweepLogPath: string;
  private readonly observer: RehearsalObserver;
  private readonly followUps: boolean;
  private readonly measurement: Measurement;
  private readonly lambda: LocalRolloutLambda;
  private readonly triggers: Triggers;
  /** Traffic and the tiers' 5xx alarms, when the scenario's rollout alarms gate it. */
  private readonly load?: LoadModel;
  /** The region-loss drill's home region (lost at minute zero); absent in every other scenario. */
  private readonly home?: HomeRegion;
  /** A scheduled sweep ran after the fleet converged: the runtime agreed nothing was left to do. */
  private lastSweepAfterConvergence = false;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: RehearsalOptions,
  ) {
    this.seed = options.seed ?? 1;
    this.random = new Prng(this.seed);
    this.leaseIds = new Prng(this.seed ^ 0x5eed1ea5);
    this.mode = options.mode ?? "phoenix";
    this.instances = options.instances ?? scenario.instances;
    this.speed = options.speed ?? Number.POSITIVE_INFINITY;
    const bootMinutes = options.bootMinutes ?? 6;
    this.timing = { ...defaultTiming(bootMinutes), ...options.timing };
    this.policy = runPolicy(scenario, options, this.mode, {
      environment: scenario.environment ?? ENVIRONMENT,
      tiers: TIERS,
    });
    this.observer = options.observer ?? {};
    // Only what a previous run wrote is removed: --dir may name a directory that holds other things.
    for (const entry of RUN_FILES) fs.rmSync(path.join(options.workDir, entry), { recursive: true, force: true });
    this.sweepLogPath = path.join(options.workDir, "sweeps.jsonl");
    this.store = new DiskObjectStore(path.join(options.workDir, "bucket"), () => this.clock.now());
    const environment = scenario.environment ?? ENVIRONMENT;
    const loss = scenario.regionLoss;
    // In a region-loss drill this run's store is the recovery region's replica of the lost environment's store.
    const bucket = loss === undefined ? BUCKET : `${loss.recoverFrom}-releases-${loss.region}`;
    if (loss !== undefined) {
      this.home = new HomeRegion(loss, {
        workDir: options.workDir,
        replica: this.store,
        replicaName: bucket,
        clock: this.clock,
        random: this.random,
        timing: this.timing,
        port: 8080,
      });
    }
    this.fleet = new LocalFleet({
      environment,
      clock: this.clock,
      random: this.random,
      store: this.store,
      timing: this.timing,
      baseImageId: OLD_IMAGE,
      port: 8080,
      storeName: BUCKET,
      addresses: new LoopbackAddresses(process.pid + this.seed * 7),
    });
    this.measurement = new Measurement({
      scenario,
      mode: this.mode,
      policy: this.policy,
      clock: this.clock,
      fleet: this.fleet,
      tiers: TIERS,
      instances: this.instances,
      start: START,
    });
    this.followUps = this.mode === "phoenix" && (options.followUps ?? true);
    this.lambda = new LocalRolloutLambda({
      environment,
      policy: this.policy,
      probeTimeoutMs: PROBE_TIMEOUT_MS,
      bucket,
      ...(options.followUpSeconds !== undefined && { followUpSeconds: options.followUpSeconds }),
      fleet: this.fleet,
      store: this.store,
      clock: this.clock,
      sweepLogPath: this.sweepLogPath,
      metricsPath: path.join(options.workDir, "metrics.jsonl"),
      ...(this.followUps && { followUp: { schedule: (delaySeconds) => this.triggers.queueFollowUp(delaySeconds) } }),
      measurement: this.measurement,
      holderId: () => this.leaseIds.hex8(),
      log: (source, line) => this.log(source, line),
    });
    // Traffic and the tiers' 5xx alarms, which the Lambda reads and whose ALARM triggers a sweep.
    this.load =
      scenario.alarms === true ? new LoadModel({ clock: this.clock, fleet: this.fleet, tiers: TIERS }) : undefined;
    this.fleet.alarms = this.load;
    this.triggers = new Triggers({
      mode: this.mode,
      clock: this.clock,
      random: this.random,
      fleet: this.fleet,
      store: this.store,
      bucket,
      lambda: this.lambda,
      measurement: this.measurement,
      log: (source, line) => this.log(source, line),
    });
  }

  async execute(): Promise<RehearsalResult> {
    await this.setUp();
    this.observer.start?.({
      scenario: this.scenario,
      mode: this.mode,
      policy: this.policy,
      timing: this.timing,
      instances: this.instances,
      tiers: TIERS,
      seed: this.seed,
      followUps: this.followUps,
      strategy: strategyText(this.scenario, this.options, this.mode),
    });
    this.triggers.startSchedule(START, (this.options.scheduleMinutes ?? 5) * 60_000, () => {
      if (this.measurement.done) this.lastSweepAfterConvergence = true;
    });
    this.clock.at(START, "minute zero", () => this.minuteZero());
    if (this.load !== undefined) {
      this.triggers.watchAlarms(this.load);
      this.load.startAt(START);
    }

    const horizon =
      START + (this.scenario.horizon.boots * this.timing.bootSeconds + this.scenario.horizon.minutes * 60) * 1000;
    const wallStart = Date.now();
    let lastFleetView = 0;
    while (this.clock.pending() > 0) {
      const next = this.clock.peek()!;
      if (next > horizon) break;
      if (Number.isFinite(this.speed) && next > START) {
        const due = wallStart + (next - START) / this.speed;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 5_000)));
      }
      await this.clock.runNext();
      this.measurement.sample();
      if (this.clock.now() - lastFleetView >= 1000 || this.clock.pending() === 0) {
        lastFleetView = this.clock.now();
        this.observer.fleet?.(this.rel(), this.fleet);
      }
      if (this.measurement.done && this.scenario.expect.outcome !== "stop") {
        // One last scheduled sweep after convergence shows the runtime agreeing that nothing is left to do.
        if (this.lastSweepAfterConvergence) break;
      }
    }
    this.observer.fleet?.(this.rel(), this.fleet);
    return this.measurement.result(horizon, this.timing.bootSeconds / 60, this.sweepLogPath, this.triggers.events);
  }

  async close(): Promise<void> {
    await this.fleet.close();
    await this.home?.fleet.close();
  }

  async writeChart(result: RehearsalResult, file: string): Promise<void> {
    result.chartPath = await writeChart(file, result.timeline, {
      title: `phoenix rehearsal: ${this.scenario.name} (${result.ok ? "✔" : "✘"} ${result.ok ? "as expected" : "NOT as expected"})`,
      subtitle: [
        describeScenario(this.scenario, this.instances, this.policy),
        `strategy ${strategyText(this.scenario, this.options, this.mode)} · ${this.mode} triggers · boot ${result.bootMinutes} min · seed ${this.seed}`,
      ],
      xTitle: `simulated minutes since ${minuteZeroOf(this.scenario)}`,
      floors: Object.fromEntries(result.tiers.map((t) => [t.tier, t.floor])),
      endMinutes: result.endedAtMinutes,
    });
  }

  /** The fleet and the release store as they were before minute zero: the scenario's history published, groups full. */
  private async setUp(): Promise<void> {
    for (const version of this.scenario.published) await this.publish(version, false);
    const agoOf = this.scenario.launchedMinutesAgo;
    if (this.home !== undefined) {
      // The lost environment serves in its home region; the recovery region has its groups' names and nothing else.
      for (const tier of TIERS) {
        await this.home.fleet.addGroup(tier, { desired: this.instances, max: this.instances * 2 }, () => 3 * 3600);
        await this.fleet.addGroup(tier, { desired: 0, min: 0, max: this.instances * 2 });
      }
    }
    for (const tier of this.home === undefined ? TIERS : []) {
      const group = await this.fleet.addGroup(
        tier,
        {
          desired: this.instances,
          min: Math.min(1, this.instances),
          max: this.scenario.maxSize?.(this.instances) ?? this.instances * 2,
        },
        (i) => (agoOf ? agoOf(i, this.instances) * 60 + SETUP_LEAD_MS / 1000 : 3 * 3600),
      );
      this.measurement.startedWith(group.instances);
    }
    this.fleet.onEvent((event) => this.measurement.fleetEvent(event));
    this.fleet.onEvent((event) => this.tellAutoScaling(event));
    this.fleet.onEvent((event) => this.triggers.fleetEvent(event));
  }

  /** What `phoenix release` does on a build server: the tiers' artifacts built, then published. */
  private publish(version: string, broken: boolean, errorRate = 0): Promise<void> {
    // A region-loss drill publishes to the home region, which replicates to this run's store.
    return publishBuild(this.home?.store ?? this.store, {
      buildsDir: path.join(this.options.workDir, "builds"),
      version,
      tiers: TIERS,
      now: () => new Date(this.clock.now()),
      broken,
      errorRate,
    });
  }

  /** The scenario's actions, as an operator (or the image pipeline, or the load) takes them. */
  private async minuteZero(): Promise<void> {
    this.measurement.begin();
    this.triggers.notifyReleases();
    for (const action of this.scenario.actions) {
      switch (action.type) {
        case "publish": {
          const rate = action.errorRate ?? 0;
          const what = action.broken ? " (broken)" : rate > 0 ? ` (5xx on ${rate * 100} %)` : "";
          this.log("release", `phoenix release --version ${action.version}${what}`);
          this.measurement.milestone(`release ${action.version}${what}`);
          await this.publish(action.version, action.broken === true, rate);
          break;
        }
        case "rollback": {
          const result = await rollback(this.store, { tiers: TIERS, now: () => new Date(this.clock.now()) });
          this.log("release", `phoenix rollback: ${result.previousVersion ?? "?"} → ${result.manifest.version}`);
          this.measurement.milestone(`rollback to ${result.manifest.version}`);
          break;
        }
        case "image":
          this.fleet.setBaseImage(action.imageId);
          this.log("image", `base image parameter → ${action.imageId} (new instances launch from it)`);
          this.measurement.milestone(`new base image ${action.imageId}`);
          break;
        case "scale":
          this.triggers.scaleOutByAlarm(
            action.tier,
            Math.ceil(this.instances * action.factor),
            START + action.atBoots * this.timing.bootSeconds * 1000,
          );
          break;
        case "operator-sweep":
          this.clock.at(START + action.atBoots * this.timing.bootSeconds * 1000, "operator sweep", () =>
            this.operatorRacesLambda(action.first),
          );
          break;
        case "none":
          this.log("rehearsal", "nothing is published: watch the sweep recycle instances as they age");
          break;
        case "lose-region":
          await this.loseRegion();
          break;
      }
    }
  }

  /** An operator's `phoenix sweep` and a scheduled Lambda sweep at the same instant: the lease lets one through. */
  private async operatorRacesLambda(first: "operator" | "lambda"): Promise<void> {
    const operator = () =>
      operatorSweep({
        environment: this.fleet.environment,
        fleet: this.fleet,
        store: this.store,
        policy: this.policy,
        probe: { timeoutMs: PROBE_TIMEOUT_MS },
        now: () => this.clock.now(),
        who: "operator@laptop",
        holderId: () => this.leaseIds.hex8(),
        sweepLogPath: this.sweepLogPath,
        log: (line) => this.log("operator", line),
        planned: (plan) => this.measurement.planned("sweep", plan),
      });
    const lambda = () => this.triggers.scheduledSweep();
    await Promise.all(first === "operator" ? [operator(), lambda()] : [lambda(), operator()]);
  }

  /**
   * The home region is lost; the recovery stack (`pulumi up --stack <env>`) is built in the recovery region from its
   * replica and copied image alone, and its groups launch at full capacity.
   */
  private async loseRegion(): Promise<void> {
    const home = this.home!;
    const loss = this.scenario.regionLoss!;
    await home.lose();
    this.log("region", `${loss.homeRegion} is lost: ${loss.recoverFrom}'s fleet and release store are gone`);
    this.measurement.milestone(`${loss.homeRegion} lost; ${this.fleet.environment} built in ${loss.region}`);
    const source = home.recoverySource();
    for (const warning of source.warnings) this.log("recovery", warning);
    const image = source.baseImageId ?? this.fleet.baseImageId;
    this.log(
      "recovery",
      `pulumi up --stack ${this.fleet.environment} in ${loss.region}: releases from ${source.releaseBucketName}, ` +
        `image ${image}${source.baseImageId === undefined ? " (no copy here: AWS's public image)" : ` (${loss.recoverFrom}'s, copied here)`}`,
    );
    this.fleet.setBaseImage(image);
    for (const tier of TIERS) {
      const group = this.fleet.group(tier);
      group.minSize = Math.min(1, this.instances);
      await this.fleet.setDesiredCapacity(group.name, this.instances);
    }
  }

  /** Auto Scaling's own terminations (scale-in, an unhealthy instance replaced), told in the log. */
  private tellAutoScaling(event: FleetEvent): void {
    if (event.type === "terminating" && event.cause !== "sweep" && event.cause !== "release") {
      this.log("asg", `${event.instance.group}: ${event.instance.id} terminated by Auto Scaling (${event.cause})`);
    }
  }

  private log(source: string, line: string): void {
    this.observer.log?.(this.rel(), source, line);
  }

  private rel(): number {
    return this.clock.now() - START;
  }
}
