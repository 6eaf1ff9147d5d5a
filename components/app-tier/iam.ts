// The instance role's documents: who may assume it (EC2) and what it may do, which is exactly what the boot scripts
// call (BOOT_CALLS in the contract): read its environment's manifest (telling a missing one apart, which the
// no-release placeholder depends on) and its own tier's artifacts, ship its boot log
// into its environment's boot log group, and mark an instance of its own group unhealthy. No AWS-managed policy, no
// parameter reads, no metrics: nothing on the instance calls them (docs/security.md says why there is no agent).
// Built by pure functions so the IAM simulator evaluates them as AWS would (test/components/iam/).
import { BOOT_CALLS, CallTarget, MANIFEST_KEY, TAGS, tierArtifactPattern } from "../../runtime/contract";
import type { PolicyDocument } from "../iam";

/** The instance role's trust policy: EC2 instances (through the instance profile) and nothing else. */
export const INSTANCE_TRUST_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** The inputs of the instance role's policy, resolved. */
export interface InstancePolicyInput {
  partition: string;
  region: string;
  accountId: string;
  environment: string;
  tier: string;
  releaseBucketArn: string;
  /** The boot log group's ARN, with or without its trailing `:*`. */
  bootLogGroupArn: string;
}

/** The actions the boot scripts need on one kind of resource, each once. */
function bootActions(on: CallTarget): string[] {
  return [...new Set(BOOT_CALLS.filter((c) => c.on === on).map((c) => c.action))];
}

/** The instance role's inline policy: its environment's manifest, its tier's artifacts, its boot log, its health. */
export function instancePolicyDocument(p: InstancePolicyInput): PolicyDocument {
  const logGroup = p.bootLogGroupArn.replace(/:\*$/, "");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadManifestAndOwnArtifacts",
        Effect: "Allow",
        Action: [...new Set([...bootActions("manifest"), ...bootActions("artifact")])],
        Resource: [`${p.releaseBucketArn}/${MANIFEST_KEY}`, `${p.releaseBucketArn}/${tierArtifactPattern(p.tier)}`],
      },
      {
        // Without it S3 answers a missing manifest with AccessDenied instead of NoSuchKey, and the boot script could
        // not tell "nothing released yet" (serve the placeholder, healthy) from a real failure (mark itself unhealthy):
        // every instance of a fresh environment would be replaced over and over. It reveals key names, not objects.
        Sid: "TellMissingManifestApart",
        Effect: "Allow",
        Action: bootActions("release-bucket"),
        Resource: p.releaseBucketArn,
      },
      {
        // Streams of the environment's boot log group only: never the group itself (its retention), never another.
        Sid: "ShipBootLog",
        Effect: "Allow",
        Action: bootActions("boot-log-stream"),
        Resource: `${logGroup}:log-stream:*`,
      },
      {
        // A failed boot marks its own instance unhealthy so the group replaces it at once. Groups of this account
        // and region (the rollout role's pattern), and of them only those tagged with this environment and tier.
        Sid: "ReportOwnHealth",
        Effect: "Allow",
        Action: bootActions("group"),
        Resource: `arn:${p.partition}:autoscaling:${p.region}:${p.accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
        Condition: {
          StringEquals: {
            [`autoscaling:ResourceTag/${TAGS.environment}`]: p.environment,
            [`autoscaling:ResourceTag/${TAGS.tier}`]: p.tier,
          },
        },
      },
    ],
  };
}
