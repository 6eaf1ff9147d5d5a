// An app tier's arguments: every value that could not make a working, closed tier is refused before anything is
// created, naming the value and what is allowed.
import * as assert from "node:assert/strict";
import { AppTierArgs, validateAppTierArgs } from "../../../components/app-tier/args";

describe("app tier argument checks", () => {
  const tierArgs = (overrides: Partial<AppTierArgs>): AppTierArgs => ({
    environment: "test",
    tier: "web",
    platform: "linux",
    port: 8080,
    instanceType: "t3.micro",
    imageId: "resolve:ssm:/phoenix/test/base-image",
    rootVolumeSizeGiB: 8,
    minSize: 1,
    maxSize: 2,
    desiredCapacity: 1,
    healthCheckGracePeriodSeconds: 300,
    strategy: "surge",
    requestsPerTarget: 1000,
    cpuTargetPercent: 0,
    instanceWarmupSeconds: 300,
    vpcId: "vpc-1",
    privateSubnetIds: ["subnet-1"],
    targetGroupArn: "tg",
    targetGroupArnSuffix: "targetgroup/x/1",
    loadBalancerArnSuffix: "app/x/1",
    loadBalancerSecurityGroupId: "sg-lb",
    releaseBucketName: "bucket",
    releaseBucketArn: "arn:aws:s3:::bucket",
    bootLogGroupName: "/phoenix/test/boot",
    bootLogGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/phoenix/test/boot",
    region: "eu-west-1",
    ...overrides,
  });

  for (const [what, overrides, message] of [
    ["a minimum above the maximum", { minSize: 3 }, /minSize 3 must be from 0 to maxSize 2/],
    [
      "a desired capacity outside its bounds",
      { desiredCapacity: 5 },
      /desiredCapacity 5 must be within minSize..maxSize \(1..2\)/,
    ],
    ["port 22", { port: 22 }, /port 22 is an administrative port/],
    ["a CPU target above 100", { cpuTargetPercent: 101 }, /cpuTargetPercent 101 must be 0 \(off\) to 100/],
    [
      "an image that is neither an AMI nor a parameter",
      { imageId: "ubuntu" },
      /imageId ubuntu must be an AMI id or resolve:ssm/,
    ],
  ] as const) {
    it(`rejects an app tier with ${what}`, () => {
      assert.throws(() => validateAppTierArgs(tierArgs(overrides)), message);
    });
  }

  it("accepts a tier within its bounds", () => {
    assert.doesNotThrow(() => validateAppTierArgs(tierArgs({})));
  });
});
