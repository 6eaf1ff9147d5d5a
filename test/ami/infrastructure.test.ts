// Where and as whom the pipeline works: the build instances' profile and infrastructure, and the lifecycle role.
import * as assert from "node:assert/strict";
import type { PulumiMocks } from "../support/pulumi-mocks";
import { BuiltPipelines, buildPipelines } from "./fixture";

describe("the pipeline's roles and build infrastructure under mocks", () => {
  let mocks: PulumiMocks;
  let byName: BuiltPipelines["byName"];

  before(async () => {
    ({ mocks, byName } = await buildPipelines());
  });

  it("gives build instances a profile with SSM core and the Image Builder instance policy, narrowed by one deny", () => {
    const role = byName("aws:iam/role:Role", "base-image-instance");
    const attached = mocks
      .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((a) => a.inputs.role === role.state.name)
      .map((a) => a.inputs.policyArn)
      .sort();
    const inline = mocks.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.state.name);
    const profile = byName("aws:iam/instanceProfile:InstanceProfile", "base-image-instance");

    assert.deepEqual(attached, [
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
      "arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder",
    ]);
    assert.deepEqual(
      inline.map((p) => JSON.parse(p.inputs.policy).Statement.map((s: { Effect: string }) => s.Effect)),
      [["Deny", "Deny"]],
    );
    assert.equal(role.inputs.managedPolicyArns, undefined);
    assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    assert.equal(profile.inputs.role, role.state.name);
  });

  it("builds in the given private subnet and security group, IMDSv2 only, terminating failed builds", () => {
    const infra = byName(
      "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
      "base-image-linux",
    ).inputs;
    const profile = byName("aws:iam/instanceProfile:InstanceProfile", "base-image-instance");

    assert.deepEqual(infra.instanceMetadataOptions, { httpTokens: "required", httpPutResponseHopLimit: 1 });
    assert.equal(infra.subnetId, "subnet-private-a");
    assert.deepEqual(infra.securityGroupIds, ["sg-image-builds"]);
    assert.equal(infra.terminateInstanceOnFailure, true);
    assert.equal(infra.instanceProfileName, profile.state.name);
    assert.equal(infra.keyPair, undefined);
  });

  it("runs lifecycle actions under their own role with Image Builder's lifecycle policy, narrowed by one deny", () => {
    const role = byName("aws:iam/role:Role", "base-image-lifecycle");
    const attached = mocks
      .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((a) => a.inputs.role === role.state.name)
      .map((a) => a.inputs.policyArn);
    const policy = byName("aws:imagebuilder/lifecyclePolicy:LifecyclePolicy", "base-image-lifecycle").inputs;

    const inline = mocks.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.state.name);

    assert.deepEqual(attached, ["arn:aws:iam::aws:policy/service-role/EC2ImageBuilderLifecycleExecutionPolicy"]);
    assert.deepEqual(
      inline.map((p) => JSON.parse(p.inputs.policy).Statement.map((s: { Effect: string }) => s.Effect)),
      [["Deny"]],
    );
    assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal, {
      Service: "imagebuilder.amazonaws.com",
    });
    assert.equal(policy.executionRole, role.state.arn);
  });
});
