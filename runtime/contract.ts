// What the infrastructure (components/, ami/, userdata/, config/) and the runtime must agree on, written once: the
// tag keys groups are found and steered by, the SSM parameter names, the release store's keys, the rollout Lambda's
// environment variable names, the IAM actions the runtime's AWS calls need, the metric names the dashboard reads,
// and the bounds and defaults of every knob. Both sides import this module; it imports nothing, so a Lambda bundle,
// the CLI and the Pulumi program all carry the same strings.

// ---- platforms -----------------------------------------------------------------------------------------------------

/** The operating systems a tier may run: its boot script, its base image and its root device follow from it. */
export const PLATFORMS = ["linux", "windows"] as const;
export type Platform = (typeof PLATFORMS)[number];

// ---- rollout strategies ------------------------------------------------------------------------------------------

/** `surge`: launch the replacements first, terminate after; `replace`: terminate first, one stale instance at a time. */
export const STRATEGIES = ["surge", "replace"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The strategy of a tier whose config, group tag and policy name none. */
export const DEFAULT_STRATEGY: Strategy = "surge";

// ---- where the desired version comes from ------------------------------------------------------------------------

/**
 * `manifest`: only the release manifest names the version; without one nothing is replaced for its version.
 * `highest-observed`: the manifest's, else the highest version the group's instances answer (the seed's behaviour, for
 * fleets without a release store), trusted only when at least MIN_OBSERVED_FOR_TARGET instances answer it.
 */
export const DESIRED_VERSION_SOURCES = ["manifest", "highest-observed"] as const;
export type DesiredVersionSource = (typeof DESIRED_VERSION_SOURCES)[number];

/** The source of a policy, stack or flag that names none: a version no release names is never a target. */
export const DEFAULT_DESIRED_VERSION_SOURCE: DesiredVersionSource = "manifest";

/** Instances that must answer a version before `highest-observed` takes it for the target: one cannot set it. */
export const MIN_OBSERVED_FOR_TARGET = 2;
// ---- names ---------------------------------------------------------------------------------------------------------

/**
 * Why a name cannot be an environment (stack) name, or undefined when it can. The stack config refuses such a stack
 * and the CLI such an `--env`: the name is part of bucket, load balancer and parameter names.
 */
export function environmentNameProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || name.endsWith("-") || name.includes("--")) {
    return "must start with a lowercase letter and hold only lowercase letters, digits and single hyphens (it names buckets)";
  }
  if (name.length > 16) return "must be at most 16 characters (load balancer and target group names are limited to 32)";
  return undefined;
}

/** What a tier name may be: the boot script refuses any other (it names the service, directories and the artifact). */
export const TIER_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** Why a name cannot be a tier name, or undefined when it can. */
export function tierNameProblem(name: string): string | undefined {
  return TIER_NAME_PATTERN.test(name)
    ? undefined
    : "must start with a lowercase letter and hold only lowercase letters, digits and hyphens, at most 32 characters";
}

// ---- tags ----------------------------------------------------------------------------------------------------------

/** Tag keys on every group (and, propagated, every instance). The CLI and the Lambda find groups by these two. */
export const TAGS = {
  /** The environment (stack) a resource belongs to: `live`, `test`, ... */
  environment: "phoenix:environment",
  /** The tier a group serves: `web`, `api`. */
  tier: "phoenix:tier",
  /** The port instances serve `/version` on; DEFAULT_PORT when absent. */
  port: "phoenix:port",
  /** The tier's rollout strategy (`surge` or `replace`). */
  strategy: "phoenix:strategy",
  /** The tier's rollout policy as JSON (see encodePolicyTag), so a sweep from a laptop keeps the deployed floor. */
  policy: "phoenix:policy",
  /** Every resource phoenix creates carries `managed-by=phoenix`. */
  managedBy: "managed-by",
} as const;

export const MANAGED_BY = "phoenix";

/** Tag keys on the base images the pipeline builds. */
export const IMAGE_TAGS = {
  /** `linux` or `windows`. */
  platform: "phoenix:platform",
  /** `true` on every image the pipeline published. */
  baseImage: "phoenix:base-image",
} as const;

/** The port a group's instances serve `/version` on when it has no `phoenix:port` tag. */
export const DEFAULT_PORT = 80;

/** A surge's state, kept on the group so that any later sweep (even after a crash) knows a surge is in progress. */
export const SURGE_TAGS = {
  /** Desired capacity before the surge: what finish and abort return to. */
  baseline: "phoenix:surge-baseline",
  /** What the surge launched for (`<version>` or `<version> <image>`). */
  version: "phoenix:surge-version",
  /** readAt of the sweep that started it: the clock the stall limit runs on. */
  startedAt: "phoenix:surge-started-at",
  /** Left by an abort: this target is not surged again until the desired version or image changes. */
  failed: "phoenix:surge-failed",
  /**
   * Left by the end of every surge (finish or abort): `<baseline> <started-at>` of the surge that ended. With no surge
   * in progress it is how a later sweep knows the capacity a straggling step could have raised the group from.
   */
  ended: "phoenix:surge-ended",
  /**
   * A rollout with checkpoints: `<i>/<n> <target>`, the checkpoint it works on. Kept between the surges of its
   * checkpoints (it marks the rollout's alarm window) and removed once the rollout has converged and baked, or stopped.
   */
  checkpoint: "phoenix:surge-checkpoint",
  /** readAt of the sweep that found the current checkpoint's new instances all healthy: its bake runs from here. */
  bakeStartedAt: "phoenix:surge-bake-started-at",
  /** Left with `failed` when a rollout alarm stopped the rollout: `<alarm> in ALARM at checkpoint <i> of <n>`. */
  alarm: "phoenix:surge-alarm",
} as const;

/** The only tag keys the rollout role may write or delete: its IAM condition is `aws:TagKeys` like this. */
export const SURGE_TAG_PATTERN = "phoenix:surge-*";

/** Scaling processes that would fight a surge (alarm-driven and scheduled scaling): suspended while it runs. */
export const SURGE_PROCESSES: readonly string[] = ["AlarmNotification", "ScheduledActions"];

/** Tags every resource of an environment carries (the provider adds them as default tags). */
export function environmentTags(environment: string): Record<string, string> {
  return { [TAGS.environment]: environment, [TAGS.managedBy]: MANAGED_BY };
}

/** Tags of a resource that belongs to one tier. */
export function tierTags(environment: string, tier: string): Record<string, string> {
  return { ...environmentTags(environment), [TAGS.tier]: tier };
}

// ---- the policy tag ------------------------------------------------------------------------------------------------

/** The policy fields a `phoenix:policy` tag may carry (the runtime's GroupPolicy, as plain JSON). */
export const POLICY_TAG_FIELDS = [
  "minHealthy",
  "minHealthyPercent",
  "maxPerSweep",
  "maxInstanceAgeHours",
  "strategy",
  "maxSurgePercent",
  "surgeStallMinutes",
  "desiredVersion",
  "checkpoints",
  "bakeMinutes",
  "rolloutAlarms",
  "autoRollback",
] as const;

/** A tier's policy as the `phoenix:policy` tag value: JSON of the fields set, in a stable order. */
export function encodePolicyTag(policy: Partial<Record<(typeof POLICY_TAG_FIELDS)[number], unknown>>): string {
  const fields = POLICY_TAG_FIELDS.filter((f) => policy[f] !== undefined).map((f) => [f, policy[f]]);
  return JSON.stringify(Object.fromEntries(fields));
}

/**
 * Reads a `phoenix:policy` tag value back: the object, or why it is not one (the caller names the group and says
 * to redeploy). The fields' values are checked by the planner's policy validation, which knows their bounds.
 */
export function decodePolicyTag(text: string): { policy: Record<string, unknown> } | { error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { error: `tag ${TAGS.policy} is ${JSON.stringify(text)}, not a JSON policy object` };
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { error: `tag ${TAGS.policy} is ${JSON.stringify(text)}, not a JSON policy object` };
  }
  const unknown = Object.keys(doc).filter((k) => !(POLICY_TAG_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    return { error: `tag ${TAGS.policy} has unknown fields ${unknown.join(", ")}` };
  }
  return { policy: doc as Record<string, unknown> };
}

// ---- SSM parameters ------------------------------------------------------------------------------------------------

/** `/phoenix/<env>/release-bucket`: the name of the environment's release bucket. */
export function releaseBucketParameterName(environment: string): string {
  return `/phoenix/${environment}/release-bucket`;
}

/**
 * `/phoenix/<env>/base-image`: the one image the terminator holds every instance of the environment to, and the one
 * the pipeline's primary platform publishes to.
 */
export function baseImageParameterName(environment: string): string {
  return `/phoenix/${environment}/base-image`;
}

/**
 * What an AMI id looks like: `ami-` and 8 or 17 lowercase hex digits. The base-image parameter must hold one before
 * its state is even asked for; anything else fails closed, naming the parameter.
 */
export const AMI_ID_PATTERN = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** The only image state a sweep acts on: an image still pending, failed or deregistered launches nothing. */
export const IMAGE_AVAILABLE = "available";

/**
 * `/phoenix/<env>/release-replica`, written by the environment's own stack in each of its recovery regions (and only
 * there): the name of the bucket its release store replicates `releases/` to in that region. A recovery stack and the
 * recovery environment's CLI find the replica by it without reaching the failed region.
 */
export function releaseReplicaParameterName(environment: string): string {
  return `/phoenix/${environment}/release-replica`;
}

/** `/phoenix/<env>/rollout-function`: the name of the environment's rollout Lambda (`phoenix doctor` reads it). */
export function rolloutFunctionParameterName(environment: string): string {
  return `/phoenix/${environment}/rollout-function`;
}

/**
 * `/phoenix/<env>/recovery-of`, written by a recovery stack: the environment it recovers (`live` for `live-dr`), whose
 * replicated release store it serves from and whose copied base image it started with.
 */
export function recoveryOfParameterName(environment: string): string {
  return `/phoenix/${environment}/recovery-of`;
}

/** Every parameter of an environment lives under this path; roles are scoped to it. */
export function environmentParameterPath(environment: string): string {
  return `/phoenix/${environment}/`;
}

// ---- the release store ---------------------------------------------------------------------------------------------

/** `releases/current.json`: the only pointer to what the fleet must run, written last by a release. */
export const MANIFEST_KEY = "releases/current.json";

/** Where artifacts and version records live. */
export const RELEASES_PREFIX = "releases/";

/**
 * The version an instance answers on GET /version when it booted before any release was published: a valid semantic
 * version that sorts below every real one (a prerelease of 0.0.0). Such an instance serves a placeholder, reports
 * healthy, and is stale as soon as a manifest names a version; it is never a target of its own.
 */
export const UNRELEASED_VERSION = "0.0.0-unreleased";

/** True for the placeholder's version (UNRELEASED_VERSION): the instance has no release installed. */
export function isUnreleased(version: string | undefined): boolean {
  return version === UNRELEASED_VERSION;
}

/** The id of the replication rule that copies `releases/` to a recovery region (one rule per region). */
export function replicationRuleId(region: string): string {
  return `releases-to-${region}`;
}

/** The recovery region a replication rule id names, or undefined when the id is not one replicationRuleId made. */
export function replicationRuleRegion(ruleId: string): string | undefined {
  const match = /^releases-to-([a-z]{2}(-[a-z]+)+-\d)$/.exec(ruleId);
  return match ? match[1] : undefined;
}

/** Object key of a tier's artifact for a version: `releases/<version>/<tier>.zip`. */
export function artifactKey(version: string, tier: string): string {
  return `${RELEASES_PREFIX}${version}/${tier}.zip`;
}

/** Every artifact of one tier, whatever the version (an IAM resource pattern). */
export function tierArtifactPattern(tier: string): string {
  return `${RELEASES_PREFIX}*/${tier}.zip`;
}

/** Every artifact of every tier (an IAM resource pattern). */
export const ARTIFACT_PATTERN = `${RELEASES_PREFIX}*.zip`;

/** `releases/<version>/release.json`: what a version was published with (artifacts, checksums, time). */
export function releaseRecordKey(version: string): string {
  return `${RELEASES_PREFIX}${version}/release.json`;
}

// ---- the sweep lease -----------------------------------------------------------------------------------------------

/**
 * `leases/sweep.json` in the release bucket: the one object every mutating sweep of an environment (the Lambda's,
 * `phoenix sweep`, `--repair`) must hold, taken and handed over with conditional writes. Outside `releases/`, so no
 * release listing, artifact pattern or build server's grant reaches it, and the manifest notification never fires.
 */
export const SWEEP_LEASE_KEY = "leases/sweep.json";

/** The lease document's `kind`: an object at the key without it is foreign, treated as held and never overwritten. */
export const SWEEP_LEASE_KIND = "phoenix.sweep-lease";

/**
 * Seconds a lease lasts from its write, unless released first. Longer than any sweep's whole budget (the Lambda's
 * timeout is at most LIMITS.rolloutTimeoutSeconds.max), so a live holder never loses it and a dead one's lapses.
 */
export const LEASE_TTL_SECONDS = 1200;

/**
 * Seconds before its lease would lapse that a holder stops starting new steps: a step begun earlier lands before the
 * lease can pass to anyone else, unless the call itself takes longer than this.
 */
export const LEASE_SAFETY_SECONDS = 120;

/**
 * Seconds of clock difference tolerated when the store does not report its own clock and a reader has to compare
 * its clock with the holder's `expiresAt` (S3 reports both Last-Modified and Date, so it never has to).
 */
export const LEASE_CLOCK_SKEW_SECONDS = 60;

// ---- convergence evidence ------------------------------------------------------------------------------------------

/**
 * `rollout/convergence.json` in the release bucket: what the rollout Lambda's sweeps saw of the current version — since
 * when every tier has run it on healthy instances without a break, on which instances, and when a sweep last said so.
 * `phoenix promote` reads it from the source environment: its gate and its soak are measured on these sweep times,
 * never on the promoting machine's clock. Outside `releases/`, so a build server's grant there cannot forge it; only
 * the rollout role writes it.
 */
export const CONVERGENCE_KEY = "rollout/convergence.json";

/** The convergence record's `kind`: a document at the key without it is not phoenix's, and counts as no evidence. */
export const CONVERGENCE_KIND = "phoenix.convergence";

/** The rollout role on CONVERGENCE_KEY only: read the record, and write it after each sweep. */
export const CONVERGENCE_RECORD_ACTIONS = ["s3:GetObject", "s3:PutObject"];

/**
 * `rollbacks/latest.json`: the last automatic rollback (from, to, tier, alarm, checkpoint, when). Outside `releases/`,
 * so no release listing or artifact pattern reaches it. It also marks its `from` version: no sweep rolls out to it
 * again until a newer version is published.
 */
export const ROLLBACK_RECORD_KEY = "rollbacks/latest.json";

/** The rollback record's `kind`. */
export const ROLLBACK_RECORD_KIND = "phoenix.rollback";

// ---- checkpoints and rollout alarms ----------------------------------------------------------------------------------

/** The checkpoints of a tier that names none: one step to 100 %, a rollout without checkpoints. */
export const DEFAULT_CHECKPOINTS: readonly number[] = [100];

/** Checkpoints a tier may have at most (each is a bake, and the policy tag has room for a few). */
export const MAX_CHECKPOINTS = 10;

/** A tier's own rollout alarms at most, beside the two the program creates. */
export const MAX_OWN_ROLLOUT_ALARMS = 8;

/**
 * The rollout alarms the program creates for a tier: its target 5xx rate and its target response time. Named, not
 * generated, so the runtime, the role and the CLI know them from the environment and tier alone.
 */
export function rolloutAlarmNames(environment: string, tier: string): { errors: string; latency: string } {
  return { errors: `phoenix-${environment}-${tier}-5xx`, latency: `phoenix-${environment}-${tier}-latency` };
}

/** A CloudWatch alarm's ARN: `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`. */
export const ALARM_ARN_PATTERN =
  /^arn:(aws|aws-cn|aws-us-gov):cloudwatch:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):alarm:(.+)$/;

/**
 * Why a rollout alarm (a name or an ARN) cannot be used, or undefined when it can. A name is 1-255 characters with no
 * control character, and no `*` or `?` (the role's resource would become a wildcard over other alarms); an ARN must
 * be a CloudWatch alarm's in `region`.
 */
export function alarmProblem(nameOrArn: string, region?: string): string | undefined {
  if (nameOrArn.startsWith("arn:")) {
    const m = ALARM_ARN_PATTERN.exec(nameOrArn);
    if (m === null) return "is not a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)";
    if (region !== undefined && m[2] !== region) {
      return `is in ${m[2]}, not the stack's region ${region}: a sweep there could not read it`;
    }
    return alarmProblem(m[4]);
  }
  if (nameOrArn.length === 0 || nameOrArn.length > 255) return "must be an alarm name of 1 to 255 characters";
  if ([...nameOrArn].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)) {
    return "must not hold control characters";
  }
  if (/[*?]/.test(nameOrArn)) return "must not hold * or ? (IAM would read them as wildcards over other alarms)";
  if (nameOrArn.trim() !== nameOrArn) return "must not start or end with a space";
  return undefined;
}

/** The alarm name of a name or ARN (see alarmProblem). */
export function alarmNameOf(nameOrArn: string): string {
  return ALARM_ARN_PATTERN.exec(nameOrArn)?.[4] ?? nameOrArn;
}

// ---- logs ----------------------------------------------------------------------------------------------------------

/** The CloudWatch Logs group the boot scripts of an environment write to. */
export function bootLogGroupName(environment: string): string {
  return `/phoenix/${environment}/boot`;
}

// ---- the rollout Lambda's environment ------------------------------------------------------------------------------

/** Environment variable names the rollout component sets and the handlers read. */
export const LAMBDA_ENV = {
  /** The environment (stack) name: which `phoenix:environment` tag the groups carry. */
  environment: "PHOENIX_ENVIRONMENT",
  /** JSON of a Policy: `{"minHealthy":1,"minHealthyPercent":0,"maxPerSweep":2,"tiers":{"api":{...}}}`. */
  policy: "PHOENIX_POLICY",
  /** Deadline of the /version probes, in milliseconds, from when probing begins (LIMITS.probeTimeoutMs). */
  probeTimeoutMs: "PHOENIX_PROBE_TIMEOUT_MS",
  /** /version probes in flight at once (LIMITS.probeConcurrency). Optional. */
  probeConcurrency: "PHOENIX_PROBE_CONCURRENCY",
  /** `true`: plan and log, terminate nothing (the rollout's pause switch). Optional, default false. */
  dryRun: "PHOENIX_DRY_RUN",
  /** The release bucket's name: where the release handler reads the manifest and checks the artifacts. */
  releaseBucket: "PHOENIX_RELEASE_BUCKET",
  /** The SQS delay queue follow-up sweeps go through. Optional: absent, no follow-ups (the schedule still sweeps). */
  followUpQueueUrl: "PHOENIX_FOLLOW_UP_QUEUE_URL",
  /** Seconds from a sweep to its follow-up (LIMITS.followUpDelaySeconds). Optional. */
  followUpDelaySeconds: "PHOENIX_FOLLOW_UP_DELAY_SECONDS",
  /**
   * Milliseconds one invocation may spend before it starts no further AWS call (sweepDeadlineMs of the function's
   * timeout). Optional: sweepDeadlineMs of LIMITS.rolloutTimeoutSeconds.fallback.
   */
  sweepDeadlineMs: "PHOENIX_SWEEP_DEADLINE_MS",
} as const;

/** The CLI's override of LIMITS.awsRequestTimeoutMs, for slow links and for tests. Optional. */
export const AWS_TIMEOUT_ENV = "PHOENIX_AWS_TIMEOUT_MS";

/** The `type` of a follow-up message's body. */
export const FOLLOW_UP_MESSAGE_TYPE = "phoenix.follow-up";

// ---- IAM: what the runtime's AWS calls need ------------------------------------------------------------------------

/**
 * Read the fleet: these describe calls support no resource-level permissions ("*" is the only resource). Scaling
 * activities are read only for a group that may be wedged (see needsCapacityHistory), to tell who raised it.
 */
export const FLEET_READ_ACTIONS = [
  "autoscaling:DescribeAutoScalingGroups",
  "autoscaling:DescribeScalingActivities",
  "ec2:DescribeInstances",
  "elasticloadbalancing:DescribeTargetHealth",
];

/** Replace strategy: terminate without lowering desired capacity. */
export const TERMINATE_ACTIONS = ["autoscaling:TerminateInstanceInAutoScalingGroup"];

/** Surge strategy beyond what replace needs: capacity and scaling processes (tags are SURGE_TAG_ACTIONS). */
export const SURGE_ACTIONS = [
  "autoscaling:SetDesiredCapacity",
  "autoscaling:SuspendProcesses",
  "autoscaling:ResumeProcesses",
];

/** A surge's state in the group's tags: only SURGE_TAG_PATTERN keys. */
export const SURGE_TAG_ACTIONS = ["autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags"];

/** Verifying the desired state: the base image's state in this region (no resource-level permissions: "*"). */
export const IMAGE_READ_ACTIONS = ["ec2:DescribeImages"];

/** Verifying the desired state: the release bucket carries this environment's `phoenix:environment` tag. */
export const STORE_TAG_READ_ACTIONS = ["s3:GetBucketTagging"];

/** The sweep lease (SWEEP_LEASE_KEY only): read it, and write it with a condition to take, hand over or release it. */
export const LEASE_ACTIONS = ["s3:GetObject", "s3:PutObject"];

/** Gating a rollout: its alarms' states, one call for all of them, on those alarms' ARNs only. */
export const ALARM_READ_ACTIONS = ["cloudwatch:DescribeAlarms"];

/** Automatic rollback: the manifest written back (conditionally) and the rollback record, those two keys only. */
export const ROLLBACK_WRITE_ACTIONS = ["s3:PutObject"];

/** The follow-up queue: the handler sends and counts, the event source receives and deletes. */
export const FOLLOW_UP_QUEUE_ACTIONS = [
  "sqs:SendMessage",
  "sqs:GetQueueAttributes",
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
];

// ---- every AWS call phoenix's code makes ----------------------------------------------------------------------------

/** What a call acts on: the IAM simulator tests each call against the real ARN of it (test/components/iam). */
export type CallTarget =
  | "any"
  | "group"
  | "manifest"
  | "artifact"
  | "release-bucket"
  | "sweep-lease"
  | "release-record"
  | "convergence-record"
  | "rollback-record"
  | "rollout-alarm"
  | "parameter"
  | "follow-up-queue"
  | "boot-log-stream";

/** One AWS call: the operation as the code names it, the IAM action AWS authorizes it as, and what it acts on. */
export interface AwsCall {
  /** `new <operation>Command` / `paginate<operation>` in runtime/aws/, `aws <service> <operation>` in userdata/. */
  operation: string;
  /** The action AWS checks (HeadObject is authorized as s3:GetObject). */
  action: string;
  on: CallTarget;
  /** Tag keys the call writes or removes (`aws:TagKeys`). @default none */
  tagKeys?: readonly string[];
}

/**
 * Every call in runtime/aws/ the rollout Lambda makes, as its role must allow it. A test reads runtime/aws/ and fails
 * on an operation listed neither here nor in OPERATOR_CALLS; the IAM simulator fails when the role denies one.
 */
export const ROLLOUT_CALLS: readonly AwsCall[] = [
  { operation: "DescribeAutoScalingGroups", action: "autoscaling:DescribeAutoScalingGroups", on: "any" },
  // Only for a group that may be wedged (needsCapacityHistory): who raised its desired capacity.
  { operation: "DescribeScalingActivities", action: "autoscaling:DescribeScalingActivities", on: "any" },
  { operation: "DescribeInstances", action: "ec2:DescribeInstances", on: "any" },
  { operation: "DescribeTargetHealth", action: "elasticloadbalancing:DescribeTargetHealth", on: "any" },
  { operation: "GetParameter", action: "ssm:GetParameter", on: "parameter" },
  { operation: "GetObject", action: "s3:GetObject", on: "manifest" },
  { operation: "HeadObject", action: "s3:GetObject", on: "artifact" },
  // Verifying the desired state (runtime/aws/desired-state.ts): the bucket's tag, the image's state and, under
  // highest-observed without a manifest, the published versions.
  { operation: "GetBucketTagging", action: STORE_TAG_READ_ACTIONS[0], on: "release-bucket" },
  { operation: "DescribeImages", action: IMAGE_READ_ACTIONS[0], on: "any" },
  { operation: "ListObjectsV2", action: "s3:ListBucket", on: "release-bucket" },
  // The sweep lease: read, then taken, handed over and released with conditional writes (runtime/ops/lease.ts).
  { operation: "GetObject", action: "s3:GetObject", on: "sweep-lease" },
  { operation: "PutObject", action: "s3:PutObject", on: "sweep-lease" },
  // Checkpoints and automatic rollback (runtime/aws/alarms.ts, runtime/ops/auto-rollback.ts): the rollout's alarm
  // states, the last rollback's record, and on an alarm past a checkpoint the previous release written back.
  { operation: "DescribeAlarms", action: ALARM_READ_ACTIONS[0], on: "rollout-alarm" },
  { operation: "GetObject", action: "s3:GetObject", on: "rollback-record" },
  { operation: "PutObject", action: ROLLBACK_WRITE_ACTIONS[0], on: "manifest" },
  { operation: "PutObject", action: ROLLBACK_WRITE_ACTIONS[0], on: "rollback-record" },
  {
    operation: "TerminateInstanceInAutoScalingGroup",
    action: "autoscaling:TerminateInstanceInAutoScalingGroup",
    on: "group",
  },
  { operation: "SetDesiredCapacity", action: "autoscaling:SetDesiredCapacity", on: "group" },
  { operation: "SuspendProcesses", action: "autoscaling:SuspendProcesses", on: "group" },
  { operation: "ResumeProcesses", action: "autoscaling:ResumeProcesses", on: "group" },
  {
    operation: "CreateOrUpdateTags",
    action: "autoscaling:CreateOrUpdateTags",
    on: "group",
    tagKeys: Object.values(SURGE_TAGS),
  },
  { operation: "DeleteTags", action: "autoscaling:DeleteTags", on: "group", tagKeys: Object.values(SURGE_TAGS) },
  { operation: "GetQueueAttributes", action: "sqs:GetQueueAttributes", on: "follow-up-queue" },
  { operation: "SendMessage", action: "sqs:SendMessage", on: "follow-up-queue" },
  // After each sweep: the convergence record `phoenix promote` reads (runtime/ops/convergence.ts), read then written.
  { operation: "GetObject", action: "s3:GetObject", on: "convergence-record" },
  { operation: "PutObject", action: "s3:PutObject", on: "convergence-record" },
];

/**
 * What `phoenix doctor` calls (runtime/aws/doctor.ts, plus the fleet read of ROLLOUT_CALLS' describe calls), each with
 * the IAM action AWS authorizes it as: all reads, with an operator's credentials. docs/operating.md's operator policy
 * lists these actions; tests hold both to the code.
 */
export const DOCTOR_CALLS: readonly AwsCall[] = [
  { operation: "GetCallerIdentity", action: "sts:GetCallerIdentity", on: "any" },
  { operation: "GetParameter", action: "ssm:GetParameter", on: "parameter" },
  { operation: "HeadBucket", action: "s3:ListBucket", on: "release-bucket" },
  { operation: "GetObject", action: "s3:GetObject", on: "manifest" },
  { operation: "HeadObject", action: "s3:GetObject", on: "artifact" },
  { operation: "GetBucketNotificationConfiguration", action: "s3:GetBucketNotification", on: "release-bucket" },
  { operation: "GetBucketReplication", action: "s3:GetReplicationConfiguration", on: "release-bucket" },
  // The rollout function, the rules that target it and its log group: "any" here, their ARNs are the stack's.
  { operation: "GetFunction", action: "lambda:GetFunction", on: "any" },
  { operation: "ListEventSourceMappings", action: "lambda:ListEventSourceMappings", on: "any" },
  { operation: "ListRuleNamesByTarget", action: "events:ListRuleNamesByTarget", on: "any" },
  { operation: "DescribeRule", action: "events:DescribeRule", on: "any" },
  { operation: "FilterLogEvents", action: "logs:FilterLogEvents", on: "any" },
];

/**
 * Calls in runtime/aws/ that only the CLI makes, with an operator's or a build server's credentials (`phoenix
 * release`, `rollback`, `releases`, `doctor`): no role phoenix creates holds them, and the rollout role must be denied the
 * writes.
 */
export const OPERATOR_CALLS: readonly AwsCall[] = [
  { operation: "PutObject", action: "s3:PutObject", on: "manifest" },
  ...DOCTOR_CALLS,
];

/** Which environment a promotion's call acts on: the one promoted from, or the one promoted to. */
export type PromoteSide = "source" | "target";

/** A call `phoenix promote` makes, and on which environment's resources. */
export interface PromoteCall extends AwsCall {
  side: PromoteSide;
}

/** What a promotion reads of either environment: its fleet (the gate, the tiers, --wait) and its parameters. */
const PROMOTE_FLEET_READS = (side: PromoteSide): PromoteCall[] => [
  { side, operation: "DescribeAutoScalingGroups", action: "autoscaling:DescribeAutoScalingGroups", on: "any" },
  // Only for a group that may be wedged (the fleet adapter reads who raised its capacity).
  { side, operation: "DescribeScalingActivities", action: "autoscaling:DescribeScalingActivities", on: "any" },
  { side, operation: "DescribeInstances", action: "ec2:DescribeInstances", on: "any" },
  { side, operation: "DescribeTargetHealth", action: "elasticloadbalancing:DescribeTargetHealth", on: "any" },
  { side, operation: "GetParameter", action: "ssm:GetParameter", on: "parameter" },
  // Without it S3 answers a missing key (a version never published) with AccessDenied instead of NoSuchKey.
  { side, operation: "ListObjectsV2", action: "s3:ListBucket", on: "release-bucket" },
];

/**
 * Every AWS call `phoenix promote` makes (runtime/ops/promote.ts through runtime/aws/), by side: the source's store
 * and fleet are only read; the target's store is written and its fleet read. The promoting identity's least-privilege
 * policy (components/promote-policy.ts) is built from this list, and the IAM simulator holds both to the calls.
 */
export const PROMOTE_CALLS: readonly PromoteCall[] = [
  ...PROMOTE_FLEET_READS("source"),
  { side: "source", operation: "GetObject", action: "s3:GetObject", on: "manifest" },
  { side: "source", operation: "GetObject", action: "s3:GetObject", on: "release-record" },
  { side: "source", operation: "GetObject", action: "s3:GetObject", on: "convergence-record" },
  // The gate: none of the source's rollout alarms (its groups' policy tags name them) is in ALARM, one call for all.
  { side: "source", operation: "DescribeAlarms", action: ALARM_READ_ACTIONS[0], on: "rollout-alarm" },
  // Downloaded, or read by S3 for a server-side copy (CopyObject reads its source as s3:GetObject).
  { side: "source", operation: "GetObject", action: "s3:GetObject", on: "artifact" },
  { side: "source", operation: "HeadObject", action: "s3:GetObject", on: "artifact" },
  ...PROMOTE_FLEET_READS("target"),
  { side: "target", operation: "GetObject", action: "s3:GetObject", on: "manifest" },
  { side: "target", operation: "GetObject", action: "s3:GetObject", on: "release-record" },
  { side: "target", operation: "GetObject", action: "s3:GetObject", on: "artifact" },
  { side: "target", operation: "HeadObject", action: "s3:GetObject", on: "artifact" },
  { side: "target", operation: "PutObject", action: "s3:PutObject", on: "artifact" },
  { side: "target", operation: "CopyObject", action: "s3:PutObject", on: "artifact" },
  { side: "target", operation: "PutObject", action: "s3:PutObject", on: "release-record" },
  { side: "target", operation: "PutObject", action: "s3:PutObject", on: "manifest" },
];

/** Every AWS call the boot scripts make (userdata/linux.sh and windows.ps1), as the instance role must allow it. */
export const BOOT_CALLS: readonly AwsCall[] = [
  { operation: "get-object", action: "s3:GetObject", on: "manifest" },
  // S3 answers a missing manifest with NoSuchKey (the no-release placeholder) only to a caller that may list the bucket.
  { operation: "get-object", action: "s3:ListBucket", on: "release-bucket" },
  { operation: "get-object", action: "s3:GetObject", on: "artifact" },
  // Windows reads the artifact's checksum first (Get-S3ObjectMetadata); S3 authorizes HeadObject as GetObject.
  { operation: "head-object", action: "s3:GetObject", on: "artifact" },
  { operation: "create-log-stream", action: "logs:CreateLogStream", on: "boot-log-stream" },
  { operation: "put-log-events", action: "logs:PutLogEvents", on: "boot-log-stream" },
  { operation: "set-instance-health", action: "autoscaling:SetInstanceHealth", on: "group" },
];

/**
 * How the rollout Lambda reaches each AWS service it calls, by IAM prefix, when private endpoints are on: the VPC
 * endpoint service (`com.amazonaws.<region>.<endpoint>`), and the variable that points the SDK's client at it.
 * Interface endpoints are created without private DNS, so nothing else in the VPC (instances, image builds) is
 * routed to them; only the Lambda, through these variables, is. S3 goes through the gateway endpoint's routes.
 */
export const SERVICE_ENDPOINTS: Record<string, { endpoint: string; sdkEnv?: string; gateway?: true }> = {
  autoscaling: { endpoint: "autoscaling", sdkEnv: "AWS_ENDPOINT_URL_AUTO_SCALING" },
  ec2: { endpoint: "ec2", sdkEnv: "AWS_ENDPOINT_URL_EC2" },
  elasticloadbalancing: { endpoint: "elasticloadbalancing", sdkEnv: "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2" },
  ssm: { endpoint: "ssm", sdkEnv: "AWS_ENDPOINT_URL_SSM" },
  // The SQS client sends to the queue URL's host: the follow-up queue's URL is given on the endpoint's host too.
  sqs: { endpoint: "sqs", sdkEnv: "AWS_ENDPOINT_URL_SQS" },
  // CloudWatch's API (DescribeAlarms) is the `monitoring` endpoint service.
  cloudwatch: { endpoint: "monitoring", sdkEnv: "AWS_ENDPOINT_URL_CLOUDWATCH" },
  s3: { endpoint: "s3", gateway: true },
};

/** The IAM prefixes (services) of every call the rollout Lambda makes, each once, sorted. */
export function rolloutServices(): string[] {
  return [...new Set(ROLLOUT_CALLS.map((c) => c.action.split(":")[0]))].sort();
}

// ---- metrics -------------------------------------------------------------------------------------------------------

/** The CloudWatch namespace every phoenix metric lives in. The dashboard and the alarms read it. */
export const METRICS_NAMESPACE = "Phoenix";

/** Metric names, shared with the dashboard so a rename breaks a test rather than a graph. */
export const MetricName = {
  InstancesCurrent: "InstancesCurrent",
  InstancesStale: "InstancesStale",
  InstancesUnknown: "InstancesUnknown",
  Terminations: "Terminations",
  GroupsSkippedUnstable: "GroupsSkippedUnstable",
  /** Groups left alone because their desired state could not be verified (a missing artifact, a bad image, ...). */
  GroupsUnverified: "GroupsUnverified",
  /** Surges aborted by this sweep because their new instances never became healthy: a failed release. */
  SurgeAborts: "SurgeAborts",
  /** Groups left wedged (surge processes suspended or capacity raised with no surge in progress): `sweep --repair`. */
  GroupsWedged: "GroupsWedged",
  /** Releases written back automatically because a rollout alarm fired past a checkpoint (one per rollback). */
  RolloutRollbacks: "RolloutRollbacks",
  /** Instances per answered version (dimension `Version`): the fleet by version during a rollout. */
  InstancesByVersion: "Instances",
  SweepDuration: "SweepDuration",
} as const;

/** Minutes a group may stay wedged before its alarm fires (a sweep that is just finishing a surge never trips it). */
export const WEDGED_ALARM_MINUTES = 15;

/** Dimension names. `Environment` and `Tier` match the `phoenix:environment` / `phoenix:tier` tags. */
export const Dimension = { Environment: "Environment", Tier: "Tier", Version: "Version" } as const;

// ---- limits --------------------------------------------------------------------------------------------------------

/**
 * A knob's bounds, inclusive, and its default. The default is called `fallback` because Pulumi's closure serializer
 * cannot serialize an object with a `default` key (it takes it for an ES module): the Lambda archive would fail.
 * `zero` names what 0 means when it switches the knob off.
 */
export interface Limit {
  min: number;
  max: number;
  fallback: number;
  zero?: string;
}

/**
 * Every numeric knob that crosses a layer (stack config, component args, the Lambda's environment, CLI flags), with
 * its bounds and default. Each layer validates against these and nothing else.
 */
export const LIMITS = {
  /**
   * Deadline of a sweep's GET /version probes, in milliseconds, counted from when probing begins: a probe queued
   * behind others ends by then too, or a quarter of it after its own start if that is later.
   */
  probeTimeoutMs: { min: 100, max: 60_000, fallback: 2000 },
  /**
   * GET /version probes in flight at once; 0 sizes it from the fleet. The maximum is the sockets a sweep's probes
   * may hold: Lambda allows a function 1024 file descriptors, and a quarter stays for everything else (the SDK
   * clients' pooled sockets, at most 8 target-health reads and 4 terminations in flight; the runtime's own).
   */
  probeConcurrency: { min: 0, max: 768, fallback: 0, zero: "one per instance, at most 768" },
  /** Bytes of a /version body read at most. */
  probeMaxBodyBytes: { min: 16, max: 65_536, fallback: 1024 },
  /** The rollout Lambda's memory, in MB. */
  rolloutMemoryMb: { min: 128, max: 10_240, fallback: 256 },
  /** The rollout Lambda's timeout, in seconds; it must also exceed the probe deadline plus SWEEP_OVERHEAD_SECONDS. */
  rolloutTimeoutSeconds: { min: 1, max: 900, fallback: 120 },
  /** Seconds from a sweep that waits on a booting instance to its follow-up (SQS delays 0-900 s). */
  followUpDelaySeconds: { min: 0, max: 900, fallback: 15 },
  /** Retries of a failed asynchronous invocation before the dead-letter queue (Lambda allows 0-2). */
  maximumRetryAttempts: { min: 0, max: 2, fallback: 1 },
  /** An event older than this (throttled behind a long sweep) goes to the dead-letter queue (Lambda: 60-21600). */
  maximumEventAgeSeconds: { min: 60, max: 21_600, fallback: 3600 },
  /** Days the rollout's logs (sweep records, EMF metrics) are kept. */
  rolloutLogRetentionDays: { min: 1, max: 3653, fallback: 30 },
  /** Minutes a tier may keep stale instances before the rollout-stuck alarm fires. */
  rolloutStuckMinutes: { min: 10, max: 1440, fallback: 60 },
  /** Minutes an environment must have stayed converged on a version before `phoenix promote` copies it on (0: none). */
  promoteSoakMinutes: { min: 0, max: 10_080, fallback: 30 },
  /** Never fewer healthy instances than this. */
  minHealthy: { min: 0, max: 1000, fallback: 1 },
  /** Never fewer healthy instances than this percentage of desired capacity, rounded up. */
  minHealthyPercent: { min: 0, max: 100, fallback: 0 },
  /** At most this many terminations per group per sweep. */
  maxPerSweep: { min: 0, max: 1000, fallback: 0, zero: "unlimited" },
  /** Instances older than this many hours are replaced (reason "age"). */
  maxInstanceAgeHours: { min: 0, max: 8760, fallback: 0, zero: "off" },
  /** A surge adds at most this percentage of the baseline desired capacity, rounded up. */
  maxSurgePercent: { min: 1, max: 100, fallback: 100 },
  /** A surge whose new instances are not all healthy this long after it started is aborted. */
  surgeStallMinutes: { min: 1, max: 1440, fallback: 20 },
  /** Minutes each checkpoint's new instances serve, all healthy, before a rollout goes past it (0: no bake). */
  bakeMinutes: { min: 0, max: 1440, fallback: 0 },
  /** The target 5xx rate, in percent of a tier's requests, that puts its rollout alarm in ALARM. */
  rollout5xxPercent: { min: 1, max: 100, fallback: 1 },
  /** The average target response time, in milliseconds, that puts a tier's latency alarm in ALARM. */
  rolloutResponseTimeMs: { min: 10, max: 60_000, fallback: 2000 },
  /** One-minute periods in a row a rollout alarm's metric must breach before the alarm is in ALARM. */
  rolloutAlarmMinutes: { min: 1, max: 30, fallback: 3 },
  /** Newest base images per platform kept active; older ones are deprecated (ami/pipeline.ts). */
  imageKeepCount: { min: 1, max: 999, fallback: 3 },
  /** Base images per platform kept at all, deprecated ones included; it must also exceed imageKeepCount. */
  imageRetainCount: { min: 2, max: 1000, fallback: 6 },
  /** A base image that launched an instance within this many days is never deprecated or deleted. */
  imageInUseDays: { min: 1, max: 365, fallback: 45 },
  /** Deadline of one attempt of one AWS API call: connect, send, and the first byte of the answer, in milliseconds. */
  awsRequestTimeoutMs: { min: 100, max: 120_000, fallback: 5000 },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/** Seconds a sweep may need beyond one probe deadline: paginated reads, target health, terminations. */
export const SWEEP_OVERHEAD_SECONDS = 30;

/** Deadline of the TCP connection of one AWS call, in milliseconds (at most the request timeout). */
export const AWS_CONNECTION_TIMEOUT_MS = 3000;

/** Attempts of one AWS call (the SDK's standard retry mode, stated so that the bound below holds). */
export const AWS_MAX_ATTEMPTS = 3;

/**
 * The longest one AWS call can take with every attempt timing out: attempts × (connection + request timeout), plus
 * one second for the SDK's backoff between attempts (100 ms × 2^attempt, jittered).
 */
export function awsCallBoundMs(requestTimeoutMs: number): number {
  const connection = Math.min(AWS_CONNECTION_TIMEOUT_MS, requestTimeoutMs);
  return AWS_MAX_ATTEMPTS * (connection + requestTimeoutMs) + 1000;
}

/**
 * The rollout Lambda's whole-sweep deadline for a function timeout: three quarters of it. Past the deadline the sweep
 * starts no AWS call; the last quarter is for the call in flight and the after-sweep step (metrics, follow-up), so
 * the sweep ends with its own line instead of Lambda's "Task timed out".
 */
export function sweepDeadlineMs(timeoutSeconds: number): number {
  return Math.floor(timeoutSeconds * 750);
}

/** When the terminator runs without any event. */
export const DEFAULT_SWEEP_SCHEDULE = "rate(5 minutes)";

/** Why a value is outside a knob's limits, or undefined when it is a whole number within them. */
export function limitProblem(name: LimitName, value: unknown): string | undefined {
  const limit: Limit = LIMITS[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < limit.min || value > limit.max) {
    const zero = limit.zero !== undefined ? ` (0 is ${limit.zero})` : "";
    return `must be a whole number from ${limit.min} to ${limit.max}${zero}`;
  }
  return undefined;
}
