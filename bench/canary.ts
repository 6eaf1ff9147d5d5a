// The canary rows of `npm run bench rollout` (issue 18): what checkpoints, bakes and rollout alarms cost a good
// release and save on a bad one, rehearsed on the local fleet with 6-minute boots for 3 and 30 instances per tier,
// means over several seeds (min–max).
//
// * a good release (canary-good) with checkpoints [10, 50, 100] and 5-minute bakes: its rollout in boots, plus the
//   minutes it spent baking;
// * a release bad under traffic (canary-alarm: healthy to every check, 5xx on half its requests) with the same
//   checkpoints: caught at the first, what it cost (its instance-minutes in service, the largest share of the fleet in
//   service it reached, the boots spent undoing it) and when every tier served only the good version again;
// * the same bad release with checkpoints [100], the way Instance Refresh without checkpoints behaves: with the same
//   bake (phoenix still bakes the whole new fleet beside the old one) and with none (no CheckpointDelay).
//
// Target: a bad release caught at the first checkpoint costs zero boots to undo, and less than 15 % of the fleet in
// service ever serves it. The share half applies only where the planner's first share (a 10 % share rounded up, at
// least one instance, launched beside the whole old fleet) is under 15 % of those in service: with 3 per tier it is
// 1 of 4, 25 %, by construction, so that row is held to zero boots and prints its share with the reason.
import * as path from "node:path";
import { LIMITS } from "../runtime/contract";
import { shareOf } from "../runtime/core/planner";
import { RehearsalResult } from "../runtime/rehearsal/measurement";
import { runRehearsal } from "../runtime/rehearsal/rehearsal";
import { CanaryFigures } from "../runtime/rehearsal/canary";
import { table } from "../runtime/rehearsal/view";
import { mark, spread, Target } from "./targets";

const BOOT_MINUTES = 6;
const CHECKPOINTS = [10, 50, 100];
const BAKE_MINUTES = 5;
/** One-minute periods over the threshold that put a tier's 5xx alarm in ALARM (the rehearsal's, as deployed). */
const ALARM_MINUTES = LIMITS.rolloutAlarmMinutes.fallback;
/** A bad release caught at its first checkpoint must reach less than this share of the fleet in service. */
const SHARE_TARGET = 0.15;

/** One configuration rehearsed over several seeds. */
export interface Row {
  instances: number;
  seeds: number[];
  checkpoints: number[];
  bakeMinutes: number;
}

/** The canary rows for 3 and 30 per tier; `dir` is scratch space for the runs. */
export async function canaryBench(dir: string): Promise<Target[]> {
  console.log(
    `\n## rollout, canary: checkpoints, ${BAKE_MINUTES}-minute bakes and rollout alarms (issue 18); ` +
      `${BOOT_MINUTES}-minute boots ±10%, each tier's 5xx alarm in ALARM after ${ALARM_MINUTES} one-minute periods ` +
      `over ${LIMITS.rollout5xxPercent.fallback} %; the real planner, probes, release handler and sweep on the ` +
      "local fleet; mean over seeds (min–max)",
  );
  const sizes = [3, 30].map((instances) => ({ instances, seeds: instances === 3 ? [1, 2, 3, 4, 5, 6] : [1, 2, 3] }));
  await goodRelease(sizes, dir);
  return badRelease(sizes, dir);
}

/** A good release with checkpoints and bakes, and without (the defaults), to show what they add to its rollout. */
async function goodRelease(sizes: Omit<Row, "checkpoints" | "bakeMinutes">[], dir: string): Promise<void> {
  const lines = [["per tier", "good release (canary-good)", "seeds", "rollout, in boots", "+ baking", "in all"]];
  const rows = sizes.flatMap((size): Row[] => [
    { ...size, checkpoints: CHECKPOINTS, bakeMinutes: BAKE_MINUTES },
    { ...size, checkpoints: [100], bakeMinutes: 0 },
  ]);
  for (const row of rows) {
    const runs = await rehearse("canary-good", row, dir);
    const failed = runs.find((r) => !r.ok);
    if (failed) throw new Error(`canary-good, ${row.instances} per tier: did not converge: ${failed.outcome}`);
    const minutes = runs.map((r) => r.convergedAtMinutes!);
    const baking = runs.map((r) => r.canary!.bakeMinutes);
    lines.push([
      String(row.instances),
      gatesText(row),
      String(row.seeds.length),
      `${spread(minutes.map((m, i) => (m - baking[i]) / BOOT_MINUTES))} boots`,
      `${spread(baking, 1)} min`,
      `${spread(minutes, 1)} min`,
    ]);
  }
  for (const line of table(lines)) console.log(`  ${line}`);
}

/** The bad release with checkpoints (against the target), and with [100], with the same bake and with none. */
async function badRelease(sizes: Omit<Row, "checkpoints" | "bakeMinutes">[], dir: string): Promise<Target[]> {
  const targets: Target[] = [];
  const notes: string[] = [];
  const lines = [
    [
      "per tier",
      "bad release (canary-alarm)",
      "seeds",
      "stopped at",
      "bad instance-minutes",
      "peak share in service",
      "boots to undo",
      "back to 100 % good",
      "",
    ],
  ];
  const rows = sizes.flatMap((size): Row[] => [
    { ...size, checkpoints: CHECKPOINTS, bakeMinutes: BAKE_MINUTES },
    { ...size, checkpoints: [100], bakeMinutes: BAKE_MINUTES },
    { ...size, checkpoints: [100], bakeMinutes: 0 },
  ]);
  for (const row of rows) {
    const runs = await rehearse("canary-alarm", row, dir);
    const figures = runs.map((r) => r.canary!);
    const stopped = figures.every((f) => f.stoppedAtMinutes !== undefined);
    const end = Math.max(...runs.map((r) => r.endedAtMinutes));
    let verdict = "";
    if (row.checkpoints.length > 1) {
      const { ok, what, text } = firstCheckpointTarget(row, figures);
      targets.push({ what, ok });
      verdict = text;
    }
    const served = spread(
      figures.map((f) => f.servedInstanceMinutes),
      1,
    );
    lines.push([
      String(row.instances),
      gatesText(row),
      String(row.seeds.length),
      stoppedText(figures),
      // A release never stopped serves on after the run ends: what it served by then is a lower bound.
      stopped ? served : `≥ ${served}`,
      `${percent(Math.max(...figures.map((f) => f.peakShare)))} (max)`,
      stopped
        ? spread(
            figures.map((f) => f.bootsToUndo),
            0,
          )
        : "not undone",
      stopped
        ? `${spread(backAt(figures), 1)} min`
        : `never: ${percent(Math.min(...runs.map(badShareAtEnd)))} bad at the run's end, ${end.toFixed(0)} min`,
      verdict,
    ]);
    if (!stopped) notes.push(neverStopped(row, figures));
  }
  for (const line of table(lines)) console.log(`  ${line}`);
  for (const note of notes) console.log(`  ${note}`);
  for (const t of targets) console.log(`  target: ${t.what}: ${mark(t.ok)}`);
  return targets;
}

/** Why a bad release with no bake was never stopped: when it had replaced every instance, and when its alarm fired. */
function neverStopped(row: Row, figures: CanaryFigures[]): string {
  const all = figures.map((f) => f.allServedAtMinutes ?? Number.POSITIVE_INFINITY);
  const alarms = figures.map((f) => f.alarmAtMinutes ?? Number.POSITIVE_INFINITY);
  const after = figures.filter((_, i) => alarms[i] > all[i]).length;
  return (
    `${row.instances} per tier, ${gatesText(row)}: the surge had replaced every instance at ${spread(all, 1)} min ` +
    `and the 5xx alarm went into ALARM at ${spread(alarms, 1)} min, after it in ${after} of ${figures.length} ` +
    "runs; a rollout leaves its alarms' window (surge start until converged and baked) as it converges, and " +
    `with no bake that is before a ${ALARM_MINUTES}-minute alarm can fire, so nothing stopped it`
  );
}

/** The share of the instances in service at a run's end that ran the released version. */
function badShareAtEnd(run: RehearsalResult): number {
  const released = run.canary!.released;
  const counts = run.tiers.flatMap((t) => Object.entries(t.finalVersions));
  const total = counts.reduce((n, [, c]) => n + c, 0);
  return total === 0 ? 0 : counts.filter(([v]) => v === released).reduce((n, [, c]) => n + c, 0) / total;
}

/**
 * The target of a bad release with checkpoints: stopped at the first, zero boots to undo, and, where the first share
 * can be under SHARE_TARGET of those in service, less than that at its peak.
 */
export function firstCheckpointTarget(row: Row, figures: CanaryFigures[]): { ok: boolean; what: string; text: string } {
  const first = shareOf(row.instances, row.checkpoints[0]);
  const least = first / (row.instances + first);
  const shareApplies = least < SHARE_TARGET;
  const atFirst = figures.every((f) => f.stoppedAt?.startsWith(`1 of ${row.checkpoints.length} `) === true);
  const boots = Math.max(...figures.map((f) => f.bootsToUndo));
  const peak = Math.max(...figures.map((f) => f.peakShare));
  const ok = atFirst && boots === 0 && (!shareApplies || peak < SHARE_TARGET);
  const caught = atFirst ? "caught at the first checkpoint" : "NOT always caught at the first checkpoint";
  const share = shareApplies
    ? `, at most ${percent(peak)} in service (< ${percent(SHARE_TARGET)})`
    : `; the share is not held to < ${percent(SHARE_TARGET)}: the first share is ${first} of ${row.instances} ` +
      `(10 % rounded up, at least one), ${first} of ${row.instances + first} in service beside the old fleet, ` +
      `${percent(least)} by construction`;
  return {
    ok,
    what: `${row.instances} per tier, bad release, ${gatesText(row)}: ${caught}, ${boots} boots to undo (target 0)${share}`,
    text: `target 0 boots${shareApplies ? `, < ${percent(SHARE_TARGET)}` : ` (share: n/a, ${percent(least)} at least)`}: ${mark(ok)}`,
  };
}

/** Rehearses `scenario` over the row's seeds. */
async function rehearse(scenario: string, row: Row, dir: string): Promise<RehearsalResult[]> {
  const results: RehearsalResult[] = [];
  for (const seed of row.seeds) {
    const name = `${scenario}-${row.instances}-${row.checkpoints.join("_")}-${row.bakeMinutes}-${seed}`;
    results.push(
      await runRehearsal({
        scenario,
        instances: row.instances,
        bootMinutes: BOOT_MINUTES,
        checkpoints: row.checkpoints,
        bakeMinutes: row.bakeMinutes,
        seed,
        workDir: path.join(dir, name),
      }),
    );
  }
  return results;
}

/** `checkpoint 1 of 3 at 9.0 min (8.0–9.0)`, or when some run was never stopped, when its alarm fired. */
function stoppedText(figures: CanaryFigures[]): string {
  const stops = figures.map((f) => f.stoppedAtMinutes).filter((m): m is number => m !== undefined);
  if (stops.length < figures.length) return `not stopped in ${figures.length - stops.length} of ${figures.length}`;
  const where = [...new Set(figures.map((f) => f.stoppedAt!.replace(/ \(.*\)$/, "")))];
  return `checkpoint ${where.join(" or ")} at ${spread(stops, 1)} min`;
}

/** When each stopped run was back on the good version; a run never back counts as not back (Infinity). */
function backAt(figures: CanaryFigures[]): number[] {
  return figures.map((f) => f.backAtMinutes ?? Number.POSITIVE_INFINITY);
}

/** `[10, 50, 100], 5-min bakes`, `[100], no bake`. */
function gatesText(row: Pick<Row, "checkpoints" | "bakeMinutes">): string {
  const bakes =
    row.bakeMinutes === 0 ? "no bake" : `${row.bakeMinutes}-min bake${row.checkpoints.length > 1 ? "s" : ""}`;
  return `[${row.checkpoints.join(", ")}], ${bakes}`;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
}
