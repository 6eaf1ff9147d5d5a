// `phoenix rehearse`: a whole immutable rollout on this machine — local fleet, release store on disk, the real
// runtime deciding — with a live terminal view, a summary and an SVG chart. `npm start` runs the original scenario.
import { Command, Option } from "commander";
import * as path from "node:path";
import { UsageError } from "../core/errors";
import { limitFlag, wholeNumber } from "./flags";
import { LIMITS, STRATEGIES } from "../contract";
import { Strategy } from "../core/types";
import { MAX_INSTANCES_PER_TIER, runRehearsal } from "../rehearsal/rehearsal";
import { describeScenario, findScenario, SCENARIOS, scenarioNames } from "../rehearsal/scenarios";
import { TriggerMode } from "../rehearsal/triggers";
import { TerminalView } from "../rehearsal/view";
import { PROMOTE_SCENARIO, runPromotionRehearsal } from "../rehearsal/promotion";
import { formatMinutes } from "../rehearsal/clock";

/** The scenario ran but did not reach its expected outcome (a floor breached, no convergence, an unsafe stop). */
class RehearsalFailedError extends Error {
  override name = "RehearsalFailedError";
}

interface RehearseFlags {
  scenario: string;
  boot: number;
  floor?: number;
  floorPercent?: number;
  maxPerSweep?: number;
  instances?: number;
  speed: number;
  seed: number;
  mode: TriggerMode;
  strategy?: Strategy;
  schedule: number;
  followUp: number;
  followUps: boolean;
  checkpoints?: number[];
  bake?: number;
  chart?: string | false;
  dir?: string;
  json?: boolean;
}

/** Adds `rehearse` to the CLI. */
export function registerRehearseCommand(program: Command): void {
  program
    .command("rehearse")
    .description(
      "rehearse a rollout locally: loopback instances, a release store on disk, a simulated clock, and the real " +
        "planner, probes, release handler and sweep deciding",
    )
    .addOption(
      new Option("--scenario <name>", "what to rehearse")
        .choices([...scenarioNames(), PROMOTE_SCENARIO.name])
        .default("original"),
    )
    .addOption(
      new Option("--boot <minutes>", "minutes until a new instance serves").argParser(positive("--boot")).default(6),
    )
    .addOption(
      new Option("--floor <n>", "minimum healthy instances per tier (policy minHealthy)").argParser(
        wholeNumber("--floor", 0),
      ),
    )
    .addOption(
      new Option("--floor-percent <p>", "minimum healthy percent of desired capacity").argParser(
        wholeNumber("--floor-percent", 0, 100),
      ),
    )
    .addOption(
      new Option(
        "--max-per-sweep <n>",
        "terminations per group per sweep at most; 0 (the default) is unlimited",
      ).argParser(limitFlag("--max-per-sweep", "maxPerSweep")),
    )
    .addOption(
      new Option("--instances <n>", "instances per tier (default: the scenario's)").argParser(
        wholeNumber("--instances", 1, MAX_INSTANCES_PER_TIER),
      ),
    )
    .addOption(new Option("--speed <x>", "simulated seconds per real second, or `max`").argParser(speed).default(100))
    .addOption(
      new Option("--seed <n>", "seed for boot jitter and the schedule's phase")
        .argParser(wholeNumber("--seed", 0))
        .default(1),
    )
    .addOption(
      new Option(
        "--mode <mode>",
        "sweep triggers: phoenix (schedule + launch/terminate events + follow-ups, as deployed), original (the " +
          "system phoenix replaced: 5-min schedule only, replace, floor 1), on-healthy (phoenix's plus a sweep the " +
          "moment a target turns healthy, an event AWS does not emit: the physical limit)",
      )
        .choices(["phoenix", "original", "on-healthy"])
        .default("phoenix"),
    )
    .addOption(
      new Option(
        "--strategy <strategy>",
        "surge (launch first) or replace (terminate first); default: the scenario's, else the planner's (surge); " +
          "--mode original only replaces",
      ).choices(STRATEGIES),
    )
    .addOption(
      new Option("--schedule <minutes>", "minutes between scheduled sweeps")
        .argParser(positive("--schedule"))
        .default(5),
    )
    .addOption(
      new Option("--follow-up <seconds>", "phoenix mode: seconds from a waiting sweep to its follow-up sweep")
        .argParser(wholeNumber("--follow-up", LIMITS.followUpDelaySeconds.min, LIMITS.followUpDelaySeconds.max))
        .default(LIMITS.followUpDelaySeconds.fallback),
    )
    .option("--no-follow-ups", "phoenix mode: no follow-up sweeps through the delay queue (to measure without)")
    .addOption(
      new Option(
        "--checkpoints <list>",
        "percentages of each tier a rollout stops at, bakes and checks its alarms, comma-separated, increasing, " +
          "ending in 100, e.g. 10,50,100 (default: the scenario's, else 100: one step)",
      ).argParser(percentList),
    )
    .addOption(
      new Option(
        "--bake <minutes>",
        "minutes each checkpoint's new instances serve, all healthy, before the rollout goes past it (default: the " +
          "scenario's, else 0)",
      ).argParser(limitFlag("--bake", "bakeMinutes")),
    )
    .option("--chart <path>", "where to write the SVG chart (default: <dir>/rollout.svg)")
    .option("--no-chart", "do not draw the chart")
    .option("--dir <path>", "working directory for the release store and sweep log (default: .rehearsal/<scenario>)")
    .option("--json", "print the result as JSON (the last JSON object on stdout)")
    .addHelpText(
      "after",
      `\nScenarios:\n${SCENARIOS.map((s) => `  ${s.name.padEnd(14)} ${describeScenario(s)}`).join("\n")}\n` +
        `  ${PROMOTE_SCENARIO.name.padEnd(14)} ${PROMOTE_SCENARIO.summary} (uses --instances, --boot, --seed, ` +
        "--speed, --dir, --json)\n" +
        "\nExamples:\n  npm start -- --scenario surge-abort\n  npx phoenix rehearse --scenario large --instances 500 " +
        "--speed max\n  npx phoenix rehearse --scenario canary-alarm --instances 30 --checkpoints 100 --bake 5\n\nExit codes: 0 the scenario reached its expected outcome, 1 it did not, 2 bad flags or paths " +
        "(nothing ran).\n",
    )
    .action(async (flags: RehearseFlags) => {
      if (flags.scenario === PROMOTE_SCENARIO.name) return rehearsePromotion(flags);
      const scenario = findScenario(flags.scenario)!;
      const workDir = path.resolve(flags.dir ?? path.join(".rehearsal", scenario.name));
      const chartPath =
        flags.chart === false ? undefined : path.resolve(flags.chart ?? path.join(workDir, "rollout.svg"));
      const live = process.stdout.isTTY === true && !flags.json;
      const view = new TerminalView({
        write: (text) => (flags.json ? process.stderr : process.stdout).write(text),
        live,
        color: live && process.env.NO_COLOR === undefined,
        speed: flags.speed,
      });
      const result = await runRehearsal({
        scenario: scenario.name,
        bootMinutes: flags.boot,
        floor: flags.floor,
        floorPercent: flags.floorPercent,
        // 0 lifts the limit, as it does in the stack config and for plan and sweep: a policy leaves it out.
        ...(flags.maxPerSweep !== undefined && flags.maxPerSweep > 0 && { maxPerSweep: flags.maxPerSweep }),
        instances: flags.instances,
        speed: flags.speed,
        seed: flags.seed,
        mode: flags.mode,
        strategy: flags.strategy,
        scheduleMinutes: flags.schedule,
        followUps: flags.followUps,
        followUpSeconds: flags.followUp,
        checkpoints: flags.checkpoints,
        bakeMinutes: flags.bake,
        workDir,
        chartPath,
        observer: view,
      });
      const cwd = process.cwd();
      view.end(result, [
        ...(result.chartPath ? [`  chart: ${path.relative(cwd, result.chartPath)}`] : []),
        `  sweep log: ${path.relative(cwd, result.sweepLogPath)} (replay any decision: phoenix explain <file>)`,
      ]);
      if (flags.json) {
        const { timeline: _timeline, ...summary } = result;
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }
      if (!result.ok) throw new RehearsalFailedError(`rehearsal ${scenario.name}: ${result.outcome}`);
    });
}

/** `--scenario promote`: two environments and a promotion between them, told step by step as the run goes. */
async function rehearsePromotion(flags: RehearseFlags): Promise<void> {
  const out = flags.json ? process.stderr : process.stdout;
  const workDir = path.resolve(flags.dir ?? path.join(".rehearsal", PROMOTE_SCENARIO.name));
  out.write(`phoenix rehearsal: promote: ${PROMOTE_SCENARIO.summary}\n`);
  const result = await runPromotionRehearsal({
    workDir,
    instances: flags.instances,
    bootMinutes: flags.boot,
    seed: flags.seed,
    speed: flags.speed,
    log: (atMs, source, line) => out.write(`${formatMinutes(atMs)}  ${source.padEnd(5)} ${line}\n`),
  });
  const cwd = process.cwd();
  out.write(
    `\n${result.ok ? "ok" : "NOT as expected"}: ${result.outcome}\n` +
      Object.entries(result.sweepLogs)
        .map(([env, file]) => `  ${env} sweep log: ${path.relative(cwd, file)} (replay: phoenix explain <file>)\n`)
        .join(""),
  );
  if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  if (!result.ok) throw new RehearsalFailedError(`rehearsal promote: ${result.outcome}`);
}

function positive(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 1440) {
      throw new UsageError(`${flag} must be a number of minutes above 0 and at most 1440 (got '${value}')`);
    }
    return n;
  };
}

/** `10,50,100` as numbers; whether they make checkpoints is checkOptions' to say, with the rest of the run's options. */
function percentList(value: string): number[] {
  const parts = value.split(",").map((p) => p.trim());
  if (parts.some((p) => !/^\d{1,3}$/.test(p))) {
    throw new UsageError(`--checkpoints must be comma-separated whole percentages, e.g. 10,50,100 (got '${value}')`);
  }
  return parts.map(Number);
}

function speed(value: string): number {
  if (value === "max") return Number.POSITIVE_INFINITY;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--speed must be a positive number of simulated seconds per second, or max (got '${value}')`);
  }
  return n;
}
