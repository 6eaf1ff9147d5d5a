// The promoting identity's least-privilege policy (components/promote-policy.ts) as AWS would judge it, for a
// promotion from the test stack to the live stack, on the resources each stack file builds: every call `phoenix
// promote` makes (PROMOTE_CALLS) is allowed, whether one identity holds both sides' documents or a profile per side
// holds its own; what it must never do is denied: write anything of the source, the target's convergence record or
// sweep lease, delete a release, touch either fleet, or reach a third environment's store, parameters or alarms.
import * as assert from "node:assert/strict";
import { promotePolicyDocument, PromoteEnvironment } from "../../../components/promote-policy";
import type { PolicyDocument } from "../../../components/iam";
import {
  CONVERGENCE_KEY,
  MANIFEST_KEY,
  PROMOTE_CALLS,
  PromoteSide,
  releaseBucketParameterName,
  releaseRecordKey,
  rolloutAlarmNames,
  TAGS,
} from "../../../runtime/contract";
import { misjudged, SimulatedCall } from "../../support/iam-simulator";
import { MOCK_ACCOUNT_ID } from "../../support/pulumi-mocks";
import { arn, groupTags, loadStackRoles, requestsFor, StackRoles } from "./stack-roles";

function environmentOf(r: StackRoles): PromoteEnvironment {
  return {
    region: r.region,
    accountId: MOCK_ACCOUNT_ID,
    environment: r.environment,
    bucketName: r.bucketArn.replace(/^arn:aws:s3:::/, ""),
    ownRolloutAlarms: r.alarmArns
      .map((a) => a.split(":alarm:")[1])
      .filter((n) => !n.startsWith(`phoenix-${r.environment}-`)),
  };
}

describe("the promoting identity's policy (test → live), decided by the IAM simulator", () => {
  const roles: Partial<Record<PromoteSide, StackRoles>> = {};
  const documents: Partial<Record<PromoteSide, PolicyDocument>> = {};
  const side = (s: PromoteSide) => roles[s]!;
  before(async () => {
    roles.source = await loadStackRoles("test");
    roles.target = await loadStackRoles("live");
    documents.source = promotePolicyDocument("source", environmentOf(side("source")));
    documents.target = promotePolicyDocument("target", environmentOf(side("target")));
  });

  const calls = (s: PromoteSide) => PROMOTE_CALLS.filter((c) => c.side === s).flatMap((c) => requestsFor(side(s), c));

  it("allows every call phoenix promote makes, on each environment's real resources, to one identity", async () => {
    const both = [documents.source!, documents.target!];

    assert.deepEqual(await misjudged(both, [...calls("source"), ...calls("target")], "allowed"), []);
  });

  it("allows each side's calls to that side's document alone: a profile per side, in two accounts", async () => {
    assert.deepEqual(await misjudged([documents.source!], calls("source"), "allowed"), []);
    assert.deepEqual(await misjudged([documents.target!], calls("target"), "allowed"), []);
  });

  it("keeps the source's document to reads, and the target's off the source", async () => {
    const sourceWrites = calls("target").filter((c) => c.action === "s3:PutObject");
    const onSource = sourceWrites.map((c) => ({
      ...c,
      resource: c.resource.replace(side("target").bucketArn, side("source").bucketArn),
    }));

    assert.ok(sourceWrites.length >= 3, "the target's writes are in PROMOTE_CALLS");
    assert.deepEqual(await misjudged([documents.source!], [...sourceWrites, ...onSource], "denied"), []);
    const sourceReads = calls("source").filter((c) => c.resource.startsWith(side("source").bucketArn));
    assert.deepEqual(await misjudged([documents.target!], sourceReads, "denied"), []);
  });

  it("never lets it write the source, the target's convergence record or lease, or delete a release", async () => {
    const both = [documents.source!, documents.target!];
    const test = side("source").bucketArn;
    const live = side("target").bucketArn;
    const denied: SimulatedCall[] = [
      { action: "s3:PutObject", resource: `${test}/${MANIFEST_KEY}` },
      { action: "s3:PutObject", resource: `${test}/releases/1.0.274/web.zip` },
      { action: "s3:PutObject", resource: `${test}/${CONVERGENCE_KEY}` },
      { action: "s3:PutObject", resource: `${live}/${CONVERGENCE_KEY}` },
      { action: "s3:PutObject", resource: `${live}/leases/sweep.json` },
      { action: "s3:DeleteObject", resource: `${live}/releases/1.0.274/web.zip` },
      { action: "s3:DeleteObject", resource: `${live}/${MANIFEST_KEY}` },
      { action: "s3:DeleteObject", resource: `${test}/${releaseRecordKey("1.0.274")}` },
      { action: "s3:PutBucketPolicy", resource: live },
    ];

    assert.deepEqual(await misjudged(both, denied, "denied"), []);
  });

  it("never lets it touch either fleet, nor a third environment's store, parameters or alarms", async () => {
    const both = [documents.source!, documents.target!];
    const denied: SimulatedCall[] = (["source", "target"] as const).flatMap((s) => {
      const r = side(s);
      const tags = groupTags({ [TAGS.environment]: r.environment, [TAGS.tier]: "web" });
      return [
        { action: "autoscaling:TerminateInstanceInAutoScalingGroup", resource: r.groupArn.web, context: tags },
        { action: "autoscaling:SetDesiredCapacity", resource: r.groupArn.web, context: tags },
        { action: "ssm:PutParameter", resource: arn(r, "ssm", `parameter/phoenix/${r.environment}/base-image`) },
      ];
    });
    denied.push(
      {
        action: "cloudwatch:DescribeAlarms",
        resource: arn(side("source"), "cloudwatch", `alarm:${rolloutAlarmNames("pr-42", "web").errors}`),
      },
      { action: "s3:GetObject", resource: `arn:aws:s3:::phoenix-pr-42-releases/${MANIFEST_KEY}` },
      { action: "s3:PutObject", resource: `arn:aws:s3:::phoenix-pr-42-releases/releases/1.0.274/web.zip` },
      {
        action: "ssm:GetParameter",
        resource: arn(side("target"), "ssm", `parameter${releaseBucketParameterName("pr-42")}`),
      },
    );

    assert.deepEqual(await misjudged(both, denied, "denied"), []);
  });
});
