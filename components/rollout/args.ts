// The rollout component's arguments: what a stack may set, each default resolved once (here, next to its @default)
// from the contract's LIMITS, and validated before anything is created.
import type * as pulumi from "@pulumi/pulumi";
import {
  DEFAULT_SWEEP_SCHEDULE,
  environmentNameProblem,
  LIMITS,
  limitProblem,
  LimitName,
  scheduleExpressionProblem,
  SWEEP_OVERHEAD_SECONDS,
} from "../../runtime/contract";
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

/** Where the function reaches AWS when the environment has private endpoints instead of a route to the internet. */
export interface RolloutPrivateEndpoints {
  /** The endpoints' security group: the function's only HTTPS destination besides S3. */
  securityGroupId: pulumi.Input<string>;
  /** S3's prefix list: the gateway endpoint's destinations. */
  s3PrefixListId: pulumi.Input<string>;
  /** The endpoint host per service's IAM prefix (`sqs` → `vpce-....sqs.<region>.vpce.amazonaws.com`). */
  hosts: Record<string, pulumi.Input<string>>;
}

export interface RolloutArgs {
  /** The environment (stack) name: the `phoenix:environment` tag value the Lambda may act on. */
  environment: string;
  /** The VPC the Lambda's security group lives in. */
  vpcId: pulumi.Input<string>;
  /** The VPC's CIDR block: the Lambda's only destination inside the VPC (on the tiers' ports). */
  vpcCidrBlock: pulumi.Input<string>;
  /** Private subnets the Lambda runs in (it reaches AWS APIs through their NAT or endpoints). */
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The release bucket: its `releases/current.json` triggers the release handler. */
  releaseBucketName: pulumi.Input<string>;
  /** The release bucket's ARN: the role may read the manifest and check artifacts in it, and S3 may invoke. */
  releaseBucketArn: pulumi.Input<string>;
  /** The tiers the rollout watches: their ports, groups and policy overrides. */
  tiers: RolloutTier[];
  /** The environment-wide policy; each tier's `policy` overrides it. */
  policy: GroupPolicy;
  /** Deadline of the /version probes, in milliseconds, from when probing begins. @default LIMITS.probeTimeoutMs.fallback (2000) */
  probeTimeoutMs?: number;
  /** /version probes in flight at once; 0 sizes it from the fleet. @default LIMITS.probeConcurrency.fallback (0) */
  probeConcurrency?: number;
  /** Memory of the function, in MB. @default LIMITS.rolloutMemoryMb.fallback (256) */
  memorySizeMb?: number;
  /** Seconds one invocation may run; must exceed the probe deadline plus SWEEP_OVERHEAD_SECONDS. @default LIMITS.rolloutTimeoutSeconds.fallback (120) */
  timeoutSeconds?: number;
  /** When the terminator runs without any event. @default DEFAULT_SWEEP_SCHEDULE ("rate(5 minutes)") */
  scheduleExpression?: string;
  /** Retries of a failed asynchronous invocation before the dead-letter queue. @default 1 */
  maximumRetryAttempts?: number;
  /** An event older than this (throttled behind a long sweep) goes to the dead-letter queue. @default 3600 */
  maximumEventAgeSeconds?: number;
  /** Days the function's logs (sweep records and EMF metrics) are kept. @default 30 */
  logRetentionDays?: number;
  /** Plan and log every sweep but terminate nothing: the pause switch of a rollout. @default false */
  paused?: boolean;
  /** Where the dead-letter alarm notifies (SNS topic ARNs). @default none */
  alarmActions?: pulumi.Input<string>[];
  /** Seconds from a sweep that waits on a booting instance to its follow-up sweep. @default 15 */
  followUpDelaySeconds?: number;
  /** Reach AWS through these endpoints, with no egress to the internet. @default HTTPS anywhere (NAT) */
  privateEndpoints?: RolloutPrivateEndpoints;
  /** Pulumi's `protect` on the log group of sweep records. @default false */
  protect?: boolean;
}

/** The args with every default filled in. */
export type ResolvedRolloutArgs = Required<Omit<RolloutArgs, "alarmActions" | "privateEndpoints">> & {
  alarmActions: pulumi.Input<string>[];
  privateEndpoints?: RolloutPrivateEndpoints;
};

/** What every child of a Rollout is made with (security-group.ts, role.ts, failures.ts, triggers.ts). */
export interface RolloutScope {
  /** The component's name: every child's name derives from it (`<name>-sg`, `<name>-role`, ...). */
  name: string;
  /** The validated arguments, defaults resolved. */
  args: ResolvedRolloutArgs;
  /** The environment's tags, on every child that takes tags. */
  tags: Record<string, string>;
  /** The Rollout component itself: every child's parent, so no URN changes with the file it is made in. */
  parent: pulumi.Resource;
}

/** Seconds a follow-up message is kept: it is useful minutes after it was sent, never hours. */
export const FOLLOW_UP_RETENTION_SECONDS = 3600;

/** Seconds a failed invocation's event is kept in the dead-letter queue: two weeks to read it. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

/** Fills in every default; the one place a rollout default is chosen. */
export function resolveRolloutArgs(args: RolloutArgs): ResolvedRolloutArgs {
  return {
    ...args,
    probeTimeoutMs: args.probeTimeoutMs ?? LIMITS.probeTimeoutMs.fallback,
    probeConcurrency: args.probeConcurrency ?? LIMITS.probeConcurrency.fallback,
    memorySizeMb: args.memorySizeMb ?? LIMITS.rolloutMemoryMb.fallback,
    timeoutSeconds: args.timeoutSeconds ?? LIMITS.rolloutTimeoutSeconds.fallback,
    scheduleExpression: args.scheduleExpression ?? DEFAULT_SWEEP_SCHEDULE,
    maximumRetryAttempts: args.maximumRetryAttempts ?? LIMITS.maximumRetryAttempts.fallback,
    maximumEventAgeSeconds: args.maximumEventAgeSeconds ?? LIMITS.maximumEventAgeSeconds.fallback,
    logRetentionDays: args.logRetentionDays ?? LIMITS.rolloutLogRetentionDays.fallback,
    paused: args.paused ?? false,
    alarmActions: args.alarmActions ?? [],
    followUpDelaySeconds: args.followUpDelaySeconds ?? LIMITS.followUpDelaySeconds.fallback,
    protect: args.protect ?? false,
  };
}

/** Rejects args a deployed rollout could not work with, naming the value and what is allowed. */
export function validateRolloutArgs(input: RolloutArgs): ResolvedRolloutArgs {
  const args = resolveRolloutArgs(input);
  const environmentProblem = environmentNameProblem(args.environment);
  if (environmentProblem !== undefined) {
    throw new Error(`rollout: environment "${args.environment}" ${environmentProblem}`);
  }
  const knobs: [keyof ResolvedRolloutArgs, LimitName][] = [
    ["probeTimeoutMs", "probeTimeoutMs"],
    ["probeConcurrency", "probeConcurrency"],
    ["memorySizeMb", "rolloutMemoryMb"],
    ["timeoutSeconds", "rolloutTimeoutSeconds"],
    ["maximumRetryAttempts", "maximumRetryAttempts"],
    ["maximumEventAgeSeconds", "maximumEventAgeSeconds"],
    ["logRetentionDays", "rolloutLogRetentionDays"],
    ["followUpDelaySeconds", "followUpDelaySeconds"],
  ];
  for (const [arg, limit] of knobs) {
    const problem = limitProblem(limit, args[arg]);
    if (problem !== undefined) throw new Error(`rollout: ${arg} is ${JSON.stringify(args[arg])}; it ${problem}`);
  }
  const minTimeout = Math.ceil(args.probeTimeoutMs / 1000) + SWEEP_OVERHEAD_SECONDS;
  if (args.timeoutSeconds <= minTimeout) {
    throw new Error(
      `rollout: timeoutSeconds is ${args.timeoutSeconds}; it must exceed the probe deadline plus ` +
        `${SWEEP_OVERHEAD_SECONDS} s (more than ${minTimeout})`,
    );
  }
  const scheduleProblem = scheduleExpressionProblem(args.scheduleExpression);
  if (scheduleProblem !== undefined) {
    throw new Error(`rollout: scheduleExpression "${args.scheduleExpression}" ${scheduleProblem}`);
  }
  if (args.tiers.length === 0) {
    throw new Error("rollout: no tiers given; the rollout needs at least one tier to watch");
  }
  for (const tier of args.tiers) {
    if (!Number.isInteger(tier.port) || tier.port < 1 || tier.port > 65_535) {
      throw new Error(`rollout: tier ${tier.name} port ${tier.port} is not a TCP port (1-65535)`);
    }
  }
  return args;
}

/** The tiers' ports, once each, ascending: the Lambda's security group may reach these inside the VPC. */
export function uniquePorts(tiers: RolloutTier[]): number[] {
  return [...new Set(tiers.map((t) => t.port))].sort((a, b) => a - b);
}
