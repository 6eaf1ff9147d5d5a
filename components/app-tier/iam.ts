// The instance role's documents: who may assume it (EC2) and what it may do, which is read its environment's manifest
// and its own tier's artifacts and parameters, ship its boot log, and mark its own instance unhealthy. Built by pure
// functions so tests read them statement by statement.
import { environmentParameterPath, MANIFEST_KEY, TAGS, tierArtifactPattern } from "../../runtime/contract";
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

/** The instance role's inline policy: its environment's manifest and its tier's artifacts, parameters, boot log. */
export function instancePolicyDocument(p: InstancePolicyInput): PolicyDocument {
  const logGroup = p.bootLogGroupArn.replace(/:\*$/, "");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadManifestAndOwnArtifacts",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [`${p.releaseBucketArn}/${MANIFEST_KEY}`, `${p.releaseBucketArn}/${tierArtifactPattern(p.tier)}`],
      },
      {
        Sid: "ReadEnvironmentParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:GetParameters"],
        Resource: `arn:${p.partition}:ssm:${p.region}:${p.accountId}:parameter${environmentParameterPath(p.environment)}*`,
      },
      {
        Sid: "ShipBootLog",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [`${logGroup}:*`, `${logGroup}:log-stream:*`],
      },
      {
        // A failed boot marks its own instance unhealthy so the group replaces it at once.
        Sid: "ReportOwnHealth",
        Effect: "Allow",
        Action: "autoscaling:SetInstanceHealth",
        Resource: "*",
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
