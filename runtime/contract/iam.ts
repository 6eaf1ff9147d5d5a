// The IAM actions each of the runtime's AWS calls needs, grouped by what they act on: the rollout role and the
// operators' policies are built from these lists, never from literals of their own.

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
