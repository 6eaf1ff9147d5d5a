// What a rehearsal is asked to do (the scenario, the fleet, the policy, the triggers, where to write), what it tells an
// observer as it goes, and the checks that refuse, before anything runs, options that contradict themselves or could
// never do anything.
import { DEFAULT_STRATEGY, LIMITS, rolloutAlarmNames } from "../contract";
import { UsageError } from "../core/errors";
import { checkpointsProblem } from "../core/planner";
import { DEFAULT_POLICY, Policy, Strategy } from "../core/types";
import { FleetTiming } from "./instance-lifecycle";
import type { LocalFleet } from "./local-fleet";
import { Scenario } from "./scenarios";
import type { TriggerMode } from "./triggers";

/** What to rehearse and how: the scenario, the fleet, the policy, the triggers and where to write. */
export interface RehearsalOptions {
  scenario: string;
  /** Instances per tier, 1 to MAX_INSTANCES_PER_TIER. @default the scenario's */
  instances?: number;
  /** Minutes from launch until an instance's app answers. @default 6 */
  bootMinutes?: number;
  /** The policy's minHealthy. @default 1 */
  floor?: number;
  /** The policy's minHealthyPercent. @default 0 */
  floorPercent?: number;
  maxPerSweep?: number;
  /** The policy's strategy; `original` mode always replaces. @default the planner's default (or the group's tag) */
  strategy?: Strategy;
  /** @default 1 */
  seed?: number;
  /** @default "phoenix" */
  mode?: TriggerMode;
  /** Minutes between scheduled sweeps. @default 5 */
  scheduleMinutes?: number;
  /** `phoenix` mode: delayed follow-up sweeps through the (simulated) SQS delay queue, as deployed. @default true */
  followUps?: boolean;
  /** Seconds from a sweep to the follow-up it schedules (PHOENIX_FOLLOW_UP_DELAY_SECONDS). @default 15 */
  followUpSeconds?: number;
  /** The policy's checkpoints (percentages, increasing, ending in 100). @default the scenario's, else [100] */
  checkpoints?: number[];
  /** The policy's bakeMinutes: each checkpoint's bake. @default the scenario's, else 0 */
  bakeMinutes?: number;
  /** Simulated seconds per wall-clock second; Infinity runs as fast as the machine allows. @default Infinity */
  speed?: number;
  /** Directory for the release store, the builds, the sweep and metric logs; a previous run's files are replaced. */
  workDir: string;
  /** Where to write the SVG chart; none when undefined. */
  chartPath?: string;
  /** Overrides of the fleet's timing. */
  timing?: Partial<FleetTiming>;
  /** Sees the run as it happens (the terminal view). */
  observer?: RehearsalObserver;
}

/** How a run reports as it goes; every method is optional. Times are simulated ms since minute zero. */
export interface RehearsalObserver {
  start?(info: RunInfo): void;
  /** One line of the run's log: a decision, an action, a termination. */
  log?(atMs: number, source: string, line: string): void;
  /** The fleet after something happened on it. */
  fleet?(atMs: number, fleet: LocalFleet): void;
}

/** What a run is about to do, for its header. */
export interface RunInfo {
  scenario: Scenario;
  mode: TriggerMode;
  policy: Policy;
  timing: FleetTiming;
  instances: number;
  tiers: string[];
  seed: number;
  /** Whether sweeps schedule delayed follow-ups, as the deployed Lambda does. */
  followUps: boolean;
  /** The strategy the run uses and why: "surge (the planner's default)", "replace (--mode original)", ... */
  strategy: string;
}

/** The most instances per tier a rehearsal runs: 2000 in all, the fleet the sweep bench measures. */
export const MAX_INSTANCES_PER_TIER = 1000;

/** Refuses, before anything runs, a combination that contradicts itself or a run that could never do anything. */
export function checkOptions(scenario: Scenario, options: RehearsalOptions): void {
  const instances = options.instances ?? scenario.instances;
  if (!Number.isInteger(instances) || instances < 1 || instances > MAX_INSTANCES_PER_TIER) {
    throw new UsageError(
      `--instances must be a whole number from 1 to ${MAX_INSTANCES_PER_TIER} (got ${instances}); ` +
        `${2 * MAX_INSTANCES_PER_TIER} instances in all is the largest fleet the rehearsal runs`,
    );
  }
  if (options.mode === "original" && options.strategy === "surge") {
    throw new UsageError(
      "--mode original rehearses the original system, which only replaced in place, but --strategy surge asks for " +
        "phoenix's surge; drop one of them",
    );
  }
  if (options.mode === "original" && options.strategy === undefined && scenario.policy?.strategy === "surge") {
    throw new UsageError(
      `--mode original rehearses the original system, which only replaced in place, but the ${scenario.name} ` +
        "scenario surges; drop --mode original, or add --strategy replace to replace in place",
    );
  }
  checkGates(options);
  if (options.floor !== undefined && options.floor > instances) {
    throw new UsageError(
      `--floor ${options.floor} is more than the ${instances} instances per tier: no instance could ever be ` +
        `replaced; give --floor ${instances} or less, or --instances ${options.floor} or more`,
    );
  }
}

/** Checkpoints and a bake the planner accepts, and none asked of the original system, which had neither. */
function checkGates(options: RehearsalOptions): void {
  const { checkpoints, bakeMinutes } = options;
  const problem = checkpoints === undefined ? undefined : checkpointsProblem(checkpoints);
  if (problem !== undefined) {
    throw new UsageError(
      `--checkpoints ${String(checkpoints) || "(none)"} ${problem.replace(/, e\.g\. .*$/, "")}; give comma-separated ` +
        "whole percentages, e.g. --checkpoints 10,50,100",
    );
  }
  const { min, max } = LIMITS.bakeMinutes;
  if (bakeMinutes !== undefined && !(Number.isInteger(bakeMinutes) && bakeMinutes >= min && bakeMinutes <= max)) {
    throw new UsageError(`--bake must be a whole number of minutes from ${min} to ${max} (got ${bakeMinutes})`);
  }
  if (options.mode === "original" && (checkpoints !== undefined || bakeMinutes !== undefined)) {
    throw new UsageError(
      "--mode original rehearses the original system, which had no checkpoints or bakes, but " +
        `${checkpoints !== undefined ? "--checkpoints" : "--bake"} asks for them; drop one of them`,
    );
  }
}

/**
 * The policy a run's Lambda runs with: the defaults, the scenario's, the flags'. A scenario gated by rollout alarms
 * names each tier's own, as the deployed Lambda's policy does (config/policy.ts).
 */
export function runPolicy(
  scenario: Scenario,
  options: RehearsalOptions,
  mode: TriggerMode,
  run: { environment: string; tiers: string[] },
): Policy {
  const policy: Policy = {
    ...DEFAULT_POLICY,
    ...scenario.policy,
    minHealthy: options.floor ?? (mode === "original" ? 1 : DEFAULT_POLICY.minHealthy),
    minHealthyPercent: options.floorPercent ?? DEFAULT_POLICY.minHealthyPercent,
    ...(options.maxPerSweep !== undefined && { maxPerSweep: options.maxPerSweep }),
    ...(options.checkpoints !== undefined && { checkpoints: [...options.checkpoints] }),
    ...(options.bakeMinutes !== undefined && { bakeMinutes: options.bakeMinutes }),
  };
  // checkOptions has refused surge with the original mode, which only ever replaced.
  const strategy = mode === "original" ? "replace" : options.strategy;
  if (strategy !== undefined) policy.strategy = strategy;
  if (scenario.alarms === true) {
    const alarms = (tier: string) => Object.values(rolloutAlarmNames(run.environment, tier));
    policy.tiers = Object.fromEntries(run.tiers.map((t) => [t, { rolloutAlarms: alarms(t) }]));
  }
  return policy;
}

/** The strategy a run uses and where it comes from. */
export function strategyText(scenario: Scenario, options: RehearsalOptions, mode: TriggerMode): string {
  if (mode === "original") return "replace (--mode original)";
  if (options.strategy !== undefined) return `${options.strategy} (--strategy)`;
  if (scenario.policy?.strategy !== undefined) return `${scenario.policy.strategy} (the scenario's)`;
  return `${DEFAULT_STRATEGY} (the planner's default)`;
}
