// The rollout Lambda ("the terminator" and the release trigger): a TypeScript closure that calls the handler factory
// from runtime/handlers.ts, its own least-privilege role, its place in the private subnets, and its three triggers —
// a schedule, the release manifest landing in S3, this environment's instance launches and terminations, and its own
// delayed follow-ups through an SQS delay queue (a sweep that waits on a booting instance asks for one more sweep).
//
// One function serves every trigger on purpose: with reserved concurrency 1, a release event and a scheduled sweep
// can never act on the same stale view of the fleet at once.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  DEFAULT_FOLLOW_UP_DELAY_SECONDS,
  ENV,
  createRolloutHandler,
  policyForTiers,
} from "../../runtime/lambda/handlers";
import type { RolloutHandler } from "../../runtime/lambda/handlers";
import { MANIFEST_KEY } from "../../runtime/core/manifest";
import type { GroupPolicy } from "../../runtime/core/types";

/** One tier the rollout watches. */
export interface RolloutTier {
  /** Tier name, as in the `phoenix:tier` tag (`web`, `api`). */
  name: string;
  /** The port instances serve /version on; the Lambda's security group may reach it and nothing else in the VPC. */
  port: number;
  /** The tier's Auto Scaling Group: its launch and terminate events start a sweep. */
  autoScalingGroupName: pulumi.Input<string>;
  /** This tier's overrides of the environment's policy (floor, max per sweep). @default none */
  policy?: Partial<GroupPolicy>;
}

export interface RolloutArgs {
  /** The environment (stack) name: the `phoenix:environment` tag value the Lambda may act on. */
  environment: string;
  vpcId: pulumi.Input<string>;
  /** The VPC's CIDR block: the Lambda's only destination inside the VPC (on the tiers' ports). */
  vpcCidrBlock: pulumi.Input<string>;
  /** Private subnets the Lambda runs in (it reaches AWS APIs through their NAT or endpoints). */
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The release bucket: its `releases/current.json` triggers the release handler. */
  releaseBucketName: pulumi.Input<string>;
  releaseBucketArn: pulumi.Input<string>;
  tiers: RolloutTier[];
  /** The environment-wide policy; each tier's `policy` overrides it. */
  policy: GroupPolicy;
  /** Deadline of one /version probe. @default 2000 */
  probeTimeoutMs?: number;
  /** /version probes in flight at once. @default 64 */
  probeConcurrency?: number;
  /** @default 256 */
  memorySizeMb?: number;
  /** Must exceed the sweep's budget: the probe deadline plus 30 s for the AWS reads and terminations. @default 120 */
  timeoutSeconds?: number;
  /** When the terminator runs without any event. @default "rate(5 minutes)" */
  scheduleExpression?: string;
  /** Retries of a failed asynchronous invocation (0-2) before it goes to the dead-letter queue. @default 1 */
  maximumRetryAttempts?: number;
  /** An event older than this (throttled behind a long sweep) is dropped to the dead-letter queue. @default 3600 */
  maximumEventAgeSeconds?: number;
  /** Days the function's logs (sweep records and EMF metrics) are kept. @default 30 */
  logRetentionDays?: number;
  /** Plan and log every sweep but terminate nothing: the pause switch of a rollout. @default false */
  paused?: boolean;
  /** Where the dead-letter alarm notifies (SNS topic ARNs). @default none */
  alarmActions?: pulumi.Input<string>[];
  /** Seconds from a sweep that waits on a booting instance to its follow-up sweep (SQS allows 0-900). @default 15 */
  followUpDelaySeconds?: number;
}

/** The SQS actions on the follow-up queue: the handler sends and counts, the event source receives and deletes. */
export const FOLLOW_UP_QUEUE_ACTIONS = [
  "sqs:SendMessage",
  "sqs:GetQueueAttributes",
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
];

/** Seconds a follow-up message is kept: it is useful minutes after it was sent, never hours. */
export const FOLLOW_UP_RETENTION_SECONDS = 3600;

/** Seconds a sweep may need beyond one probe deadline: paginated reads, target health, terminations. */
export const SWEEP_OVERHEAD_SECONDS = 30;

/** Rejects args a deployed rollout could not work with, naming the value and what is allowed. */
export function validateRolloutArgs(args: RolloutArgs): void {
  const probeTimeoutMs = args.probeTimeoutMs ?? 2000;
  const timeoutSeconds = args.timeoutSeconds ?? 120;
  const memorySizeMb = args.memorySizeMb ?? 256;
  const retries = args.maximumRetryAttempts ?? 1;
  const schedule = args.scheduleExpression ?? "rate(5 minutes)";
  if (!/^[a-z0-9][a-z0-9-]*$/.test(args.environment)) {
    throw new Error(`rollout: environment "${args.environment}" must be lowercase letters, digits and dashes`);
  }
  if (!Number.isInteger(probeTimeoutMs) || probeTimeoutMs < 100 || probeTimeoutMs > 60_000) {
    throw new Error(`rollout: probeTimeoutMs is ${probeTimeoutMs}; use a whole number from 100 to 60000`);
  }
  const probeConcurrency = args.probeConcurrency ?? 64;
  if (!Number.isInteger(probeConcurrency) || probeConcurrency < 1 || probeConcurrency > 1024) {
    throw new Error(`rollout: probeConcurrency is ${probeConcurrency}; use a whole number from 1 to 1024`);
  }
  const minTimeout = Math.ceil(probeTimeoutMs / 1000) + SWEEP_OVERHEAD_SECONDS;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= minTimeout || timeoutSeconds > 900) {
    throw new Error(
      `rollout: timeoutSeconds is ${timeoutSeconds}; it must exceed the probe deadline plus ` +
        `${SWEEP_OVERHEAD_SECONDS} s (more than ${minTimeout}) and be at most 900`,
    );
  }
  if (!Number.isInteger(memorySizeMb) || memorySizeMb < 128 || memorySizeMb > 10_240) {
    throw new Error(`rollout: memorySizeMb is ${memorySizeMb}; use a whole number from 128 to 10240`);
  }
  if (!Number.isInteger(retries) || retries < 0 || retries > 2) {
    throw new Error(`rollout: maximumRetryAttempts is ${retries}; Lambda allows 0, 1 or 2`);
  }
  if (!/^(rate|cron)\(.+\)$/.test(schedule)) {
    throw new Error(`rollout: scheduleExpression "${schedule}" must be rate(...) or cron(...), e.g. rate(5 minutes)`);
  }
  const followUpDelay = args.followUpDelaySeconds ?? DEFAULT_FOLLOW_UP_DELAY_SECONDS;
  if (!Number.isInteger(followUpDelay) || followUpDelay < 0 || followUpDelay > 900) {
    throw new Error(`rollout: followUpDelaySeconds is ${followUpDelay}; SQS delays a message 0 to 900 seconds`);
  }
  if (args.tiers.length === 0) {
    throw new Error("rollout: no tiers given; the rollout needs at least one tier to watch");
  }
  for (const tier of args.tiers) {
    if (!Number.isInteger(tier.port) || tier.port < 1 || tier.port > 65_535) {
      throw new Error(`rollout: tier ${tier.name} port ${tier.port} is not a TCP port (1-65535)`);
    }
  }
}

/** Packages the handler never loads: the Lambda runtime ships @aws-sdk v3; the rest serve the CLI or Pulumi. */
export const EXCLUDED_PACKAGES = [
  "@aws-sdk/client-auto-scaling",
  "@aws-sdk/client-ec2",
  "@aws-sdk/client-elastic-load-balancing-v2",
  "@aws-sdk/client-s3",
  "@aws-sdk/client-ssm",
  "@aws-sdk/client-sqs",
  // The CLI's and the rehearsal's packages: the handler never loads them.
  "commander",
  "fflate",
  "vega",
  "vega-lite",
];

/** The inputs of the role's policy, resolved. */
export interface RolloutPolicyInput {
  partition: string;
  region: string;
  accountId: string;
  environment: string;
  bucketArn: string;
  logGroupArn: string;
  deadLetterQueueArn: string;
  /** The follow-up delay queue: the only queue the function sends to and receives from. */
  followUpQueueArn: string;
  subnetIds: string[];
  securityGroupId: string;
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** The rollout role's whole policy: exactly the calls runtime/aws makes, each on the narrowest resource AWS allows. */
export function rolloutPolicyDocument(p: RolloutPolicyInput): { Version: "2012-10-17"; Statement: PolicyStatement[] } {
  const arn = (service: string, resource: string) =>
    `arn:${p.partition}:${service}:${p.region}:${p.accountId}:${resource}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // These describe calls support no resource-level permissions: "*" is the only resource AWS accepts.
        Sid: "ReadFleet",
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups",
          "ec2:DescribeInstances",
          "elasticloadbalancing:DescribeTargetHealth",
        ],
        Resource: "*",
      },
      {
        Sid: "ReadManifest",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: `${p.bucketArn}/${MANIFEST_KEY}`,
      },
      {
        // The release handler checks (HeadObject, which S3 authorizes as GetObject) that every artifact the manifest
        // names exists before it terminates anything. Artifacts are `releases/<version>/<tier>.zip`.
        Sid: "CheckArtifactsExist",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: `${p.bucketArn}/releases/*.zip`,
      },
      {
        // Without it S3 answers a missing manifest with AccessDenied instead of NoSuchKey, and a fresh environment
        // (nothing published yet) would fail every sweep instead of falling back to the highest observed version.
        Sid: "TellMissingManifestApart",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: p.bucketArn,
      },
      {
        Sid: "ReadEnvironmentParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: arn("ssm", `parameter/phoenix/${p.environment}/*`),
      },
      {
        Sid: "TerminateOwnEnvironmentOnly",
        Effect: "Allow",
        Action: ["autoscaling:TerminateInstanceInAutoScalingGroup"],
        Resource: arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/*"),
        Condition: { StringEquals: { "autoscaling:ResourceTag/phoenix:environment": p.environment } },
      },
      {
        // Surge rollouts (runtime/aws/surge.ts): raise desired capacity first, hold scaling processes that would
        // undo it, restore both after. Same groups, same condition as terminations.
        Sid: "SurgeOwnEnvironmentOnly",
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity", "autoscaling:SuspendProcesses", "autoscaling:ResumeProcesses"],
        Resource: arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/*"),
        Condition: { StringEquals: { "autoscaling:ResourceTag/phoenix:environment": p.environment } },
      },
      {
        // A surge's state lives in the group's tags. Only `phoenix:surge-*` keys may be written or removed, so the
        // role can never retag a group into (or out of) an environment.
        Sid: "TagSurgeStateOnly",
        Effect: "Allow",
        Action: ["autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags"],
        Resource: arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/*"),
        Condition: {
          StringEquals: { "autoscaling:ResourceTag/phoenix:environment": p.environment },
          "ForAllValues:StringLike": { "aws:TagKeys": "phoenix:surge-*" },
        },
      },
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${p.logGroupArn}:*`,
      },
      {
        Sid: "SendFailuresToDeadLetterQueue",
        Effect: "Allow",
        Action: ["sqs:SendMessage"],
        Resource: p.deadLetterQueueArn,
      },
      {
        Sid: "FollowUpQueue",
        Effect: "Allow",
        Action: [...FOLLOW_UP_QUEUE_ACTIONS],
        Resource: p.followUpQueueArn,
      },
      {
        // The narrow equivalent of AWSLambdaVPCAccessExecutionRole (which grants these on "*"): interfaces only in
        // this function's subnets with this function's security group.
        Sid: "VpcCreateInterfaces",
        Effect: "Allow",
        Action: ["ec2:CreateNetworkInterface"],
        Resource: [
          arn("ec2", "network-interface/*"),
          ...p.subnetIds.map((id) => arn("ec2", `subnet/${id}`)),
          arn("ec2", `security-group/${p.securityGroupId}`),
        ],
      },
      {
        Sid: "VpcManageInterfaces",
        Effect: "Allow",
        Action: ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
        Resource: arn("ec2", "network-interface/*"),
      },
      {
        // DescribeNetworkInterfaces works only on "*" (Lambda's documentation says so); it is a read.
        Sid: "VpcDescribeInterfaces",
        Effect: "Allow",
        Action: ["ec2:DescribeNetworkInterfaces"],
        Resource: "*",
      },
    ],
  };
}

/** The EventBridge pattern of this environment's instance launches and terminations. */
export function instanceEventPattern(groupNames: string[]): Record<string, unknown> {
  return {
    source: ["aws.autoscaling"],
    "detail-type": ["EC2 Instance Launch Successful", "EC2 Instance Terminate Successful"],
    detail: { AutoScalingGroupName: [...groupNames].sort() },
  };
}

/**
 * The Lambda's entry point, serialized into the archive by Pulumi: a thin closure over the handler factory. The
 * handler is built once per execution environment, on the first invocation, so a missing variable fails that
 * invocation with its name.
 */
export function rolloutCallback(): (event: unknown) => Promise<unknown> {
  const lazy: { handler?: RolloutHandler } = {};
  return async (event: unknown) => {
    lazy.handler = lazy.handler ?? createRolloutHandler();
    return lazy.handler(event);
  };
}

/**
 * Serializes the entry point as CallbackFunction will, throwing the serializer's explanation when some code it
 * reaches cannot be serialized. Under Pulumi mocks such a failure hangs the program instead of failing it, so tests
 * call this first.
 *
 * Two limits of Pulumi's closure serializer bind all runtime code the Lambda reaches (runtime/ minus the CLI):
 * - a nested function must not use a `const`/`let` declared after it in the enclosing function (the parser takes
 *   it for a free variable: "Unexpected missing variable in closure environment"); declare it first with `let`.
 * - `super(message)` in a class extending Error becomes `Error.call(this, message)`, which sets nothing, and class
 *   field initializers are dropped: an error class must assign `this.name` and `this.message` in its constructor
 *   for its message to survive (runtime/handlers.ts nativeError() then reports it as a native Error).
 */
export async function checkSerializable(): Promise<void> {
  await pulumi.runtime.serializeFunction(rolloutCallback(), {
    serialize: () => true,
    exportName: "handler",
    allowSecrets: true,
  });
}

export class Rollout extends pulumi.ComponentResource {
  public readonly functionName: pulumi.Output<string>;
  public readonly functionArn: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly deadLetterQueueArn: pulumi.Output<string>;
  public readonly deadLetterQueueName: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: RolloutArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:rollout:Rollout", name, {}, opts);
    validateRolloutArgs(args);
    const parent = { parent: this };
    const env = args.environment;
    const tags = { "phoenix:environment": env, "managed-by": "phoenix" };
    const partition = aws.getPartitionOutput({}, parent).partition;
    const region = aws.getRegionOutput({}, parent).region;
    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `phoenix ${env} rollout Lambda: probes the tiers' /version, calls AWS APIs; no ingress`,
        ingress: [],
        egress: [
          ...uniquePorts(args.tiers).map((port) => ({
            description: `/version on the tiers listening on ${port}`,
            protocol: "tcp",
            fromPort: port,
            toPort: port,
            cidrBlocks: [args.vpcCidrBlock],
          })),
          {
            // AWS API endpoints have no fixed addresses: HTTPS anywhere, through the NAT or the VPC endpoints.
            description: "HTTPS to AWS APIs",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
          },
        ],
        tags: { ...tags, Name: `${name}-sg` },
      },
      parent,
    );

    const deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true, tags },
      parent,
    );
    // Follow-ups: delayed messages that trigger one more sweep. Visible no sooner than the function can finish with
    // one (SQS and Lambda require a visibility timeout at least the function's timeout); kept an hour at most.
    const followUpQueue = new aws.sqs.Queue(
      `${name}-follow-up`,
      {
        messageRetentionSeconds: FOLLOW_UP_RETENTION_SECONDS,
        visibilityTimeoutSeconds: args.timeoutSeconds ?? 120,
        sqsManagedSseEnabled: true,
        tags,
      },
      parent,
    );
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays ?? 30, tags },
      parent,
    );

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `phoenix ${env} rollout Lambda: reads the fleet, terminates stale instances of ${env} only`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }],
        }),
        tags,
      },
      parent,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([
            partition,
            region,
            accountId,
            args.releaseBucketArn,
            logGroup.arn,
            // The two queues as one input: pulumi.all's tuple overloads stop at eight.
            pulumi.all([deadLetterQueue.arn, followUpQueue.arn]),
            args.privateSubnetIds,
            securityGroup.id,
          ])
          .apply(([part, reg, account, bucketArn, logGroupArn, [dlqArn, followUpArn], subnetIds, sgId]) =>
            JSON.stringify(
              rolloutPolicyDocument({
                partition: part,
                region: reg,
                accountId: account,
                environment: env,
                bucketArn,
                logGroupArn,
                deadLetterQueueArn: dlqArn,
                followUpQueueArn: followUpArn,
                subnetIds,
                securityGroupId: sgId,
              }),
            ),
          ),
      },
      parent,
    );

    const policy = policyForTiers(args.policy, Object.fromEntries(args.tiers.map((t) => [t.name, t.policy ?? {}])));
    const fn = new aws.lambda.CallbackFunction<unknown, unknown>(
      `${name}-fn`,
      {
        description: `phoenix ${env}: sweep on schedule and instance events, first replacement on release`,
        callback: rolloutCallback(),
        runtime: aws.lambda.Runtime.NodeJS22dX,
        role: role.arn,
        memorySize: args.memorySizeMb ?? 256,
        timeout: args.timeoutSeconds ?? 120,
        reservedConcurrentExecutions: 1,
        environment: {
          variables: {
            [ENV.environment]: env,
            [ENV.policy]: JSON.stringify(policy),
            [ENV.probeTimeoutMs]: String(args.probeTimeoutMs ?? 2000),
            [ENV.probeConcurrency]: String(args.probeConcurrency ?? 64),
            [ENV.dryRun]: String(args.paused ?? false),
            [ENV.releaseBucket]: args.releaseBucketName,
            [ENV.followUpQueueUrl]: followUpQueue.url,
            [ENV.followUpDelaySeconds]: String(args.followUpDelaySeconds ?? DEFAULT_FOLLOW_UP_DELAY_SECONDS),
          },
        },
        vpcConfig: { subnetIds: args.privateSubnetIds, securityGroupIds: [securityGroup.id] },
        loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
        codePathOptions: { extraExcludePackages: [...EXCLUDED_PACKAGES] },
        tags,
      },
      // The role's policy must exist before the function: Lambda checks the VPC permissions at creation.
      { parent: this, dependsOn: [rolePolicy] },
    );

    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-async`,
      {
        functionName: fn.name,
        maximumRetryAttempts: args.maximumRetryAttempts ?? 1,
        maximumEventAgeInSeconds: args.maximumEventAgeSeconds ?? 3600,
        destinationConfig: { onFailure: { destination: deadLetterQueue.arn } },
      },
      parent,
    );
    new aws.cloudwatch.MetricAlarm(
      `${name}-failed-invocations`,
      {
        alarmDescription:
          `phoenix ${env}: a rollout invocation failed after its retries (event in ${name}-dlq); ` +
          "read the function's log for the error",
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: deadLetterQueue.name },
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: args.alarmActions ?? [],
        tags,
      },
      parent,
    );

    // Trigger 1: the schedule ("the terminator").
    const schedule = new aws.cloudwatch.EventRule(
      `${name}-schedule`,
      {
        description: `phoenix ${env}: sweep the fleet`,
        scheduleExpression: args.scheduleExpression ?? "rate(5 minutes)",
        tags,
      },
      parent,
    );
    this.invokeOn(name, "schedule", schedule, fn);

    // Trigger 2: this environment's instances launching or terminating, so the next step of a rollout starts as
    // soon as a replacement is in service instead of at the next tick.
    const instanceEvents = new aws.cloudwatch.EventRule(
      `${name}-instance-events`,
      {
        description: `phoenix ${env}: sweep when an instance of the environment launches or terminates`,
        eventPattern: pulumi
          .all(args.tiers.map((t) => t.autoScalingGroupName))
          .apply((names) => JSON.stringify(instanceEventPattern(names))),
        tags,
      },
      parent,
    );
    this.invokeOn(name, "instance-events", instanceEvents, fn);

    // Trigger 3: the release manifest written. Prefix and suffix are both the whole key, so artifact uploads and
    // any other object never invoke the function (the release handler also ignores any other key).
    const s3Permission = new aws.lambda.Permission(
      `${name}-from-s3`,
      {
        function: fn.name,
        action: "lambda:InvokeFunction",
        principal: "s3.amazonaws.com",
        sourceArn: args.releaseBucketArn,
        sourceAccount: accountId,
      },
      parent,
    );
    new aws.s3.BucketNotification(
      `${name}-release-notification`,
      {
        bucket: args.releaseBucketName,
        lambdaFunctions: [
          {
            lambdaFunctionArn: fn.arn,
            events: ["s3:ObjectCreated:*"],
            filterPrefix: MANIFEST_KEY,
            filterSuffix: MANIFEST_KEY,
          },
        ],
      },
      // S3 tests the destination when the notification is saved: the permission must exist first.
      { parent: this, dependsOn: [s3Permission] },
    );

    // Trigger 4: follow-ups coming due. One message per invocation; maximumConcurrency is left unset (it needs at
    // least 2) and reserved concurrency 1 keeps the function single-flight: a throttled message simply comes back.
    new aws.lambda.EventSourceMapping(
      `${name}-follow-up-source`,
      { eventSourceArn: followUpQueue.arn, functionName: fn.name, batchSize: 1, enabled: true, tags },
      // The event source checks the role may receive from the queue when it is created.
      { parent: this, dependsOn: [rolePolicy] },
    );

    this.functionName = fn.name;
    this.functionArn = fn.arn;
    this.roleArn = role.arn;
    this.securityGroupId = securityGroup.id;
    this.deadLetterQueueArn = deadLetterQueue.arn;
    this.deadLetterQueueName = deadLetterQueue.name;
    this.logGroupName = logGroup.name;
    this.registerOutputs({
      functionName: this.functionName,
      functionArn: this.functionArn,
      roleArn: this.roleArn,
      securityGroupId: this.securityGroupId,
      deadLetterQueueArn: this.deadLetterQueueArn,
      deadLetterQueueName: this.deadLetterQueueName,
      logGroupName: this.logGroupName,
    });
  }

  private invokeOn(name: string, suffix: string, rule: aws.cloudwatch.EventRule, fn: aws.lambda.Function): void {
    new aws.cloudwatch.EventTarget(`${name}-${suffix}-target`, { rule: rule.name, arn: fn.arn }, { parent: this });
    new aws.lambda.Permission(
      `${name}-from-${suffix}`,
      {
        function: fn.name,
        action: "lambda:InvokeFunction",
        principal: "events.amazonaws.com",
        sourceArn: rule.arn,
      },
      { parent: this },
    );
  }
}

function uniquePorts(tiers: RolloutTier[]): number[] {
  return [...new Set(tiers.map((t) => t.port))].sort((a, b) => a - b);
}
