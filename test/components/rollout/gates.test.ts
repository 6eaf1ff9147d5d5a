// The rollout component for tiers whose rollouts are gated: its role reads exactly the tiers' rollout alarms and, only
// when a tier rolls back automatically, writes exactly the manifest and the rollback record; an EventBridge rule hears
// those alarms enter ALARM and invokes the function. Without gates the role has neither.
import * as assert from "node:assert/strict";
import { alarmEventPattern, Rollout, RolloutArgs } from "../../../components/rollout";
import { MOCK_ACCOUNT_ID, PulumiMocks, settle, setupMocks } from "../../support/pulumi-mocks";
import { MANIFEST_KEY, ROLLBACK_RECORD_KEY } from "../../../runtime/contract";

const BUCKET_ARN = "arn:aws:s3:::phoenix-test-releases";

function args(name: string, gated: boolean): RolloutArgs {
  const gates = { rolloutAlarms: [`${name}-5xx`, "apm-errors"], checkpoints: [10, 100], autoRollback: true };
  return {
    environment: "test",
    vpcId: "vpc-0123",
    vpcCidrBlock: "10.20.0.0/16",
    privateSubnetIds: ["subnet-a"],
    releaseBucketName: "phoenix-test-releases",
    releaseBucketArn: BUCKET_ARN,
    tiers: [
      { name: "web", port: 8080, autoScalingGroupName: `${name}-web`, ...(gated && { policy: gates }) },
      {
        name: "api",
        port: 8080,
        autoScalingGroupName: `${name}-api`,
        ...(gated && { policy: { rolloutAlarms: ["apm-errors"] } }),
      },
    ],
    policy: { minHealthy: 1, minHealthyPercent: 0 },
  };
}

interface Statement {
  Sid: string;
  Action: string[];
  Resource: string | string[];
}

describe("the rollout component's gates", () => {
  let mocks: PulumiMocks;
  const statements = (name: string): Statement[] =>
    (
      JSON.parse(mocks.one("aws:iam/rolePolicy:RolePolicy", `${name}-policy`).inputs.policy as string) as {
        Statement: Statement[];
      }
    ).Statement;

  before(async () => {
    mocks = await setupMocks("test");
    new Rollout("gated", args("gated", true));
    new Rollout("plain", args("plain", false));
    await settle();
  });

  it("lets the role read exactly the tiers' rollout alarms, in one statement", () => {
    const read = statements("gated").find((s) => s.Sid === "ReadRolloutAlarms")!;

    assert.deepEqual(read.Action, ["cloudwatch:DescribeAlarms"]);
    assert.deepEqual(read.Resource, [
      `arn:aws:cloudwatch:${mocks.region}:${MOCK_ACCOUNT_ID}:alarm:apm-errors`,
      `arn:aws:cloudwatch:${mocks.region}:${MOCK_ACCOUNT_ID}:alarm:gated-5xx`,
    ]);
  });

  it("lets the role write the manifest and the rollback record, and no other key, when a tier rolls back", () => {
    const write = statements("gated").find((s) => s.Sid === "RollBackOnAlarm")!;

    assert.deepEqual(write.Action, ["s3:PutObject"]);
    assert.deepEqual(write.Resource, [`${BUCKET_ARN}/${MANIFEST_KEY}`, `${BUCKET_ARN}/${ROLLBACK_RECORD_KEY}`]);
  });

  it("gives a role without gates no alarm read and no release write, but the rollback record's read", () => {
    const sids = statements("plain").map((s) => s.Sid);

    assert.ok(!sids.includes("ReadRolloutAlarms") && !sids.includes("RollBackOnAlarm"), sids.join(", "));
    const record = statements("plain").find((s) => s.Sid === "ReadRollbackRecord")!;
    assert.deepEqual([record.Action, record.Resource], [["s3:GetObject"], `${BUCKET_ARN}/${ROLLBACK_RECORD_KEY}`]);
  });

  it("invokes the function when a rollout alarm enters ALARM, and makes no such rule without alarms", () => {
    const rule = mocks.one("aws:cloudwatch/eventRule:EventRule", "gated-alarm-events");
    const target = mocks.one("aws:cloudwatch/eventTarget:EventTarget", "gated-alarm-events-target");
    const permission = mocks.one("aws:lambda/permission:Permission", "gated-from-alarm-events");

    assert.deepEqual(JSON.parse(rule.inputs.eventPattern as string), {
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      detail: { alarmName: ["apm-errors", "gated-5xx"], state: { value: ["ALARM"] } },
    });
    assert.equal(target.inputs.arn, mocks.one("aws:lambda/function:Function", "gated-fn").state.arn);
    assert.equal(permission.inputs.principal, "events.amazonaws.com");
    assert.equal(
      mocks.ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.name === "plain-alarm-events").length,
      0,
    );
  });

  it("lists each alarm of the pattern once, in a stable order", () => {
    assert.deepEqual(alarmEventPattern(["b", "a", "b"]).detail, { alarmName: ["a", "b"], state: { value: ["ALARM"] } });
  });
});
