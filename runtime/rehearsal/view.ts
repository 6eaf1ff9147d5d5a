// The rehearsal's terminal view: a log of decisions as they are made (the planner's own log lines, in the original
// terminator's style), a live status block per tier (instances by version and state) when stdout is a terminal,
// and the summary at the end.
import { Policy } from "../core/types";
import { formatMinutes } from "./clock";
import { isInService, LocalInstance } from "./instance-lifecycle";
import { LocalFleet } from "./local-fleet";
import { RehearsalResult } from "./measurement";
import { RehearsalObserver, RunInfo } from "./rehearsal";
import { describeScenario, findScenario } from "./scenarios";

/** Instances per tier drawn one symbol each in the live view; larger tiers show their counts only. */
const MAX_SYMBOLS = 60;

export interface TerminalViewOptions {
  write: (text: string) => void;
  /** Redraw a live status block (only on a terminal). */
  live: boolean;
  color: boolean;
  /** Shown in the header. */
  speed: number;
}

/** Renders a run to a terminal (or a plain log when not a terminal). */
export class TerminalView implements RehearsalObserver {
  private statusLines = 0;
  private lastStatus: string[] = [];
  private readonly lastDecision = new Map<string, string>();
  private info?: RunInfo;
  private lastServing = "";

  constructor(private readonly options: TerminalViewOptions) {}

  start(info: RunInfo): void {
    this.info = info;
    const speed = Number.isFinite(this.options.speed) ? `${this.options.speed}× real time` : "as fast as possible";
    const lines = [
      this.bold(`phoenix rehearsal: ${info.scenario.name}`),
      `  ${describeScenario(info.scenario, info.instances, info.policy)}`,
      `  ${info.tiers.length} tiers × ${info.instances} instances · strategy ${info.strategy} · boot ${info.timing.bootSeconds / 60} min ±${Math.round(
        info.timing.bootJitter * 100,
      )}% · ${triggerText(info.mode, info.followUps)} · ${policyText(info.policy)} · seed ${info.seed} · ${speed}`,
      "",
    ];
    this.options.write(`${lines.join("\n")}\n`);
  }

  log(atMs: number, source: string, line: string): void {
    // The planner logs every group on every sweep; repeat a group's line only when its decision changed.
    const group = /^(\S+) => /.exec(line)?.[1];
    if (group !== undefined) {
      if (this.lastDecision.get(group) === line) return;
      this.lastDecision.set(group, line);
    }
    const text = `${this.dim(formatMinutes(atMs))} ${this.dim(source.padEnd(15))} ${this.highlight(line)}`;
    this.above(text);
  }

  fleet(atMs: number, fleet: LocalFleet): void {
    if (!this.options.live) {
      // A log, not a screen: one line whenever what is in service changes.
      const serving = fleet.groups.map((g) => {
        const counts = new Map<string, number>();
        for (const i of g.instances.filter(isInService))
          counts.set(i.version ?? "none", (counts.get(i.version ?? "none") ?? 0) + 1);
        const parts = [...counts].map(([v, n]) => `${v} ×${n}`).join(", ");
        return `${g.tier} ${counts.size ? [...counts.values()].reduce((a, b) => a + b) : 0}/${g.desiredCapacity} in service${parts ? ` (${parts})` : ""}`;
      });
      const text = serving.join(" · ");
      if (text !== this.lastServing) {
        this.lastServing = text;
        this.options.write(`${this.dim(formatMinutes(atMs))} ${this.dim("fleet".padEnd(15))} ${text}\n`);
      }
      return;
    }
    const lines = [this.dim(`── ${formatMinutes(atMs)} ${"─".repeat(60)}`)];
    for (const group of fleet.groups) lines.push(this.tierLine(group.tier, group.desiredCapacity, group.instances));
    this.lastStatus = lines;
    this.redraw();
  }

  /** Clears the live block and prints the summary. */
  end(result: RehearsalResult, extra: string[] = []): void {
    this.clearStatus();
    if (this.options.live && this.lastStatus.length > 0) this.options.write(`${this.lastStatus.join("\n")}\n`);
    this.statusLines = 0;
    this.options.write(`\n${formatSummary(result, (s) => this.bold(s)).join("\n")}\n`);
    for (const line of extra) this.options.write(`${line}\n`);
  }

  private tierLine(tier: string, desired: number, instances: LocalInstance[]): string {
    const sorted = [...instances].sort((a, b) => a.launchTime - b.launchTime);
    const versions = [...new Set(sorted.map((i) => i.version ?? "none"))];
    const target = this.info?.scenario.expect.version;
    const symbol = (i: LocalInstance) => {
      const c = i.version === target ? "32" : "33";
      if (i.lifecycle === "Terminating") return this.paint("90", "×");
      if (isInService(i)) return this.paint(c, "●");
      if (i.target === "unhealthy" && i.appUp) return this.paint("31", "✕");
      return this.paint(c, "◌");
    };
    const byVersion = versions.map((v) => {
      const mine = sorted.filter((i) => (i.version ?? "none") === v);
      const serving = mine.filter(isInService).length;
      const booting = mine.filter(
        (i) => i.lifecycle !== "Terminating" && !isInService(i) && !(i.target === "unhealthy" && i.appUp),
      ).length;
      const failing = mine.filter((i) => i.lifecycle !== "Terminating" && i.target === "unhealthy" && i.appUp).length;
      const draining = mine.filter((i) => i.lifecycle === "Terminating").length;
      const parts = [
        serving ? `${serving} serving` : "",
        booting ? `${booting} booting` : "",
        failing ? `${failing} failing` : "",
        draining ? `${draining} draining` : "",
      ].filter((p) => p !== "");
      return `${v}: ${parts.join(", ") || "-"}`;
    });
    const inService = sorted.filter(isInService).length;
    // One symbol per instance while they fit on a line: a wrapped line would break redrawing the block in place.
    const symbols = sorted.length <= MAX_SYMBOLS ? `${sorted.map(symbol).join("")}  ` : "";
    return `  ${tier.padEnd(4)} ${symbols}in service ${inService}/${desired} · ${byVersion.join(" · ")}`;
  }

  private above(text: string): void {
    this.clearStatus();
    this.options.write(`${text}\n`);
    this.redraw();
  }

  private redraw(): void {
    if (!this.options.live) return;
    this.clearStatus();
    this.options.write(`${this.lastStatus.join("\n")}\n`);
    this.statusLines = this.lastStatus.length;
  }

  private clearStatus(): void {
    if (!this.options.live || this.statusLines === 0) return;
    // Up to the first line of the block, then erase to the end of the screen.
    this.options.write(`\x1b[${this.statusLines}F\x1b[J`);
    this.statusLines = 0;
  }

  private highlight(line: string): string {
    if (/[1-9]\d* instances? to terminate| terminated| replacing /.test(line)) return this.paint("1", line);
    if (/failed|did NOT/.test(line)) return this.paint("31", line);
    return line;
  }

  private paint(code: string, text: string): string {
    return this.options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private bold(text: string): string {
    return this.paint("1", text);
  }

  private dim(text: string): string {
    return this.paint("2", text);
  }
}

function triggerText(mode: RunInfo["mode"], followUps: boolean): string {
  return mode === "original"
    ? "sweeps every 5 min only (the original)"
    : mode === "on-healthy"
      ? "sweeps on schedule + whenever a target turns healthy (hypothetical trigger)"
      : `sweeps on schedule + launch/terminate events${followUps ? " + follow-ups" : ""}`;
}

function policyText(policy: Policy): string {
  const parts = [`floor ${policy.minHealthy}`];
  if (policy.minHealthyPercent > 0) parts.push(`≥${policy.minHealthyPercent}% healthy`);
  if (policy.maxPerSweep !== undefined) parts.push(`≤${policy.maxPerSweep} per sweep`);
  if (policy.maxInstanceAgeHours !== undefined) parts.push(`max age ${policy.maxInstanceAgeHours} h`);
  return parts.join(", ");
}

/** The end-of-run summary: outcome, time to converge, and per tier the lowest in-service count and the churn. */
export function formatSummary(result: RehearsalResult, bold: (s: string) => string = (s) => s): string[] {
  const lines = [bold(result.ok ? `✔ ${result.outcome}` : `✘ ${result.outcome}`)];
  // Ageing has no rollout to time: its findings say how long instances served past their limit. A region-loss drill
  // measures from the region's loss to the recovery serving the release; a stopped canary's return has its own lines.
  if (
    result.convergedAtMinutes !== undefined &&
    result.ageing === undefined &&
    result.canary?.stoppedAtMinutes === undefined
  ) {
    const what =
      findScenario(result.scenario)?.regionLoss !== undefined
        ? "time to serving"
        : result.scaleOut !== undefined
          ? "time for the rollout to converge"
          : "time to converge";
    lines.push(
      `  ${what}: ${result.convergedAtMinutes.toFixed(1)} simulated minutes = ` +
        `${(result.convergedAtMinutes / result.bootMinutes).toFixed(2)} boots of ${result.bootMinutes} min`,
    );
  }
  for (const finding of result.findings) lines.push(`  ${finding}`);
  lines.push(
    `  ${result.sweeps} sweeps over ${result.endedAtMinutes.toFixed(1)} simulated minutes` +
      (result.events > 0 ? ` (${result.events} instance events; those arriving together share a sweep)` : ""),
  );
  const header = [
    "tier",
    "desired",
    "floor",
    "lowest in service",
    "launched",
    "terminated: release",
    "sweep",
    "auto scaling",
  ];
  const rows = result.tiers.map((t) => [
    t.tier,
    String(t.desired),
    String(t.floor),
    String(t.lowestInService),
    String(t.launched),
    String(t.terminated.release),
    String(t.terminated.sweep),
    String(t.terminated.asgUnhealthy + t.terminated.scaleIn),
  ]);
  lines.push(...table([header, ...rows]).map((l) => `  ${l}`));
  for (const breach of result.breaches) lines.push(`  BELOW THE FLOOR at ${breach}`);
  return lines;
}

/** Left-aligned columns separated by two spaces. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? "")].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell + " ".repeat(widths[c] - [...cell].length))
      .join("  ")
      .trimEnd(),
  );
}
