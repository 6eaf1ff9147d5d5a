// The instance role's documents, statement by statement: one environment's manifest, one tier's artifacts, its own
// boot log streams and its own group's health, nothing broader. What AWS would decide on them is the IAM simulator's
// part (test/components/iam/simulate.test.ts).
import * as assert from "node:assert/strict";
import { INSTANCE_TRUST_POLICY, instancePolicyDocument } from "../../../components/app-tier/iam";

describe("the instance role", () => {
  const input = {
    partition: "aws",
    region: "eu-west-1",
    accountId: "123456789012",
    environment: "test",
    tier: "api",
    releaseBucketArn: "arn:aws:s3:::b",
    bootLogGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/phoenix/test/boot:*",
  };

  it("scopes the policy to one environment's manifest, one tier's artifacts and the boot log's streams", () => {
    const doc = instancePolicyDocument(input);
    const resources = doc.Statement.flatMap((s) => [s.Resource].flat());

    assert.deepEqual(resources, [
      "arn:aws:s3:::b/releases/current.json",
      "arn:aws:s3:::b/releases/*/api.zip",
      "arn:aws:s3:::b",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/phoenix/test/boot:log-stream:*",
      "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*",
    ]);
  });

  it("reports health only on groups tagged with its environment and tier", () => {
    const health = instancePolicyDocument(input).Statement.find((s) => s.Sid === "ReportOwnHealth");

    assert.deepEqual(health?.Condition, {
      StringEquals: {
        "autoscaling:ResourceTag/phoenix:environment": "test",
        "autoscaling:ResourceTag/phoenix:tier": "api",
      },
    });
  });

  it("grants no parameter, metric or log-group action: nothing on the instance calls one", () => {
    const actions = instancePolicyDocument(input).Statement.flatMap((s) => [s.Action].flat());

    assert.deepEqual(
      actions.filter((a) => /^(ssm|cloudwatch):|^logs:(?!CreateLogStream$|PutLogEvents$)/.test(a)),
      [],
    );
  });

  it("lists the release bucket and nothing else, so a missing manifest reads NoSuchKey, not AccessDenied", () => {
    const list = instancePolicyDocument(input).Statement.filter((s) => [s.Action].flat().includes("s3:ListBucket"));

    assert.deepEqual(list, [
      { Sid: "TellMissingManifestApart", Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::b" },
    ]);
  });

  it("writes the policy byte for byte as issue 16 deploys it, so a later refactor shows no diff", () => {
    // Recorded when issue 16 narrowed the role (no parameters, log streams only, the group ARN pattern), then with
    // the bucket listing the no-release boot needs (issue 17): a change here is a diff on every deployed instance
    // role, so make it on purpose.
    assert.equal(
      JSON.stringify(instancePolicyDocument(input)),
      '{"Version":"2012-10-17","Statement":[{"Sid":"ReadManifestAndOwnArtifacts","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/releases/current.json","arn:aws:s3:::b/releases/*/api.zip"]},{"Sid":"TellMissingManifestApart","Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::b"},{"Sid":"ShipBootLog","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:eu-west-1:123456789012:log-group:/phoenix/test/boot:log-stream:*"},{"Sid":"ReportOwnHealth","Effect":"Allow","Action":["autoscaling:SetInstanceHealth"],"Resource":"arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*","Condition":{"StringEquals":{"autoscaling:ResourceTag/phoenix:environment":"test","autoscaling:ResourceTag/phoenix:tier":"api"}}}]}',
    );
  });

  it("lets EC2 alone assume the role", () => {
    assert.deepEqual(JSON.parse(INSTANCE_TRUST_POLICY).Statement, [
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });
});
