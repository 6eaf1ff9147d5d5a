// The dashboard and alarms under Pulumi mocks: the body references this environment's groups, target groups, load
// balancer, Lambda and the rollout's own EMF metrics; the alarms watch the right metrics and notify the topic.
import * as assert from "node:assert/strict";
import { Alerts, Dashboard, dashboardBody, dashboardUrl } from "../../components/observability";
import { PulumiMocks, RecordedResource, settle, setupMocks, unwrap } from "../support/pulumi-mocks";
import { METRICS_NAMESPACE } from "../../runtime/contract";

const TIERS = [
  { name: "web", autoScalingGroupName: "test-web-asg", targetGroupArnSuffix: "targetgroup/test-web/aaa" },
  { name: "api", autoScalingGroupName: "test-api-asg", targetGroupArnSuffix: "targetgroup/test-api/bbb" },
];
const LOAD_BALANCER = "app/test-alb/ccc";
const FUNCTION = "test-rollout-fn-1234";

/** Every metric array of every widget, flattened to `namespace metric dim=value ...` strings for easy matching. */
function metricLines(body: { widgets: { properties: { metrics: unknown[][] } }[] }): string[] {
  return body.widgets.flatMap((w) =>
    w.properties.metrics.map((m) => {
      const parts = m.filter((p) => typeof p === "string");
      const expression = m.find((p) => typeof p === "object" && p !== null && "expression" in p) as
        { expression: string } | undefined;
      return expression ? expression.expression : parts.join(" ");
    }),
  );
}

describe("the dashboard and alarms", () => {
  let mocks: PulumiMocks;
  let dashboard: Dashboard;
  let body: { widgets: { properties: { title: string; metrics: unknown[][] } }[] };
  let topicArn: string;

  before(async () => {
    mocks = await setupMocks("test");
    const alerts = new Alerts("test-alerts", { environment: "test", alarmEmail: "ops@example.com" });
    dashboard = new Dashboard("test-observability", {
      environment: "test",
      tiers: TIERS,
      loadBalancerArnSuffix: LOAD_BALANCER,
      functionName: FUNCTION,
      alarmTopicArn: alerts.topicArn,
      rolloutStuckMinutes: 60,
    });
    await settle();
    body = JSON.parse(mocks.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody as string);
    topicArn = await unwrap(alerts.topicArn);
  });

  const alarm = (name: string): RecordedResource => mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", name);

  it("shows each tier's desired, in-service and load-balancer-healthy instances", () => {
    const lines = metricLines(body);
    for (const t of TIERS) {
      assert.ok(
        lines.includes(`AWS/AutoScaling GroupInServiceInstances AutoScalingGroupName ${t.autoScalingGroupName}`),
      );
      assert.ok(lines.includes(`AWS/AutoScaling GroupDesiredCapacity AutoScalingGroupName ${t.autoScalingGroupName}`));
      assert.ok(
        lines.includes(
          `AWS/ApplicationELB HealthyHostCount TargetGroup ${t.targetGroupArnSuffix} LoadBalancer ${LOAD_BALANCER}`,
        ),
      );
    }
  });

  it("shows the fleet by version from the rollout's own metrics, per tier", () => {
    const lines = metricLines(body);
    for (const t of TIERS) {
      assert.ok(
        lines.includes(
          `SEARCH('{Phoenix,Environment,Tier,Version} MetricName="Instances" Environment="test" Tier="${t.name}"', 'Maximum', 300)`,
        ),
        `no version search for ${t.name}`,
      );
      assert.ok(lines.includes(`${METRICS_NAMESPACE} InstancesStale Environment test Tier ${t.name}`));
    }
  });

  it("shows CPU per tier, load balancer 5xx and the Lambda's errors and duration", () => {
    const lines = metricLines(body);
    assert.ok(lines.includes("AWS/EC2 CPUUtilization AutoScalingGroupName test-web-asg"));
    assert.ok(lines.includes("AWS/EC2 CPUUtilization AutoScalingGroupName test-api-asg"));
    assert.ok(lines.includes(`AWS/ApplicationELB HTTPCode_Target_5XX_Count LoadBalancer ${LOAD_BALANCER}`));
    assert.ok(lines.includes(`AWS/ApplicationELB HTTPCode_ELB_5XX_Count LoadBalancer ${LOAD_BALANCER}`));
    assert.ok(lines.includes(`AWS/Lambda Errors FunctionName ${FUNCTION}`));
    assert.ok(lines.includes(`AWS/Lambda Duration FunctionName ${FUNCTION}`));
    assert.ok(lines.includes(`${METRICS_NAMESPACE} SweepDuration Environment test`));
  });

  it("raises 'rollout stuck' per tier when stale instances remain for the configured time", () => {
    for (const t of TIERS) {
      const a = alarm(`test-observability-${t.name}-rollout-stuck`);
      assert.equal(a.inputs.namespace, METRICS_NAMESPACE);
      assert.equal(a.inputs.metricName, "InstancesStale");
      assert.deepEqual(a.inputs.dimensions, { Environment: "test", Tier: t.name });
      assert.equal(a.inputs.statistic, "Minimum");
      assert.equal(a.inputs.period * a.inputs.evaluationPeriods, 60 * 60);
      assert.equal(a.inputs.comparisonOperator, "GreaterThanThreshold");
      assert.equal(a.inputs.threshold, 0);
    }
  });

  it("raises 'unhealthy hosts' per tier from the load balancer", () => {
    const a = alarm("test-observability-web-unhealthy-hosts");
    assert.equal(a.inputs.namespace, "AWS/ApplicationELB");
    assert.equal(a.inputs.metricName, "UnHealthyHostCount");
    assert.deepEqual(a.inputs.dimensions, { TargetGroup: "targetgroup/test-web/aaa", LoadBalancer: LOAD_BALANCER });
  });

  it("raises 'Lambda errors' on any failed invocation", () => {
    const a = alarm("test-observability-lambda-errors");
    assert.deepEqual(
      [a.inputs.namespace, a.inputs.metricName, a.inputs.dimensions, a.inputs.statistic, a.inputs.threshold],
      ["AWS/Lambda", "Errors", { FunctionName: FUNCTION }, "Sum", 0],
    );
  });

  it("raises 'surge aborted' per tier when a sweep aborts a release's surge", () => {
    for (const tier of ["web", "api"]) {
      const a = alarm(`test-observability-${tier}-surge-aborted`);
      assert.deepEqual(
        [a.inputs.namespace, a.inputs.metricName, a.inputs.dimensions, a.inputs.statistic, a.inputs.threshold],
        ["Phoenix", "SurgeAborts", { Environment: "test", Tier: tier }, "Sum", 0],
      );
      assert.equal(a.inputs.comparisonOperator, "GreaterThanThreshold");
      assert.match(a.inputs.alarmDescription, /Publish a fix or `phoenix rollback --env test`$/);
    }
  });

  it("raises 'wedged' per tier when a group has stayed wedged for 15 minutes, naming the command that repairs it", () => {
    for (const tier of ["web", "api"]) {
      const a = alarm(`test-observability-${tier}-wedged`);
      assert.deepEqual(
        [a.inputs.namespace, a.inputs.metricName, a.inputs.dimensions, a.inputs.statistic, a.inputs.threshold],
        ["Phoenix", "GroupsWedged", { Environment: "test", Tier: tier }, "Minimum", 0],
      );
      assert.equal(a.inputs.period * a.inputs.evaluationPeriods, 15 * 60);
      assert.match(a.inputs.alarmDescription, /`phoenix sweep --env test --repair` puts it back$/);
    }
  });

  it("sends every alarm and its recovery to the topic", () => {
    const alarms = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
    // Per tier: rollout stuck, surge aborted, wedged, unhealthy hosts; and the Lambda's errors.
    assert.equal(alarms.length, 9);
    for (const a of alarms) {
      assert.deepEqual(a.inputs.alarmActions, [topicArn], a.name);
      assert.deepEqual(a.inputs.okActions, [topicArn], a.name);
    }
  });

  it("subscribes the configured email address to the topic", () => {
    const subscription = mocks.one("aws:sns/topicSubscription:TopicSubscription");
    assert.deepEqual(
      [subscription.inputs.topic, subscription.inputs.protocol, subscription.inputs.endpoint],
      [topicArn, "email", "ops@example.com"],
    );
  });

  it("outputs the dashboard's console URL", async () => {
    assert.equal(
      await unwrap(dashboard.dashboardUrl),
      `https://${mocks.region}.console.aws.amazon.com/cloudwatch/home?region=${mocks.region}#dashboards/dashboard/phoenix-test`,
    );
  });
});

describe("alerts without an email address", () => {
  it("create the topic and no subscription", async () => {
    const mocks = await setupMocks("test");

    new Alerts("quiet-alerts", { environment: "test" });
    await settle();

    assert.equal(mocks.ofType("aws:sns/topic:Topic").length, 1);
    assert.equal(mocks.ofType("aws:sns/topicSubscription:TopicSubscription").length, 0);
  });

  it("refuse an address that is not one", () => {
    assert.throws(() => new Alerts("bad-alerts", { environment: "test", alarmEmail: "ops" }), /alarmEmail "ops"/);
  });
});

describe("the dashboard body", () => {
  it("lays out two widgets per tier and five for the environment", () => {
    const body = dashboardBody({
      environment: "live",
      region: "eu-west-1",
      loadBalancer: "app/x/1",
      functionName: "f",
      tiers: [{ name: "web", group: "g", targetGroup: "targetgroup/t/1" }],
    });

    assert.equal(body.widgets.length, 2 + 5);
    assert.ok(body.widgets.every((w) => (w.properties as { region: string }).region === "eu-west-1"));
  });

  it("escapes the dashboard name in its URL", () => {
    assert.equal(
      dashboardUrl("us-east-1", "a b"),
      "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/a%20b",
    );
  });
});
