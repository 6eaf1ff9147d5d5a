// The rollout Lambda's own role and its one inline policy: the document is iam.ts's pure function, filled in here
// with the account, region and the ARNs of the function's own log group, queues, subnets and security group.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RolloutScope } from "./args";
import { rolloutAlarmsOf, rollsBack } from "./events";
import { rolloutPolicyDocument } from "./iam";

/** The function's own resources its policy names. */
export interface RolloutOwnResources {
  logGroupArn: pulumi.Output<string>;
  deadLetterQueueArn: pulumi.Output<string>;
  followUpQueueArn: pulumi.Output<string>;
  securityGroupId: pulumi.Output<string>;
}

/** The function's own role and its one inline policy (iam.ts). */
export function rolloutRole(
  { name, args, tags, parent }: RolloutScope,
  own: RolloutOwnResources,
): { role: aws.iam.Role; rolePolicy: aws.iam.RolePolicy } {
  const opts = { parent };
  const env = args.environment;
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
    opts,
  );
  const rolePolicy = new aws.iam.RolePolicy(
    `${name}-policy`,
    {
      role: role.id,
      policy: pulumi
        .all([
          aws.getPartitionOutput({}, opts).partition,
          aws.getRegionOutput({}, opts).region,
          aws.getCallerIdentityOutput({}, opts).accountId,
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
    opts,
  );
  return { role, rolePolicy };
}
