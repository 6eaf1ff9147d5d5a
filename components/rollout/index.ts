// The rollout Lambda ("the terminator" and the release trigger): a TypeScript closure that calls the handler factory
// from runtime/lambda (entry.ts), its own least-privilege role (iam.ts), its place in the private subnets, and its
// triggers: a schedule, the release manifest landing in S3, this environment's instance launches and terminations,
// and its own delayed follow-ups through an SQS delay queue (a sweep that waits on a booting instance asks for one
// more sweep).
//
// One function serves every trigger on purpose: with reserved concurrency 1, a release event and a scheduled sweep
// can never act on the same stale view of the fleet at once.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  environmentTags,
  LAMBDA_ENV,
  MANIFEST_KEY,
  rolloutFunctionParameterName,
  sweepDeadlineMs,
} from "../../runtime/contract";
import { policyForTiers } from "../../runtime/lambda/env";
import {
  DEAD_LETTER_RETENTION_SECONDS,
  FOLLOW_UP_RETENTION_SECONDS,
  ResolvedRolloutArgs,
  RolloutArgs,
  uniquePorts,
  validateRolloutArgs,
} from "./args";
import { endpointQueueUrl, endpointVariables } from "./endpoints";
import { EXCLUDED_PACKAGES, rolloutCallback } from "./entry";
import { alarmEventRule, instanceEventPattern, rolloutAlarmsOf, rollsBack } from "./events";
import { rolloutPolicyDocument } from "./iam";

export { RolloutArgs, RolloutPrivateEndpoints, RolloutTier, validateRolloutArgs } from "./args";
export { endpointVariables } from "./endpoints";
export { alarmEventPattern, instanceEventPattern, rolloutAlarmsOf, rollsBack } from "./events";
export { checkSerializable, EXCLUDED_PACKAGES, rolloutCallback } from "./entry";
export { rolloutPolicyDocument, RolloutPolicyInput } from "./iam";

/** The rollout Lambda of one environment: one function for every trigger, its own role, queues and alarm. */
export class Rollout extends pulumi.ComponentResource {
  /** The rollout Lambda's name: `aws lambda invoke --function-name <it>` runs a sweep by hand. */
  public readonly functionName: pulumi.Output<string>;
  /** The rollout Lambda's ARN, for permissions and event targets. */
  public readonly functionArn: pulumi.Output<string>;
  /** The function's own role: exactly the calls runtime/aws makes, on this environment only. */
  public readonly roleArn: pulumi.Output<string>;
  /** The function's security group: admit it to a tier's port so the sweep can probe /version. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Where an invocation that failed after its retries leaves its event. */
  public readonly deadLetterQueueArn: pulumi.Output<string>;
  /** The dead-letter queue's name, for its alarm and for reading the failed events. */
  public readonly deadLetterQueueName: pulumi.Output<string>;
  /** Where every sweep logs its snapshot and plan (`phoenix explain` replays them) and its EMF metrics. */
  public readonly logGroupName: pulumi.Output<string>;

  private readonly tags: Record<string, string>;

  constructor(name: string, input: RolloutArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:rollout:Rollout", name, {}, opts);
    const args = validateRolloutArgs(input);
    const parent = { parent: this };
    const env = args.environment;
    this.tags = environmentTags(env);
    const tags = this.tags;

    const securityGroup = this.securityGroup(name, args);
    const deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS, sqsManagedSseEnabled: true, tags },
      parent,
    );
    // Follow-ups: delayed messages that trigger one more sweep. Visible no sooner than the function can finish with
    // one (SQS and Lambda require a visibility timeout at least the function's timeout); kept an hour at most.
    const followUpQueue = new aws.sqs.Queue(
      `${name}-follow-up`,
      {
        messageRetentionSeconds: FOLLOW_UP_RETENTION_SECONDS,
        visibilityTimeoutSeconds: args.timeoutSeconds,
        sqsManagedSseEnabled: true,
        tags,
      },
      parent,
    );
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays, tags },
      { parent: this, protect: args.protect },
    );
    const { role, rolePolicy } = this.role(name, args, {
      logGroupArn: logGroup.arn,
      deadLetterQueueArn: deadLetterQueue.arn,
      followUpQueueArn: followUpQueue.arn,
      securityGroupId: securityGroup.id,
    });

    const policy = policyForTiers(args.policy, Object.fromEntries(args.tiers.map((t) => [t.name, t.policy ?? {}])));
    const fn = new aws.lambda.CallbackFunction<unknown, unknown>(
      `${name}-fn`,
      {
        description: `phoenix ${env}: sweep on schedule and instance events, first replacement on release`,
        callback: rolloutCallback(),
        runtime: aws.lambda.Runtime.NodeJS22dX,
        role: role.arn,
        memorySize: args.memorySizeMb,
        timeout: args.timeoutSeconds,
        reservedConcurrentExecutions: 1,
        environment: {
          variables: {
            [LAMBDA_ENV.environment]: env,
            [LAMBDA_ENV.policy]: JSON.stringify(policy),
            [LAMBDA_ENV.probeTimeoutMs]: String(args.probeTimeoutMs),
            [LAMBDA_ENV.probeConcurrency]: String(args.probeConcurrency),
            [LAMBDA_ENV.dryRun]: String(args.paused),
            [LAMBDA_ENV.releaseBucket]: args.releaseBucketName,
            [LAMBDA_ENV.followUpQueueUrl]: endpointQueueUrl(followUpQueue.url, args.privateEndpoints),
            [LAMBDA_ENV.followUpDelaySeconds]: String(args.followUpDelaySeconds),
            [LAMBDA_ENV.sweepDeadlineMs]: String(sweepDeadlineMs(args.timeoutSeconds)),
            ...endpointVariables(args.privateEndpoints),
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

    this.failureHandling(name, args, fn, deadLetterQueue);
    this.triggers(name, args, fn, followUpQueue, rolePolicy);
    // `phoenix doctor` finds the function (and through it its log group and triggers) from the environment's name.
    new aws.ssm.Parameter(
      `${name}-function-parameter`,
      {
        name: rolloutFunctionParameterName(env),
        type: "String",
        value: fn.name,
        description: `The ${env} environment's rollout Lambda (phoenix): phoenix doctor checks it and its triggers.`,
        tags,
      },
      parent,
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

  /**
   * No ingress; egress to the tiers' ports inside the VPC, and HTTPS to AWS APIs: anywhere through NAT, or with
   * private endpoints only to the endpoints' security group and S3's prefix list, never to 0.0.0.0/0.
   */
  private securityGroup(name: string, args: ResolvedRolloutArgs): aws.ec2.SecurityGroup {
    const endpoints = args.privateEndpoints;
    const toAws = endpoints
      ? [
          {
            description: "HTTPS to the AWS API endpoints",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            securityGroups: [endpoints.securityGroupId],
          },
          {
            description: "HTTPS to S3 through the gateway endpoint",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            prefixListIds: [endpoints.s3PrefixListId],
          },
        ]
      : [
          {
            // AWS API endpoints have no fixed addresses: HTTPS anywhere, through the NAT.
            description: "HTTPS to AWS APIs",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
          },
        ];
    return new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `phoenix ${args.environment} rollout Lambda: probes the tiers' /version, calls AWS APIs; no ingress`,
        ingress: [],
        egress: [
          ...uniquePorts(args.tiers).map((port) => ({
            description: `/version on the tiers listening on ${port}`,
            protocol: "tcp",
            fromPort: port,
            toPort: port,
            cidrBlocks: [args.vpcCidrBlock],
          })),
          ...toAws,
        ],
        tags: { ...this.tags, Name: `${name}-sg` },
      },
      { parent: this },
    );
  }

  /** The function's own role and its one inline policy (iam.ts). */
  private role(
    name: string,
    args: ResolvedRolloutArgs,
    own: {
      logGroupArn: pulumi.Output<string>;
      deadLetterQueueArn: pulumi.Output<string>;
      followUpQueueArn: pulumi.Output<string>;
      securityGroupId: pulumi.Output<string>;
    },
  ): { role: aws.iam.Role; rolePolicy: aws.iam.RolePolicy } {
    const parent = { parent: this };
    const env = args.environment;
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `phoenix ${env} rollout Lambda: reads the fleet, terminates stale instances of ${env} only`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }],
        }),
        tags: this.tags,
      },
      parent,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([
            aws.getPartitionOutput({}, parent).partition,
            aws.getRegionOutput({}, parent).region,
            aws.getCallerIdentityOutput({}, parent).accountId,
            args.releaseBucketArn,
            own.logGroupArn,
            // The two queues as one input: pulumi.all's tuple overloads stop at eight.
            pulumi.all([own.deadLetterQueueArn, own.followUpQueueArn]),
            args.privateSubnetIds,
            own.securityGroupId,
          ])
          .apply(([partition, region, accountId, bucketArn, logGroupArn, [dlqArn, followUpArn], subnetIds, sgId]) =>
            JSON.stringify(
              rolloutPolicyDocument({
                partition,
                region,
                accountId,
                environment: env,
                bucketArn,
                logGroupArn,
                deadLetterQueueArn: dlqArn,
                followUpQueueArn: followUpArn,
                subnetIds,
                securityGroupId: sgId,
                alarmNames: rolloutAlarmsOf(args),
                autoRollback: rollsBack(args),
              }),
            ),
          ),
      },
      parent,
    );
    return { role, rolePolicy };
  }

  /** Bounded retries of asynchronous invocations, then the dead-letter queue and an alarm on it. */
  private failureHandling(
    name: string,
    args: ResolvedRolloutArgs,
    fn: aws.lambda.Function,
    deadLetterQueue: aws.sqs.Queue,
  ): void {
    const parent = { parent: this };
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-async`,
      {
        functionName: fn.name,
        maximumRetryAttempts: args.maximumRetryAttempts,
        maximumEventAgeInSeconds: args.maximumEventAgeSeconds,
        destinationConfig: { onFailure: { destination: deadLetterQueue.arn } },
      },
      parent,
    );
    new aws.cloudwatch.MetricAlarm(
      `${name}-failed-invocations`,
      {
        alarmDescription:
          `phoenix ${args.environment}: a rollout invocation failed after its retries (event in ${name}-dlq); ` +
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
        alarmActions: args.alarmActions,
        tags: this.tags,
      },
      parent,
    );
  }

  /** The schedule, instance events, the release manifest written, and follow-ups coming due. */
  private triggers(
    name: string,
    args: ResolvedRolloutArgs,
    fn: aws.lambda.Function,
    followUpQueue: aws.sqs.Queue,
    rolePolicy: aws.iam.RolePolicy,
  ): void {
    const parent = { parent: this };
    const env = args.environment;

    // The schedule ("the terminator").
    const schedule = new aws.cloudwatch.EventRule(
      `${name}-schedule`,
      { description: `phoenix ${env}: sweep the fleet`, scheduleExpression: args.scheduleExpression, tags: this.tags },
      parent,
    );
    this.invokeOn(name, "schedule", schedule, fn);

    // This environment's instances launching or terminating, so the next step of a rollout starts as soon as a
    // replacement is in service instead of at the next tick.
    const instanceEvents = new aws.cloudwatch.EventRule(
      `${name}-instance-events`,
      {
        description: `phoenix ${env}: sweep when an instance of the environment launches or terminates`,
        eventPattern: pulumi
          .all(args.tiers.map((t) => t.autoScalingGroupName))
          .apply((names) => JSON.stringify(instanceEventPattern(names))),
        tags: this.tags,
      },
      parent,
    );
    this.invokeOn(name, "instance-events", instanceEvents, fn);

    // A rollout alarm entering ALARM: the sweep that stops the rollout runs now, not at the next tick.
    const alarms = rolloutAlarmsOf(args);
    if (alarms.length > 0) this.invokeOn(name, "alarm-events", alarmEventRule(name, env, alarms, this.tags, this), fn);

    // The release manifest written. Prefix and suffix are both the whole key, so artifact uploads and any other
    // object never invoke the function (the release handler also ignores any other key).
    const s3Permission = new aws.lambda.Permission(
      `${name}-from-s3`,
      {
        function: fn.name,
        action: "lambda:InvokeFunction",
        principal: "s3.amazonaws.com",
        sourceArn: args.releaseBucketArn,
        sourceAccount: aws.getCallerIdentityOutput({}, parent).accountId,
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

    // Follow-ups coming due. One message per invocation; maximumConcurrency is left unset (it needs at least 2) and
    // reserved concurrency 1 keeps the function single-flight: a throttled message simply comes back.
    new aws.lambda.EventSourceMapping(
      `${name}-follow-up-source`,
      { eventSourceArn: followUpQueue.arn, functionName: fn.name, batchSize: 1, enabled: true, tags: this.tags },
      // The event source checks the role may receive from the queue when it is created.
      { parent: this, dependsOn: [rolePolicy] },
    );
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
