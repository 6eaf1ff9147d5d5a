// A tier's rollout policy from its config: what the rollout Lambda runs with (PHOENIX_POLICY) and what the tier's
// group is tagged with (`phoenix:policy`, so `phoenix plan`/`sweep` decide as the Lambda does). Fields at their
// defaults are left out, so a stack that keeps them keeps its tags.
import {
  alarmNameOf,
  DEFAULT_CHECKPOINTS,
  DEFAULT_DESIRED_VERSION_SOURCE,
  DesiredVersionSource,
  encodePolicyTag,
  rolloutAlarmNames,
} from "../runtime/contract";
import type { GroupPolicy } from "../runtime/core/types";
import type { TierConfig } from "./types";

/** AWS's bound on a tag value: a tier's `phoenix:policy` tag must fit in it. */
export const TAG_VALUE_MAX = 256;

/** The tier's policy: floor, limits, where its version comes from, its checkpoints, bake and rollout alarms. */
export function tierPolicy(tier: TierConfig, environment: string, desiredVersion: DesiredVersionSource): GroupPolicy {
  const stepped = tier.checkpoints.join(",") !== DEFAULT_CHECKPOINTS.join(",");
  return {
    minHealthy: tier.minHealthy,
    minHealthyPercent: tier.minHealthyPercent,
    ...(tier.maxPerSweep !== undefined && { maxPerSweep: tier.maxPerSweep }),
    ...(tier.maxInstanceAgeHours !== undefined && { maxInstanceAgeHours: tier.maxInstanceAgeHours }),
    ...(desiredVersion !== DEFAULT_DESIRED_VERSION_SOURCE && { desiredVersion }),
    ...(stepped && { checkpoints: [...tier.checkpoints] }),
    ...(tier.bakeMinutes > 0 && { bakeMinutes: tier.bakeMinutes }),
    rolloutAlarms: rolloutAlarmsOf(tier, environment),
    ...(tier.autoRollback && { autoRollback: true }),
  };
}

/** The names of a tier's rollout alarms: the two the program creates, then the stack's own. */
export function rolloutAlarmsOf(tier: Pick<TierConfig, "name" | "rolloutAlarms">, environment: string): string[] {
  const own = rolloutAlarmNames(environment, tier.name);
  return [own.errors, own.latency, ...tier.rolloutAlarms.map(alarmNameOf)];
}

/** Why the tier's policy tag would not fit on its group, or undefined when it does. */
export function policyTagProblem(policy: GroupPolicy): string | undefined {
  const length = encodePolicyTag(policy).length;
  return length <= TAG_VALUE_MAX
    ? undefined
    : `makes the group's phoenix:policy tag ${length} characters, more than the ${TAG_VALUE_MAX} AWS allows; use ` +
        "fewer or shorter alarm names, or fewer checkpoints";
}
