// The rollout Lambda ("the terminator" and the release trigger): a TypeScript closure that calls the handler factory
// from runtime/lambda (entry.ts), its own least-privilege role (iam.ts), its place in the private subnets, and its
// triggers: a schedule, the release manifest landing in S3, this environment's instance launches and terminations,
// and its own delayed follow-ups through an SQS delay queue (a sweep that waits on a booting instance asks for one
// more sweep). This file is the component; its children are made by its siblings (security-group.ts, role.ts,
// failures.ts, triggers.ts), each with the component as parent.
//
// One function serves every trigger on purpose: with reserved concurrency 1, a release event and a scheduled sweep
// can never act on the same stale view of the fleet at once.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { environmentTags, LAMBDA_ENV, rolloutFunctionParameterName, sweepDeadlineMs } from "../../runtime/contract";
import { policyForTiers } from "../../runtime/lambda/env";
import {
  DEAD_LETTER_RETENTION_SECONDS,
  FOLLOW_UP_RETENTION_SECONDS,
  RolloutArgs,
  RolloutScope,
  validateRolloutArgs,
} from "./args";
import { endpointQueueUrl, endpointVariables } from "./endpoints";
import { EXCLUDED_PACKAGES, rolloutCallback } from "./entry";
import { failureHandling } from "./failures";
import { rolloutRole } from "./role";
import { rolloutSecurityGroup } from "./security-group";
import { rolloutTriggers } from "./triggers";

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

  constructor(name: string, input: RolloutArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:rollout:Rollout", name, {}, opts);
    const args = validateRolloutArgs(input);
    const parent = { parent: this };
    const env = args.environment;
    const tags = environmentTags(env);
    const scope: RolloutScope = { name, args, tags, parent: this };

    const securityGroup = rolloutSecurityGroup(scope);
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
    const { role, rolePolicy } = rolloutRole(scope, {
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

    failureHandling(scope, fn, deadLetterQueue);
    rolloutTriggers(scope, fn, followUpQueue, rolePolicy);
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
}
