// What a rehearsal measures, and the result it hands back: in-service counts per tier and series over time (the
// chart's samples), every fall below a tier's floor, the fewest in service, launches and terminations by cause, the
// moment the fleet converged, and what the Lambda decided. It only watches: nothing here acts on the fleet.
import { effectivePolicy, floorFor } from "../core/planner";
import { Plan, Policy } from "../core/types";
import { formatMinutes, SimClock } from "./clock";
import { FleetEvent, isInService, LocalInstance, TerminationCause } from "./instance-lifecycle";
import { LocalFleet } from "./local-fleet";
import { Scenario } from "./scenarios";
import type { TriggerMode } from "./triggers";

/** In-service instances of one tier and one version (and image, when the image changes) at one instant. */
export interface Sample {
  minutes: number;
  tier: string;
  series: string;
  inService: number;
}

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

/** How a run went: its outcome, the figures per tier, the samples for the chart, every decision. */
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

/** The run a measurement watches. */
export interface MeasuredRun {
  scenario: Scenario;
  mode: TriggerMode;
  policy: Policy;
  clock: SimClock;
  fleet: LocalFleet;
  tiers: string[];
  /** Instances per tier the run started with (a converged tier has this many unless the scenario says otherwise). */
  instances: number;
  /** Minute zero, in simulated ms. */
  start: number;
}

/** Watches one run from minute zero and sums it up. */
export class Measurement {
  private started = false;
  /** Instances the run started with (a `replaceAll` scenario converges only once none is left). */
  private readonly initialIds = new Set<string>();
  private readonly launched = new Map<string, number>();
  private readonly terminated = new Map<string, TierSummary["terminated"]>();
  private readonly lowest = new Map<string, number>();
  private readonly samples: Sample[] = [];
  private readonly lastSample = new Map<string, number>();
  private readonly previousTotal = new Map<string, number>();
  private readonly breaches: string[] = [];
  private readonly decisions: string[] = [];
  /** Each group's latest decision, to say why a run that did not converge was stuck. */
  private readonly lastReasons = new Map<string, string>();
  private readonly failures: string[] = [];
  /** Instances already on the expected version that a sweep terminated (a stop scenario must have none). */
  private targetSweptAway = 0;
  private sweeps = 0;
  private followUps = 0;
  /** Series are version and image once the scenario changes the image. */
  private imageSeries = false;
  private convergedAtMs?: number;

  constructor(private readonly run: MeasuredRun) {
    for (const tier of run.tiers) {
      this.launched.set(tier, 0);
      this.terminated.set(tier, { release: 0, sweep: 0, asgUnhealthy: 0, scaleIn: 0 });
    }
  }

  /** Simulated ms from minute zero until the fleet converged; undefined until it has. */
  get convergedAt(): number | undefined {
    return this.convergedAtMs;
  }

  /** The instances a group started with, before minute zero. */
  startedWith(instances: LocalInstance[]): void {
    for (const instance of instances) this.initialIds.add(instance.id);
  }

  /** Minute zero: from now on launches count and the fewest in service is tracked. */
  begin(): void {
    this.started = true;
    for (const tier of this.run.tiers) this.lowest.set(tier, this.inService(tier));
  }

  /** Samples each series as version and image, from the next sample on. */
  seriesByImage(): void {
    this.imageSeries = true;
  }

  /** Counts launches and terminations by cause. */
  fleetEvent(event: FleetEvent): void {
    const tier = event.instance.tier;
    if (event.type === "launched" && this.started) this.launched.set(tier, this.launched.get(tier)! + 1);
    if (event.type === "terminating") {
      const counts = this.terminated.get(tier)!;
      if (event.cause === "release") counts.release++;
      else if (event.cause === "sweep") counts.sweep++;
      else if (event.cause === "asg-unhealthy") counts.asgUnhealthy++;
      else counts.scaleIn++;
      if (event.cause === "sweep" && event.instance.version === this.run.scenario.expect.version) {
        this.targetSweptAway++;
      }
    }
  }

  /** One plan the Lambda logged: a sweep's (counted as one sweep) or the release handler's. */
  planned(cause: TerminationCause, plan: Plan): void {
    if (cause === "sweep") this.sweeps++;
    for (const g of plan.groups) {
      this.lastReasons.set(g.name, g.reason);
      this.decisions.push(`${formatMinutes(this.rel())} ${g.log}`);
    }
  }

  /** A sweep invocation that threw: the run cannot be ok. */
  sweepFailed(message: string): void {
    this.failures.push(message);
  }

  /** A follow-up delivered from the delay queue; returns how many have been, this one included. */
  followUpDelivered(): number {
    return ++this.followUps;
  }

  /** Records in-service counts per tier and series when they changed, and checks for convergence. */
  sample(): void {
    const { clock, fleet, tiers, policy, start } = this.run;
    if (clock.now() < start) return;
    const minutes = this.rel() / 60_000;
    for (const tier of tiers) {
      const group = fleet.group(tier);
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
        const floor = floorFor(group.desiredCapacity, effectivePolicy(policy, tier));
        // A breach is capacity taken away below the floor; a scale-out that raises the floor above what already
        // serves is not one (nothing was removed).
        if (total < before && total < floor) {
          this.breaches.push(`${formatMinutes(this.rel())} ${tier}: ${total} in service, floor ${floor}`);
        }
        this.previousTotal.set(tier, total);
        this.lowest.set(tier, Math.min(this.lowest.get(tier) ?? total, total));
      }
    }
    if (this.started && this.convergedAtMs === undefined && this.isConverged()) this.convergedAtMs = this.rel();
  }

  /** The run's result as of now; `horizon` is when it would have been cut off, in simulated ms. */
  result(horizon: number, bootMinutes: number, sweepLogPath: string): RehearsalResult {
    const { fleet, policy, scenario, start } = this.run;
    const floor = policy.minHealthy;
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
    const floorBreached = this.breaches.length > 0;
    const expect = scenario.expect;
    let ok: boolean;
    let outcome: string;
    if (expect.outcome === "converge") {
      ok = this.convergedAtMs !== undefined && !floorBreached;
      outcome =
        this.convergedAtMs !== undefined
          ? `converged on ${expect.version} (${expect.imageId}) after ${formatMinutes(this.convergedAtMs)} simulated`
          : `did not converge on ${expect.version} within ${formatMinutes(horizon - start)} simulated; ` +
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
      scenario: scenario.name,
      mode: this.run.mode,
      bootMinutes,
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
      sweepLogPath,
    };
    if (this.convergedAtMs !== undefined) result.convergedAtMinutes = this.convergedAtMs / 60_000;
    return result;
  }

  private isConverged(): boolean {
    const expect = this.run.scenario.expect;
    if (expect.outcome !== "converge") return false;
    return this.run.tiers.every((tier) => {
      const group = this.run.fleet.group(tier);
      const desired = expect.desired?.[tier] ?? this.run.instances;
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

  private inService(tier: string): number {
    return this.run.fleet.group(tier).instances.filter(isInService).length;
  }

  private seriesOf(instance: LocalInstance): string {
    const version = instance.version ?? "no version";
    return this.imageSeries ? `${version} on ${instance.imageId}` : version;
  }

  private rel(): number {
    return this.run.clock.now() - this.run.start;
  }
}
