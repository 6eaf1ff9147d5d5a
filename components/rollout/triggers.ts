// Everything that invokes the rollout Lambda: its schedule ("the terminator"), this environment's instances launching
// or terminating, a rollout alarm entering ALARM, the release manifest written, and its own follow-ups coming due.
// The event patterns are events.ts's pure functions; the rules, permissions and sources are made here.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MANIFEST_KEY } from "../../runtime/contract";
import { RolloutScope } from "./args";
import { alarmEventRule, instanceEventPattern, rolloutAlarmsOf } from "./events";

/** The schedule, instance events, the release manifest written, and follow-ups coming due. */
export function rolloutTriggers(
  scope: RolloutScope,
  fn: aws.lambda.Function,
  followUpQueue: aws.sqs.Queue,
  rolePolicy: aws.iam.RolePolicy,
): void {
  const { name, args, tags, parent } = scope;
  const opts = { parent };
  const env = args.environment;

  // The schedule ("the terminator").
  const schedule = new aws.cloudwatch.EventRule(
    `${name}-schedule`,
    { description: `phoenix ${env}: sweep the fleet`, scheduleExpression: args.scheduleExpression, tags },
    opts,
  );
  invokeOn(scope, "schedule", schedule, fn);

  // This environment's instances launching or terminating, so the next step of a rollout starts as soon as a
  // replacement is in service instead of at the next tick.
  const instanceEvents = new aws.cloudwatch.EventRule(
    `${name}-instance-events`,
    {
      description: `phoenix ${env}: sweep when an instance of the environment launches or terminates`,
      eventPattern: pulumi
        .all(args.tiers.map((t) => t.autoScalingGroupName))
        .apply((names) => JSON.stringify(instanceEventPattern(names))),
      tags,
    },
    opts,
  );
  invokeOn(scope, "instance-events", instanceEvents, fn);

  // A rollout alarm entering ALARM: the sweep that stops the rollout runs now, not at the next tick.
  const alarms = rolloutAlarmsOf(args);
  if (alarms.length > 0) invokeOn(scope, "alarm-events", alarmEventRule(name, env, alarms, tags, parent), fn);

  // The release manifest written. Prefix and suffix are both the whole key, so artifact uploads and any other
  // object never invoke the function (the release handler also ignores any other key).
  const s3Permission = new aws.lambda.Permission(
    `${name}-from-s3`,
    {
      function: fn.name,
      action: "lambda:InvokeFunction",
      principal: "s3.amazonaws.com",
      sourceArn: args.releaseBucketArn,
      sourceAccount: aws.getCallerIdentityOutput({}, opts).accountId,
    },
    opts,
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
    { parent, dependsOn: [s3Permission] },
  );

  // Follow-ups coming due. One message per invocation; maximumConcurrency is left unset (it needs at least 2) and
  // reserved concurrency 1 keeps the function single-flight: a throttled message simply comes back.
  new aws.lambda.EventSourceMapping(
    `${name}-follow-up-source`,
    { eventSourceArn: followUpQueue.arn, functionName: fn.name, batchSize: 1, enabled: true, tags },
    // The event source checks the role may receive from the queue when it is created.
    { parent, dependsOn: [rolePolicy] },
  );
}

/** Points an EventBridge rule at the function, and lets EventBridge invoke it for that rule only. */
function invokeOn(
  { name, parent }: RolloutScope,
  suffix: string,
  rule: aws.cloudwatch.EventRule,
  fn: aws.lambda.Function,
): void {
  new aws.cloudwatch.EventTarget(`${name}-${suffix}-target`, { rule: rule.name, arn: fn.arn }, { parent });
  new aws.lambda.Permission(
    `${name}-from-${suffix}`,
    {
      function: fn.name,
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    },
    { parent },
  );
}
