// Every AWS call phoenix's code makes, by who makes it (the rollout Lambda, the CLI, promote, the boot scripts) and
// on what: the IAM documents are built from these lists, a test holds them to runtime/aws/, and the IAM simulator
// decides each one against the deployed policies.
import { SURGE_TAGS } from "./tags";
import { ALARM_READ_ACTIONS, IMAGE_READ_ACTIONS, ROLLBACK_WRITE_ACTIONS, STORE_TAG_READ_ACTIONS } from "./iam";

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
  // Read with the manifest by every fleet read: the version the last automatic rollback marked (issue 18).
  { side, operation: "GetObject", action: "s3:GetObject", on: "rollback-record" },
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
