// One application tier (web or api): its security group, least-privilege instance role, hardened launch template
// with the rendered boot script, the Auto Scaling Group behind the load balancer, and its scaling (target tracking on
// requests per target and CPU, scheduled actions). Instances are never changed in place, only replaced.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RolloutStrategy, ScheduledScaling } from "../config";
import {
  encodePolicyTag,
  MANAGED_BY,
  MANIFEST_KEY,
  Platform,
  TAGS,
  tierArtifactPattern,
  tierTags,
} from "../runtime/contract";
import type { GroupPolicy } from "../runtime/core/types";
import { renderBootScript } from "../userdata/render";

/** Group metrics published every minute: what the dashboard and the terminator's reasoning need. */
export const GROUP_METRICS: aws.types.enums.autoscaling.Metric[] = [
  "GroupMinSize",
  "GroupMaxSize",
  "GroupDesiredCapacity",
  "GroupInServiceInstances",
  "GroupPendingInstances",
  "GroupStandbyInstances",
  "GroupTerminatingInstances",
  "GroupTotalInstances",
];

/** Root device of the AWS images per platform: a mapping on any other name would add a second volume. */
export const ROOT_DEVICE: Record<Platform, string> = { linux: "/dev/xvda", windows: "/dev/sda1" };

export interface AppTierArgs {
  /** Environment (stack) name: tags, the role's scope (`/phoenix/<env>/*`). */
  environment: string;
  /** Tier name: `web` or `api`; the artifact the boot script installs and the `phoenix:tier` tag. */
  tier: string;
  platform: Platform;
  /** Port the app serves on, /version included. */
  port: number;
  instanceType: string;
  /** Launch template image: an AMI id or `resolve:ssm:<parameter>` (see ami/image-source.ts). */
  imageId: string;
  rootVolumeSizeGiB: number;
  minSize: number;
  maxSize: number;
  /** Instances at creation only: later updates never touch it, so a deploy never fights the autoscaler. */
  desiredCapacity: number;
  healthCheckGracePeriodSeconds: number;
  /** Rollout strategy, tagged `phoenix:strategy` for the rollout Lambda. */
  strategy: RolloutStrategy;
  /** Rollout policy (floor, limits), tagged `phoenix:policy` so `phoenix plan`/`sweep` keep the Lambda's floor. */
  rolloutPolicy?: GroupPolicy;
  /** ALBRequestCountPerTarget target; 0 adds no request-based policy. */
  requestsPerTarget: number;
  /** Average CPU percent target; 0 adds no CPU policy. */
  cpuTargetPercent: number;
  /** Seconds a new instance's metrics are left out of scaling (the group's default instance warm-up). */
  instanceWarmupSeconds: number;
  /** Scheduled capacity changes. @default none */
  schedules?: ScheduledScaling[];
  vpcId: pulumi.Input<string>;
  /** Private subnets the instances run in, one per zone. */
  privateSubnetIds: pulumi.Input<string[]>;
  /** Target group the group registers its instances in. */
  targetGroupArn: pulumi.Input<string>;
  /** `targetgroup/<name>/<id>`, for the request-count metric's label. */
  targetGroupArnSuffix: pulumi.Input<string>;
  /** `app/<name>/<id>`, for the request-count metric's label. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** The load balancer's security group: the only source of client traffic. */
  loadBalancerSecurityGroupId: pulumi.Input<string>;
  /** The rollout Lambda's security group, admitted to the app port to probe /version. @default none (see admit()) */
  rolloutSecurityGroupId?: pulumi.Input<string>;
  releaseBucketName: pulumi.Input<string>;
  releaseBucketArn: pulumi.Input<string>;
  /** Log group the boot script ships its log to. */
  bootLogGroupName: string;
  bootLogGroupArn: pulumi.Input<string>;
  /** Region and account, for the ARNs the role is scoped to. */
  region: string;
}

/** Checks the args before anything is created; throws naming the value and what is allowed. */
export function validateAppTierArgs(args: AppTierArgs): void {
  const fail = (what: string) => {
    throw new Error(`AppTier ${args.environment}-${args.tier}: ${what}`);
  };
  if (args.minSize < 0 || args.minSize > args.maxSize)
    fail(`minSize ${args.minSize} must be from 0 to maxSize ${args.maxSize}`);
  if (args.desiredCapacity < args.minSize || args.desiredCapacity > args.maxSize) {
    fail(`desiredCapacity ${args.desiredCapacity} must be within minSize..maxSize (${args.minSize}..${args.maxSize})`);
  }
  if (args.port === 22 || args.port === 3389) fail(`port ${args.port} is an administrative port phoenix never opens`);
  if (args.cpuTargetPercent < 0 || args.cpuTargetPercent > 100)
    fail(`cpuTargetPercent ${args.cpuTargetPercent} must be 0 (off) to 100`);
  if (args.requestsPerTarget < 0) fail(`requestsPerTarget ${args.requestsPerTarget} must be 0 (off) or more`);
  if (!/^(ami-[0-9a-f]+|resolve:ssm:\/\S+)$/.test(args.imageId))
    fail(`imageId ${args.imageId} must be an AMI id or resolve:ssm:<parameter>`);
}

/** The instance role's inline policy: its environment's manifest and its tier's artifacts, parameters, boot log. */
export function instancePolicyDocument(p: {
  partition: string;
  region: string;
  accountId: string;
  environment: string;
  tier: string;
  releaseBucketArn: string;
  bootLogGroupArn: string;
}): string {
  const logGroup = p.bootLogGroupArn.replace(/:\*$/, "");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadManifestAndOwnArtifacts",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [`${p.releaseBucketArn}/${MANIFEST_KEY}`, `${p.releaseBucketArn}/${tierArtifactPattern(p.tier)}`],
      },
      {
        Sid: "ReadEnvironmentParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:GetParameters"],
        Resource: `arn:${p.partition}:ssm:${p.region}:${p.accountId}:parameter/phoenix/${p.environment}/*`,
      },
      {
        Sid: "ShipBootLog",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [`${logGroup}:*`, `${logGroup}:log-stream:*`],
      },
      {
        // A failed boot marks its own instance unhealthy so the group replaces it at once.
        Sid: "ReportOwnHealth",
        Effect: "Allow",
        Action: "autoscaling:SetInstanceHealth",
        Resource: "*",
        Condition: {
          StringEquals: {
            [`autoscaling:ResourceTag/${TAGS.environment}`]: p.environment,
            [`autoscaling:ResourceTag/${TAGS.tier}`]: p.tier,
          },
        },
      },
    ],
  });
}

export class AppTier extends pulumi.ComponentResource {
  readonly tier: string;
  readonly port: number;
  readonly platform: Platform;
  readonly securityGroupId: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;
  readonly launchTemplateId: pulumi.Output<string>;
  readonly groupName: pulumi.Output<string>;
  readonly groupArn: pulumi.Output<string>;
  private readonly name: string;
  private readonly tags: Record<string, string>;

  constructor(name: string, args: AppTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:fleet:AppTier", name, {}, opts);
    validateAppTierArgs(args);
    this.name = name;
    this.tier = args.tier;
    this.port = args.port;
    this.platform = args.platform;
    const parent = { parent: this };
    const tags = tierTags(args.environment, args.tier);
    this.tags = tags;

    // Network: the app port from the load balancer (and the rollout Lambda), HTTPS out. Nothing else, ever.
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `phoenix ${args.environment} ${args.tier}: app port from the load balancer only`,
        tags,
      },
      parent,
    );
    this.securityGroupId = sg.id;
    this.admit("lb", args.loadBalancerSecurityGroupId, "load balancer traffic and health checks");
    if (args.rolloutSecurityGroupId !== undefined)
      this.admit("rollout", args.rolloutSecurityGroupId, "rollout Lambda /version probes");
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-out-https`,
      {
        securityGroupId: sg.id,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: "0.0.0.0/0",
        description: "AWS APIs, S3, package repositories",
        tags,
      },
      parent,
    );
    if (args.platform === "windows") {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-out-kms`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: 1688,
          toPort: 1688,
          cidrIpv4: "169.254.169.250/31",
          description: "Windows activation (AWS KMS hosts)",
          tags,
        },
        parent,
      );
    }

    // Identity: read this environment's manifest, this tier's artifacts and parameters; ship logs; nothing else.
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `phoenix ${args.environment} ${args.tier} instances`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags,
      },
      parent,
    );
    const partition = aws.getPartitionOutput({}, parent).partition;
    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([partition, accountId, args.releaseBucketArn, args.bootLogGroupArn])
          .apply(([partition, accountId, releaseBucketArn, bootLogGroupArn]) =>
            instancePolicyDocument({
              partition,
              region: args.region,
              accountId,
              environment: args.environment,
              tier: args.tier,
              releaseBucketArn,
              bootLogGroupArn,
            }),
          ),
      },
      parent,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-cloudwatch-agent`,
      { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/CloudWatchAgentServerPolicy` },
      parent,
    );
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags }, parent);
    this.roleArn = role.arn;
    this.roleName = role.name;

    // Launch template: IMDSv2 only, no key pair, no public address, encrypted gp3 root, the boot script.
    const userData = pulumi.output(args.releaseBucketName).apply((releaseBucket) =>
      Buffer.from(
        renderBootScript({
          platform: args.platform,
          environment: args.environment,
          tier: args.tier,
          port: args.port,
          releaseBucket,
          logGroupName: args.bootLogGroupName,
        }),
      ).toString("base64"),
    );
    const instanceTags = { ...tags, Name: `${args.environment}-${args.tier}`, [TAGS.port]: String(args.port) };
    const lt = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        description: `phoenix ${args.environment} ${args.tier} (${args.platform})`,
        imageId: args.imageId,
        instanceType: args.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        networkInterfaces: [
          { deviceIndex: 0, associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: [sg.id] },
        ],
        blockDeviceMappings: [
          {
            deviceName: ROOT_DEVICE[args.platform],
            ebs: {
              volumeType: "gp3",
              volumeSize: args.rootVolumeSizeGiB,
              encrypted: "true",
              deleteOnTermination: "true",
            },
          },
        ],
        userData,
        updateDefaultVersion: true,
        tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
          resourceType,
          tags: instanceTags,
        })),
        tags,
      },
      parent,
    );
    this.launchTemplateId = lt.id;

    // The group: private subnets, ELB health, the target group, phoenix's tags on every instance.
    const groupTags: Record<string, string> = {
      [TAGS.environment]: args.environment,
      [TAGS.tier]: args.tier,
      [TAGS.port]: String(args.port),
      [TAGS.strategy]: args.strategy,
      ...(args.rolloutPolicy !== undefined && { [TAGS.policy]: encodePolicyTag(args.rolloutPolicy) }),
      [TAGS.managedBy]: MANAGED_BY,
      Name: `${args.environment}-${args.tier}`,
    };
    const group = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        vpcZoneIdentifiers: args.privateSubnetIds,
        minSize: args.minSize,
        maxSize: args.maxSize,
        desiredCapacity: args.desiredCapacity,
        launchTemplate: { id: lt.id, version: lt.latestVersion.apply((v) => String(v)) },
        healthCheckType: "ELB",
        healthCheckGracePeriod: args.healthCheckGracePeriodSeconds,
        targetGroupArns: [args.targetGroupArn],
        defaultInstanceWarmup: args.instanceWarmupSeconds,
        enabledMetrics: GROUP_METRICS,
        metricsGranularity: "1Minute",
        // Scale-in removes the oldest first: the same direction the terminator converges in.
        terminationPolicies: ["OldestLaunchTemplate", "OldestInstance"],
        // A fresh environment has no release yet, so its instances cannot become healthy: do not block the deploy.
        waitForCapacityTimeout: "0",
        tags: Object.entries(groupTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      },
      // Desired capacity belongs to scaling and surge rollouts after creation.
      { parent: this, ignoreChanges: ["desiredCapacity"] },
    );
    this.groupName = group.name;
    this.groupArn = group.arn;

    // Scaling: follow the requests each instance serves, optionally CPU, and the configured schedule.
    if (args.requestsPerTarget > 0) {
      new aws.autoscaling.Policy(
        `${name}-requests`,
        {
          autoscalingGroupName: group.name,
          policyType: "TargetTrackingScaling",
          targetTrackingConfiguration: {
            predefinedMetricSpecification: {
              predefinedMetricType: "ALBRequestCountPerTarget",
              resourceLabel: pulumi.interpolate`${args.loadBalancerArnSuffix}/${args.targetGroupArnSuffix}`,
            },
            targetValue: args.requestsPerTarget,
          },
        },
        parent,
      );
    }
    if (args.cpuTargetPercent > 0) {
      new aws.autoscaling.Policy(
        `${name}-cpu`,
        {
          autoscalingGroupName: group.name,
          policyType: "TargetTrackingScaling",
          targetTrackingConfiguration: {
            predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
            targetValue: args.cpuTargetPercent,
          },
        },
        parent,
      );
    }
    for (const schedule of args.schedules ?? []) {
      new aws.autoscaling.Schedule(
        `${name}-${schedule.name}`,
        {
          autoscalingGroupName: group.name,
          scheduledActionName: schedule.name,
          recurrence: schedule.cron,
          timeZone: schedule.timeZone,
          minSize: schedule.minSize,
          maxSize: schedule.maxSize,
          desiredCapacity: schedule.desiredCapacity,
        },
        parent,
      );
    }

    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      roleArn: this.roleArn,
      launchTemplateId: this.launchTemplateId,
      groupName: this.groupName,
      groupArn: this.groupArn,
    });
  }

  /**
   * Admits another security group to the app port (and nothing else): the load balancer, and the rollout Lambda
   * when it is created after the tier. `label` names the rule: `${tier name}-in-${label}`.
   */
  admit(label: string, securityGroupId: pulumi.Input<string>, description: string): aws.vpc.SecurityGroupIngressRule {
    return new aws.vpc.SecurityGroupIngressRule(
      `${this.name}-in-${label}`,
      {
        securityGroupId: this.securityGroupId,
        referencedSecurityGroupId: securityGroupId,
        ipProtocol: "tcp",
        fromPort: this.port,
        toPort: this.port,
        description,
        tags: this.tags,
      },
      { parent: this },
    );
  }
}
