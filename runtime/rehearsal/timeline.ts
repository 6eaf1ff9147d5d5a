// What the rehearsal's chart draws, recorded as the run goes: per tier, desired capacity, the total in service, and
// per series (a version, or a version on an image) the instances in service and those booting or failing their checks;
// a marker wherever instances were terminated; and the run's labelled moments (release, surge start/finish/abort,
// scale-out, convergence). It only watches: nothing here acts on the fleet.
import { isInService, LocalInstance, TerminationCause } from "./instance-lifecycle";
import type { LocalGroup } from "./local-fleet";

/** What a sample counts. `booting` is every instance launched and not gone that does not serve: booting or failing. */
export type Measure = "in service" | "booting" | "desired" | "total";

/** One count at one instant, recorded when it changed. `series` is set for `in service` and `booting`. */
export interface Sample {
  minutes: number;
  tier: string;
  measure: Measure;
  series?: string;
  count: number;
}

/** Instances of one series terminated together: the count they left (in `measure`) falls from `count`. */
export interface TerminationMark {
  minutes: number;
  tier: string;
  series: string;
  measure: "in service" | "booting";
  /** The series' count in `measure` just before. */
  count: number;
  /** How many were terminated at this instant. */
  terminated: number;
  cause: TerminationCause;
}

/** A labelled moment; without a tier it concerns every tier. */
export interface Milestone {
  minutes: number;
  tier?: string;
  label: string;
}

/** A stretch of time on a tier's panel: a checkpoint's bake, or a rollout alarm in ALARM. */
export interface Period {
  from: number;
  to: number;
  kind: "bake" | "alarm in ALARM";
  tier: string;
}

/** Everything the chart needs. */
export interface TimelineData {
  samples: Sample[];
  terminations: TerminationMark[];
  milestones: Milestone[];
  /** Bakes and alarm periods, when the run has checkpoints and rollout alarms. */
  periods?: Period[];
}

/** Records a run's timeline from minute zero on. */
export class Timeline {
  private readonly samples: Sample[] = [];
  private readonly terminations: TerminationMark[] = [];
  private readonly milestones: Milestone[] = [];
  private readonly periods: Period[] = [];
  private readonly last = new Map<string, number>();
  /** The series seen per tier and measure. */
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly seriesOf: (instance: LocalInstance) => string) {}

  /** Counts every measure of `group` now and keeps those that changed. Runs after every event: kept cheap. */
  record(minutes: number, group: LocalGroup): void {
    const tier = group.tier;
    const serving = new Map<string, number>();
    const booting = new Map<string, number>();
    let total = 0;
    for (const i of group.instances) {
      if (i.lifecycle === "Terminating") continue;
      const series = this.seriesOf(i);
      if (isInService(i)) {
        total++;
        serving.set(series, (serving.get(series) ?? 0) + 1);
      } else booting.set(series, (booting.get(series) ?? 0) + 1);
    }
    this.keep(minutes, tier, "desired", "", group.desiredCapacity);
    this.keep(minutes, tier, "total", "", total);
    for (const [measure, counts] of [
      ["in service", serving],
      ["booting", booting],
    ] as const) {
      // A series that had instances and has none now falls to zero.
      for (const series of this.seen.get(`${tier}\u0000${measure}`) ?? [])
        if (!counts.has(series)) counts.set(series, 0);
      for (const [series, count] of counts) this.keep(minutes, tier, measure, series, count);
    }
  }

  /** An instance was terminated: one mark per series, measure and instant, however many went together. */
  terminated(minutes: number, instance: LocalInstance, wasInService: boolean, cause: TerminationCause): void {
    const measure = wasInService ? "in service" : "booting";
    const series = this.seriesOf(instance);
    const before = this.last.get(`${instance.tier}\u0000${measure}\u0000${series}`) ?? 1;
    // Marks of this instant are the latest ones.
    let mark: TerminationMark | undefined;
    for (let k = this.terminations.length - 1; k >= 0 && this.terminations[k].minutes === minutes; k--) {
      const m = this.terminations[k];
      if (m.tier === instance.tier && m.series === series && m.measure === measure) mark = m;
    }
    if (mark !== undefined) mark.terminated++;
    else this.terminations.push({ minutes, tier: instance.tier, series, measure, count: before, terminated: 1, cause });
  }

  /** A labelled moment, for one tier or (without one) every tier. */
  milestone(minutes: number, label: string, tier?: string): void {
    this.milestones.push({ minutes, label, ...(tier !== undefined && { tier }) });
  }

  /** A bake or an alarm period of one tier, in simulated minutes. */
  period(from: number, to: number, kind: Period["kind"], tier: string): void {
    if (to > from) this.periods.push({ from, to, kind, tier });
  }

  /** Adds a sample when the count changed since the last one of its tier, measure and series. */
  private keep(minutes: number, tier: string, measure: Measure, series: string, count: number): void {
    const key = `${tier}\u0000${measure}\u0000${series}`;
    if (this.last.get(key) === count) return;
    if (!this.last.has(key) && series !== "") {
      const group = `${tier}\u0000${measure}`;
      this.seen.set(group, (this.seen.get(group) ?? new Set()).add(series));
    }
    this.last.set(key, count);
    this.samples.push({ minutes, tier, measure, ...(series !== "" && { series }), count });
  }

  data(): TimelineData {
    return {
      samples: this.samples,
      terminations: this.terminations,
      milestones: this.milestones,
      ...(this.periods.length > 0 && { periods: this.periods }),
    };
  }
}
