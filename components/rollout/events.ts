// What EventBridge delivers to the rollout Lambda besides its schedule: this environment's instance launches and
// terminations, and its rollout alarms going into ALARM (so a rollout stops within seconds of an alarm, not at the
// next sweep). The patterns are pure functions; the rules and targets are made in triggers.ts.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RolloutArgs } from "./args";

/** The EventBridge pattern of this environment's instance launches and terminations. */
export function instanceEventPattern(groupNames: string[]): Record<string, unknown> {
  return {
    source: ["aws.autoscaling"],
    "detail-type": ["EC2 Instance Launch Successful", "EC2 Instance Terminate Successful"],
    detail: { AutoScalingGroupName: [...groupNames].sort() },
  };
}

/** The EventBridge pattern of the rollout alarms entering ALARM (CloudWatch sends every state change). */
export function alarmEventPattern(alarmNames: string[]): Record<string, unknown> {
  return {
    source: ["aws.cloudwatch"],
    "detail-type": ["CloudWatch Alarm State Change"],
    detail: { alarmName: [...new Set(alarmNames)].sort(), state: { value: ["ALARM"] } },
  };
}

/** Every tier's rollout alarms and the environment's, once each, sorted: what the role may read and the rule hears. */
export function rolloutAlarmsOf(args: Pick<RolloutArgs, "policy" | "tiers">): string[] {
  const names = [...(args.policy.rolloutAlarms ?? []), ...args.tiers.flatMap((t) => t.policy?.rolloutAlarms ?? [])];
  return [...new Set(names)].sort();
}

/** True when some tier (or the environment) rolls back automatically: the role may then write the manifest. */
export function rollsBack(args: Pick<RolloutArgs, "policy" | "tiers">): boolean {
  return args.policy.autoRollback === true || args.tiers.some((t) => t.policy?.autoRollback === true);
}

/** The rule that hears the rollout alarms enter ALARM (triggers.ts points it at the function). */
export function alarmEventRule(
  name: string,
  environment: string,
  alarmNames: string[],
  tags: Record<string, string>,
  parent: pulumi.Resource,
): aws.cloudwatch.EventRule {
  return new aws.cloudwatch.EventRule(
    `${name}-alarm-events`,
    {
      description: `phoenix ${environment}: sweep when a rollout alarm enters ALARM`,
      eventPattern: JSON.stringify(alarmEventPattern(alarmNames)),
      tags,
    },
    { parent },
  );
}
