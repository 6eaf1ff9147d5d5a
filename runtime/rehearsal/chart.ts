// The rehearsal's picture: in-service instances per tier and per version over simulated time, as an SVG file —
// the Grafana panel the original team watched during a rollout — drawn by Vega-Lite 5 / Vega 5 headless (no browser).
import * as fs from "node:fs";
import * as path from "node:path";
import type { Sample } from "./measurement";

export interface ChartOptions {
  title: string;
  /** Each tier's floor at the end of the run: a dashed rule, so a breach would be visible. */
  floors?: Record<string, number>;
  /** Simulated minutes the run lasted: the series are carried to the end. */
  endMinutes: number;
}

/** The Vega-Lite specification: one row per tier, one step line per version, a dashed rule at the floor. */
export function chartSpec(samples: Sample[], options: ChartOptions): Record<string, unknown> {
  const values: Record<string, unknown>[] = withEnds(samples, options.endMinutes).map((v) => ({ kind: "line", ...v }));
  for (const [tier, floor] of Object.entries(options.floors ?? {})) values.push({ kind: "floor", tier, floor });
  const layers: Record<string, unknown>[] = [
    {
      transform: [{ filter: "datum.kind === 'line'" }],
      mark: { type: "line", interpolate: "step-after", strokeWidth: 2 },
      encoding: {
        x: { field: "minutes", type: "quantitative", title: "simulated minutes since the release" },
        y: { field: "inService", type: "quantitative", title: "in service", axis: { tickMinStep: 1 } },
        color: { field: "series", type: "nominal", title: "version" },
      },
    },
  ];
  if (options.floors !== undefined) {
    layers.push({
      transform: [{ filter: "datum.kind === 'floor'" }],
      mark: { type: "rule", strokeDash: [4, 4], color: "#c0392b" },
      encoding: { y: { field: "floor", type: "quantitative" } },
    });
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: options.title,
    data: { values },
    facet: { row: { field: "tier", type: "nominal", title: null } },
    spec: { width: 560, height: 140, layer: layers },
    resolve: { scale: { y: "independent" } },
    config: { font: "sans-serif" },
  };
}

/** Renders the chart to SVG text. */
export async function renderChart(samples: Sample[], options: ChartOptions): Promise<string> {
  // Required lazily: Vega is only needed when a chart is drawn, and loading it costs a few hundred milliseconds.
  const vegaLite = await import("vega-lite");
  const vega = await import("vega");
  const compiled = vegaLite.compile(chartSpec(samples, options) as unknown as Parameters<typeof vegaLite.compile>[0]);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders and writes the chart; returns the path written. */
export async function writeChart(file: string, samples: Sample[], options: ChartOptions): Promise<string> {
  const svg = await renderChart(samples, options);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, svg);
  return file;
}

/** Carries every series to the end of the run, so a step line does not stop at its last change. */
function withEnds(samples: Sample[], endMinutes: number): Sample[] {
  const last = new Map<string, Sample>();
  for (const s of samples) last.set(`${s.tier}\u0000${s.series}`, s);
  const ends = [...last.values()].filter((s) => s.minutes < endMinutes).map((s) => ({ ...s, minutes: endMinutes }));
  return [...samples, ...ends];
}
