// The rollout benchmarks: the original scenario (a release through web and API tiers) rehearsed on the local fleet
// with 6-minute boots, for 3 and 30 instances per tier. Figures are means over several seeds, because where the
// release lands in the schedule is chance.
//
// `rollout`: the original's triggers (5-minute schedule only, floor 1), phoenix's (schedule plus Auto Scaling
// launch/terminate events plus follow-up sweeps through the SQS delay queue, as deployed), the other strategy, and a
// 1-minute schedule (these without follow-ups, to compare). Target: phoenix's defaults in at most 1.3 boots with
// every instance serving.
//
// `rollout` then prints the canary rows (canary.ts): checkpoints, bakes and rollout alarms against a good release
// and a bad one, with their target, and runs the rehearsal itself at the largest fleet it takes (2 × 1000), against
// a CPU-time target.
//
// `follow-up`: the follow-up queue's delay against no follow-ups and against a sweep the moment a target turns
// healthy (an event AWS does not emit: the physical limit). Target: the default delay within 0.05 boots of it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MAX_INSTANCES_PER_TIER, RehearsalOptions, runRehearsal } from "../runtime/rehearsal/rehearsal";
import { RehearsalResult } from "../runtime/rehearsal/measurement";
import { DEFAULT_STRATEGY, LIMITS } from "../runtime/contract";
import { Strategy } from "../runtime/core/types";
import { table } from "../runtime/rehearsal/view";
import { canaryBench } from "./canary";
import { mark, mean, spread, Target } from "./targets";

const BOOT_MINUTES = 6;
const EVENTS = "launch/terminate events";
const FOLLOW_UP_SECONDS = LIMITS.followUpDelaySeconds.fallback;
/** phoenix's defaults must roll out in at most this many boot times. */
const ROLLOUT_TARGET_BOOTS = 1.3;
/** The rehearsal of 2 × 1000 instances must converge about as fast as the small fleets do. */
const ROLLOUT_AT_SCALE_TARGET_BOOTS = 1.35;
/** The default follow-up delay must be within this many boot times of a sweep on every healthy target. */
const FOLLOW_UP_TARGET_BOOTS = 0.05;

/** One configuration rehearsed over several seeds. */
interface Row {
  instances: number;
  label: string;
  seeds: number[];
  options: Pick<RehearsalOptions, "mode" | "strategy" | "scheduleMinutes" | "followUps" | "followUpSeconds">;
}

/** What a row's runs add up to. */
interface Figures {
  /** Rollout in boot times, per seed. */
  boots: number[];
  /** The fewest in service as a fraction of desired, over every run and tier. */
  lowest: number;
  launchesPerReplaced: number;
  followUps: number;
}

export async function rolloutBench(): Promise<Target[]> {
  console.log(
    `\n## rollout: the original scenario (web and API tiers, 1.0.266 → 1.0.274), ${BOOT_MINUTES}-minute boots ±10%, ` +
      "floor 1 (minHealthy 1); the real planner, probes, release handler and sweep on the local fleet; mean over " +
      "seeds (min–max)",
  );
  const other: Strategy = DEFAULT_STRATEGY === "surge" ? "replace" : "surge";
  const rows = [3, 30].flatMap((instances): (Row & { target?: boolean })[] => {
    const seeds = instances === 3 ? [1, 2, 3, 4, 5, 6] : [1, 2, 3];
    const row = (label: string, options: Row["options"], target = false) => ({
      instances,
      seeds,
      label,
      options,
      target,
    });
    return [
      row("(a) original: replace, 5-min schedule only", {
        mode: "original",
        strategy: "replace",
        scheduleMinutes: 5,
        followUps: false,
      }),
      row(
        `(b) phoenix defaults: ${DEFAULT_STRATEGY}, 5-min schedule + ${EVENTS} + ${FOLLOW_UP_SECONDS}-s follow-ups`,
        { mode: "phoenix", scheduleMinutes: 5, followUps: true, followUpSeconds: FOLLOW_UP_SECONDS },
        true,
      ),
      // The rest without follow-ups, to show what the schedule and the events do alone.
      row(`${other}, 5-min schedule + ${EVENTS}`, {
        mode: "phoenix",
        strategy: other,
        scheduleMinutes: 5,
        followUps: false,
      }),
      row(`replace, 1-min schedule + ${EVENTS}`, {
        mode: "phoenix",
        strategy: "replace",
        scheduleMinutes: 1,
        followUps: false,
      }),
      row(`surge, 1-min schedule + ${EVENTS}`, {
        mode: "phoenix",
        strategy: "surge",
        scheduleMinutes: 1,
        followUps: false,
      }),
    ];
  });
  const lines = [["per tier", "strategy and triggers", "seeds", "rollout, in boots", "lowest in service", "launches"]];
  const targets: Target[] = [];
  const took = await inScratch("phoenix-rollout-bench-", async (dir) => {
    for (const row of rows) {
      const f = await rehearse(row, dir);
      const target = row.target ? mean(f.boots) <= ROLLOUT_TARGET_BOOTS && f.lowest === 1 : undefined;
      if (target !== undefined) {
        targets.push({
          what: `${row.instances} per tier, phoenix defaults: ${mean(f.boots).toFixed(2)} boots (<= ${ROLLOUT_TARGET_BOOTS}), ${percent(f.lowest)} in service (100 %)`,
          ok: target,
        });
      }
      lines.push([
        String(row.instances),
        row.label,
        String(row.seeds.length),
        `${spread(f.boots)}${target === undefined ? "" : `  target <= ${ROLLOUT_TARGET_BOOTS}, 100 %: ${mark(target)}`}`,
        `${percent(f.lowest)} (${Math.round(f.lowest * row.instances)} of ${row.instances})`,
        f.launchesPerReplaced.toFixed(2),
      ]);
    }
  });
  for (const line of table(lines)) console.log(`  ${line}`);
  console.log(took);
  console.log(
    await inScratch("phoenix-rollout-canary-", async (dir) => {
      targets.push(...(await canaryBench(dir)));
    }),
  );
  await inScratch("phoenix-rollout-at-scale-", async (dir) => {
    targets.push(...(await rehearsalAtScale(dir)));
  });
  return targets;
}

/**
 * The rehearsal itself at the largest fleet it runs (2 × 1000, the sweep bench's 2000): it must finish in a time a
 * person waits for. Events reaching the Lambda at one instant share a sweep; before that, sweeps grew with the fleet
 * and each probed every instance, and 2 × 500 did not finish in 5 minutes. The target is on CPU time, which other
 * work on a shared machine does not inflate; the wall time is printed beside it.
 */
async function rehearsalAtScale(dir: string): Promise<Target[]> {
  const instances = MAX_INSTANCES_PER_TIER;
  const targetSeconds = 60;
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const result = await runRehearsal({ scenario: "large", instances, workDir: path.join(dir, "at-scale") });
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const boots = result.ok ? result.convergedAtMinutes! / result.bootMinutes : Number.POSITIVE_INFINITY;
  const cpuOk = result.ok && cpuSeconds < targetSeconds;
  // As fast as the small fleets: a probe that times out on a busy CPU (not on its instance) leaves its group
  // unstable for a sweep, and at 2000 instances that showed as 1.40-1.74 boots.
  const bootsOk = boots <= ROLLOUT_AT_SCALE_TARGET_BOOTS;
  console.log(
    `  rehearsal at scale: large --instances ${instances} (2 × ${instances}) ${result.ok ? "converged" : "FAILED"} ` +
      `in ${boots.toFixed(2)} boots (target <= ${ROLLOUT_AT_SCALE_TARGET_BOOTS}) ${mark(bootsOk)} with ` +
      `${result.sweeps} sweeps for ${result.events} instance events; ${cpuSeconds.toFixed(1)} s of CPU (target < ` +
      `${targetSeconds} s) ${mark(cpuOk)}, ${((Date.now() - started) / 1000).toFixed(1)} s of wall time`,
  );
  return [
    {
      what: `rehearsal at scale, 2 × ${instances}: ${result.ok ? "converged" : "did not converge"}, ${cpuSeconds.toFixed(1)} s of CPU < ${targetSeconds} s`,
      ok: cpuOk,
    },
    {
      what: `rehearsal at scale, 2 × ${instances}: ${boots.toFixed(2)} boots <= ${ROLLOUT_AT_SCALE_TARGET_BOOTS}`,
      ok: bootsOk,
    },
  ];
}

export async function followUpBench(): Promise<Target[]> {
  console.log(
    `\n## follow-up: the delay between a sweep that waits on a booting instance and its follow-up sweep; the ` +
      `original scenario, ${BOOT_MINUTES}-minute boots ±10%, floor 1, phoenix's defaults otherwise; mean over seeds 1–6`,
  );
  const seeds = [1, 2, 3, 4, 5, 6];
  const delays = [10, FOLLOW_UP_SECONDS, 30];
  const lines = [["per tier", "trigger", "rollout, in boots", "follow-ups per rollout", ""]];
  const targets: Target[] = [];
  const took = await inScratch("phoenix-follow-up-bench-", async (dir) => {
    for (const instances of [3, 30]) {
      const rows: Row[] = [
        ...delays.map((seconds): Row => ({
          instances,
          seeds,
          label: `--follow-up ${seconds}${seconds === FOLLOW_UP_SECONDS ? " (the default)" : ""}`,
          options: { mode: "phoenix", followUps: true, followUpSeconds: seconds },
        })),
        { instances, seeds, label: "--no-follow-ups", options: { mode: "phoenix", followUps: false } },
        { instances, seeds, label: "--mode on-healthy (the limit)", options: { mode: "on-healthy", followUps: false } },
      ];
      const figures: Figures[] = [];
      for (const row of rows) figures.push(await rehearse(row, dir));
      const limit = mean(figures.at(-1)!.boots);
      rows.forEach((row, i) => {
        const boots = mean(figures[i].boots);
        const isDefault = row.options.followUps === true && row.options.followUpSeconds === FOLLOW_UP_SECONDS;
        const ok = boots - limit <= FOLLOW_UP_TARGET_BOOTS;
        if (isDefault) {
          targets.push({
            what: `${instances} per tier, ${FOLLOW_UP_SECONDS}-s follow-ups: ${boots.toFixed(2)} boots, ${(boots - limit).toFixed(2)} from the limit ${limit.toFixed(2)} (<= ${FOLLOW_UP_TARGET_BOOTS})`,
            ok,
          });
        }
        lines.push([
          String(instances),
          row.label,
          spread(figures[i].boots),
          figures[i].followUps.toFixed(0),
          isDefault ? `target within ${FOLLOW_UP_TARGET_BOOTS} of the limit: ${mark(ok)}` : "",
        ]);
      });
    }
  });
  for (const line of table(lines)) console.log(`  ${line}`);
  console.log(took);
  return targets;
}

/** Rehearses one row over its seeds; throws when a run did not converge, which no row expects. */
async function rehearse(row: Row, dir: string): Promise<Figures> {
  const results: RehearsalResult[] = [];
  for (const seed of row.seeds) {
    const name = `${row.instances}-${Object.values(row.options).join("-")}-${seed}`;
    results.push(
      await runRehearsal({
        scenario: "original",
        instances: row.instances,
        bootMinutes: BOOT_MINUTES,
        floor: 1,
        seed,
        ...row.options,
        workDir: path.join(dir, name),
      }),
    );
  }
  const failed = results.find((r) => !r.ok);
  if (failed) throw new Error(`${row.label}, ${row.instances} per tier: did not converge: ${failed.outcome}`);
  return {
    boots: results.map((r) => r.convergedAtMinutes! / r.bootMinutes),
    lowest: Math.min(...results.flatMap((r) => r.tiers.map((t) => t.lowestInService / t.desired))),
    launchesPerReplaced: mean(
      results.map((r) => r.tiers.reduce((n, t) => n + t.launched, 0) / r.tiers.reduce((n, t) => n + t.desired, 0)),
    ),
    followUps: mean(results.map((r) => r.followUps)),
  };
}

/** Runs `fn` in a fresh temporary directory, removed afterwards; returns the wall time it took, as text. */
async function inScratch(prefix: string, fn: (dir: string) => Promise<void>): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const started = Date.now();
  try {
    await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return `  (${((Date.now() - started) / 1000).toFixed(1)} s of wall time for all runs)`;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}
