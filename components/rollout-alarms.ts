// The alarms a rollout is gated on, per tier: the target 5xx rate over the tier's target group, and its average target
// response time. They are the rollout's inputs, not pages: an alarm in ALARM stops the rollout (and past a checkpoint
// rolls it back), and the alarm that says so to the alert topic is the tier's RolloutRollbacks alarm, made here too,
// so a bad release costs one message. Their names come from the contract (rolloutAlarmNames), so the rollout role,
// the Lambda's policy and `phoenix sweep` know them without reading any output.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  Dimension,
  environmentTags,
  limitProblem,
  LIMITS,
  METRICS_NAMESPACE,
  MetricName,
  rolloutAlarmNames,
} from "../runtime/contract";

/** One tier's alarm inputs. */
export interface RolloutAlarmTier {
  /** Tier name (`web`, `api`): the alarms' names and the `Tier` dimension of the rollback metric. */
  name: string;
  /** The tier's target group ARN suffix (`targetgroup/<name>/<id>`), the ALB metrics' `TargetGroup` dimension. */
  targetGroupArnSuffix: pulumi.Input<string>;
  /** Target 5xx responses, in percent of the tier's requests, that put the 5xx alarm in ALARM. @default 1 (LIMITS) */
  errorPercent?: number;
  /** Average target response time, in milliseconds, that puts the latency alarm in ALARM. @default 2000 (LIMITS) */
  responseTimeMs?: number;
}

export interface RolloutAlarmsArgs {
  /** Environment (stack) name: the alarms' names and the `Environment` dimension. */
  environment: string;
  /** The tiers to watch. */
  tiers: RolloutAlarmTier[];
  /** The load balancer's ARN suffix (`app/<name>/<id>`), the ALB metrics' `LoadBalancer` dimension. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** Where the rollback alarm notifies (Alerts.topicArn). */
  alarmTopicArn: pulumi.Input<string>;
  /** One-minute periods in a row a metric must breach before its alarm is in ALARM. @default 3 */
  breachMinutes?: number;
}

/** Rejects thresholds a deployed alarm could not use, naming the value and the bounds. */
export function validateRolloutAlarms(args: RolloutAlarmsArgs): void {
  const checks: [string, "rollout5xxPercent" | "rolloutResponseTimeMs" | "rolloutAlarmMinutes", unknown][] = [
    ["breachMinutes", "rolloutAlarmMinutes", args.breachMinutes ?? LIMITS.rolloutAlarmMinutes.fallback],
    ...args.tiers.flatMap((t): [string, "rollout5xxPercent" | "rolloutResponseTimeMs", unknown][] => [
      [`${t.name} errorPercent`, "rollout5xxPercent", t.errorPercent ?? LIMITS.rollout5xxPercent.fallback],
      [`${t.name} responseTimeMs`, "rolloutResponseTimeMs", t.responseTimeMs ?? LIMITS.rolloutResponseTimeMs.fallback],
    ]),
  ];
  for (const [what, limit, value] of checks) {
    const problem = limitProblem(limit, value);
    if (problem !== undefined) throw new Error(`rollout alarms: ${what} is ${JSON.stringify(value)}; it ${problem}`);
  }
}

/** Per tier: the 5xx-rate and latency alarms a rollout reads, and the alarm that tells the topic of a rollback. */
export class RolloutAlarms extends pulumi.ComponentResource {
  /** Every alarm's name, per tier: what `<tier>RolloutAlarms` adds to, and what the rollout role may read. */
  public readonly alarmNames: Record<string, string[]>;

  constructor(name: string, args: RolloutAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:observability:RolloutAlarms", name, {}, opts);
    validateRolloutAlarms(args);
    const env = args.environment;
    const minutes = args.breachMinutes ?? LIMITS.rolloutAlarmMinutes.fallback;
    const parent = { parent: this };
    const tags = environmentTags(env);
    this.alarmNames = {};
    for (const t of args.tiers) {
      const names = rolloutAlarmNames(env, t.name);
      const dimensions = { TargetGroup: t.targetGroupArnSuffix, LoadBalancer: args.loadBalancerArnSuffix };
      const alb = (id: string, metricName: string) => ({
        id,
        metric: { namespace: "AWS/ApplicationELB", metricName, dimensions, period: 60, stat: "Sum" },
      });
      const percent = t.errorPercent ?? LIMITS.rollout5xxPercent.fallback;
      const breach = { evaluationPeriods: minutes, datapointsToAlarm: minutes, treatMissingData: "notBreaching" };
      new aws.cloudwatch.MetricAlarm(
        `${name}-${t.name}-5xx`,
        {
          name: names.errors,
          alarmDescription:
            `phoenix ${env} ${t.name}: over ${percent}% of target responses were 5xx for ${minutes} min. A rollout ` +
            "in progress stops (and past a checkpoint rolls back); no requests is not a breach",
          comparisonOperator: "GreaterThanThreshold",
          threshold: percent,
          ...breach,
          metricQueries: [
            alb("errors", "HTTPCode_Target_5XX_Count"),
            alb("requests", "RequestCount"),
            // No requests gives no value (a division by zero), which the alarm reads as not breaching.
            { id: "rate", expression: "100 * FILL(errors, 0) / requests", label: "target 5xx %", returnData: true },
          ],
          tags,
        },
        parent,
      );
      const ms = t.responseTimeMs ?? LIMITS.rolloutResponseTimeMs.fallback;
      new aws.cloudwatch.MetricAlarm(
        `${name}-${t.name}-latency`,
        {
          name: names.latency,
          alarmDescription:
            `phoenix ${env} ${t.name}: the average target response time was over ${ms} ms for ${minutes} min. A ` +
            "rollout in progress stops (and past a checkpoint rolls back)",
          namespace: "AWS/ApplicationELB",
          metricName: "TargetResponseTime",
          dimensions,
          statistic: "Average",
          period: 60,
          comparisonOperator: "GreaterThanThreshold",
          threshold: ms / 1000,
          ...breach,
          tags,
        },
        parent,
      );
      // One message per rollback: no OK action, and the rollout's own alarms above notify nobody.
      new aws.cloudwatch.MetricAlarm(
        `${name}-${t.name}-rolled-back`,
        {
          alarmDescription:
            `phoenix ${env} ${t.name}: a rollout alarm fired past a checkpoint and the previous release was written ` +
            "back as current (rollbacks/latest.json says why). Publish a fix; the bad version is not rolled out again",
          namespace: METRICS_NAMESPACE,
          metricName: MetricName.RolloutRollbacks,
          dimensions: { [Dimension.Environment]: env, [Dimension.Tier]: t.name },
          statistic: "Sum",
          period: 300,
          evaluationPeriods: 1,
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [args.alarmTopicArn],
          tags,
        },
        parent,
      );
      this.alarmNames[t.name] = [names.errors, names.latency];
    }
    this.registerOutputs({ alarmNames: this.alarmNames });
  }
}
