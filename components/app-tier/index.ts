// One application tier (web or api): its security group, least-privilege instance role (iam.ts), hardened launch
// template with the rendered boot script, the Auto Scaling Group behind the load balancer, and its scaling (target
// tracking on requests per target and CPU, scheduled actions). Instances are never changed in place, only replaced.
// Its arguments and their checks live in args.ts.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROOT_DEVICE } from "../../ami/recipe";
import { encodePolicyTag, MANAGED_BY, Platform, TAGS, tierTags } from "../../runtime/contract";
import { renderBootScript } from "../../userdata/render";
import { AppTierArgs, validateAppTierArgs } from "./args";
import { INSTANCE_TRUST_POLICY, instancePolicyDocument } from "./iam";

export { AppTierArgs, validateAppTierArgs } from "./args";
export { INSTANCE_TRUST_POLICY, instancePolicyDocument, InstancePolicyInput } from "./iam";

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

/** One tier of the fleet: an Auto Scaling Group of identical, replaceable instances behind the load balancer. */
export class AppTier extends pulumi.ComponentResource {
  /** The tier's name (`web`, `api`): its `phoenix:tier` tag, and the artifact its instances install. */
  readonly tier: string;
  /** The port the tier serves on: route the load balancer and the rollout's /version probes to it. */
  readonly port: number;
  /** The OS the tier runs, which decides its boot script and the base image it must follow. */
  readonly platform: Platform;
  /** The instances' security group: admit another group to the app port with admit(), never by hand. */
  readonly securityGroupId: pulumi.Output<string>;
  /** The instance role's ARN: what every instance of the tier may do (iam.ts), for audits and resource policies. */
  readonly roleArn: pulumi.Output<string>;
  /** The instance role's name, to attach a further policy an app needs (keep it as narrow as iam.ts). */
  readonly roleName: pulumi.Output<string>;
  /** The launch template every new instance starts from; its latest version is the one the group launches. */
  readonly launchTemplateId: pulumi.Output<string>;
  /** The Auto Scaling Group's name: the rollout Lambda's events, the dashboard and `aws autoscaling` use it. */
  readonly groupName: pulumi.Output<string>;
  /** The Auto Scaling Group's ARN, for IAM conditions and event rules on this group. */
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

    // Identity: read this environment's manifest and this tier's artifacts, ship the boot log, report own health.
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `phoenix ${args.environment} ${args.tier} instances`,
        assumeRolePolicy: INSTANCE_TRUST_POLICY,
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
            JSON.stringify(
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
          ),
      },
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

    this.scaling(name, args, group);

    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      roleArn: this.roleArn,
      launchTemplateId: this.launchTemplateId,
      groupName: this.groupName,
      groupArn: this.groupArn,
    });
  }

  /** Scaling: follow the requests each instance serves, optionally CPU, and the configured schedule. */
  private scaling(name: string, args: AppTierArgs, group: aws.autoscaling.Group): void {
    const parent = { parent: this };
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
