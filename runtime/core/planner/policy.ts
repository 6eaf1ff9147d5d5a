// The policy a sweep runs under: the fleet-wide policy with a tier's overrides, checked against the contract's
// LIMITS before any sweep uses it, and what it makes of one group (its healthy floor, its strategy).
import {
  alarmProblem,
  DEFAULT_STRATEGY,
  DESIRED_VERSION_SOURCES,
  LIMITS,
  MAX_CHECKPOINTS,
  STRATEGIES,
  TAGS,
} from "../../contract";
import { UsageError } from "../errors";
import { DEFAULT_POLICY, GroupPolicy, GroupSnapshot, Policy, Strategy } from "../types";

/** The policy one tier runs under: the fleet-wide policy with that tier's overrides (undefined overrides nothing). */
export function effectivePolicy(policy: Policy, tier: string): GroupPolicy {
  const merged: GroupPolicy = {
    minHealthy: policy.minHealthy ?? DEFAULT_POLICY.minHealthy,
    minHealthyPercent: policy.minHealthyPercent ?? DEFAULT_POLICY.minHealthyPercent,
    maxPerSweep: policy.maxPerSweep,
    maxInstanceAgeHours: policy.maxInstanceAgeHours,
  };
  // The surge keys are added only when set, so a policy without them merges to exactly what it did before them.
  if (policy.strategy !== undefined) merged.strategy = policy.strategy;
  if (policy.maxSurgePercent !== undefined) merged.maxSurgePercent = policy.maxSurgePercent;
  if (policy.surgeStallMinutes !== undefined) merged.surgeStallMinutes = policy.surgeStallMinutes;
  if (policy.desiredVersion !== undefined) merged.desiredVersion = policy.desiredVersion;
  for (const key of ROLLOUT_GATE_KEYS) if (policy[key] !== undefined) Object.assign(merged, { [key]: policy[key] });
  const override = policy.tiers?.[tier] ?? {};
  // Only defined keys override: a JSON round trip drops undefined, and a replayed sweep must decide the same.
  for (const key of ["minHealthy", "minHealthyPercent", "maxPerSweep", "maxInstanceAgeHours"] as const) {
    if (override[key] !== undefined) merged[key] = override[key];
  }
  if (override.strategy !== undefined) merged.strategy = override.strategy;
  if (override.maxSurgePercent !== undefined) merged.maxSurgePercent = override.maxSurgePercent;
  if (override.surgeStallMinutes !== undefined) merged.surgeStallMinutes = override.surgeStallMinutes;
  if (override.desiredVersion !== undefined) merged.desiredVersion = override.desiredVersion;
  for (const key of ROLLOUT_GATE_KEYS) if (override[key] !== undefined) Object.assign(merged, { [key]: override[key] });
  return merged;
}

/** The checkpoint and alarm keys, merged like the surge keys: only when set. */
const ROLLOUT_GATE_KEYS = ["checkpoints", "bakeMinutes", "rolloutAlarms", "autoRollback"] as const;

/** Why a list of checkpoints cannot be used, or undefined: whole percents 1-100, increasing, ending in 100. */
export function checkpointsProblem(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_CHECKPOINTS) {
    return `must be a list of 1 to ${MAX_CHECKPOINTS} percentages ending in 100, e.g. [10, 50, 100]`;
  }
  if (value.some((v) => typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 100)) {
    return "must hold whole percentages from 1 to 100";
  }
  if (value.some((v, i) => i > 0 && (v as number) <= (value[i - 1] as number))) {
    return "must increase: each checkpoint a larger share of the group than the one before";
  }
  if (value[value.length - 1] !== 100) return "must end in 100: the last checkpoint is the whole group";
  return undefined;
}

/**
 * Throws UsageError naming the first field of a policy (or tier override) that a sweep cannot work with. Bounds are
 * the contract's LIMITS; in a policy an unset maxPerSweep is unlimited and an unset maxInstanceAgeHours is off, so
 * 0 there means what it says (no terminations; every instance too old) and only the stack config and flags read 0
 * as "unlimited" or "off".
 */
export function validatePolicy(policy: Policy): void {
  const check = (where: string, p: Partial<GroupPolicy>) => {
    for (const key of ["minHealthy", "minHealthyPercent", "maxPerSweep", "maxSurgePercent"] as const) {
      const value = p[key];
      const { min, max } = LIMITS[key];
      if (
        value !== undefined &&
        (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
      ) {
        throw new UsageError(
          `${where}${key} is ${JSON.stringify(value)}; it must be a whole number from ${min} to ${max}`,
        );
      }
    }
    if (p.strategy !== undefined && !(STRATEGIES as readonly string[]).includes(p.strategy)) {
      throw new UsageError(
        `${where}strategy is ${JSON.stringify(p.strategy)}; it must be ${STRATEGIES.map((s) => JSON.stringify(s)).join(" or ")}`,
      );
    }
    if (p.desiredVersion !== undefined && !(DESIRED_VERSION_SOURCES as readonly string[]).includes(p.desiredVersion)) {
      throw new UsageError(
        `${where}desiredVersion is ${JSON.stringify(p.desiredVersion)}; it must be ` +
          `${DESIRED_VERSION_SOURCES.map((s) => JSON.stringify(s)).join(" or ")}`,
      );
    }
    const checkpoints = p.checkpoints === undefined ? undefined : checkpointsProblem(p.checkpoints);
    if (checkpoints !== undefined) {
      throw new UsageError(`${where}checkpoints is ${JSON.stringify(p.checkpoints)}; it ${checkpoints}`);
    }
    const bake = p.bakeMinutes === undefined ? undefined : limitWords("bakeMinutes", p.bakeMinutes);
    if (bake !== undefined) throw new UsageError(`${where}bakeMinutes is ${JSON.stringify(p.bakeMinutes)}; it ${bake}`);
    if (p.autoRollback !== undefined && typeof p.autoRollback !== "boolean") {
      throw new UsageError(`${where}autoRollback is ${JSON.stringify(p.autoRollback)}; it must be true or false`);
    }
    if (p.rolloutAlarms !== undefined) {
      if (!Array.isArray(p.rolloutAlarms) || p.rolloutAlarms.some((a) => typeof a !== "string")) {
        throw new UsageError(`${where}rolloutAlarms is ${JSON.stringify(p.rolloutAlarms)}; it must be a list of names`);
      }
      for (const name of p.rolloutAlarms) {
        const problem = name.startsWith("arn:") ? "must be a name, not an ARN" : alarmProblem(name);
        if (problem !== undefined) {
          throw new UsageError(`${where}rolloutAlarms holds ${JSON.stringify(name)}, which ${problem}`);
        }
      }
    }
    for (const [key, unit] of [
      ["surgeStallMinutes", "minutes"],
      ["maxInstanceAgeHours", "hours"],
    ] as const) {
      const value = p[key];
      const { max } = LIMITS[key];
      if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > max)) {
        throw new UsageError(
          `${where}${key} is ${JSON.stringify(value)}; it must be a positive number of ${unit} up to ${max}, or unset`,
        );
      }
    }
  };
  check("policy ", policy);
  for (const tier of Object.keys(policy.tiers ?? {}).sort()) {
    check(`policy for tier ${tier}: `, policy.tiers![tier]);
  }
}

function limitWords(name: "bakeMinutes", value: unknown): string | undefined {
  const { min, max } = LIMITS[name];
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? undefined
    : `must be a whole number of minutes from ${min} to ${max}`;
}

/** Fewest healthy instances a sweep may leave: max(minHealthy, ceil(desiredCapacity × minHealthyPercent / 100)). */
export function floorFor(desiredCapacity: number, p: GroupPolicy): number {
  // desiredCapacity × percent is a whole number for whole percents, so the division is rounded up exactly.
  return Math.max(p.minHealthy, Math.ceil((desiredCapacity * p.minHealthyPercent) / 100));
}

/** The strategy a group runs under: the policy's (CLI flag or tier override), else the group's tag, else default. */
export function strategyFor(group: Pick<GroupSnapshot, "tags">, p: Pick<GroupPolicy, "strategy">): Strategy {
  if (p.strategy !== undefined) return p.strategy;
  const tag = group.tags?.[TAGS.strategy];
  return tag === "surge" || tag === "replace" ? tag : DEFAULT_STRATEGY;
}
