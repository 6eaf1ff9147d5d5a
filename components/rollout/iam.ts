// The rollout role's policy: exactly the calls runtime/aws makes, each on the narrowest resource AWS allows. The action
// lists come from the runtime's contract, so a call added there without its permission fails a test.
import {
  ALARM_READ_ACTIONS,
  ARTIFACT_PATTERN,
  CONVERGENCE_KEY,
  CONVERGENCE_RECORD_ACTIONS,
  environmentParameterPath,
  FLEET_READ_ACTIONS,
  FOLLOW_UP_QUEUE_ACTIONS,
  IMAGE_READ_ACTIONS,
  LEASE_ACTIONS,
  MANIFEST_KEY,
  ROLLBACK_RECORD_KEY,
  ROLLBACK_WRITE_ACTIONS,
  STORE_TAG_READ_ACTIONS,
  SURGE_ACTIONS,
  SURGE_TAG_ACTIONS,
  SURGE_TAG_PATTERN,
  SWEEP_LEASE_KEY,
  TAGS,
  TERMINATE_ACTIONS,
} from "../../runtime/contract";
import type { PolicyDocument, PolicyStatement } from "../iam";

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
  /** Every tier's rollout alarms (names): DescribeAlarms on exactly these. @default none */
  alarmNames?: string[];
  /** Some tier rolls back automatically: the manifest and the rollback record may be written. @default false */
  autoRollback?: boolean;
}

/** The rollout role's whole policy. */
export function rolloutPolicyDocument(p: RolloutPolicyInput): PolicyDocument {
  const arn = (service: string, resource: string) =>
    `arn:${p.partition}:${service}:${p.region}:${p.accountId}:${resource}`;
  const ownGroups = {
    Resource: arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/*"),
    Condition: { StringEquals: { [`autoscaling:ResourceTag/${TAGS.environment}`]: p.environment } },
  };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // These describe calls support no resource-level permissions: "*" is the only resource AWS accepts.
        Sid: "ReadFleet",
        Effect: "Allow",
        Action: [...FLEET_READ_ACTIONS],
        Resource: "*",
      },
      {
        Sid: "ReadManifest",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: `${p.bucketArn}/${MANIFEST_KEY}`,
      },
      {
        // The release handler and every sweep check (HeadObject, which S3 authorizes as GetObject) that every artifact
        // the manifest names exists before anything is terminated.
        Sid: "CheckArtifactsExist",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: `${p.bucketArn}/${ARTIFACT_PATTERN}`,
      },
      {
        // One sweeper per environment (runtime/ops/lease.ts): every mutating sweep reads the lease and writes it, with
        // If-None-Match or If-Match, to take, hand over or release it. That one key and nothing else of the bucket.
        Sid: "SweepLease",
        Effect: "Allow",
        Action: [...LEASE_ACTIONS],
        Resource: `${p.bucketArn}/${SWEEP_LEASE_KEY}`,
      },
      {
        // After each sweep, what it saw of the current version (runtime/ops/convergence.ts): the evidence `phoenix
        // promote` reads from this environment. That one key and nothing else of the bucket: no release write.
        Sid: "RecordConvergence",
        Effect: "Allow",
        Action: [...CONVERGENCE_RECORD_ACTIONS],
        Resource: `${p.bucketArn}/${CONVERGENCE_KEY}`,
      },
      {
        // Without it S3 answers a missing manifest with AccessDenied instead of NoSuchKey, and a fresh environment
        // (nothing published yet) would fail every sweep instead of reading "no release yet".
        Sid: "TellMissingManifestApart",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: p.bucketArn,
      },
      {
        // Before acting on a manifest, a sweep checks that the bucket the parameter names is this environment's own
        // (its phoenix:environment tag, from the provider's default tags): another bucket is an error, not "no release".
        Sid: "VerifyReleaseBucketIsOwn",
        Effect: "Allow",
        Action: [...STORE_TAG_READ_ACTIONS],
        Resource: p.bucketArn,
      },
      {
        // ...and that the base image is available in this region. DescribeImages supports no resource-level
        // permissions: "*" is the only resource AWS accepts for it.
        Sid: "VerifyBaseImage",
        Effect: "Allow",
        Action: [...IMAGE_READ_ACTIONS],
        Resource: "*",
      },
      {
        // The last automatic rollback's record: it marks a version no sweep may roll out again.
        Sid: "ReadRollbackRecord",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: `${p.bucketArn}/${ROLLBACK_RECORD_KEY}`,
      },
      ...rolloutGates(p, arn),
      {
        Sid: "ReadEnvironmentParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: arn("ssm", `parameter${environmentParameterPath(p.environment)}*`),
      },
      { Sid: "TerminateOwnEnvironmentOnly", Effect: "Allow", Action: [...TERMINATE_ACTIONS], ...ownGroups },
      {
        // Surge rollouts (runtime/aws/surge.ts): raise desired capacity first, hold scaling processes that would
        // undo it, restore both after. Same groups, same condition as terminations.
        Sid: "SurgeOwnEnvironmentOnly",
        Effect: "Allow",
        Action: [...SURGE_ACTIONS],
        ...ownGroups,
      },
      {
        // A surge's state lives in the group's tags. Only `phoenix:surge-*` keys may be written or removed, so the
        // role can never retag a group into (or out of) an environment.
        Sid: "TagSurgeStateOnly",
        Effect: "Allow",
        Action: [...SURGE_TAG_ACTIONS],
        Resource: ownGroups.Resource,
        Condition: {
          ...ownGroups.Condition,
          "ForAllValues:StringLike": { "aws:TagKeys": SURGE_TAG_PATTERN },
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

/**
 * The statements checkpoints and automatic rollback add: the tiers' rollout alarms read in one DescribeAlarms call,
 * on those alarms only; and, when a tier rolls back automatically, writing exactly the manifest (conditionally, as
 * `phoenix rollback` does) and the rollback record. No other key of the bucket: artifacts stay the build server's.
 */
function rolloutGates(p: RolloutPolicyInput, arn: (service: string, resource: string) => string): PolicyStatement[] {
  const names = [...new Set(p.alarmNames ?? [])].sort();
  return [
    ...(names.length > 0
      ? [
          {
            Sid: "ReadRolloutAlarms",
            Effect: "Allow" as const,
            Action: [...ALARM_READ_ACTIONS],
            Resource: names.map((name) => arn("cloudwatch", `alarm:${name}`)),
          },
        ]
      : []),
    ...(p.autoRollback === true
      ? [
          {
            Sid: "RollBackOnAlarm",
            Effect: "Allow" as const,
            Action: [...ROLLBACK_WRITE_ACTIONS],
            Resource: [`${p.bucketArn}/${MANIFEST_KEY}`, `${p.bucketArn}/${ROLLBACK_RECORD_KEY}`],
          },
        ]
      : []),
  ];
}
