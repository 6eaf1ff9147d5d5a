// What a rehearsal measures, and the result it hands back: the chart's timeline (timeline.ts), every fall below a
// tier's floor, the fewest in service, launches and terminations by cause, when the rollout converged and when a
// scale-out's capacity arrived, how far past their limit ageing instances served, what a failed release cost, and what
// the Lambda decided. It only watches: nothing here acts on the fleet.
import { DEFAULT_STRATEGY } from "../contract";
import { effectivePolicy, floorFor } from "../core/planner";
import { AlarmState, GroupPlan, Plan, Policy, Strategy } from "../core/types";
import { CanaryWatch } from "./canary";
import { formatMinutes, SimClock } from "./clock";
import { FleetEvent, isInService, LocalInstance, TerminationCause } from "./instance-lifecycle";
import { LocalFleet } from "./local-fleet";
import { ageingFigures, describeOutcome, Outcome, RunFigures } from "./outcome";
import { expectedDesired, Scenario } from "./scenarios";
import { Timeline, TimelineData } from "./timeline";
import type { TriggerMode } from "./triggers";

/** One tier at the end of a run. */
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

/** How a run went: its outcome, the figures per tier, the chart's timeline, every decision. */
export interface RehearsalResult extends Outcome {
  scenario: string;
  mode: TriggerMode;
  /** The strategy the policy ran (the scenario's, the flag's, or the planner's default). */
  strategy: Strategy;
  bootMinutes: number;
  /**
   * Minutes from minute zero until every tier ran the target version and image, all in service and at its desired
   * capacity (a scale-out still to come does not count: see `scaleOut`); undefined if never.
   */
  convergedAtMinutes?: number;
  /** True when the in-service count of some tier fell below its floor after minute zero. */
  floorBreached: boolean;
  /** Each fall below the floor: when, which tier, how many were left, and the floor. Empty when none. */
  breaches: string[];
  /** The policy's minHealthy (each tier's floor, which also counts minHealthyPercent, is in `tiers`). */
  floor: number;
  endedAtMinutes: number;
  tiers: TierSummary[];
  /** What the chart draws. */
  timeline: TimelineData;
  /** Every group plan's log line, in order, prefixed by its simulated time. */
  decisions: string[];
  sweeps: number;
  /** Auto Scaling events that reached the Lambda; those arriving at one instant share a sweep. */
  events: number;
  /** Follow-up sweeps delivered from the delay queue (0 when follow-ups are off). */
  followUps: number;
  chartPath?: string;
  sweepLogPath: string;
}

/** The run a measurement watches. */
export interface MeasuredRun {
  scenario: Scenario;
  mode: TriggerMode;
  policy: Policy;
  clock: SimClock;
  fleet: LocalFleet;
  tiers: string[];
  /** Instances per tier the run started with. */
  instances: number;
  /** Minute zero, in simulated ms. */
  start: number;
}

/** Watches one run from minute zero and sums it up. */
export class Measurement {
  private started = false;
  /** Launch time and tier of each instance the run started with (ageing is measured on them). */
  private readonly initial = new Map<string, { launchTime: number; tier: string }>();
  /** When each of those was terminated, in simulated ms since minute zero. */
  private readonly initialGone = new Map<string, number>();
  private readonly launched = new Map<string, number>();
  private readonly terminated = new Map<string, TierSummary["terminated"]>();
  private readonly lowest = new Map<string, number>();
  private readonly previousTotal = new Map<string, number>();
  private readonly breaches: string[] = [];
  private readonly decisions: string[] = [];
  /** Each group's latest decision, to say why a run that did not converge was stuck. */
  private readonly lastReasons = new Map<string, string>();
  /** Termination causes already named on the chart, per tier. */
  private readonly namedCauses = new Set<string>();
  /** Each group's latest surge phase, so the timeline marks each change once. */
  private readonly surgePhases = new Map<string, string>();
  private readonly failures: string[] = [];
  /** Instances of the version that must keep serving that a sweep terminated (a stop scenario must have none). */
  private targetSweptAway = 0;
  private sweeps = 0;
  private followUps = 0;
  /** Series are version and image when the scenario changes the image. */
  private readonly imageSeries: boolean;
  private convergedAtMs?: number;
  private reachedAtMs?: number;
  private readonly figures: RunFigures = { aborts: [], scaling: [], servedVersions: new Set() };
  readonly timeline = new Timeline((i) => this.seriesOf(i));
  /** A scenario gated by rollout alarms: its time to detect, time back and what the release cost (canary.ts). */
  private readonly canary?: CanaryWatch;

  constructor(private readonly run: MeasuredRun) {
    this.imageSeries = run.scenario.actions.some((a) => a.type === "image");
    const released = run.scenario.actions.find((a) => a.type === "publish");
    if (run.scenario.alarms === true && released?.type === "publish") {
      const previous = run.scenario.published.at(-1) ?? "";
      this.canary = new CanaryWatch(run.fleet, run.tiers, this.timeline, { released: released.version, previous });
    }
    for (const tier of run.tiers) {
      this.launched.set(tier, 0);
      this.terminated.set(tier, { release: 0, sweep: 0, asgUnhealthy: 0, scaleIn: 0 });
    }
  }

  /** True once the fleet is what the scenario expects at its end: converged, and any scale-out's capacity serving. */
  get done(): boolean {
    return this.reachedAtMs !== undefined;
  }

  /** The instances a group started with, before minute zero. */
  startedWith(instances: LocalInstance[]): void {
    for (const i of instances) this.initial.set(i.id, { launchTime: i.launchTime, tier: i.tier });
  }

  /** Minute zero: from now on launches count, the fewest in service is tracked, and the timeline records. */
  begin(): void {
    this.started = true;
    for (const tier of this.run.tiers) this.lowest.set(tier, this.inService(tier));
    this.sample();
  }

  /** A labelled moment on the chart, for one tier or every tier. */
  milestone(label: string, tier?: string): void {
    this.timeline.milestone(this.minutes(), label, tier);
  }

  /** A scaling alarm asked for capacity; `held` when a surge had its action suspended. */
  alarm(tier: string, from: number, to: number, held: boolean): void {
    const atMinutes = this.minutes();
    let entry = this.figures.scaling.find((s) => s.tier === tier);
    if (entry === undefined) {
      entry = { tier, from, to, alarmAtMinutes: atMinutes };
      this.figures.scaling.push(entry);
      this.milestone(held ? `alarm: ${tier} ${from} → ${to} (held: surge)` : `scale-out ${from} → ${to}`, tier);
    } else if (!held) {
      this.milestone(`scale-out ${from} → ${to}`, tier);
    }
    if (!held) entry.scaledAtMinutes ??= atMinutes;
  }

  /** Counts launches and terminations by cause, and marks terminations on the timeline. */
  fleetEvent(event: FleetEvent): void {
    const tier = event.instance.tier;
    if (event.type === "launched" && this.started) {
      this.launched.set(tier, this.launched.get(tier)! + 1);
      this.canary?.launched();
    }
    if (event.type === "terminating") {
      const counts = this.terminated.get(tier)!;
      if (event.cause === "release") counts.release++;
      else if (event.cause === "sweep") counts.sweep++;
      else if (event.cause === "asg-unhealthy") counts.asgUnhealthy++;
      else counts.scaleIn++;
      if (event.cause === "sweep" && event.instance.version === this.run.scenario.expect.version) {
        this.targetSweptAway++;
      }
      if (this.initial.has(event.instance.id)) this.initialGone.set(event.instance.id, this.rel());
      if (this.started) this.markTermination(event.instance, event.wasInService, event.cause);
    }
  }

  /** One plan the Lambda logged: a sweep's (counted as one sweep) or the release handler's. */
  planned(cause: TerminationCause, plan: Plan): void {
    if (cause === "sweep") this.sweeps++;
    for (const g of plan.groups) {
      this.lastReasons.set(g.name, g.reason);
      this.decisions.push(`${formatMinutes(this.rel())} ${g.log}`);
      this.markSurge(g);
    }
    this.canary?.planned(this.minutes(), plan);
  }

  /** A rollout alarm changed state (load.ts). */
  alarmChanged(tier: string, alarm: AlarmState): void {
    this.canary?.alarm(this.minutes(), tier, alarm);
  }

  /** The rollout wrote `to` back as current: an automatic rollback. */
  rolledBack(to: string): void {
    this.canary?.rolledBackAt(this.minutes(), to);
  }

  /** A sweep invocation that threw: the run cannot be ok. */
  sweepFailed(message: string): void {
    this.failures.push(message);
  }

  /** A follow-up delivered from the delay queue; returns how many have been, this one included. */
  followUpDelivered(): number {
    return ++this.followUps;
  }

  /** Records the timeline and in-service counts per tier, and checks for convergence. */
  sample(): void {
    const { clock, fleet, tiers, policy, start } = this.run;
    if (clock.now() < start || !this.started) return;
    for (const tier of tiers) {
      const group = fleet.group(tier);
      this.timeline.record(this.minutes(), group);
      let total = 0;
      for (const i of group.instances) {
        if (!isInService(i)) continue;
        total++;
        if (i.version !== undefined) this.figures.servedVersions.add(i.version);
      }
      const before = this.previousTotal.get(tier) ?? total;
      const floor = floorFor(group.desiredCapacity, effectivePolicy(policy, tier));
      // A breach is capacity taken away below the floor; a scale-out that raises the floor above what already
      // serves is not one (nothing was removed).
      if (total < before && total < floor) {
        this.breaches.push(`${formatMinutes(this.rel())} ${tier}: ${total} in service, floor ${floor}`);
      }
      this.previousTotal.set(tier, total);
      this.lowest.set(tier, Math.min(this.lowest.get(tier) ?? total, total));
    }
    this.canary?.sample(this.minutes());
    if (this.convergedAtMs === undefined && this.isConverged(false)) {
      this.convergedAtMs = this.rel();
      // A rollback's return is marked by the canary watch ("back on ...").
      if (this.run.scenario.expect.outcome !== "rollback") {
        this.milestone(this.hasScaling() ? "rollout converged" : "converged");
      }
    }
    if (this.convergedAtMs !== undefined && this.reachedAtMs === undefined && this.isConverged(true)) {
      this.reachedAtMs = this.rel();
      for (const s of this.figures.scaling) {
        s.reachedAtMinutes = this.minutes();
        this.milestone(`${s.to} in service`, s.tier);
      }
    }
  }

  /** The run's result as of now; `horizon` is when it would have been cut off, in simulated ms. */
  result(horizon: number, bootMinutes: number, sweepLogPath: string, events: number): RehearsalResult {
    const { fleet, policy, scenario, start } = this.run;
    const tiers: TierSummary[] = this.run.tiers.map((tier) => {
      const group = fleet.group(tier);
      const finalVersions: Record<string, number> = {};
      for (const i of group.instances.filter(isInService)) {
        finalVersions[i.version ?? "none"] = (finalVersions[i.version ?? "none"] ?? 0) + 1;
      }
      return {
        tier,
        desired: group.desiredCapacity,
        floor: floorFor(group.desiredCapacity, effectivePolicy(policy, tier)),
        lowestInService: this.lowest.get(tier) ?? 0,
        launched: this.launched.get(tier) ?? 0,
        terminated: this.terminated.get(tier)!,
        finalVersions,
      };
    });
    if (policy.maxInstanceAgeHours !== undefined) {
      const run = { initial: this.initial, gone: this.initialGone, tiers: this.run.tiers, start, now: this.rel() };
      this.figures.ageing = ageingFigures(run, policy.maxInstanceAgeHours);
    }
    if (this.canary !== undefined) this.figures.canary = this.canary.result(this.minutes());
    const outcome = describeOutcome({
      scenario,
      tiers,
      figures: this.figures,
      convergedAtMs: this.convergedAtMs,
      reachedAtMs: this.reachedAtMs,
      horizonMs: horizon - start,
      floorBreached: this.breaches.length > 0,
      targetSweptAway: this.targetSweptAway,
      lastReasons: [...this.lastReasons].map(([g, why]) => `${g}: ${why}`),
      failures: this.failures,
    });
    const result: RehearsalResult = {
      scenario: scenario.name,
      mode: this.run.mode,
      strategy: policy.strategy ?? DEFAULT_STRATEGY,
      bootMinutes,
      ...outcome,
      floorBreached: this.breaches.length > 0,
      breaches: [...this.breaches],
      floor: policy.minHealthy,
      endedAtMinutes: this.minutes(),
      tiers,
      timeline: this.timeline.data(),
      decisions: this.decisions,
      sweeps: this.sweeps,
      events,
      followUps: this.followUps,
      sweepLogPath,
    };
    if (this.convergedAtMs !== undefined) result.convergedAtMinutes = this.convergedAtMs / 60_000;
    return result;
  }

  /** A × on the chart; the first termination by the release handler or by Auto Scaling in a tier is also named. */
  private markTermination(instance: LocalInstance, wasInService: boolean, cause: TerminationCause): void {
    this.timeline.terminated(this.minutes(), instance, wasInService, cause);
    const key = `${instance.tier}\u0000${cause}`;
    if (this.namedCauses.has(key)) return;
    this.namedCauses.add(key);
    if (cause === "release") this.milestone("release handler terminates", instance.tier);
    if (cause === "asg-unhealthy") this.milestone("Auto Scaling replaces unhealthy", instance.tier);
  }

  /** Surge phase changes, once each, as labelled moments of the group's tier. */
  private markSurge(g: GroupPlan): void {
    const phase = g.surge?.phase;
    if (phase === undefined || phase === "waiting" || this.surgePhases.get(g.name) === phase) return;
    this.surgePhases.set(g.name, phase);
    const reasons = new Set(g.instances.filter((i) => i.stale).flatMap((i) => i.reasons));
    const why = reasons.has("version") || reasons.size === 0 ? "" : ` (${[...reasons].join(", ")})`;
    if (phase === "start") this.milestone(`surge ${g.surge!.baseline} → ${g.setDesired ?? "?"}${why}`, g.tier);
    else if (phase === "finish") this.milestone("surge finish", g.tier);
    else if (phase === "abort") {
      // An alarm's abort is marked by the canary watch, with the alarm.
      if (g.alarmStop === undefined) this.milestone("surge ABORT", g.tier);
      this.figures.aborts.push({ tier: g.tier, atMinutes: this.minutes() });
    } else if (phase === "baking" || phase === "stopped") {
      return;
    } else if (phase === "fallback-replace") this.milestone("no room to surge: replace", g.tier);
    // A rollout an alarm stopped stays blocked: its stop is marked already.
    else if (!g.reason.startsWith("rollout stopped")) this.milestone("surge blocked", g.tier);
  }

  /**
   * Converged: every tier at its desired capacity, each instance in service on the target version and image (and,
   * when all must be replaced, none of the starting ones). `final` also wants the capacity the scenario's scale-outs
   * ask for; otherwise the desired capacity may be the starting one or that.
   */
  private isConverged(final: boolean): boolean {
    const { scenario, tiers, fleet, instances } = this.run;
    // A rollback converges back on its version once the rollout has rolled itself back, on the image it ran.
    const expect =
      scenario.expect.outcome === "rollback" && this.canary?.rolledBack === true
        ? { outcome: "converge" as const, version: scenario.expect.version, imageId: fleet.baseImageId }
        : scenario.expect;
    if (expect.outcome !== "converge") return false;
    return tiers.every((tier) => {
      const group = fleet.group(tier);
      const wanted = expectedDesired(scenario, tier, instances);
      if (group.desiredCapacity !== wanted && (final || group.desiredCapacity !== instances)) return false;
      return (
        group.instances.length === group.desiredCapacity &&
        group.instances.every(
          (i) =>
            isInService(i) &&
            i.version === expect.version &&
            i.imageId === expect.imageId &&
            !(expect.replaceAll === true && this.initial.has(i.id)),
        )
      );
    });
  }

  private hasScaling(): boolean {
    return this.run.scenario.actions.some((a) => a.type === "scale");
  }

  private inService(tier: string): number {
    return this.run.fleet.group(tier).instances.filter(isInService).length;
  }

  private seriesOf(instance: LocalInstance): string {
    const version = instance.version ?? "no version";
    return this.imageSeries ? `${version} on ${instance.imageId}` : version;
  }

  private minutes(): number {
    return this.rel() / 60_000;
  }

  private rel(): number {
    return this.run.clock.now() - this.run.start;
  }
}
