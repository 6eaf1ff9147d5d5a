// What a canary rehearsal measures (a scenario whose rollout alarms gate it): when the first instance of the released
// version served, when its alarm went into ALARM and when the rollout stopped (the time to detect), when every tier
// served only the good version again at full capacity (the time back), what the bad version cost (its
// instance-minutes in service, the largest share of the fleet it ever served, the boots spent undoing it), and for a
// good release the checkpoints it passed. It marks the checkpoints, bakes, alarm periods and the rollback on the
// chart's timeline. It only watches.
import { AlarmState, GroupPlan, Plan } from "../core/types";
import { formatMinutes } from "./clock";
import { isInService } from "./instance-lifecycle";
import type { LocalFleet } from "./local-fleet";
import { Timeline } from "./timeline";

/** A canary run's figures, in simulated minutes since minute zero. */
export interface CanaryFigures {
  /** The version released at minute zero, and the one it replaces. */
  released: string;
  previous: string;
  /** The released version's first instance in service. */
  firstServedAtMinutes?: number;
  /** A rollout alarm entered ALARM (the first, any tier), and which. */
  alarmAtMinutes?: number;
  alarm?: string;
  /** The sweep that stopped the rollout, and the checkpoint it stopped at (`1 of 3`, of the tier that stopped first). */
  stoppedAtMinutes?: number;
  stoppedAt?: string;
  /** The previous release was written back as current. */
  rolledBackAtMinutes?: number;
  /** After a stop: every tier serving only the previous version, at its desired capacity. */
  backAtMinutes?: number;
  /** Instance-minutes the released version served (in service), every tier. */
  servedInstanceMinutes: number;
  /** The largest share of the in-service fleet that ran the released version at once. */
  peakShare: number;
  /** The released version first served every instance in service, every tier: the old ones all gone. */
  allServedAtMinutes?: number;
  /** Instances launched after the stop: the boots spent undoing the release. */
  bootsToUndo: number;
  /** Checkpoints each tier passed (its share baked and its stale instances gone), in order. */
  passed: { tier: string; checkpoint: string; atMinutes: number }[];
  /** Minutes the rollout spent baking, summed over each tier's bakes (the first tier's, since tiers bake together). */
  bakeMinutes: number;
}

/** Watches one canary run. */
export class CanaryWatch {
  private readonly figures: CanaryFigures;
  private last?: { minutes: number; serving: number };
  /** Each tier's bake in progress: when it began and which checkpoint. */
  private readonly baking = new Map<string, { from: number; label: string }>();
  private readonly bakes = new Map<string, number>();
  /** The tiers the first stopping sweep stopped, by checkpoint. */
  private readonly stops = new Map<string, string[]>();
  /** Each tier's alarm period in progress: since when it is in ALARM. */
  private readonly alarms = new Map<string, number>();

  constructor(
    private readonly fleet: LocalFleet,
    private readonly tiers: string[],
    private readonly timeline: Timeline,
    versions: { released: string; previous: string },
  ) {
    this.figures = { ...versions, servedInstanceMinutes: 0, peakShare: 0, bootsToUndo: 0, passed: [], bakeMinutes: 0 };
  }

  get rolledBack(): boolean {
    return this.figures.rolledBackAtMinutes !== undefined;
  }

  /** After every event: integrate the released version's serving instances; note when the fleet is back. */
  sample(minutes: number): void {
    let serving = 0;
    let total = 0;
    let back = this.figures.stoppedAtMinutes !== undefined;
    for (const tier of this.tiers) {
      const group = this.fleet.group(tier);
      const inService = group.instances.filter(isInService);
      total += inService.length;
      serving += inService.filter((i) => i.version === this.figures.released).length;
      back &&=
        group.instances.length === group.desiredCapacity &&
        group.instances.every((i) => isInService(i) && i.version === this.figures.previous);
    }
    if (this.last !== undefined)
      this.figures.servedInstanceMinutes += this.last.serving * (minutes - this.last.minutes);
    this.last = { minutes, serving };
    if (serving > 0) this.figures.firstServedAtMinutes ??= minutes;
    if (total > 0) this.figures.peakShare = Math.max(this.figures.peakShare, serving / total);
    if (total > 0 && serving === total) this.figures.allServedAtMinutes ??= minutes;
    if (back && this.figures.backAtMinutes === undefined) {
      this.figures.backAtMinutes = minutes;
      this.timeline.milestone(minutes, `back on ${this.figures.previous}`);
    }
  }

  launched(): void {
    if (this.figures.stoppedAtMinutes !== undefined) this.figures.bootsToUndo += 1;
  }

  /** A rollout alarm changed state: in ALARM a period opens, OK closes it. */
  alarm(minutes: number, tier: string, alarm: AlarmState): void {
    const open = this.alarms.get(tier);
    if (alarm.state !== "ALARM") {
      if (open !== undefined) this.timeline.period(open, minutes, "alarm in ALARM", tier);
      this.alarms.delete(tier);
      return;
    }
    if (this.figures.alarmAtMinutes === undefined) {
      this.figures.alarmAtMinutes = minutes;
      this.figures.alarm = alarm.name;
    }
    this.alarms.set(tier, open ?? minutes);
    this.timeline.milestone(minutes, "5xx alarm: ALARM", tier);
  }

  /** A plan the Lambda made: bakes begun and ended, checkpoints passed, the stop. */
  planned(minutes: number, plan: Plan): void {
    for (const g of plan.groups) {
      this.bake(minutes, g);
      // Every tier the first stopping sweep stopped: `1 of 3 (api, web)`, or `1 of 3 (api), 2 of 3 (web)`.
      const first = this.figures.stoppedAtMinutes;
      if (g.alarmStop !== undefined && (first === undefined || first === minutes)) {
        this.figures.stoppedAtMinutes = minutes;
        const where = g.alarmStop.checkpoint;
        this.stops.set(where, [...(this.stops.get(where) ?? []), g.tier]);
        this.figures.stoppedAt = [...this.stops].map(([cp, tiers]) => `${cp} (${tiers.join(", ")})`).join(", ");
      }
      if (g.alarmStop !== undefined) {
        const label = g.alarmStop.rollback ? "rollout stopped: roll back" : "rollout stopped: surge abort";
        this.timeline.milestone(minutes, label, g.tier);
      }
      const cp = g.checkpoint;
      if (cp !== undefined && g.surge?.phase === "start" && g.setDesired !== undefined) {
        this.timeline.milestone(minutes, `checkpoint ${cp.index}/${cp.count}: ${cp.percent}%`, g.tier);
      }
      const already = this.figures.passed.some(
        (p) => p.tier === g.tier && p.checkpoint === `${cp?.index} of ${cp?.count}`,
      );
      if (cp?.passed === true && !already) {
        this.figures.passed.push({ tier: g.tier, checkpoint: `${cp.index} of ${cp.count}`, atMinutes: minutes });
      }
    }
  }

  /** The rollout wrote the previous release back. */
  rolledBackAt(minutes: number, to: string): void {
    this.figures.rolledBackAtMinutes ??= minutes;
    this.timeline.milestone(minutes, `rolled back to ${to}`);
  }

  /** The figures, with the bakes and alarm periods still open drawn to the end. */
  result(minutes: number): CanaryFigures {
    for (const [tier, open] of this.baking) this.closeBake(tier, open, minutes);
    this.baking.clear();
    for (const [tier, from] of this.alarms) this.timeline.period(from, minutes, "alarm in ALARM", tier);
    this.alarms.clear();
    this.figures.bakeMinutes = this.bakes.get(this.tiers[0]) ?? 0;
    return { ...this.figures, passed: [...this.figures.passed] };
  }

  private bake(minutes: number, g: GroupPlan): void {
    const open = this.baking.get(g.tier);
    const baking = g.checkpoint?.bakeEndsAt !== undefined && (g.surge?.phase === "baking" || g.surge === undefined);
    if (baking && open === undefined) {
      this.baking.set(g.tier, { from: minutes, label: `bake ${g.checkpoint!.index}/${g.checkpoint!.count}` });
    } else if (!baking && open !== undefined && g.surge?.phase !== "blocked") {
      this.closeBake(g.tier, open, minutes);
      this.baking.delete(g.tier);
    }
  }

  private closeBake(tier: string, open: { from: number }, to: number): void {
    this.timeline.period(open.from, to, "bake", tier);
    this.bakes.set(tier, (this.bakes.get(tier) ?? 0) + (to - open.from));
  }
}

/** The lines a canary run's summary adds: the time to detect, the time back, and what the release cost. */
export function canaryLines(f: CanaryFigures): string[] {
  const at = (m: number) => formatMinutes(m * 60_000);
  const lines: string[] = [];
  if (f.stoppedAtMinutes !== undefined) {
    const since = f.firstServedAtMinutes === undefined ? "" : `, ${at(f.stoppedAtMinutes - f.firstServedAtMinutes)}`;
    lines.push(
      `time to detect: ${f.alarm ?? "a rollout alarm"} in ALARM at ${at(f.alarmAtMinutes ?? f.stoppedAtMinutes)}; ` +
        `the rollout stopped at ${at(f.stoppedAtMinutes)}, checkpoint ${f.stoppedAt}${since} after ${f.released} ` +
        "first served",
    );
    if (f.rolledBackAtMinutes !== undefined) {
      lines.push(`rolled back automatically at ${at(f.rolledBackAtMinutes)}: ${f.previous} is current again`);
    }
    lines.push(
      f.backAtMinutes === undefined
        ? `NOT back to 100 % ${f.previous} by the end of the run`
        : `back to 100 % ${f.previous} at ${at(f.backAtMinutes)}, ${at(f.backAtMinutes - f.stoppedAtMinutes)} after ` +
            `the stop, with ${f.bootsToUndo} boot${f.bootsToUndo === 1 ? "" : "s"} spent undoing it`,
    );
  } else if (f.passed.length > 0) {
    const tiers = [...new Set(f.passed.map((p) => p.tier))];
    const times = tiers.map(
      (t) =>
        `${t} at ${f.passed
          .filter((p) => p.tier === t)
          .map((p) => at(p.atMinutes))
          .join(", ")}`,
    );
    lines.push(
      `passed its ${f.passed.filter((p) => p.tier === tiers[0]).length} checkpoints: ${times.join("; ")}; ` +
        `${f.bakeMinutes.toFixed(1)} min of each tier's rollout was baking`,
    );
  }
  lines.push(
    `${f.released} served ${f.servedInstanceMinutes.toFixed(1)} instance-minutes; at most ` +
      `${Math.round(f.peakShare * 100)} % of the fleet in service ran it`,
  );
  return lines;
}
