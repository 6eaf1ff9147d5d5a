// The base-image pipeline's arguments: what a stack may set, each default resolved once (here, next to its @default),
// and validated before anything is created.
import type * as pulumi from "@pulumi/pulumi";
import { environmentNameProblem, LIMITS, limitProblem, Platform, PLATFORMS, REGION_PATTERN } from "../runtime/contract";
import {
  DEFAULT_SCHEDULE_EXPRESSION,
  DEFAULT_START_CONDITION,
  parseMonthlyCron,
  ScheduleExpressionError,
  START_CONDITIONS,
  StartCondition,
} from "./schedule";

/** Pipeline arguments that cannot be used; the message names the argument, the value and what is allowed. */
export class BaseImagePipelineArgsError extends Error {
  override name = "BaseImagePipelineArgsError";
}

export interface BaseImagePipelineArgs {
  /** Environment name (`live`, `test`, ...): names, tags and the parameter `/phoenix/<env>/base-image`. */
  environment: string;
  /** Platforms to build a base image for. The first is the primary one: it publishes `/phoenix/<env>/base-image`,
   *  which the tiers boot from and the terminator holds instances to; others publish `.../base-image-<platform>`.
   *  @default ["linux"] */
  platforms?: Platform[];
  /** Private subnet the build and test instances run in; it needs a route to AWS APIs and package repositories. */
  subnetId: pulumi.Input<string>;
  /** Security group of the build and test instances (egress only: nothing connects to them). */
  securityGroupId: pulumi.Input<string>;
  /** Other regions the AMI is copied to for disaster recovery; each gets the same SSM parameter. @default [] */
  drRegions?: string[];
  /** When the pipeline's start condition is checked (AWS cron, UTC). @default "cron(0 0 ? * wed#3 *)" */
  scheduleExpression?: string;
  /** Build only when the parent image or a component changed, or on every schedule match.
   *  @default "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE" */
  startCondition?: StartCondition;
  /** Newest images per platform kept active; older ones are deprecated (still launchable by id).
   *  @default LIMITS.imageKeepCount.fallback (3) */
  keepImageCount?: number;
  /** Images per platform kept at all, deprecated included; older ones are deleted with their snapshots.
   *  Must exceed keepImageCount. @default LIMITS.imageRetainCount.fallback (6) */
  retainImageCount?: number;
  /** An image used to launch an instance within this many days is neither deprecated nor deleted.
   *  @default LIMITS.imageInUseDays.fallback (45) */
  inUseWithinDays?: number;
  /** Instance types for build and test instances, per platform. @default linux ["t3.medium"], windows ["t3.large"] */
  instanceTypes?: Partial<Record<Platform, string[]>>;
  /** Root volume size in GiB, per platform. @default linux 20, windows 50 */
  rootVolumeSizeGiB?: Partial<Record<Platform, number>>;
  /** KMS key for the root volume and distributed AMIs. @default the account's default EBS key */
  kmsKeyId?: pulumi.Input<string>;
  /** Days build and pipeline logs are kept in CloudWatch Logs. @default 90 */
  logRetentionDays?: number;
  /** Minutes the test phase may take before the build fails. @default 90 */
  testTimeoutMinutes?: number;
  /** The AMI id the base-image parameter holds until the first build publishes one. Pulumi creates the parameter
   *  with it and then ignores its value, which the pipeline owns. @default the primary platform's public SSM alias
   *  (AWS's newest image), looked up at deploy */
  seedImageId?: pulumi.Input<string>;
  /** Tags added to every resource (and to the AMIs). @default none (the environment's tags only) */
  tags?: Record<string, string>;
}

/** Build and test instance types per platform, unless instanceTypes says otherwise. */
export const DEFAULT_INSTANCE_TYPES: Record<Platform, string[]> = { linux: ["t3.medium"], windows: ["t3.large"] };
/** Root volume GiB per platform, unless rootVolumeSizeGiB says otherwise: room for updates and the prerequisites. */
export const DEFAULT_ROOT_VOLUME_GIB: Record<Platform, number> = { linux: 20, windows: 50 };

/** The args with every default filled in; kmsKeyId and seedImageId stay optional (their defaults are AWS's). */
export type ResolvedBaseImagePipelineArgs = Required<
  Omit<BaseImagePipelineArgs, "kmsKeyId" | "seedImageId" | "instanceTypes" | "rootVolumeSizeGiB">
> &
  Pick<BaseImagePipelineArgs, "kmsKeyId" | "seedImageId"> & {
    instanceTypes: Record<Platform, string[]>;
    rootVolumeSizeGiB: Record<Platform, number>;
  };

/** Fills in every default; the one place a pipeline default is chosen. */
export function resolveBaseImagePipelineArgs(args: BaseImagePipelineArgs): ResolvedBaseImagePipelineArgs {
  return {
    ...args,
    platforms: args.platforms ?? ["linux"],
    drRegions: args.drRegions ?? [],
    scheduleExpression: args.scheduleExpression ?? DEFAULT_SCHEDULE_EXPRESSION,
    startCondition: args.startCondition ?? DEFAULT_START_CONDITION,
    keepImageCount: args.keepImageCount ?? LIMITS.imageKeepCount.fallback,
    retainImageCount: args.retainImageCount ?? LIMITS.imageRetainCount.fallback,
    inUseWithinDays: args.inUseWithinDays ?? LIMITS.imageInUseDays.fallback,
    instanceTypes: perPlatform((p) => args.instanceTypes?.[p] ?? DEFAULT_INSTANCE_TYPES[p]),
    rootVolumeSizeGiB: perPlatform((p) => args.rootVolumeSizeGiB?.[p] ?? DEFAULT_ROOT_VOLUME_GIB[p]),
    logRetentionDays: args.logRetentionDays ?? 90,
    testTimeoutMinutes: args.testTimeoutMinutes ?? 90,
    tags: args.tags ?? {},
  };
}

function perPlatform<T>(value: (platform: Platform) => T): Record<Platform, T> {
  return Object.fromEntries(PLATFORMS.map((p) => [p, value(p)])) as Record<Platform, T>;
}

/** Checks the arguments before anything is created; throws BaseImagePipelineArgsError naming what to change. */
export function validateBaseImagePipelineArgs(input: BaseImagePipelineArgs): ResolvedBaseImagePipelineArgs {
  const fail = (message: string) => {
    throw new BaseImagePipelineArgsError(message);
  };
  const args = resolveBaseImagePipelineArgs(input);
  const environmentProblem = environmentNameProblem(args.environment);
  if (environmentProblem !== undefined) fail(`environment "${args.environment}" ${environmentProblem}.`);
  const platforms = args.platforms;
  if (platforms.length === 0) fail(`platforms is empty; list at least one of ${PLATFORMS.join(", ")}.`);
  for (const p of platforms) {
    if (!PLATFORMS.includes(p)) fail(`platform "${String(p)}" is not one of ${PLATFORMS.join(", ")}.`);
  }
  if (new Set(platforms).size !== platforms.length) fail(`platforms [${platforms.join(", ")}] lists one twice.`);
  for (const r of args.drRegions) {
    if (!REGION_PATTERN.test(r)) fail(`drRegions entry "${r}" is not an AWS region name such as "eu-west-1".`);
  }
  if (new Set(args.drRegions).size !== args.drRegions.length) {
    fail(`drRegions [${args.drRegions.join(", ")}] lists a region twice.`);
  }
  try {
    parseMonthlyCron(args.scheduleExpression);
  } catch (error) {
    if (error instanceof ScheduleExpressionError) fail(`scheduleExpression: ${error.message}`);
    throw error;
  }
  if (!START_CONDITIONS.includes(args.startCondition)) {
    fail(`startCondition "${String(args.startCondition)}" is not one of ${START_CONDITIONS.join(", ")}.`);
  }
  const { keepImageCount: keep, retainImageCount: retain, inUseWithinDays: inUse } = args;
  const keepProblem = limitProblem("imageKeepCount", keep);
  if (keepProblem !== undefined) fail(`keepImageCount ${keep} ${keepProblem}.`);
  if (!Number.isInteger(retain) || retain <= keep || retain > LIMITS.imageRetainCount.max) {
    fail(
      `retainImageCount ${retain} must be a whole number greater than keepImageCount (${keep}) and at most ` +
        `${LIMITS.imageRetainCount.max}.`,
    );
  }
  const inUseProblem = limitProblem("imageInUseDays", inUse);
  if (inUseProblem !== undefined) fail(`inUseWithinDays ${inUse} days ${inUseProblem}.`);
  const timeout = args.testTimeoutMinutes;
  if (!Number.isInteger(timeout) || timeout < 60 || timeout > 1440) {
    fail(`testTimeoutMinutes ${timeout} must be from 60 to 1440 (Image Builder's limits).`);
  }
  return args;
}
