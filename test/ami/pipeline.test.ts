// The monthly base-image pipeline as a whole: one component per pipeline, its schedule, tests and logs, the
// pipeline each stack runs (its stack config is tested in test/config/image.test.ts).
import * as assert from "node:assert/strict";
import { loadProgram, PulumiMocks, settle, setupMocks } from "../support/pulumi-mocks";
import { BuiltPipelines, buildPipelines, PUBLIC_ALIAS_LOOKUP } from "./fixture";

describe("BaseImagePipeline under mocks", () => {
  let mocks: PulumiMocks;
  let byName: BuiltPipelines["byName"];

  before(async () => {
    ({ mocks, byName } = await buildPipelines());
  });

  it("registers one component per pipeline under the phoenix:ami:BaseImagePipeline type", () => {
    assert.equal(mocks.ofType("phoenix:ami:BaseImagePipeline").length, 3);
  });

  it("schedules monthly after Patch Tuesday, only when the parent image or a component changed", () => {
    const { schedule } = byName("aws:imagebuilder/imagePipeline:ImagePipeline", "base-image-linux").inputs;

    assert.deepEqual(schedule, {
      scheduleExpression: "cron(0 0 ? * wed#3 *)",
      pipelineExecutionStartCondition: "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE",
    });
  });

  it("takes a configured schedule and start condition", () => {
    const { schedule } = byName("aws:imagebuilder/imagePipeline:ImagePipeline", "custom-linux").inputs;

    assert.deepEqual(schedule, {
      scheduleExpression: "cron(30 6 ? * thu#3 *)",
      pipelineExecutionStartCondition: "EXPRESSION_MATCH_ONLY",
    });
  });

  it("runs image tests and logs to CloudWatch log groups with retention", () => {
    const pipeline = byName("aws:imagebuilder/imagePipeline:ImagePipeline", "base-image-linux").inputs;
    const imageLogs = byName("aws:cloudwatch/logGroup:LogGroup", "base-image-linux-image-logs").inputs;

    assert.equal(pipeline.imageTestsConfiguration.imageTestsEnabled, true);
    assert.equal(pipeline.status, "ENABLED");
    assert.equal(pipeline.loggingConfiguration.imageLogGroupName, "/aws/imagebuilder/phoenix-test-linux");
    assert.equal(imageLogs.name, "/aws/imagebuilder/phoenix-test-linux");
    assert.equal(imageLogs.retentionInDays, 90);
  });
});

for (const stack of ["live", "test"]) {
  describe(`the ${stack} stack's base image`, () => {
    let mocks: PulumiMocks;
    let program: Record<string, unknown>;

    before(async () => {
      mocks = await setupMocks(stack, { calls: PUBLIC_ALIAS_LOOKUP });
      program = loadProgram();
      await settle();
    });

    it("runs the pipeline, named after the stack", () => {
      const pipeline = mocks.one("phoenix:ami:BaseImagePipeline");
      const imagePipeline = mocks.one("aws:imagebuilder/imagePipeline:ImagePipeline");

      assert.equal(pipeline.name, `${stack}-image`);
      assert.equal(imagePipeline.inputs.name, `phoenix-${stack}-linux`);
    });

    it("boots every tier from the parameter the pipeline publishes", () => {
      const templates = mocks.ofType("aws:ec2/launchTemplate:LaunchTemplate");

      assert.equal(templates.length, 2);
      for (const t of templates) assert.equal(t.inputs.imageId, `resolve:ssm:/phoenix/${stack}/base-image`);
      assert.equal(
        mocks.one("aws:ssm/parameter:Parameter", `${stack}-image-base-image`).inputs.name,
        `/phoenix/${stack}/base-image`,
      );
    });

    it("builds in a private subnet behind a security group that admits nothing", () => {
      const infra = mocks.one("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration").inputs;
      const sg = mocks.one("aws:ec2/securityGroup:SecurityGroup", `${stack}-image-builds`);
      const ingress = mocks
        .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .filter((r) => r.inputs.securityGroupId === sg.id);
      const egress = mocks
        .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        .filter((r) => r.inputs.securityGroupId === sg.id)
        .map((r) => r.inputs.fromPort)
        .sort((a, b) => a - b);

      assert.match(infra.subnetId, /private/);
      assert.deepEqual(infra.securityGroupIds, [sg.id]);
      assert.deepEqual(ingress, []);
      assert.deepEqual(egress, [80, 443]);
    });

    it("exports the pipeline's ARN, to start a build by hand", async () => {
      const arn = await new Promise((resolve) =>
        (program.imagePipelineArn as { apply: (f: (v: unknown) => unknown) => unknown }).apply(resolve),
      );

      assert.match(String(arn), /imagebuilder/);
    });
  });
}
