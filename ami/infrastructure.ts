// Where and as whom the pipeline works: the build and test instances' role and profile, each platform's
// infrastructure configuration (private subnet, IMDSv2 only, never outliving a failed build), and the role Image
// Builder retires old images with. Every role holds AWS's managed policy for its job, narrowed by an inline deny to
// its own environment: AWS's policies grant every parameter, every Image Builder log group and every Image Builder
// image of the account, and a test build must not read live's parameters or retire live's images.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TAGS, type Platform } from "../runtime/contract";
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

/** An inline policy of Deny statements (ami/ sits below components/, so it has its own small shape). */
export interface DenyDocument {
  Version: "2012-10-17";
  Statement: {
    Sid: string;
    Effect: "Deny";
    Action: string[];
    Resource?: string;
    NotResource?: string[];
    Condition?: Record<string, Record<string, string>>;
  }[];
}

/**
 * What the build and test instances may not do although AWS's policies allow it: read any phoenix parameter (the
 * build needs none; AmazonSSMManagedInstanceCore grants ssm:GetParameter on "*"), or write any Image Builder log but
 * their own environment's (EC2InstanceProfileForImageBuilder grants every `/aws/imagebuilder/*` group).
 */
export function buildInstanceScopeDocument(partition: string, environment: string): DenyDocument {
  const logs = `arn:${partition}:logs:*:*:log-group:/aws/imagebuilder`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "NoPhoenixParameters",
        Effect: "Deny",
        Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
        Resource: `arn:${partition}:ssm:*:*:parameter/phoenix/*`,
      },
      {
        Sid: "OwnEnvironmentsBuildLogsOnly",
        Effect: "Deny",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        NotResource: [`${logs}/phoenix-${environment}-*`, `${logs}/pipeline/phoenix-${environment}-*`],
      },
    ],
  };
}

/**
 * What the lifecycle role may not do although EC2ImageBuilderLifecycleExecutionPolicy allows it: deprecate, disable
 * or deregister an image that is not its own environment's (AWS's policy admits any image Image Builder created).
 */
export function lifecycleScopeDocument(partition: string, environment: string): DenyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "OwnEnvironmentsImagesOnly",
        Effect: "Deny",
        Action: [
          "ec2:DeregisterImage",
          "ec2:DisableImage",
          "ec2:EnableImage",
          "ec2:EnableImageDeprecation",
          "ec2:DisableImageDeprecation",
        ],
        Resource: `arn:${partition}:ec2:*::image/*`,
        Condition: { StringNotEquals: { [`aws:ResourceTag/${TAGS.environment}`]: environment } },
      },
    ],
  };
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
  new aws.iam.RolePolicy(
    `${name}-instance-scope`,
    {
      role: role.name,
      policy: pulumi
        .output(c.partition.partition)
        .apply((partition) => JSON.stringify(buildInstanceScopeDocument(partition, c.environment))),
    },
    { parent },
  );
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
  new aws.iam.RolePolicy(
    `${name}-lifecycle-scope`,
    {
      role: role.name,
      policy: pulumi
        .output(c.partition.partition)
        .apply((partition) => JSON.stringify(lifecycleScopeDocument(partition, c.environment))),
    },
    { parent },
  );
  return { role, attachment };
}
