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
import type { PhoenixConfig, TierConfig } from "./types";

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

/**
 * Warnings about a stack's rollout gates that are valid but cannot do what they are there for: checkpoints (or an
 * automatic rollback) whose bake is no longer than the rollout alarms take to fire let a share pass its checkpoint
 * before an alarm over its traffic could go into ALARM, and with no bake the alarm window closes as the rollout
 * converges. One line per tier, naming the keys to change.
 */
export function rolloutGateWarnings(config: Pick<PhoenixConfig, "tiers" | "rollout">): string[] {
  const alarmMinutes = config.rollout.alarmMinutes;
  return Object.values(config.tiers).flatMap((tier) => {
    const stepped = tier.checkpoints.join(",") !== DEFAULT_CHECKPOINTS.join(",");
    if (!(stepped || tier.autoRollback) || tier.bakeMinutes > alarmMinutes) return [];
    const key = (suffix: string) => `phoenix:${tier.name}${suffix}`;
    const gate = stepped ? `${key("Checkpoints")} [${tier.checkpoints.join(", ")}]` : `${key("AutoRollback")}`;
    return [
      `${gate} with ${key("BakeMinutes")} ${tier.bakeMinutes}: its rollout alarms need ${alarmMinutes} minutes ` +
        `(phoenix:rolloutAlarmMinutes) of a share's traffic to fire, so the rollout can pass a checkpoint or finish ` +
        `before they could; set ${key("BakeMinutes")} above ${alarmMinutes} (live bakes 10)`,
    ];
  });
}
