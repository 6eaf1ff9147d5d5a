// The policy a sweep runs under: the fleet-wide policy with a tier's overrides, checked against the contract's
// LIMITS before any sweep uses it, and what it makes of one group (its healthy floor, its strategy).
import { DEFAULT_STRATEGY, DESIRED_VERSION_SOURCES, LIMITS, TAGS } from "../../contract";
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
  const override = policy.tiers?.[tier] ?? {};
  // Only defined keys override: a JSON round trip drops undefined, and a replayed sweep must decide the same.
  for (const key of ["minHealthy", "minHealthyPercent", "maxPerSweep", "maxInstanceAgeHours"] as const) {
    if (override[key] !== undefined) merged[key] = override[key];
  }
  if (override.strategy !== undefined) merged.strategy = override.strategy;
  if (override.maxSurgePercent !== undefined) merged.maxSurgePercent = override.maxSurgePercent;
  if (override.surgeStallMinutes !== undefined) merged.surgeStallMinutes = override.surgeStallMinutes;
  if (override.desiredVersion !== undefined) merged.desiredVersion = override.desiredVersion;
  return merged;
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
    if (p.strategy !== undefined && p.strategy !== "surge" && p.strategy !== "replace") {
      throw new UsageError(`${where}strategy is ${JSON.stringify(p.strategy)}; it must be "surge" or "replace"`);
    }
    if (p.desiredVersion !== undefined && !(DESIRED_VERSION_SOURCES as readonly string[]).includes(p.desiredVersion)) {
      throw new UsageError(
        `${where}desiredVersion is ${JSON.stringify(p.desiredVersion)}; it must be ` +
          `${DESIRED_VERSION_SOURCES.map((s) => JSON.stringify(s)).join(" or ")}`,
      );
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
