// The rollout role as AWS would judge it, for each stack file: every call runtime/aws/ makes (ROLLOUT_CALLS in the
// contract) on this environment's real resources is allowed, and so is what Lambda does as the role (logs, queues,
// network interfaces); the calls it must never make are denied: the same writes on another environment's group or an
// untagged one, other tag keys, instance termination outside Auto Scaling, writes to the release bucket (but the
// sweep lease, the convergence record its sweeps keep, and for a stack that rolls back automatically the manifest and
// the rollback record), other alarms and any alarm change, another environment's parameters and logs, metrics in the
// namespace the alarms read.
import * as assert from "node:assert/strict";
import {
  AwsCall,
  CONVERGENCE_KEY,
  FOLLOW_UP_QUEUE_ACTIONS,
  MANIFEST_KEY,
  METRICS_NAMESPACE,
  releaseBucketParameterName,
  releaseRecordKey,
  ROLLBACK_RECORD_KEY,
  ROLLOUT_CALLS,
  SURGE_TAGS,
  SWEEP_LEASE_KEY,
  TAGS,
} from "../../../runtime/contract";
import { misjudged, SimulatedCall } from "../../support/iam-simulator";
import { MOCK_ACCOUNT_ID } from "../../support/pulumi-mocks";
import { arn, groupTags, loadStackRoles, requestsFor, StackRoles, tagRequest } from "./stack-roles";

/** The writes an automatic rollback makes: the manifest and the rollback record (both PutObject). */
function isRollbackWrite(c: AwsCall): boolean {
  return c.action === "s3:PutObject" && (c.on === "manifest" || c.on === "rollback-record");
}

for (const stack of ["test", "live"]) {
  describe(`the ${stack} stack's rollout role, decided by the IAM simulator`, () => {
    let r: StackRoles;
    before(async () => {
      r = await loadStackRoles(stack);
    });

    it("allows every call runtime/aws/ makes for the rollout, on this environment's resources", async () => {
      // The rollback's writes only where some tier rolls back automatically (the next test holds both cases).
      const calls = ROLLOUT_CALLS.filter((c) => r.autoRollback || !isRollbackWrite(c)).flatMap((c) =>
        requestsFor(r, c),
      );

      assert.ok(r.alarmArns.length >= 4, "the program's two rollout alarms per tier are named in the policy");
      assert.deepEqual(await misjudged(r.rollout, calls, "allowed"), []);
    });

    it(`${stack === "live" ? "allows" : "denies"} an automatic rollback's writes: the manifest and its record only`, async () => {
      const writes = ROLLOUT_CALLS.filter(isRollbackWrite).flatMap((c) => requestsFor(r, c));

      assert.equal(r.autoRollback, stack === "live", "live rolls back automatically, test does not");
      assert.deepEqual(writes.map((w) => w.resource).sort(), [
        `${r.bucketArn}/${MANIFEST_KEY}`,
        `${r.bucketArn}/${ROLLBACK_RECORD_KEY}`,
      ]);
      assert.deepEqual(await misjudged(r.rollout, writes, r.autoRollback ? "allowed" : "denied"), []);
    });

    it("reads the rollout alarms' states on those alarms only, and changes no alarm", async () => {
      const calls: SimulatedCall[] = [
        { action: "cloudwatch:DescribeAlarms", resource: arn(r, "cloudwatch", `alarm:phoenix-${r.other}-web-5xx`) },
        { action: "cloudwatch:DescribeAlarms", resource: arn(r, "cloudwatch", "alarm:someone-elses") },
        { action: "cloudwatch:SetAlarmState", resource: r.alarmArns[0] },
        { action: "cloudwatch:PutMetricAlarm", resource: r.alarmArns[0] },
        { action: "cloudwatch:DisableAlarmActions", resource: r.alarmArns[0] },
        { action: "cloudwatch:DeleteAlarms", resource: r.alarmArns[0] },
      ];

      assert.deepEqual(await misjudged(r.rollout, calls, "denied"), []);
    });

    it("allows what Lambda does as the role: its logs, its queues, its network interfaces", async () => {
      const eni = arn(r, "ec2", "network-interface/eni-0123456789abcdef0");
      const calls: SimulatedCall[] = [
        ...["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
          action,
          resource: `${r.rolloutLogGroupArn}:log-stream:2026/01/01/[$LATEST]0123`,
        })),
        // The SQS event source receives and deletes follow-ups; failed async invocations go to the dead letters.
        ...FOLLOW_UP_QUEUE_ACTIONS.map((action) => ({ action, resource: r.followUpQueueArn })),
        { action: "sqs:SendMessage", resource: r.deadLetterQueueArn },
        { action: "ec2:CreateNetworkInterface", resource: eni },
        ...r.subnetIds.map((id) => ({ action: "ec2:CreateNetworkInterface", resource: arn(r, "ec2", `subnet/${id}`) })),
        {
          action: "ec2:CreateNetworkInterface",
          resource: arn(r, "ec2", `security-group/${r.rolloutSecurityGroupId}`),
        },
        { action: "ec2:DeleteNetworkInterface", resource: eni },
        { action: "ec2:DescribeNetworkInterfaces", resource: "*" },
        // Without it S3 answers a missing manifest with AccessDenied instead of NoSuchKey.
        { action: "s3:ListBucket", resource: r.bucketArn },
      ];

      assert.deepEqual(await misjudged(r.rollout, calls, "allowed"), []);
    });

    it("denies every group write on another environment's groups and on untagged groups", async () => {
      const writes = ROLLOUT_CALLS.filter((c) => c.on === "group");
      const calls = writes.flatMap((c) => {
        const tags = c.tagKeys ? tagRequest(c.action, c.tagKeys) : {};
        return [
          {
            label: `${c.operation} on ${r.other}'s group`,
            action: c.action,
            resource: arn(r, "autoscaling", `autoScalingGroup:1:autoScalingGroupName/${r.other}-web-asg`),
            context: { ...groupTags({ [TAGS.environment]: r.other, [TAGS.tier]: "web" }), ...tags },
          },
          {
            label: `${c.operation} on an untagged group`,
            action: c.action,
            resource: arn(r, "autoscaling", "autoScalingGroup:1:autoScalingGroupName/someone-elses"),
            context: tags,
          },
        ];
      });

      assert.ok(writes.length >= 6, "the surge and terminate calls are in ROLLOUT_CALLS");
      assert.deepEqual(await misjudged(r.rollout, calls, "denied"), []);
    });

    it("denies writing or removing any tag but the surge's own, even on its own groups", async () => {
      const own = groupTags({ [TAGS.environment]: r.environment, [TAGS.tier]: "web" });
      const keySets = [[TAGS.environment], [TAGS.tier], [TAGS.policy], [SURGE_TAGS.baseline, TAGS.strategy], ["Name"]];
      const calls = ["autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags"].flatMap((action) =>
        keySets.map((keys) => ({
          action,
          resource: r.groupArn.web,
          context: { ...own, ...tagRequest(action, keys) },
        })),
      );

      assert.deepEqual(await misjudged(r.rollout, calls, "denied"), []);
    });

    it("denies terminating instances outside Auto Scaling, and changing a group's size limits", async () => {
      const own = groupTags({ [TAGS.environment]: r.environment, [TAGS.tier]: "web" });
      const calls: SimulatedCall[] = [
        {
          action: "ec2:TerminateInstances",
          resource: arn(r, "ec2", "instance/i-0123456789abcdef0"),
          context: { [`aws:ResourceTag/${TAGS.environment}`]: r.environment },
        },
        { action: "ec2:StopInstances", resource: arn(r, "ec2", "instance/i-0123456789abcdef0") },
        { action: "autoscaling:UpdateAutoScalingGroup", resource: r.groupArn.web, context: own },
        { action: "autoscaling:DeleteAutoScalingGroup", resource: r.groupArn.web, context: own },
        { action: "autoscaling:SetInstanceHealth", resource: r.groupArn.web, context: own },
      ];

      assert.deepEqual(await misjudged(r.rollout, calls, "denied"), []);
    });

    it("denies every other write to the release bucket: artifacts, records, other keys, deletes, its policy", async () => {
      const calls: SimulatedCall[] = [
        { action: "s3:PutObject", resource: `${r.bucketArn}/leases/other.json` },
        { action: "s3:PutObject", resource: `${r.bucketArn}/rollbacks/other.json` },
        { action: "s3:PutObject", resource: `${r.bucketArn}/releases/1.0.274/release.json` },
        { action: "s3:DeleteObject", resource: `${r.bucketArn}/${ROLLBACK_RECORD_KEY}` },
        { action: "s3:DeleteObject", resource: `${r.bucketArn}/${SWEEP_LEASE_KEY}` },
        { action: "s3:PutObject", resource: `${r.bucketArn}/releases/1.0.274/web.zip` },
        { action: "s3:PutObject", resource: `${r.bucketArn}/${releaseRecordKey("1.0.274")}` },
        { action: "s3:PutObject", resource: `${r.bucketArn}/rollout/other.json` },
        { action: "s3:DeleteObject", resource: `${r.bucketArn}/${CONVERGENCE_KEY}` },
        { action: "s3:DeleteObject", resource: `${r.bucketArn}/${MANIFEST_KEY}` },
        { action: "s3:DeleteObjectVersion", resource: `${r.bucketArn}/releases/1.0.274/api.zip` },
        { action: "s3:PutBucketPolicy", resource: r.bucketArn },
        { action: "s3:PutLifecycleConfiguration", resource: r.bucketArn },
      ];

      assert.deepEqual(await misjudged(r.rollout, calls, "denied"), []);
    });

    it("denies another environment's parameters and logs, its own parameters' writes and the alarms' metrics", async () => {
      const calls: SimulatedCall[] = [
        { action: "ssm:GetParameter", resource: arn(r, "ssm", `parameter${releaseBucketParameterName(r.other)}`) },
        { action: "ssm:GetParameter", resource: arn(r, "ssm", `parameter/phoenix/${r.other}/base-image`) },
        { action: "ssm:PutParameter", resource: arn(r, "ssm", `parameter/phoenix/${r.environment}/base-image`) },
        { action: "logs:PutLogEvents", resource: arn(r, "logs", `log-group:/phoenix/${r.other}/boot:log-stream:i-1`) },
        { action: "logs:PutLogEvents", resource: `${r.bootLogGroupArn}:log-stream:i-1` },
        { action: "logs:PutRetentionPolicy", resource: r.rolloutLogGroupArn },
        { action: "logs:DeleteLogGroup", resource: r.rolloutLogGroupArn },
        {
          action: "cloudwatch:PutMetricData",
          resource: "*",
          context: { "cloudwatch:namespace": METRICS_NAMESPACE },
        },
        {
          action: "sqs:SendMessage",
          resource: `arn:aws:sqs:${r.region}:${MOCK_ACCOUNT_ID}:${r.other}-rollout-follow-up`,
        },
        { action: "iam:PassRole", resource: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/anything` },
      ];

      assert.deepEqual(await misjudged(r.rollout, calls, "denied"), []);
    });
  });
}
