// What every bench returns: its targets, each met or MISSED, so that `npm run bench` can print one summary line and
// exit non-zero on a miss (a bench printing MISSED while exiting 0 is a bench nobody's CI reads).

/** One target of a bench: what was measured against what, and whether it was met. */
export interface Target {
  what: string;
  ok: boolean;
}

/** A bench: prints its figures next to their targets and returns the targets. */
export type Bench = () => Promise<Target[]>;

/** The mark a bench prints beside a figure. */
export function mark(ok: boolean): string {
  return ok ? "ok" : "MISSED";
}

/** The median of a non-empty list: the middle value, or the mean of the two middle ones. */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The summary of a run: one line of targets met, each miss named, and the exit code (1 on any miss). */
export function summarize(results: { bench: string; targets: Target[] }[]): { lines: string[]; code: number } {
  const all = results.flatMap((r) => r.targets.map((t) => ({ ...t, bench: r.bench })));
  const missed = all.filter((t) => !t.ok);
  const lines = [`targets met: ${all.length - missed.length} of ${all.length}`];
  for (const t of missed) lines.push(`  MISSED  ${t.bench}: ${t.what}`);
  return { lines, code: missed.length > 0 ? 1 : 0 };
}

/** The mean of a non-empty list. */
export function mean(values: number[]): number {
  if (values.length === 0) throw new Error("mean of nothing");
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** `1.27 (1.22–1.31)`: the mean, and the range in brackets, each with `digits` decimals. */
export function spread(values: number[], digits = 2): string {
  const text = (x: number) => x.toFixed(digits);
  return `${text(mean(values))} (${text(Math.min(...values))}–${text(Math.max(...values))})`;
}
