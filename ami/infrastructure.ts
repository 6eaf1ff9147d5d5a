// Where and as whom the pipeline works: the build and test instances' role and profile, each platform's
// infrastructure configuration (private subnet, IMDSv2 only, never outliving a failed build), and the role Image
// Builder retires old images with. Every role holds AWS's managed policy for its job and nothing else.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../runtime/contract";
import { recipeName } from "./recipe";

/** The partition's name and DNS suffix (`aws`, `amazonaws.com`), as aws.getPartitionOutput returns them. */
export interface PartitionNames {
  partition: pulumi.Input<string>;
  dnsSuffix: pulumi.Input<string>;
}

/** A role trust policy letting one AWS service (`ec2`, `imagebuilder`) assume the role, in the stack's partition. */
export function serviceTrustPolicy(service: string, dnsSuffix: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: `${service}.${dnsSuffix}` }, Action: "sts:AssumeRole" }],
  });
}

/** The ARN of an AWS-managed policy (`AmazonSSMManagedInstanceCore`, `service-role/...`) in the stack's partition. */
function managedPolicyArn(partition: PartitionNames, policyName: string): pulumi.Output<string> {
  return pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${policyName}`;
}

/** The AWS-managed policies of the build and test instances: SSM drives them, Image Builder runs components and logs. */
export const BUILD_INSTANCE_POLICIES = ["AmazonSSMManagedInstanceCore", "EC2InstanceProfileForImageBuilder"];

/** The AWS-managed policy the lifecycle role holds: deprecate and delete images and their snapshots. */
export const LIFECYCLE_POLICY = "service-role/EC2ImageBuilderLifecycleExecutionPolicy";

/**
 * The build and test instances' profile: a role with exactly what Image Builder needs to drive them, nothing the
 * components themselves might want.
 */
export function buildInstanceProfile(
  name: string,
  c: { environment: string; partition: PartitionNames; tags: Record<string, string> },
  parent: pulumi.Resource,
): aws.iam.InstanceProfile {
  const role = new aws.iam.Role(
    `${name}-instance`,
    {
      description: `phoenix ${c.environment}: Image Builder build and test instances`,
      assumeRolePolicy: pulumi.output(c.partition.dnsSuffix).apply((dnsSuffix) => serviceTrustPolicy("ec2", dnsSuffix)),
      tags: c.tags,
    },
    { parent },
  );
  for (const policyName of BUILD_INSTANCE_POLICIES) {
    new aws.iam.RolePolicyAttachment(
      `${name}-instance-${policyName}`,
      { role: role.name, policyArn: managedPolicyArn(c.partition, policyName) },
      { parent },
    );
  }
  return new aws.iam.InstanceProfile(`${name}-instance`, { role: role.name, tags: c.tags }, { parent });
}

/** One platform's build infrastructure: private, IMDSv2 only, terminated when a build fails. */
export function buildInfrastructure(
  name: string,
  c: {
    environment: string;
    platform: Platform;
    instanceProfileName: pulumi.Input<string>;
    instanceTypes: string[];
    subnetId: pulumi.Input<string>;
    securityGroupId: pulumi.Input<string>;
    tags: Record<string, string>;
  },
  parent: pulumi.Resource,
): aws.imagebuilder.InfrastructureConfiguration {
  return new aws.imagebuilder.InfrastructureConfiguration(
    `${name}-${c.platform}`,
    {
      name: recipeName(c.environment, c.platform),
      description: `phoenix ${c.environment}: private, IMDSv2-only build instances that never outlive a failed build`,
      instanceProfileName: c.instanceProfileName,
      instanceTypes: c.instanceTypes,
      subnetId: c.subnetId,
      securityGroupIds: [c.securityGroupId],
      terminateInstanceOnFailure: true,
      instanceMetadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
      resourceTags: c.tags,
      tags: c.tags,
    },
    { parent },
  );
}

/**
 * The role the lifecycle policy runs as: trusted by Image Builder only, with AWS's lifecycle execution policy. The
 * attachment is returned so the policy can wait for it.
 */
export function lifecycleRole(
  name: string,
  c: { environment: string; partition: PartitionNames; tags: Record<string, string> },
  parent: pulumi.Resource,
): { role: aws.iam.Role; attachment: aws.iam.RolePolicyAttachment } {
  const role = new aws.iam.Role(
    `${name}-lifecycle`,
    {
      description: `phoenix ${c.environment}: Image Builder deprecates and deletes old base images`,
      assumeRolePolicy: pulumi
        .output(c.partition.dnsSuffix)
        .apply((dnsSuffix) => serviceTrustPolicy("imagebuilder", dnsSuffix)),
      tags: c.tags,
    },
    { parent },
  );
  const attachment = new aws.iam.RolePolicyAttachment(
    `${name}-lifecycle`,
    { role: role.name, policyArn: managedPolicyArn(c.partition, LIFECYCLE_POLICY) },
    { parent },
  );
  return { role, attachment };
}
