// The rollout benchmark: the original scenario (a release through web and API tiers) rehearsed on the local fleet
// with 6-minute boots, for 3 and 30 instances per tier: the original's triggers (5-minute schedule only, floor 1),
// phoenix's (schedule plus Auto Scaling launch/terminate events plus follow-up sweeps through the SQS delay queue, as
// deployed), the other strategy, and a 1-minute schedule (these without follow-ups, to compare).
// Figures are means over several seeds, because where the release lands in the schedule is chance.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RehearsalResult } from "../runtime/rehearsal/measurement";
import { MAX_INSTANCES_PER_TIER, runRehearsal } from "../runtime/rehearsal/rehearsal";
import { TriggerMode } from "../runtime/rehearsal/triggers";
import { DEFAULT_STRATEGY, LIMITS } from "../runtime/contract";
import { Strategy } from "../runtime/core/types";
import { table } from "../runtime/rehearsal/view";

const BOOT_MINUTES = 6;

interface Row {
  instances: number;
  mode: TriggerMode;
  /** Undefined: the planner's default. */
  strategy?: Strategy;
  scheduleMinutes: number;
  /** Follow-up sweeps through the delay queue (phoenix mode only). */
  followUps: boolean;
  label: string;
  seeds: number[];
}

const EVENTS = "launch/terminate events";
const FOLLOW_UP_SECONDS = LIMITS.followUpDelaySeconds.fallback;

const ROWS: Row[] = [3, 30].flatMap((instances): Row[] => {
  const seeds = instances === 3 ? [1, 2, 3, 4, 5, 6] : [1, 2, 3];
  const row = (
    mode: TriggerMode,
    strategy: Strategy | undefined,
    scheduleMinutes: number,
    label: string,
    followUps = false,
  ): Row => ({ instances, seeds, mode, strategy, scheduleMinutes, followUps, label });
  const other: Strategy = DEFAULT_STRATEGY === "surge" ? "replace" : "surge";
  return [
    row("original", "replace", 5, "(a) original: replace, 5-min schedule only"),
    row(
      "phoenix",
      undefined,
      5,
      `(b) phoenix defaults: ${DEFAULT_STRATEGY}, 5-min schedule + ${EVENTS} + ${FOLLOW_UP_SECONDS}-s follow-ups`,
      true,
    ),
    row("phoenix", other, 5, `${other}, 5-min schedule + ${EVENTS}`),
    row("phoenix", "replace", 1, `replace, 1-min schedule + ${EVENTS}`),
    row("phoenix", "surge", 1, `surge, 1-min schedule + ${EVENTS}`),
  ];
});

export async function rolloutBench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-rollout-bench-"));
  const started = Date.now();
  try {
    console.log(
      `\nrollout: the original scenario (web and API tiers, 1.0.266 → 1.0.274), ${BOOT_MINUTES}-minute boots ±10%, ` +
        "floor 1 (minHealthy 1); the real planner, probes, release handler and sweep on the " +
        "local fleet; mean over seeds (min–max)",
    );
    const lines: string[][] = [
      ["per tier", "strategy and triggers", "seeds", "rollout, in boots", "lowest in service", "launches per replaced"],
    ];
    for (const row of ROWS) {
      const results: RehearsalResult[] = [];
      for (const seed of row.seeds) {
        results.push(
          await runRehearsal({
            scenario: "original",
            instances: row.instances,
            bootMinutes: BOOT_MINUTES,
            floor: 1,
            mode: row.mode,
            strategy: row.strategy,
            scheduleMinutes: row.scheduleMinutes,
            followUps: row.followUps,
            followUpSeconds: FOLLOW_UP_SECONDS,
            seed,
            workDir: path.join(
              dir,
              `${row.instances}-${row.mode}-${row.strategy ?? "default"}-${row.scheduleMinutes}-${row.followUps}-${seed}`,
            ),
          }),
        );
      }
      const failed = results.filter((r) => !r.ok);
      if (failed.length > 0)
        throw new Error(`rollout bench: ${failed[0].scenario} did not converge: ${failed[0].outcome}`);
      const boots = results.map((r) => r.convergedAtMinutes! / r.bootMinutes);
      const lowest = results.map((r) => Math.min(...r.tiers.map((t) => t.lowestInService / t.desired)));
      const launches = results.map(
        (r) => r.tiers.reduce((n, t) => n + t.launched, 0) / r.tiers.reduce((n, t) => n + t.desired, 0),
      );
      lines.push([
        String(row.instances),
        row.label,
        String(row.seeds.length),
        `${mean(boots).toFixed(2)} (${Math.min(...boots).toFixed(2)}–${Math.max(...boots).toFixed(2)})`,
        `${percent(Math.min(...lowest))} (${Math.round(Math.min(...lowest) * row.instances)} of ${row.instances})`,
        mean(launches).toFixed(2),
      ]);
    }
    for (const line of table(lines)) console.log(`  ${line}`);
    console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s of wall time for all runs)`);
    await rehearsalAtScale(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The rehearsal itself at the largest fleet it runs (2 × 1000, the sweep bench's 2000): it must finish in a time a
 * person waits for. Events reaching the Lambda at one instant share a sweep; before that, sweeps grew with the fleet
 * and each probed every instance, and 2 × 500 did not finish in 5 minutes. The target is on CPU time, which other
 * work on a shared machine does not inflate; the wall time is printed beside it.
 */
async function rehearsalAtScale(dir: string): Promise<void> {
  const instances = MAX_INSTANCES_PER_TIER;
  const targetSeconds = 60;
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const result = await runRehearsal({ scenario: "large", instances, workDir: path.join(dir, "at-scale") });
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const ok = result.ok && cpuSeconds < targetSeconds;
  console.log(
    `  rehearsal at scale: large --instances ${instances} (2 × ${instances}) ${result.ok ? "converged" : "FAILED"} ` +
      `in ${(result.convergedAtMinutes! / result.bootMinutes).toFixed(2)} boots with ${result.sweeps} sweeps for ` +
      `${result.events} instance events; ${cpuSeconds.toFixed(1)} s of CPU (target < ${targetSeconds} s) ` +
      `${ok ? "ok" : "MISSED"}, ${((Date.now() - started) / 1000).toFixed(1)} s of wall time`,
  );
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}
