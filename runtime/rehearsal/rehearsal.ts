// Runs one rehearsal: builds a local fleet and a release store on disk, then lets the REAL runtime (publishRelease,
// rollback, the release handler, sweep = planner + probe + terminate) drive it on a simulated clock, with sweeps
// on the schedule and on Auto Scaling's launch/terminate events as deployed. Nothing here decides what to terminate.
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../core/errors";
import { FOLLOW_UP_MESSAGE_TYPE, LAMBDA_ENV, MANIFEST_KEY } from "../contract";
import type { FollowUpOutcome } from "../core/follow-up";
import { createRolloutHandler, RolloutHandler } from "../lambda/handlers";
import { effectivePolicy, floorFor } from "../core/planner";
import { publishRelease, rollback } from "../ops/releases";
import { DEFAULT_POLICY, Plan, Policy, Strategy, TerminationOutcome } from "../core/types";
import { buildArtifact } from "./artifact";
import { writeChart } from "./chart";
import { Prng, SimClock } from "./clock";
import { DiskObjectStore } from "./disk-store";
import { LoopbackAddresses } from "./instance-server";
import {
  defaultTiming,
  FleetEvent,
  FleetTiming,
  isInService,
  LocalFleet,
  LocalInstance,
  TerminationCause,
} from "./local-fleet";
import { findScenario, OLD_IMAGE, Scenario, scenarioNames } from "./scenarios";

/**
 * `phoenix`: sweeps on the schedule, on Auto Scaling's launch/terminate events and on follow-ups from the SQS delay
 * queue, as deployed (follow-ups can be switched off to measure without them). `original`: the
 * 5-minute schedule only. `on-healthy`: phoenix's triggers plus a sweep whenever a target turns healthy — a trigger
 * AWS does not emit, measured to show what one would gain.
 */
export type TriggerMode = "phoenix" | "original" | "on-healthy";

export interface RehearsalOptions {
  scenario: string;
  /** Instances per tier. @default the scenario's */
  instances?: number;
  /** Minutes from launch until an instance's app answers. @default 6 */
  bootMinutes?: number;
  /** The policy's minHealthy. @default 1 */
  floor?: number;
  /** The policy's minHealthyPercent. @default 0 */
  floorPercent?: number;
  maxPerSweep?: number;
  /** The policy's strategy; `original` mode always replaces. @default the planner's default (or the group's tag) */
  strategy?: Strategy;
  /** @default 1 */
  seed?: number;
  /** @default "phoenix" */
  mode?: TriggerMode;
  /** Minutes between scheduled sweeps. @default 5 */
  scheduleMinutes?: number;
  /** `phoenix` mode: delayed follow-up sweeps through the (simulated) SQS delay queue, as deployed. @default true */
  followUps?: boolean;
  /** Seconds from a sweep to the follow-up it schedules (PHOENIX_FOLLOW_UP_DELAY_SECONDS). @default 15 */
  followUpSeconds?: number;
  /** Simulated seconds per wall-clock second; Infinity runs as fast as the machine allows. @default Infinity */
  speed?: number;
  /** Directory for the release store, the builds, the sweep and metric logs; a previous run's files are replaced. */
  workDir: string;
  /** Where to write the SVG chart; none when undefined. */
  chartPath?: string;
  /** Overrides of the fleet's timing. */
  timing?: Partial<FleetTiming>;
  /** Sees the run as it happens (the terminal view). */
  observer?: RehearsalObserver;
}

/** How a run reports as it goes; every method is optional. Times are simulated ms since minute zero. */
export interface RehearsalObserver {
  start?(info: RunInfo): void;
  /** One line of the run's log: a decision, an action, a termination. */
  log?(atMs: number, source: string, line: string): void;
  /** The fleet after something happened on it. */
  fleet?(atMs: number, fleet: LocalFleet): void;
}

export interface RunInfo {
  scenario: Scenario;
  mode: TriggerMode;
  policy: Policy;
  timing: FleetTiming;
  instances: number;
  tiers: string[];
  seed: number;
  /** Whether sweeps schedule delayed follow-ups, as the deployed Lambda does. */
  followUps: boolean;
}

/** In-service instances of one tier and one version (and image, when the image changes) at one instant. */
export interface Sample {
  minutes: number;
  tier: string;
  series: string;
  inService: number;
}

export interface TierSummary {
  tier: string;
  desired: number;
  /** The planner's floor for the tier at the end: max(minHealthy, ceil(desired × minHealthyPercent / 100)). */
  floor: number;
  /** Fewest instances in service (InService and healthy in the target group) from minute zero on. */
  lowestInService: number;
  /** Instances launched from minute zero on. */
  launched: number;
  terminated: { release: number; sweep: number; asgUnhealthy: number; scaleIn: number };
  /** In-service instances at the end, by version. */
  finalVersions: Record<string, number>;
}

export interface RehearsalResult {
  scenario: string;
  mode: TriggerMode;
  bootMinutes: number;
  /** Minutes from minute zero until every tier ran the target version and image, all in service; undefined if never. */
  convergedAtMinutes?: number;
  /** The scenario's expected outcome was reached (converged, or for a bad release: stopped with the old one serving). */
  ok: boolean;
  /** One sentence on how the run ended. */
  outcome: string;
  /** True when the in-service count of some tier fell below its floor after minute zero. */
  floorBreached: boolean;
  /** Each fall below the floor: when, which tier, how many were left, and the floor. Empty when none. */
  breaches: string[];
  /** The policy's minHealthy (each tier's floor, which also counts minHealthyPercent, is in `tiers`). */
  floor: number;
  endedAtMinutes: number;
  tiers: TierSummary[];
  samples: Sample[];
  /** Every group plan's log line, in order, prefixed by its simulated time. */
  decisions: string[];
  sweeps: number;
  /** Follow-up sweeps delivered from the delay queue (0 when follow-ups are off). */
  followUps: number;
  chartPath?: string;
  sweepLogPath: string;
}

const TIERS = ["web", "api"];
const ENVIRONMENT = "local";
const START = Date.UTC(2026, 0, 1, 9, 0, 0);
const SETUP_LEAD_MS = 60_000;
/** EventBridge delivery plus a warm Lambda start, before an event-triggered sweep reads the fleet. */
const EVENT_DELAY_MS = 2_000;
/** The SQS event source's long poll picking a message up once its delay ends, plus a warm Lambda start. */
const QUEUE_DELIVERY_MS = 2_000;
const PROBE_TIMEOUT_MS = 1000;
/** A CloudWatch alarm's evaluation period: how soon an alarm still in ALARM acts again. */
const ALARM_PERIOD_MS = 60_000;
/** What a run writes in its directory (the chart goes wherever chartPath says). */
const RUN_FILES = ["bucket", "builds", "sweeps.jsonl", "metrics.jsonl"];
const BUCKET = "local-releases";

export async function runRehearsal(options: RehearsalOptions): Promise<RehearsalResult> {
  const scenario = findScenario(options.scenario);
  if (scenario === undefined) {
    throw new UsageError(`no scenario named ${options.scenario}; choose one of ${scenarioNames().join(", ")}`);
  }
  const run = new Run(scenario, options);
  try {
    const result = await run.execute();
    if (options.chartPath !== undefined) await run.writeChart(result, options.chartPath);
    return result;
  } finally {
    await run.close();
  }
}

class Run {
  private readonly clock = new SimClock(START - SETUP_LEAD_MS);
  private readonly random: Prng;
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
  private started = false;
  private initialIds = new Set<string>();
  private readonly launched = new Map<string, number>();
  private readonly terminated = new Map<string, TierSummary["terminated"]>();
  private readonly lowest = new Map<string, number>();
  private readonly samples: Sample[] = [];
  private readonly lastSample = new Map<string, number>();
  private readonly decisions: string[] = [];
  private sweeps = 0;
  private followUps = 0;
  private readonly followUpsOn: boolean;
  /** A follow-up message is delayed or visible in the queue (one being processed is in flight and does not count). */
  private followUpPending = false;
  private convergedAt?: number;
  private imageSeries = false;
  private failures: string[] = [];
  private readonly breaches: string[] = [];
  private readonly alarmDeferred = new Set<string>();
  /** Each group's latest decision, to say why a run that did not converge was stuck. */
  private readonly lastReasons = new Map<string, string>();
  /** Instances already on the expected version that a sweep terminated (a stop scenario must have none). */
  private targetSweptAway = 0;
  private readonly previousTotal = new Map<string, number>();
  private readonly handler: RolloutHandler;
  private handlerLog?: string[];
  private cause: TerminationCause = "sweep";
  private readonly metricsPath: string;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: RehearsalOptions,
  ) {
    this.seed = options.seed ?? 1;
    this.random = new Prng(this.seed);
    this.mode = options.mode ?? "phoenix";
    this.instances = options.instances ?? scenario.instances;
    this.speed = options.speed ?? Number.POSITIVE_INFINITY;
    const bootMinutes = options.bootMinutes ?? 6;
    this.timing = { ...defaultTiming(bootMinutes), ...options.timing };
    this.policy = {
      ...DEFAULT_POLICY,
      ...scenario.policy,
      minHealthy: options.floor ?? (this.mode === "original" ? 1 : DEFAULT_POLICY.minHealthy),
      minHealthyPercent: options.floorPercent ?? DEFAULT_POLICY.minHealthyPercent,
      ...(options.maxPerSweep !== undefined && { maxPerSweep: options.maxPerSweep }),
    };
    const strategy = this.mode === "original" ? "replace" : options.strategy;
    // Assigned rather than spread in, so this compiles whether or not the contract has the strategy field yet.
    if (strategy !== undefined) Object.assign(this.policy, { strategy });
    this.observer = options.observer ?? {};
    // Only what a previous run wrote is removed: --dir may name a directory that holds other things.
    for (const entry of RUN_FILES) fs.rmSync(path.join(options.workDir, entry), { recursive: true, force: true });
    fs.mkdirSync(options.workDir, { recursive: true });
    this.sweepLogPath = path.join(options.workDir, "sweeps.jsonl");
    this.store = new DiskObjectStore(path.join(options.workDir, "bucket"));
    this.fleet = new LocalFleet({
      environment: ENVIRONMENT,
      clock: this.clock,
      random: this.random,
      store: this.store,
      timing: this.timing,
      baseImageId: OLD_IMAGE,
      port: 8080,
      addresses: new LoopbackAddresses(process.pid + this.seed * 7),
    });
    this.metricsPath = path.join(options.workDir, "metrics.jsonl");
    const followUps = this.mode === "phoenix" && (options.followUps ?? true);
    this.followUpsOn = followUps;
    // The rollout Lambda's entry point, configured through the same environment variables the stack sets.
    this.handler = createRolloutHandler(
      {
        [LAMBDA_ENV.environment]: ENVIRONMENT,
        [LAMBDA_ENV.policy]: JSON.stringify(this.policy),
        [LAMBDA_ENV.probeTimeoutMs]: String(PROBE_TIMEOUT_MS),
        [LAMBDA_ENV.releaseBucket]: BUCKET,
        ...(options.followUpSeconds !== undefined && {
          [LAMBDA_ENV.followUpDelaySeconds]: String(options.followUpSeconds),
        }),
      },
      {
        fleet: this.fleet.adapterFor(() => this.cause),
        store: this.store,
        log: (line) => this.handlerLog?.push(line),
        metrics: (line) => fs.appendFileSync(this.metricsPath, `${line}\n`),
        now: () => this.clock.now(),
        ...(followUps && { followUp: { schedule: (delaySeconds: number) => this.queueFollowUp(delaySeconds) } }),
      },
    );
    for (const tier of TIERS) {
      this.launched.set(tier, 0);
      this.terminated.set(tier, { release: 0, sweep: 0, asgUnhealthy: 0, scaleIn: 0 });
    }
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
      followUps: this.followUpsOn,
    });
    this.scheduleTriggers();
    this.clock.at(START, "minute zero", () => this.minuteZero());

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
      this.sample();
      if (this.clock.now() - lastFleetView >= 1000 || this.clock.pending() === 0) {
        lastFleetView = this.clock.now();
        this.observer.fleet?.(this.rel(), this.fleet);
      }
      if (this.convergedAt !== undefined && this.scenario.expect.outcome === "converge") {
        // One last scheduled sweep after convergence shows the runtime agreeing that nothing is left to do.
        if (this.lastSweepAfterConvergence) break;
      }
    }
    this.observer.fleet?.(this.rel(), this.fleet);
    return this.result(horizon);
  }

  async close(): Promise<void> {
    await this.fleet.close();
  }

  private lastSweepAfterConvergence = false;

  // set-up -----------------------------------------------------------------------------------------------------------

  private async setUp(): Promise<void> {
    for (const version of this.scenario.published) await this.publish(version, false);
    const agoOf = this.scenario.launchedMinutesAgo;
    for (const tier of TIERS) {
      const group = await this.fleet.addGroup(
        tier,
        {
          desired: this.instances,
          min: Math.min(1, this.instances),
          max: this.scenario.maxSize?.(this.instances) ?? this.instances * 2,
        },
        (i) => (agoOf ? agoOf(i, this.instances) * 60 + SETUP_LEAD_MS / 1000 : 3 * 3600),
      );
      for (const instance of group.instances) this.initialIds.add(instance.id);
    }
    this.store.onPut((key) => {
      if (key === MANIFEST_KEY && this.started) {
        // S3 → Lambda notification for the manifest, as deployed; both modes have it (the original's upload Lambda).
        this.clock.after(1_000, "release event", () => this.releaseEvent());
      }
    });
    this.fleet.onEvent((event) => this.onFleetEvent(event));
  }

  private async publish(version: string, broken: boolean): Promise<void> {
    const dir = path.join(this.options.workDir, "builds", version);
    fs.mkdirSync(dir, { recursive: true });
    const artifacts: Record<string, string> = {};
    for (const tier of TIERS) {
      artifacts[tier] = path.join(dir, `${tier}.zip`);
      fs.writeFileSync(artifacts[tier], buildArtifact({ tier, version, broken }));
    }
    await publishRelease(this.store, {
      version,
      artifacts,
      tiers: TIERS,
      now: () => new Date(this.clock.now()),
    });
  }

  private scheduleTriggers(): void {
    const every = (this.options.scheduleMinutes ?? 5) * 60_000;
    // The schedule's phase relative to the release is chance in real life; here it is drawn from the seed.
    const first = START + Math.floor(this.random.next() * every);
    const tick = (at: number) => {
      this.clock.at(at, "schedule", async () => {
        await this.runSweep("schedule", "Scheduled Event");
        if (this.convergedAt !== undefined) this.lastSweepAfterConvergence = true;
        tick(at + every);
      });
    };
    tick(first);
  }

  private async minuteZero(): Promise<void> {
    this.started = true;
    for (const tier of TIERS) this.lowest.set(tier, this.inService(tier));
    for (const action of this.scenario.actions) {
      switch (action.type) {
        case "publish":
          this.log("release", `phoenix release --version ${action.version}${action.broken ? " (a broken build)" : ""}`);
          await this.publish(action.version, action.broken === true);
          break;
        case "rollback": {
          const result = await rollback(this.store, { tiers: TIERS, now: () => new Date(this.clock.now()) });
          this.log("release", `phoenix rollback: ${result.previousVersion ?? "?"} → ${result.manifest.version}`);
          break;
        }
        case "image":
          this.imageSeries = true;
          this.fleet.setBaseImage(action.imageId);
          this.log("image", `base image parameter → ${action.imageId} (new instances launch from it)`);
          break;
        case "scale":
          this.scaleOutByAlarm(action.tier, action.desired, START + action.atBoots * this.timing.bootSeconds * 1000);
          break;
        case "none":
          this.log("rehearsal", "nothing is published: watch the sweep recycle instances as they age");
          break;
      }
    }
  }

  /**
   * A target-tracking alarm asks for more capacity, and keeps asking at each evaluation for as long as the load lasts
   * (the whole run). Its action is a scaling process (AlarmNotification): while a surge has it suspended nothing
   * happens, and once resumed the alarm acts at its next evaluation.
   */
  private scaleOutByAlarm(tier: string, desired: number, at: number): void {
    this.clock.at(at, "scaling alarm", async () => {
      const group = this.fleet.group(tier);
      // The load lasts the whole run: the alarm is evaluated again every period.
      this.scaleOutByAlarm(tier, desired, this.clock.now() + ALARM_PERIOD_MS);
      if (group.suspendedProcesses.includes("AlarmNotification")) {
        if (!this.alarmDeferred.has(tier)) {
          this.log("scaling", `${group.name} alarm wants ${desired}, but AlarmNotification is suspended (surge)`);
        }
        this.alarmDeferred.add(tier);
        return;
      }
      // During a surge, desired capacity may already be high; the alarm acts once the surge gives it back.
      if (group.desiredCapacity >= desired) return;
      this.log(
        "scaling",
        `${group.name} desired capacity ${group.desiredCapacity} → ${desired} (target-tracking alarm)`,
      );
      await this.fleet.setDesiredCapacity(tier, desired);
    });
  }

  // triggers ---------------------------------------------------------------------------------------------------------

  private onFleetEvent(event: FleetEvent): void {
    const tier = event.instance.tier;
    if (event.type === "launched" && this.started) this.launched.set(tier, this.launched.get(tier)! + 1);
    if (event.type === "terminating") {
      const counts = this.terminated.get(tier)!;
      if (event.cause === "release") counts.release++;
      else if (event.cause === "sweep") counts.sweep++;
      else if (event.cause === "asg-unhealthy") counts.asgUnhealthy++;
      else counts.scaleIn++;
      if (event.cause === "sweep" && event.instance.version === this.scenario.expect.version) this.targetSweptAway++;
      if (event.cause !== "sweep" && event.cause !== "release") {
        this.log("asg", `${event.instance.group}: ${event.instance.id} terminated by Auto Scaling (${event.cause})`);
      }
    }
    if (this.mode !== "original" && (event.type === "launch-successful" || event.type === "terminate-successful")) {
      const what = event.type === "launch-successful" ? "launch" : "terminate";
      const detailType =
        event.type === "launch-successful" ? "EC2 Instance Launch Successful" : "EC2 Instance Terminate Successful";
      const detail = { AutoScalingGroupName: event.instance.group, EC2InstanceId: event.instance.id };
      this.clock.after(EVENT_DELAY_MS, `${what} event`, () => this.runSweep(`${what} event`, detailType, detail));
    }
    if (this.mode === "on-healthy" && event.type === "target-health" && event.instance.target === "healthy") {
      // No such AWS event exists; a direct invocation stands for whatever would deliver it.
      this.clock.after(EVENT_DELAY_MS, "healthy event", () =>
        this.runSweep("healthy event", "Target Healthy (hypothetical)"),
      );
    }
  }

  /**
   * The SQS delay queue as the deployed handler uses it: a message is sent only when none is pending, and delivered
   * to the same entry point as an SQS event once its delay is over.
   */
  private queueFollowUp(delaySeconds: number): Promise<FollowUpOutcome> {
    if (this.followUpPending) return Promise.resolve({ status: "pending" });
    this.followUpPending = true;
    this.clock.after(delaySeconds * 1000 + QUEUE_DELIVERY_MS, "follow-up", () => {
      this.followUpPending = false;
      this.followUps++;
      const event = {
        Records: [
          {
            eventSource: "aws:sqs",
            messageId: `follow-up-${this.followUps}`,
            body: JSON.stringify({ type: FOLLOW_UP_MESSAGE_TYPE, delaySeconds }),
          },
        ],
      };
      return this.invoke("follow-up", "sweep", event);
    });
    return Promise.resolve({ status: "sent" });
  }

  /** A sweep as the deployed Lambda runs it, for an EventBridge event of `detailType`. */
  private runSweep(trigger: string, detailType: string, detail: Record<string, string> = {}): Promise<void> {
    const event = {
      version: "0",
      "detail-type": detailType,
      source: trigger === "schedule" ? "aws.events" : "aws.autoscaling",
      time: this.clock.iso(),
      detail,
    };
    return this.invoke(trigger, "sweep", event);
  }

  /** The S3 notification for the manifest, as the deployed Lambda receives it. */
  private releaseEvent(): Promise<void> {
    const event = {
      Records: [
        {
          eventSource: "aws:s3",
          eventName: "ObjectCreated:Put",
          eventTime: this.clock.iso(),
          s3: { bucket: { name: BUCKET }, object: { key: MANIFEST_KEY } },
        },
      ],
    };
    return this.invoke("release event", "release", event);
  }

  /**
   * Invokes the rollout Lambda's own entry point (createRolloutHandler: S3 events to the release handler, the rest
   * to the sweep) and reports what it decided from the JSON records it logged — the same records `phoenix explain`
   * replays, written to the run's sweep log.
   */
  private async invoke(trigger: string, cause: TerminationCause, event: unknown): Promise<void> {
    const lines: string[] = [];
    this.handlerLog = lines;
    this.cause = cause;
    try {
      await this.handler(event);
    } catch (err) {
      const message = (err as Error).message;
      this.log(trigger, `${cause === "release" ? "release handler" : "sweep"} failed: ${message}`);
      if (cause === "sweep") this.failures.push(message);
    } finally {
      this.handlerLog = undefined;
      fs.appendFileSync(this.sweepLogPath, lines.map((l) => `${l}\n`).join(""));
    }
    let plan: Plan | undefined;
    for (const line of lines) {
      const record = JSON.parse(line) as {
        type: string;
        plan?: Plan;
        outcomes?: TerminationOutcome[];
        group?: string;
        why?: string;
        error?: string;
      };
      if (record.type === "sweep.plan" && record.plan) {
        plan = record.plan;
        if (cause === "sweep") this.sweeps++;
        this.logPlan(trigger, plan);
      } else if (record.type === "sweep.terminated" && record.outcomes && plan) {
        this.logTerminations(plan, record.outcomes);
      } else if (record.type === "release.skipped") {
        this.log(trigger, `${record.group} => left alone: ${record.why}`);
      }
    }
  }

  // reporting --------------------------------------------------------------------------------------------------------

  private logPlan(trigger: string, plan: Plan): void {
    for (const g of plan.groups) {
      this.lastReasons.set(g.name, g.reason);
      this.decisions.push(`${formatMinutes(this.rel())} ${g.log}`);
      this.log(trigger, g.log);
    }
  }

  private logTerminations(plan: Plan, outcomes: { group: string; instanceId: string; status: string }[]): void {
    for (const o of outcomes) {
      const d = plan.groups.find((g) => g.name === o.group)?.instances.find((i) => i.id === o.instanceId);
      const what = d?.reasons.length
        ? ` (stale: ${d.reasons.join(", ")}${d.version ? `, runs ${d.version}` : ""})`
        : "";
      this.log("", `  ${o.group}: ${o.instanceId} ${o.status}${what}`);
    }
  }

  private log(source: string, line: string): void {
    this.observer.log?.(this.rel(), source, line);
  }

  private rel(): number {
    return this.clock.now() - START;
  }

  private inService(tier: string): number {
    return this.fleet.group(tier).instances.filter(isInService).length;
  }

  private seriesOf(instance: LocalInstance): string {
    const version = instance.version ?? "no version";
    return this.imageSeries ? `${version} on ${instance.imageId}` : version;
  }

  /** Records in-service counts per tier and series when they changed, and checks for convergence. */
  private sample(): void {
    if (this.clock.now() < START) return;
    const minutes = this.rel() / 60_000;
    for (const tier of TIERS) {
      const group = this.fleet.group(tier);
      const counts = new Map<string, number>();
      for (const i of group.instances.filter(isInService)) {
        counts.set(this.seriesOf(i), (counts.get(this.seriesOf(i)) ?? 0) + 1);
      }
      for (const key of this.lastSample.keys()) {
        if (key.startsWith(`${tier}\u0000`) && !counts.has(key.slice(tier.length + 1)))
          counts.set(key.slice(tier.length + 1), 0);
      }
      for (const [series, n] of counts) {
        const key = `${tier}\u0000${series}`;
        if (this.lastSample.get(key) !== n) {
          this.lastSample.set(key, n);
          this.samples.push({ minutes, tier, series, inService: n });
        }
      }
      const total = group.instances.filter(isInService).length;
      if (this.started) {
        const before = this.previousTotal.get(tier) ?? total;
        const floor = floorFor(group.desiredCapacity, effectivePolicy(this.policy, tier));
        // A breach is capacity taken away below the floor; a scale-out that raises the floor above what already
        // serves is not one (nothing was removed).
        if (total < before && total < floor) {
          this.breaches.push(`${formatMinutes(this.rel())} ${tier}: ${total} in service, floor ${floor}`);
        }
        this.previousTotal.set(tier, total);
        this.lowest.set(tier, Math.min(this.lowest.get(tier) ?? total, total));
      }
    }
    if (this.started && this.convergedAt === undefined && this.isConverged()) this.convergedAt = this.rel();
  }

  private isConverged(): boolean {
    const expect = this.scenario.expect;
    if (expect.outcome !== "converge") return false;
    return TIERS.every((tier) => {
      const group = this.fleet.group(tier);
      const desired = expect.desired?.[tier] ?? this.instances;
      return (
        group.desiredCapacity === desired &&
        group.instances.length === desired &&
        group.instances.every(
          (i) =>
            isInService(i) &&
            i.version === expect.version &&
            i.imageId === expect.imageId &&
            !(expect.replaceAll === true && this.initialIds.has(i.id)),
        )
      );
    });
  }

  private result(horizon: number): RehearsalResult {
    const floor = this.policy.minHealthy;
    const tiers: TierSummary[] = TIERS.map((tier) => {
      const group = this.fleet.group(tier);
      const finalVersions: Record<string, number> = {};
      for (const i of group.instances.filter(isInService)) {
        finalVersions[i.version ?? "none"] = (finalVersions[i.version ?? "none"] ?? 0) + 1;
      }
      return {
        tier,
        desired: group.desiredCapacity,
        floor: floorFor(group.desiredCapacity, effectivePolicy(this.policy, tier)),
        lowestInService: this.lowest.get(tier) ?? 0,
        launched: this.launched.get(tier) ?? 0,
        terminated: this.terminated.get(tier)!,
        finalVersions,
      };
    });
    const floorBreached = this.breaches.length > 0;
    const expect = this.scenario.expect;
    let ok: boolean;
    let outcome: string;
    if (expect.outcome === "converge") {
      ok = this.convergedAt !== undefined && !floorBreached;
      outcome =
        this.convergedAt !== undefined
          ? `converged on ${expect.version} (${expect.imageId}) after ${formatMinutes(this.convergedAt)} simulated`
          : `did not converge on ${expect.version} within ${formatMinutes(horizon - START)} simulated; ` +
            `last decisions: ${[...this.lastReasons].map(([g, why]) => `${g}: ${why}`).join("; ")}`;
    } else {
      // Stopped itself: no sweep terminated an instance of the old version, and it still serves above the floor.
      const sweptAway = this.targetSweptAway;
      const oldServing = tiers.every(
        (t) => (t.finalVersions[expect.version] ?? 0) >= Math.min(t.desired, Math.max(t.floor, t.desired - 1)),
      );
      ok = sweptAway === 0 && oldServing && !floorBreached;
      outcome = ok
        ? `the rollout stopped itself: no sweep terminated a ${expect.version} instance, and ${expect.version} still serves in every tier`
        : `the rollout did NOT stop safely (${sweptAway} ${expect.version} instances terminated by sweeps)`;
    }
    if (this.failures.length > 0) {
      ok = false;
      outcome += `; ${this.failures.length} sweep(s) failed: ${this.failures[0]}`;
    }
    const result: RehearsalResult = {
      scenario: this.scenario.name,
      mode: this.mode,
      bootMinutes: this.timing.bootSeconds / 60,
      ok,
      outcome,
      floorBreached,
      breaches: [...this.breaches],
      floor,
      endedAtMinutes: this.rel() / 60_000,
      tiers,
      samples: this.samples,
      decisions: this.decisions,
      sweeps: this.sweeps,
      followUps: this.followUps,
      sweepLogPath: this.sweepLogPath,
    };
    if (this.convergedAt !== undefined) result.convergedAtMinutes = this.convergedAt / 60_000;
    return result;
  }

  async writeChart(result: RehearsalResult, file: string): Promise<void> {
    const mode = this.mode === "original" ? "original triggers" : `${this.mode} triggers`;
    result.chartPath = await writeChart(file, result.samples, {
      title: `phoenix rehearsal: ${this.scenario.name} (${mode}, boot ${result.bootMinutes} min; dashed: the floor)`,
      floors: Object.fromEntries(result.tiers.map((t) => [t.tier, t.floor])),
      endMinutes: result.endedAtMinutes,
    });
  }
}

/** `+mm:ss` of simulated time since minute zero (negative during set-up). */
export function formatMinutes(ms: number): string {
  const sign = ms < 0 ? "-" : "+";
  const total = Math.round(Math.abs(ms) / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${sign}${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}
