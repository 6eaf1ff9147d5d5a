// The instance role's documents, statement by statement: one environment's manifest and parameters, one tier's
// artifacts, its own boot log and its own health, nothing broader.
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

  it("scopes the policy to one environment's parameters and one tier's artifacts, nothing broader", () => {
    const doc = instancePolicyDocument(input);
    const resources = doc.Statement.flatMap((s) => [s.Resource].flat());

    assert.deepEqual(resources.slice(0, 3), [
      "arn:aws:s3:::b/releases/current.json",
      "arn:aws:s3:::b/releases/*/api.zip",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/phoenix/test/*",
    ]);
    assert.ok(resources.includes("arn:aws:logs:eu-west-1:123456789012:log-group:/phoenix/test/boot:log-stream:*"));
    const health = doc.Statement.find((s) => s.Sid === "ReportOwnHealth");
    assert.deepEqual(health?.Condition, {
      StringEquals: {
        "autoscaling:ResourceTag/phoenix:environment": "test",
        "autoscaling:ResourceTag/phoenix:tier": "api",
      },
    });
  });

  it("writes the policy byte for byte as deployed stacks hold it, so an update shows no diff", () => {
    // Recorded from the program before the policy moved to its own file (commit 1d2ab05): a change here is a diff on
    // every deployed instance role.
    assert.equal(
      JSON.stringify(instancePolicyDocument(input)),
      '{"Version":"2012-10-17","Statement":[{"Sid":"ReadManifestAndOwnArtifacts","Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/releases/current.json","arn:aws:s3:::b/releases/*/api.zip"]},{"Sid":"ReadEnvironmentParameters","Effect":"Allow","Action":["ssm:GetParameter","ssm:GetParameters"],"Resource":"arn:aws:ssm:eu-west-1:123456789012:parameter/phoenix/test/*"},{"Sid":"ShipBootLog","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":["arn:aws:logs:eu-west-1:123456789012:log-group:/phoenix/test/boot:*","arn:aws:logs:eu-west-1:123456789012:log-group:/phoenix/test/boot:log-stream:*"]},{"Sid":"ReportOwnHealth","Effect":"Allow","Action":"autoscaling:SetInstanceHealth","Resource":"*","Condition":{"StringEquals":{"autoscaling:ResourceTag/phoenix:environment":"test","autoscaling:ResourceTag/phoenix:tier":"api"}}}]}',
    );
  });

  it("lets EC2 alone assume the role", () => {
    assert.deepEqual(JSON.parse(INSTANCE_TRUST_POLICY).Statement, [
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });
});
