// How a rehearsal ended, in words and figures that fit its kind: a rollout's time to converge; a scale-out's alarm,
// action and capacity, apart from the rollout's own time; an ageing run's lag past the age limit; a failed release's
// cost and where it stopped. Pure: measurement.ts hands over what it saw.
import { CanaryFigures, canaryLines } from "./canary";
import { formatMinutes } from "./clock";
import type { TierSummary } from "./measurement";
import { Scenario } from "./scenarios";

/** A scaling alarm's request and when it was met, in simulated minutes since minute zero. */
export interface ScaleOutFigures {
  tier: string;
  from: number;
  to: number;
  alarmAtMinutes: number;
  /** When desired capacity was raised (later than the alarm while a surge held it). */
  scaledAtMinutes?: number;
  /** When the tier served `to` instances, all on the target. */
  reachedAtMinutes?: number;
}

/** How instances past the age limit were recycled. */
export interface AgeingFigures {
  limitMinutes: number;
  /** Instances the run started with, all tiers. */
  starting: number;
  /** Of those, how many were terminated. */
  recycled: number;
  /** Per recycled instance, how long it served past the limit (0 when replaced before reaching it). */
  pastLimitMinutes: number[];
  /** The longest any starting instance served, launch to termination (or to the end). */
  oldestServedMinutes: number;
  /** Terminated in the order they were launched. */
  oldestFirst: boolean;
}

/** What measurement.ts gathered besides the per-tier summaries. */
export interface RunFigures {
  /** A scenario gated by rollout alarms (canary.ts). */
  canary?: CanaryFigures;
  aborts: { tier: string; atMinutes: number }[];
  scaling: ScaleOutFigures[];
  /** Versions that served traffic at some point from minute zero on. */
  servedVersions: Set<string>;
  ageing?: AgeingFigures;
}

/** The end of a run: whether the scenario's expectation was met, one sentence, and the figures that matter for it. */
export interface Outcome {
  /**
   * The scenario's expected outcome was reached: converged; or for a bad release stopped with the old one serving, or
   * rolled back automatically and converged back on the old one.
   */
  ok: boolean;
  /** One sentence on how the run ended. */
  outcome: string;
  /** Lines for the summary under the outcome, without the time to converge (the view adds it in boots). */
  findings: string[];
  scaleOut?: ScaleOutFigures[];
  ageing?: AgeingFigures;
  canary?: CanaryFigures;
}

export interface OutcomeInput {
  scenario: Scenario;
  tiers: TierSummary[];
  figures: RunFigures;
  convergedAtMs?: number;
  /** When the fleet reached the scenario's final capacity too (the same as convergedAtMs without a scale-out). */
  reachedAtMs?: number;
  horizonMs: number;
  floorBreached: boolean;
  /** Instances of the version that must keep serving that a sweep terminated. */
  targetSweptAway: number;
  lastReasons: string[];
  failures: string[];
}

/** Words and figures for a run that is over. */
export function describeOutcome(input: OutcomeInput): Outcome {
  const kind = input.scenario.expect.outcome;
  const result = kind === "converge" ? converged(input) : kind === "rollback" ? rolledBack(input) : stopped(input);
  const canary = input.figures.canary;
  if (canary !== undefined) {
    result.canary = canary;
    result.findings.unshift(...canaryLines(canary));
  }
  if (input.failures.length > 0) {
    result.ok = false;
    result.outcome += `; ${input.failures.length} sweep(s) failed: ${input.failures[0]}`;
  }
  return result;
}

function converged(input: OutcomeInput): Outcome {
  const { scenario, figures, convergedAtMs, reachedAtMs, horizonMs, floorBreached } = input;
  const expect = scenario.expect;
  const findings: string[] = [];
  const result: Outcome = { ok: reachedAtMs !== undefined && !floorBreached, outcome: "", findings };
  if (convergedAtMs === undefined) {
    result.outcome =
      `did not converge on ${expect.version} within ${formatMinutes(horizonMs)} simulated; ` +
      `last decisions: ${input.lastReasons.join("; ")}`;
  } else {
    result.outcome =
      expect.outcome === "converge" && expect.replaceAll === true
        ? `every starting instance replaced, on ${expect.version} (${expect.imageId}), by ${formatMinutes(convergedAtMs)} simulated`
        : `converged on ${expect.version} (${imageOf(scenario)}) after ${formatMinutes(convergedAtMs)} simulated`;
  }
  if (figures.scaling.length > 0) {
    result.scaleOut = figures.scaling;
    for (const s of figures.scaling) findings.push(scaleOutLine(s, convergedAtMs));
    if (convergedAtMs !== undefined && reachedAtMs === undefined) {
      result.outcome += `, but the scale-out's capacity never served`;
    }
  }
  if (figures.ageing !== undefined) {
    result.ageing = figures.ageing;
    findings.push(...ageingLines(figures.ageing));
  }
  return result;
}

function scaleOutLine(s: ScaleOutFigures, convergedAtMs: number | undefined): string {
  const when =
    convergedAtMs === undefined || s.alarmAtMinutes * 60_000 < convergedAtMs
      ? "mid-rollout"
      : "after the rollout converged";
  const acted =
    s.scaledAtMinutes === undefined
      ? "it never acted"
      : s.scaledAtMinutes - s.alarmAtMinutes < 1 / 60
        ? "it acted at once"
        : `it was held while the surge had AlarmNotification suspended and acted at ${at(s.scaledAtMinutes)}`;
  const served =
    s.reachedAtMinutes === undefined
      ? `; ${s.tier} never served ${s.to}`
      : `; ${s.tier} served ${s.to} at ${at(s.reachedAtMinutes)}`;
  return `scale-out: the alarm asked for ${s.tier} ${s.from} → ${s.to} at ${at(s.alarmAtMinutes)}, ${when}; ${acted}${served}`;
}

function ageingLines(a: AgeingFigures): string[] {
  const lines = [
    `recycled ${a.recycled} of ${a.starting} starting instances past the ${a.limitMinutes}-minute limit` +
      (a.recycled > 1 ? (a.oldestFirst ? ", oldest first in each tier" : ", NOT oldest first") : ""),
  ];
  if (a.pastLimitMinutes.length > 0) {
    const min = Math.min(...a.pastLimitMinutes);
    const max = Math.max(...a.pastLimitMinutes);
    lines.push(
      `served past the limit: ${min.toFixed(1)}–${max.toFixed(1)} min each (a sweep sees it, then its replacement ` +
        `boots); the longest any served: ${a.oldestServedMinutes.toFixed(1)} min`,
    );
  }
  return lines;
}

/** A release rolled back automatically: ok once the rollback was written and the fleet converged back. */
function rolledBack(input: OutcomeInput): Outcome {
  const { scenario, figures, convergedAtMs, horizonMs, floorBreached } = input;
  const keep = scenario.expect.version;
  const rollback = figures.canary?.rolledBackAtMinutes;
  const ok = rollback !== undefined && convergedAtMs !== undefined && !floorBreached;
  return {
    ok,
    outcome:
      rollback === undefined
        ? `the rollout was NOT rolled back within ${formatMinutes(horizonMs)} simulated; last decisions: ` +
          input.lastReasons.join("; ")
        : convergedAtMs === undefined
          ? `rolled back at ${at(rollback)}, but the fleet did NOT converge back on ${keep}`
          : `rolled back automatically at ${at(rollback)}; every tier serves ${keep} again from ${formatMinutes(convergedAtMs)}`,
    findings: [],
  };
}

function stopped(input: OutcomeInput): Outcome {
  const { scenario, tiers, figures, floorBreached, targetSweptAway } = input;
  const keep = scenario.expect.version;
  const failed = publishedVersion(scenario);
  // Stopped itself: no sweep terminated an instance of the old version, and it still serves above the floor.
  const oldServing = tiers.every(
    (t) => (t.finalVersions[keep] ?? 0) >= Math.min(t.desired, Math.max(t.floor, t.desired - 1)),
  );
  const ok = targetSweptAway === 0 && oldServing && !floorBreached;
  const serving = tiers.map((t) => `${t.tier} ${t.finalVersions[keep] ?? 0} of ${t.desired}`).join(", ");
  const findings: string[] = [];
  if (failed !== undefined) {
    const launched = tiers.reduce((n, t) => n + t.launched, 0);
    findings.push(
      `${failed}: ${launched} instances launched, ` +
        (figures.servedVersions.has(failed) ? "some served traffic" : "none ever served traffic"),
    );
  }
  if (figures.aborts.length > 0) {
    const when = [...new Set(figures.aborts.map((a) => at(a.atMinutes)))].join(", ");
    findings.push(`the surge was aborted at ${when}: desired capacity back to its baseline, the failed instances gone`);
  }
  if (tiers.some((t) => t.terminated.release > 0)) {
    const each = tiers.map((t) => `${t.terminated.release} in ${t.tier}`).join(", ");
    findings.push(
      `the release handler terminated ${keep} instances before the new ones failed (${each}); no sweep ` +
        "terminated any after, as the groups never became stable",
    );
  }
  const lowest = Math.min(...tiers.map((t) => t.lowestInService / Math.max(1, t.desired)));
  findings.push(lowest >= 1 ? `${keep} kept full capacity throughout` : `capacity lost: ${lowestText(tiers)}`);
  return {
    ok,
    outcome: ok
      ? `the rollout stopped itself${failed === undefined ? "" : figures.canary !== undefined ? ` (${failed} in ALARM)` : ` (${failed} never became healthy)`}: no sweep ` +
        `terminated a ${keep} instance, and ${keep} still serves (${serving})`
      : `the rollout did NOT stop safely (${targetSweptAway} ${keep} instances terminated by sweeps; ${serving})`,
    findings,
  };
}

function lowestText(tiers: TierSummary[]): string {
  return tiers.map((t) => `${t.tier} down to ${t.lowestInService} of ${t.desired}`).join(", ");
}

/** The version the scenario publishes at minute zero, if it publishes one. */
function publishedVersion(scenario: Scenario): string | undefined {
  for (const a of [...scenario.actions].reverse()) if (a.type === "publish") return a.version;
  return undefined;
}

function imageOf(scenario: Scenario): string {
  return scenario.expect.outcome === "converge" ? scenario.expect.imageId : "";
}

function at(minutes: number): string {
  return formatMinutes(minutes * 60_000);
}

/**
 * How far past the age limit each starting instance served before it was terminated (or until `now`), from when
 * each was launched and terminated, in simulated ms (`start` is minute zero).
 */
export function ageingFigures(
  run: {
    initial: Map<string, { launchTime: number; tier: string }>;
    gone: Map<string, number>;
    tiers: string[];
    start: number;
    now: number;
  },
  maxAgeHours: number,
): AgeingFigures {
  const limitMs = maxAgeHours * 3_600_000;
  const past: number[] = [];
  let oldestServedMs = 0;
  for (const [id, { launchTime }] of run.initial) {
    const launchedRel = launchTime - run.start;
    const endRel = run.gone.get(id) ?? run.now;
    oldestServedMs = Math.max(oldestServedMs, endRel - launchedRel);
    if (run.gone.has(id)) past.push(Math.max(0, endRel - launchedRel - limitMs) / 60_000);
  }
  // Oldest first within each tier: the tiers' groups recycle independently.
  const oldestFirst = run.tiers.every((tier) => {
    const gone = [...run.initial]
      .filter(([id, i]) => i.tier === tier && run.gone.has(id))
      .sort((a, b) => a[1].launchTime - b[1].launchTime)
      .map(([id]) => run.gone.get(id)!);
    return gone.every((at, k) => k === 0 || gone[k - 1] <= at);
  });
  return {
    limitMinutes: maxAgeHours * 60,
    starting: run.initial.size,
    recycled: run.gone.size,
    pastLimitMinutes: past,
    oldestServedMinutes: oldestServedMs / 60_000,
    oldestFirst,
  };
}
