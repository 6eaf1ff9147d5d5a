// The rehearsal's picture, drawn by Vega-Lite 5 / Vega 5 headless (no browser, no canvas) to an SVG file: one panel
// per tier over simulated minutes, with each version's instances in service (solid) and booting or failing their
// checks (dotted), the total in service (a broad grey band), desired capacity (dashed), the floor (red, under
// everything), a × wherever instances were terminated, the run's moments (release, surge start/finish/abort,
// checkpoints, an alarm, a rollback, scale-out, convergence) as labelled rules, their labels in a band above the counts
// (chart-labels.ts), and a canary's bakes and alarm periods as coloured bands. Every panel has the same count axis,
// fitted to the fleet. Reading it, one sees what happened to each tier and when.
import * as fs from "node:fs";
import * as path from "node:path";
import { lanesOf, LANE_PX, laneLabels, PlacedLabel, PLOT_WIDTH } from "./chart-labels";
import type { Sample, TimelineData } from "./timeline";

export interface ChartOptions {
  title: string;
  /** Lines under the title: what the scenario does and how the run was set up. */
  subtitle?: string[];
  /** The time axis' title: simulated minutes since what. */
  xTitle: string;
  /** Each tier's floor at the end of the run. */
  floors?: Record<string, number>;
  /** Simulated minutes the run lasted: the series are carried to the end. */
  endMinutes: number;
}

/** The height of a panel's data, 0 to the highest count, below its band of labels. */
const DATA_HEIGHT = 130;
/** Pixels between the highest count and the labels' band, and under the band's last lane. */
const TOP_PAD = 8;
/** Versions' colours; no red, which is the floor's. */
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];
/** How each line is drawn; `total in service` is a broad translucent band that the others run on. */
const LINES = {
  "in service": { dash: [1, 0], width: 2.5 },
  "booting or failing checks": { dash: [2, 2], width: 1.5 },
  "total in service": { dash: [1, 0], width: 8 },
  "desired capacity": { dash: [6, 3], width: 1.5 },
};
const TOTAL_OPACITY = 0.2;
/** A checkpoint's bake and a rollout alarm in ALARM, as bands: colours no version and not the floor's red. */
const PERIODS = { bake: "#a6d854", "alarm in ALARM": "#fc8d62" };
const PERIOD_OPACITY = 0.3;
const LINE_OF: Record<Sample["measure"], keyof typeof LINES> = {
  "in service": "in service",
  booting: "booting or failing checks",
  total: "total in service",
  desired: "desired capacity",
};
/**
 * Subtitle lines are wrapped at this many characters: without a canvas Vega sizes text by a generous estimate, and a
 * long line would widen the picture with blank space.
 */
const SUBTITLE_CHARS = 105;
/** An ×, as a Vega symbol path. */
const CROSS = "M-1,-1L1,1M-1,1L1,-1";

/** The Vega-Lite specification of the chart. */
export function chartSpec(data: TimelineData, options: ChartOptions): Record<string, unknown> {
  const end = Math.max(options.endMinutes, 1 / 60);
  const tiers = [...new Set(data.samples.map((s) => s.tier))];
  const series = [...new Set(data.samples.filter((s) => s.series !== undefined).map((s) => s.series!))];
  const values: Record<string, unknown>[] = [];
  for (const s of segments(data.samples, end)) {
    values.push({
      kind: s.series === undefined ? "tier" : "series",
      tier: s.tier,
      minutes: s.minutes,
      count: s.count,
      series: s.series,
      segment: s.segment,
      line: LINE_OF[s.measure],
    });
  }
  for (const m of data.terminations) {
    values.push({ kind: "terminated", what: "terminated", ...m, label: String(m.terminated) });
  }
  for (const p of data.periods ?? []) {
    values.push({ kind: "period", tier: p.tier, minutes: p.from, to: Math.min(p.to, end), period: p.kind });
  }
  const labels = new Map<string, PlacedLabel[]>(tiers.map((t) => [t, laneLabels(data.milestones, t, end)]));
  for (const tier of tiers) {
    const floor = options.floors?.[tier];
    if (floor !== undefined) values.push({ kind: "floor", tier, floor, minutes: end, label: `floor ${floor}` });
    for (const l of labels.get(tier)!) values.push({ kind: "moment", tier, ...l });
  }
  // Every panel alike: the same counts at the same heights, and the same band of labels above them, as deep as the
  // deepest tier's. The axis counts the data only; the band above it holds labels, not instances.
  const band = Math.max(0, ...[...labels.values()].map(lanesOf)) * LANE_PX + TOP_PAD;
  const height = DATA_HEIGHT + band;
  const ticks = countTicks(Math.max(1, ...Object.values(options.floors ?? {}), ...data.samples.map((s) => s.count)));
  const top = (ticks.at(-1)! * height) / (DATA_HEIGHT - TOP_PAD);
  const x = {
    field: "minutes",
    type: "quantitative",
    title: options.xTitle,
    scale: { domain: [0, end], nice: false, padding: 6 },
    axis: { format: "~g", tickMinStep: end > 4 ? 1 : 0.5 },
  };
  const axis = { values: ticks, format: "d" };
  const yScale = { domain: [0, top], nice: false, zero: true };
  const y = { field: "count", type: "quantitative", title: "instances", axis, scale: yScale };
  const only = (kind: string, extra = "") => [{ filter: `datum.kind === '${kind}'${extra}` }];
  // What a line counts is told by its dash (and width), in one legend; versions by colour, in another.
  const strokeDash = {
    field: "line",
    type: "nominal",
    title: "line",
    scale: { domain: Object.keys(LINES), range: Object.values(LINES).map((l) => l.dash) },
    legend: {
      symbolSize: 400,
      labelOffset: 12,
      rowPadding: 4,
      // The legend's symbols drawn as the lines are: Vega-Lite would take one layer's colour and width for all.
      encode: {
        symbols: {
          update: {
            stroke: { value: "#333" },
            opacity: { signal: `datum.value === 'total in service' ? ${TOTAL_OPACITY} : 1` },
            // A chain of conditions: Vega's legend layout cannot size symbols from an object lookup.
            strokeWidth: {
              signal: Object.entries(LINES)
                .map(([name, l]) => `datum.value === '${name}' ? ${l.width} : `)
                .join("")
                .concat("1"),
            },
          },
        },
      },
    },
  };
  const line = (name: keyof typeof LINES, filter: string, mark: Record<string, unknown>, color?: unknown) => ({
    transform: [{ filter: `${filter} && datum.line === '${name}'` }],
    mark: { type: "line", interpolate: "step-after", strokeWidth: LINES[name].width, ...mark },
    encoding: { x, y, strokeDash, detail: { field: "segment" }, ...(color !== undefined && { color }) },
  });
  const versionColor = {
    field: "series",
    type: "nominal",
    title: "version",
    scale: { domain: series, range: PALETTE },
    legend: { symbolType: "stroke", symbolStrokeWidth: 3 },
  };
  // A label is drawn over a halo of its own letters in white: a rule it cannot avoid passes behind it, not through it.
  const momentLabels = (align: "left" | "right", halo: boolean) => ({
    transform: only("moment", ` && datum.align === '${align}'`),
    mark: {
      type: "text",
      baseline: "top",
      fontSize: 10,
      align,
      dx: align === "left" ? 3 : -3,
      ...(halo ? { color: "#fff", stroke: "#fff", strokeWidth: 3, strokeJoin: "round" } : { color: "#222" }),
    },
    encoding: { x, y: { field: "top", type: "quantitative", scale: null }, text: { field: "label" } },
  });
  const periods = (data.periods ?? []).length === 0 ? [] : [periodBands(x, height)];
  const layers: Record<string, unknown>[] = [
    ...periods,
    // Below the floor is shaded rather than ruled: a line at the floor's height stays visible on top of it.
    {
      transform: only("floor"),
      mark: { type: "rect", color: "#c0392b", opacity: 0.07 },
      encoding: { y: { field: "floor", type: "quantitative", axis, scale: yScale }, y2: { datum: 0 } },
    },
    {
      transform: only("floor"),
      mark: { type: "text", color: "#c0392b", align: "right", baseline: "top", dy: 2, dx: -2, fontSize: 9 },
      encoding: { x, y: { field: "floor", type: "quantitative", axis, scale: yScale }, text: { field: "label" } },
    },
    {
      // Each rule starts at its own label, so it never crosses a label in a lane above.
      transform: only("moment", " && datum.rule"),
      mark: { type: "rule", color: "#888", strokeDash: [2, 3], strokeWidth: 1 },
      encoding: { x, y: { field: "top", type: "quantitative", scale: null }, y2: { value: height } },
    },
    line("total in service", "datum.kind === 'tier'", { color: "#000", opacity: TOTAL_OPACITY }),
    // Booting over in service: a version still booting is often at the height another serves at.
    line("in service", "datum.kind === 'series'", {}, versionColor),
    line("booting or failing checks", "datum.kind === 'series'", {}, versionColor),
    line("desired capacity", "datum.kind === 'tier'", { color: "#222" }),
    {
      transform: only("terminated"),
      mark: { type: "point", shape: CROSS, size: 70, strokeWidth: 2, filled: false, opacity: 1 },
      encoding: {
        x,
        y,
        color: { field: "series", type: "nominal" },
        shape: {
          field: "what",
          type: "nominal",
          title: null,
          scale: { domain: ["terminated"], range: [CROSS] },
          legend: { symbolStrokeColor: "#333", symbolStrokeWidth: 2, symbolSize: 60, symbolFillColor: "transparent" },
        },
      },
    },
    {
      // How many went at once, beside a × that stands for more than one.
      transform: only("terminated", " && datum.terminated > 1"),
      mark: { type: "text", align: "left", dx: 6, dy: -6, fontSize: 9 },
      encoding: { x, y, text: { field: "label" }, color: { field: "series", type: "nominal" } },
    },
    momentLabels("left", true),
    momentLabels("right", true),
    momentLabels("left", false),
    momentLabels("right", false),
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: options.title,
      subtitle: (options.subtitle ?? []).flatMap((line) => wrap(line, SUBTITLE_CHARS)),
      anchor: "start",
      subtitleColor: "#444",
    },
    data: { values },
    facet: {
      row: {
        field: "tier",
        type: "nominal",
        sort: tiers,
        title: null,
        header: { labelAngle: 0, labelAlign: "left", labelFontWeight: "bold", labelFontSize: 12 },
      },
    },
    spec: { width: PLOT_WIDTH, height, layer: layers },
    config: {
      font: "sans-serif",
      legend: { labelLimit: 0, symbolType: "stroke", symbolSize: 400, symbolStrokeColor: "#333" },
      view: { stroke: "#ddd" },
    },
  };
}

/** Bakes and alarm periods as bands the full height of a panel, under everything else. */
function periodBands(x: Record<string, unknown>, height: number): Record<string, unknown> {
  return {
    transform: [{ filter: "datum.kind === 'period'" }],
    mark: { type: "rect", opacity: PERIOD_OPACITY },
    encoding: {
      x,
      x2: { field: "to" },
      y: { value: 0 },
      y2: { value: height },
      fill: {
        field: "period",
        type: "nominal",
        title: "rollout",
        scale: { domain: Object.keys(PERIODS), range: Object.values(PERIODS) },
        legend: { symbolType: "square", symbolOpacity: 0.5 },
      },
    },
  };
}

/** The count axis' ticks: 0 to the first multiple of a round step (1, 2, 5, 10, 20, ...) at or above `highest`. */
export function countTicks(highest: number): number[] {
  let step = 1;
  for (let k = 0; Math.ceil(highest / step) > 5; k++) step = [1, 2, 5][(k + 1) % 3] * 10 ** Math.floor((k + 1) / 3);
  const n = Math.ceil(highest / step);
  return Array.from({ length: n + 1 }, (_, i) => i * step);
}

/** Renders the chart to SVG text. */
export async function renderChart(data: TimelineData, options: ChartOptions): Promise<string> {
  // Required lazily: Vega is only needed when a chart is drawn, and loading it costs a few hundred milliseconds.
  const vegaLite = await import("vega-lite");
  const vega = await import("vega");
  const compiled = vegaLite.compile(chartSpec(data, options) as unknown as Parameters<typeof vegaLite.compile>[0]);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders and writes the chart (its directory was made before the run); returns the path written. */
export async function writeChart(file: string, data: TimelineData, options: ChartOptions): Promise<string> {
  const svg = await renderChart(data, options);
  fs.writeFileSync(path.resolve(file), svg);
  return file;
}

/**
 * Each line as runs of samples (`segment` numbers them): a version's line is drawn only while it has instances,
 * rising from and falling to zero, instead of running along the axis in between; every run still open is carried to
 * the end of the run, so a step line does not stop at its last change.
 */
function segments(samples: Sample[], endMinutes: number): (Sample & { segment: number })[] {
  const out: (Sample & { segment: number })[] = [];
  const open = new Map<string, Sample & { segment: number }>();
  let next = 0;
  for (const s of samples) {
    const key = `${s.tier}\u0000${s.measure}\u0000${s.series ?? ""}`;
    const run = open.get(key);
    if (run === undefined) {
      if (s.series !== undefined && s.count === 0) continue;
      const segment = next++;
      if (s.series !== undefined && s.minutes > 0) out.push({ ...s, count: 0, segment });
      const point = { ...s, segment };
      out.push(point);
      open.set(key, point);
    } else {
      const point = { ...s, segment: run.segment };
      out.push(point);
      if (s.series !== undefined && s.count === 0) open.delete(key);
      else open.set(key, point);
    }
  }
  for (const last of open.values()) if (last.minutes < endMinutes) out.push({ ...last, minutes: endMinutes });
  return out;
}

/** Splits `text` at spaces into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return line === "" ? lines : [...lines, line];
}
