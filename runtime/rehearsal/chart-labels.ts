// Where the chart's moment labels go: in a band of lanes above each panel's data, each moment's label hanging off its
// rule. Labels are sized by an estimate (no canvas measures text here), so the layout keeps a gap between them.
import type { Milestone } from "./timeline";

/** The plot's width in pixels: the labels are laid out in it. */
export const PLOT_WIDTH = 620;
/** One lane of labels, in pixels. */
export const LANE_PX = 12;
/** Rough width of one character of a 10-px label. */
const CHAR_PX = 5.8;
/** Moments closer than this share one rule. */
const MERGE_PX = 10;
/** Space kept between two labels in a lane. */
const GAP_PX = 6;
/**
 * How far a label starting at its rule may run past the plot's right edge, into the space before the legend (Vega-Lite
 * puts the legend 18 px away), before it is turned to end at its rule instead.
 */
const OVERFLOW_PX = 12;

/** One label, placed: `top` is its lane's pixel offset from the top of the panel. */
export interface PlacedLabel {
  minutes: number;
  label: string;
  lane: number;
  top: number;
  align: "left" | "right";
  /** The first label of its moment draws the moment's rule, from this label down. */
  rule: boolean;
}

/**
 * A tier's moment labels. Moments too close to tell apart share one rule, their labels stacked under each other and
 * aligned alike: starting at the rule, or ending at it when the widest would run well past the right edge. A moment's
 * labels go in the first lanes where they overlap no other label and where its rule, which runs from its first label
 * down, crosses none. Labels that end at their rule may still lie across an earlier moment's rule (no lane is above a
 * rule that starts in the first): the chart draws every label over a halo, so that rule passes behind it.
 */
export function laneLabels(milestones: Milestone[], tier: string, endMinutes: number): PlacedLabel[] {
  const px = (minutes: number) => (minutes / endMinutes) * PLOT_WIDTH;
  const mine = milestones.filter((m) => m.tier === undefined || m.tier === tier).sort((a, b) => a.minutes - b.minutes);
  const merged: { minutes: number; labels: string[] }[] = [];
  for (const m of mine) {
    const previous = merged.at(-1);
    if (previous !== undefined && px(m.minutes) - px(previous.minutes) < MERGE_PX) previous.labels.push(m.label);
    else merged.push({ minutes: m.minutes, labels: [m.label] });
  }
  const boxes: { from: number; to: number; lane: number }[] = [];
  const placed: PlacedLabel[] = [];
  for (const m of merged) {
    const x = px(m.minutes);
    const widths = m.labels.map((label) => label.length * CHAR_PX + 4);
    const right = x + Math.max(...widths) > PLOT_WIDTH + OVERFLOW_PX;
    const box = (k: number, lane: number) =>
      right ? { from: x - widths[k] - GAP_PX, to: x, lane } : { from: x, to: x + widths[k] + GAP_PX, lane };
    const free = (lane: number) =>
      m.labels.every((_, k) => {
        const b = box(k, lane + k);
        return !boxes.some((p) => p.lane === b.lane && p.from < b.to && b.from < p.to);
      });
    // The rule starts below every label it would cross.
    let lane = Math.max(0, ...boxes.filter((p) => p.from <= x && x <= p.to).map((p) => p.lane + 1));
    while (!free(lane)) lane++;
    m.labels.forEach((label, k) => {
      boxes.push(box(k, lane + k));
      placed.push({
        minutes: m.minutes,
        label,
        lane: lane + k,
        top: 2 + (lane + k) * LANE_PX,
        align: right ? "right" : "left",
        rule: k === 0,
      });
    });
  }
  return placed;
}

/** The lanes a tier's labels take. */
export function lanesOf(labels: PlacedLabel[]): number {
  return labels.reduce((n, l) => Math.max(n, l.lane + 1), 0);
}
