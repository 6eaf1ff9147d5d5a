// What an operator watches during a rollout: a CloudWatch dashboard per environment (the original's Grafana board —
// instances in service and healthy per tier, the fleet by version, CPU, the load balancer, the rollout Lambda), the
// alarms that say a rollout is stuck or the fleet is unhealthy, and the SNS topic they notify.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  Dimension,
  EMAIL_PATTERN,
  environmentTags,
  limitProblem,
  LIMITS,
  METRICS_NAMESPACE,
  MetricName,
  WEDGED_ALARM_MINUTES,
} from "../runtime/contract";

export interface AlertsArgs {
  /** Environment (stack) name: the topic's display name and tags. */
  environment: string;
  /** An address that gets every alarm by email (it must confirm the subscription). @default none */
  alarmEmail?: string;
}

/** The SNS topic every phoenix alarm of an environment notifies, with an optional email subscription. */
export class Alerts extends pulumi.ComponentResource {
  /** The topic's ARN: pass it as an alarm action, or subscribe a pager or chat hook to it. */
  public readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:observability:Alerts", name, {}, opts);
    if (args.alarmEmail && !EMAIL_PATTERN.test(args.alarmEmail)) {
      throw new Error(`alerts: alarmEmail "${args.alarmEmail}" is not an email address; set one or leave it empty`);
    }
    const topic = new aws.sns.Topic(
      `${name}-topic`,
      {
        displayName: `phoenix ${args.environment} alarms`,
        // AWS-managed key: encrypted at rest; CloudWatch alarms may publish to it.
        kmsMasterKeyId: "alias/aws/sns",
        tags: environmentTags(args.environment),
      },
      { parent: this },
    );
    if (args.alarmEmail !== undefined && args.alarmEmail !== "") {
      new aws.sns.TopicSubscription(
        `${name}-email`,
        { topic: topic.arn, protocol: "email", endpoint: args.alarmEmail },
        { parent: this },
      );
    }
    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}

/** One tier as the dashboard sees it. */
export interface DashboardTier {
  /** Tier name (`web`, `api`): the `Tier` dimension of phoenix's metrics and the widgets' titles. */
  name: string;
  /** The tier's Auto Scaling Group: the `AutoScalingGroupName` dimension of its capacity and CPU metrics. */
  autoScalingGroupName: pulumi.Input<string>;
  /** The tier's target group ARN suffix (`targetgroup/<name>/<id>`), the ALB metrics' `TargetGroup` dimension. */
  targetGroupArnSuffix: pulumi.Input<string>;
}

export interface DashboardArgs {
  /** Environment (stack) name: the dashboard's name (`phoenix-<env>`) and the `Environment` metric dimension. */
  environment: string;
  /** The tiers to chart and alarm on, each with its group and target group. */
  tiers: DashboardTier[];
  /** The load balancer's ARN suffix (`app/<name>/<id>`), the ALB metrics' `LoadBalancer` dimension. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** The rollout Lambda. */
  functionName: pulumi.Input<string>;
  /** Where the alarms notify (Alerts.topicArn). */
  alarmTopicArn: pulumi.Input<string>;
  /** A tier with stale instances for this long is a stuck rollout. @default LIMITS.rolloutStuckMinutes.fallback (60) */
  rolloutStuckMinutes?: number;
  /** A target group with an unhealthy host for this long raises the unhealthy-hosts alarm. @default 5 */
  unhealthyHostMinutes?: number;
}

/** Dashboard inputs, resolved: what dashboardBody() lays out. */
export interface DashboardBodyInput {
  environment: string;
  region: string;
  loadBalancer: string;
  functionName: string;
  tiers: { name: string; group: string; targetGroup: string }[];
}

type Widget = Record<string, unknown>;

function metricWidget(
  title: string,
  region: string,
  metrics: unknown[][],
  options: { stat?: string; period?: number; stacked?: boolean; width?: number } = {},
): Widget {
  return {
    type: "metric",
    width: options.width ?? 12,
    height: 6,
    properties: {
      title,
      region,
      view: "timeSeries",
      stacked: options.stacked ?? false,
      stat: options.stat ?? "Average",
      period: options.period ?? 60,
      metrics,
    },
  };
}

/** The dashboard's widgets: per tier capacity and versions, then CPU, the load balancer and the rollout Lambda. */
export function dashboardBody(d: DashboardBodyInput): { widgets: Widget[] } {
  const widgets: Widget[] = [];
  for (const t of d.tiers) {
    widgets.push(
      metricWidget(`${t.name}: instances desired, in service and healthy`, d.region, [
        ["AWS/AutoScaling", "GroupDesiredCapacity", "AutoScalingGroupName", t.group, { label: "desired" }],
        ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", t.group, { label: "in service" }],
        [
          "AWS/ApplicationELB",
          "HealthyHostCount",
          "TargetGroup",
          t.targetGroup,
          "LoadBalancer",
          d.loadBalancer,
          { label: "healthy in the load balancer" },
        ],
      ]),
      metricWidget(
        `${t.name}: instances by version (rollout)`,
        d.region,
        [
          [
            {
              // One line per version the sweep saw: the fleet moving from the old release to the new.
              expression:
                `SEARCH('{${METRICS_NAMESPACE},${Dimension.Environment},${Dimension.Tier},${Dimension.Version}} ` +
                `MetricName="${MetricName.InstancesByVersion}" ${Dimension.Environment}="${d.environment}" ` +
                `${Dimension.Tier}="${t.name}"', 'Maximum', 300)`,
              id: `versions_${t.name}`,
              label: "",
            },
          ],
          [
            METRICS_NAMESPACE,
            MetricName.InstancesStale,
            Dimension.Environment,
            d.environment,
            Dimension.Tier,
            t.name,
            { label: "stale", stat: "Maximum" },
          ],
          [
            METRICS_NAMESPACE,
            MetricName.Terminations,
            Dimension.Environment,
            d.environment,
            Dimension.Tier,
            t.name,
            { label: "terminated", stat: "Sum" },
          ],
        ],
        { stat: "Maximum", period: 300 },
      ),
    );
  }
  widgets.push(
    metricWidget(
      "CPU per tier (%)",
      d.region,
      d.tiers.map((t) => ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", t.group, { label: t.name }]),
    ),
    metricWidget(
      "Load balancer: 5xx",
      d.region,
      [
        [
          "AWS/ApplicationELB",
          "HTTPCode_ELB_5XX_Count",
          "LoadBalancer",
          d.loadBalancer,
          { label: "from the load balancer" },
        ],
        [
          "AWS/ApplicationELB",
          "HTTPCode_Target_5XX_Count",
          "LoadBalancer",
          d.loadBalancer,
          { label: "from instances" },
        ],
      ],
      { stat: "Sum" },
    ),
    metricWidget(
      "Load balancer: unhealthy hosts per tier",
      d.region,
      d.tiers.map((t) => [
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        "TargetGroup",
        t.targetGroup,
        "LoadBalancer",
        d.loadBalancer,
        { label: t.name },
      ]),
      { stat: "Maximum" },
    ),
    metricWidget(
      "Rollout Lambda: invocations, errors, throttles",
      d.region,
      [
        ["AWS/Lambda", "Invocations", "FunctionName", d.functionName],
        ["AWS/Lambda", "Errors", "FunctionName", d.functionName],
        ["AWS/Lambda", "Throttles", "FunctionName", d.functionName],
      ],
      { stat: "Sum", period: 300 },
    ),
    metricWidget(
      "Rollout Lambda: duration (ms)",
      d.region,
      [
        ["AWS/Lambda", "Duration", "FunctionName", d.functionName, { stat: "Average", label: "average" }],
        ["AWS/Lambda", "Duration", "FunctionName", d.functionName, { stat: "Maximum", label: "maximum" }],
        [
          METRICS_NAMESPACE,
          MetricName.SweepDuration,
          Dimension.Environment,
          d.environment,
          { stat: "Maximum", label: "sweep" },
        ],
      ],
      { period: 300 },
    ),
  );
  return { widgets };
}

/** The console address of a CloudWatch dashboard. */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;
}

/** The environment's CloudWatch dashboard and the alarms that say a rollout is stuck or the fleet unhealthy. */
export class Dashboard extends pulumi.ComponentResource {
  /** The dashboard's name (`phoenix-<env>`), for `aws cloudwatch get-dashboard`. */
  public readonly dashboardName: pulumi.Output<string>;
  /** The dashboard in the console: open it while a rollout runs. */
  public readonly dashboardUrl: pulumi.Output<string>;
  /** Every alarm's name: `aws cloudwatch describe-alarms --alarm-names <them>` shows their state. */
  public readonly alarmNames: pulumi.Output<string>[];

  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:observability:Dashboard", name, {}, opts);
    const stuckMinutes = args.rolloutStuckMinutes ?? LIMITS.rolloutStuckMinutes.fallback;
    const unhealthyMinutes = args.unhealthyHostMinutes ?? 5;
    const stuckProblem = limitProblem("rolloutStuckMinutes", stuckMinutes);
    if (stuckProblem !== undefined) {
      throw new Error(`dashboard: rolloutStuckMinutes is ${stuckMinutes}; it ${stuckProblem}`);
    }
    if (!Number.isInteger(unhealthyMinutes) || unhealthyMinutes < 1 || unhealthyMinutes > 60) {
      throw new Error(`dashboard: unhealthyHostMinutes is ${unhealthyMinutes}; use whole minutes from 1 to 60`);
    }
    const env = args.environment;
    const parent = { parent: this };
    const region = aws.getRegionOutput({}, parent).region;
    const tags = environmentTags(env);

    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `phoenix-${env}`,
        dashboardBody: pulumi
          .all([
            region,
            args.loadBalancerArnSuffix,
            args.functionName,
            pulumi.all(
              args.tiers.map((t) =>
                pulumi
                  .all([t.autoScalingGroupName, t.targetGroupArnSuffix])
                  .apply(([group, targetGroup]) => ({ name: t.name, group, targetGroup })),
              ),
            ),
          ])
          .apply(([reg, loadBalancer, functionName, tiers]) =>
            JSON.stringify(dashboardBody({ environment: env, region: reg, loadBalancer, functionName, tiers })),
          ),
      },
      parent,
    );

    // Every alarm fires on any occurrence (above zero), notifies the topic both ways, and treats no data as fine: no
    // data means no sweep ran, which the Lambda errors alarm covers.
    type AlarmMetric = Pick<
      aws.cloudwatch.MetricAlarmArgs,
      "alarmDescription" | "namespace" | "metricName" | "dimensions" | "statistic" | "period" | "evaluationPeriods"
    >;
    const aboveZero = (suffix: string, metric: AlarmMetric) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${suffix}`,
        {
          ...metric,
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [args.alarmTopicArn],
          okActions: [args.alarmTopicArn],
          tags,
        },
        parent,
      );
    const alarms: aws.cloudwatch.MetricAlarm[] = [];
    for (const t of args.tiers) {
      const tier = { [Dimension.Environment]: env, [Dimension.Tier]: t.name };
      alarms.push(
        // Stale instances in every 5-minute window for the whole time: the terminator is not making progress (new
        // instances never become healthy, the group is unstable, or the floor leaves no room).
        aboveZero(`${t.name}-rollout-stuck`, {
          alarmDescription:
            `phoenix ${env} ${t.name}: stale instances for ${stuckMinutes} minutes — the rollout is stuck. ` +
            `\`phoenix plan --env ${env}\` says why each group is left alone`,
          namespace: METRICS_NAMESPACE,
          metricName: MetricName.InstancesStale,
          dimensions: tier,
          statistic: "Minimum",
          period: 300,
          evaluationPeriods: Math.ceil(stuckMinutes / 5),
        }),
        // A sweep aborted a surge: the release's new instances never became healthy and were removed. The old
        // version still serves at full capacity, but the release failed and someone must fix or roll back.
        aboveZero(`${t.name}-surge-aborted`, {
          alarmDescription:
            `phoenix ${env} ${t.name}: a surge rollout was aborted — the new release never became healthy; the ` +
            `previous version serves at full capacity. Publish a fix or \`phoenix rollback --env ${env}\``,
          namespace: METRICS_NAMESPACE,
          metricName: MetricName.SurgeAborts,
          dimensions: tier,
          statistic: "Sum",
          period: 300,
          evaluationPeriods: 1,
        }),
        // A group left wedged: a surge's processes suspended (scaling alarms off) or capacity raised, with no surge
        // in progress. Minimum over each window: a group a sweep is about to finish never counts.
        aboveZero(`${t.name}-wedged`, {
          alarmDescription:
            `phoenix ${env} ${t.name}: a group has been wedged for ${WEDGED_ALARM_MINUTES} minutes (scaling ` +
            `processes suspended or capacity raised with no surge in progress). \`phoenix plan --env ${env}\` says ` +
            `why; \`phoenix sweep --env ${env} --repair\` puts it back`,
          namespace: METRICS_NAMESPACE,
          metricName: MetricName.GroupsWedged,
          dimensions: tier,
          statistic: "Minimum",
          period: 300,
          evaluationPeriods: Math.ceil(WEDGED_ALARM_MINUTES / 5),
        }),
        aboveZero(`${t.name}-unhealthy-hosts`, {
          alarmDescription: `phoenix ${env} ${t.name}: the load balancer has seen an unhealthy instance for ${unhealthyMinutes} minutes`,
          namespace: "AWS/ApplicationELB",
          metricName: "UnHealthyHostCount",
          dimensions: { TargetGroup: t.targetGroupArnSuffix, LoadBalancer: args.loadBalancerArnSuffix },
          statistic: "Maximum",
          period: 60,
          evaluationPeriods: unhealthyMinutes,
        }),
      );
    }
    alarms.push(
      aboveZero("lambda-errors", {
        alarmDescription: `phoenix ${env}: the rollout Lambda failed; its log says why (release.error or a stack)`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: args.functionName },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
      }),
    );

    this.dashboardName = dashboard.dashboardName;
    this.dashboardUrl = pulumi.all([region, dashboard.dashboardName]).apply(([r, n]) => dashboardUrl(r, n));
    this.alarmNames = alarms.map((a) => a.name);
    this.registerOutputs({ dashboardName: this.dashboardName, dashboardUrl: this.dashboardUrl });
  }
}
