// The alarms a rollout is gated on, under Pulumi mocks: per tier, the target 5xx rate over its target group (a
// metric-math percentage of its requests) and its average response time, named as the runtime and the role know
// them, notifying nobody; and the alarm on the RolloutRollbacks metric, the one that tells the topic, once.
import * as assert from "node:assert/strict";
import { RolloutAlarms, validateRolloutAlarms } from "../../components/rollout-alarms";
import { PulumiMocks, RecordedResource, settle, setupMocks } from "../support/pulumi-mocks";
import { Dimension, METRICS_NAMESPACE, MetricName, rolloutAlarmNames } from "../../runtime/contract";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alarms";
const LOAD_BALANCER = "app/test-alb/ccc";

describe("the rollout's alarms", () => {
  let mocks: PulumiMocks;

  before(async () => {
    mocks = await setupMocks("test");
    new RolloutAlarms("test-release-alarms", {
      environment: "test",
      tiers: [
        { name: "web", targetGroupArnSuffix: "targetgroup/test-web/aaa", errorPercent: 2, responseTimeMs: 800 },
        { name: "api", targetGroupArnSuffix: "targetgroup/test-api/bbb" },
      ],
      loadBalancerArnSuffix: LOAD_BALANCER,
      alarmTopicArn: TOPIC,
      breachMinutes: 4,
    });
    await settle();
  });

  const alarm = (name: string): RecordedResource => mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", name);

  it("alarms on a tier's target 5xx rate, in percent of its requests, under the name the runtime reads", () => {
    const a = alarm("test-release-alarms-web-5xx").inputs;
    const queries = a.metricQueries as { id: string; expression?: string; metric?: Record<string, unknown> }[];

    assert.equal(a.name, rolloutAlarmNames("test", "web").errors);
    assert.deepEqual([a.threshold, a.comparisonOperator], [2, "GreaterThanThreshold"]);
    assert.deepEqual([a.evaluationPeriods, a.datapointsToAlarm, a.treatMissingData], [4, 4, "notBreaching"]);
    assert.deepEqual(
      queries.map((q) => q.metric?.metricName ?? q.expression),
      ["HTTPCode_Target_5XX_Count", "RequestCount", "100 * FILL(errors, 0) / requests"],
    );
    assert.deepEqual(queries[0].metric?.dimensions, {
      TargetGroup: "targetgroup/test-web/aaa",
      LoadBalancer: LOAD_BALANCER,
    });
    assert.equal(a.alarmActions, undefined, "a rollout alarm stops the rollout; it pages nobody");
  });

  it("alarms on a tier's average target response time, in seconds as the metric is, defaults where not given", () => {
    const web = alarm("test-release-alarms-web-latency").inputs;
    const api = alarm("test-release-alarms-api-latency").inputs;

    assert.deepEqual(
      [web.name, web.metricName, web.statistic, web.threshold],
      [rolloutAlarmNames("test", "web").latency, "TargetResponseTime", "Average", 0.8],
    );
    assert.equal(api.threshold, 2);
    assert.equal(alarm("test-release-alarms-api-5xx").inputs.threshold, 1);
  });

  it("tells the topic of an automatic rollback once: an alarm on RolloutRollbacks with no OK action", () => {
    const a = alarm("test-release-alarms-web-rolled-back").inputs;

    assert.deepEqual([a.namespace, a.metricName, a.statistic], [METRICS_NAMESPACE, MetricName.RolloutRollbacks, "Sum"]);
    assert.deepEqual(a.dimensions, { [Dimension.Environment]: "test", [Dimension.Tier]: "web" });
    assert.deepEqual(a.alarmActions, [TOPIC]);
    assert.equal(a.okActions, undefined);
  });

  it("refuses a threshold outside its bounds, naming it", () => {
    const base = { environment: "test", loadBalancerArnSuffix: LOAD_BALANCER, alarmTopicArn: TOPIC };

    assert.throws(
      () => validateRolloutAlarms({ ...base, tiers: [{ name: "web", targetGroupArnSuffix: "t", errorPercent: 0 }] }),
      /rollout alarms: web errorPercent is 0; it must be a whole number from 1 to 100/,
    );
    assert.throws(() => validateRolloutAlarms({ ...base, tiers: [], breachMinutes: 31 }), /breachMinutes is 31/);
  });
});
