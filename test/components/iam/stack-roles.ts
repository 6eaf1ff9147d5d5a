// The role documents a stack file builds, read from the program run under mocks, with the real ARNs of what they
// govern: what the IAM simulator specs (simulate.*.test.ts) evaluate. Also turns a contract call (ROLLOUT_CALLS,
// BOOT_CALLS) into the requests AWS would see, on this environment's resources and with their context keys.
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyDocument } from "../../../components/iam";
import {
  artifactKey,
  AwsCall,
  baseImageParameterName,
  CONVERGENCE_KEY,
  MANIFEST_KEY,
  SWEEP_LEASE_KEY,
  LAMBDA_ENV,
  releaseBucketParameterName,
  releaseRecordKey,
  ROLLBACK_RECORD_KEY,
  TAGS,
} from "../../../runtime/contract";
import { loadProgram, MOCK_ACCOUNT_ID, PulumiMocks, setupMocks, settle } from "../../support/pulumi-mocks";
import type { SimulatedCall } from "../../support/iam-simulator";
import type { Policy } from "../../../runtime/core/types";

export const TIER_NAMES = ["web", "api"] as const;

/** A stack's roles and the ARNs of its resources, as the program under mocks built them. */
export interface StackRoles {
  environment: string;
  /** Another environment's name: the one whose resources every role must be kept out of. */
  other: string;
  region: string;
  rollout: PolicyDocument[];
  instance: Record<(typeof TIER_NAMES)[number], PolicyDocument[]>;
  /** The image pipeline's build instances and lifecycle role: AWS's managed policies plus the inline scope. */
  buildInstance: PolicyDocument[];
  lifecycle: PolicyDocument[];
  groupArn: Record<(typeof TIER_NAMES)[number], string>;
  bucketArn: string;
  bootLogGroupArn: string;
  rolloutLogGroupArn: string;
  followUpQueueArn: string;
  deadLetterQueueArn: string;
  /** The rollout Lambda's subnets and security group, for the network-interface calls Lambda makes as its role. */
  subnetIds: string[];
  rolloutSecurityGroupId: string;
  /** Every tier's rollout alarms, as ARNs in the stack's region and account (from the Lambda's policy). */
  alarmArns: string[];
  /** Some tier rolls back automatically: the role may then write the manifest and the rollback record. */
  autoRollback: boolean;
}

const MANAGED = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "..", "fixtures", "managed-policies.json"), "utf8"),
) as Record<string, { document: PolicyDocument }>;

/** Runs the stack's program under mocks and reads its roles. */
export async function loadStackRoles(stack: string): Promise<StackRoles> {
  const mocks = await setupMocks(stack);
  loadProgram();
  await settle();
  return readRoles(mocks, stack);
}

function readRoles(mocks: PulumiMocks, env: string): StackRoles {
  const inline = (name: string) => JSON.parse(mocks.one("aws:iam/rolePolicy:RolePolicy", name).inputs.policy);
  const state = (type: string, name: string) => mocks.one(type, name).state;
  const roleDocuments = (roleName: string): PolicyDocument[] => {
    const role = state("aws:iam/role:Role", roleName);
    const attached = mocks
      .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((a) => a.inputs.role === role.name)
      .map((a) => {
        const name = String(a.inputs.policyArn).replace(/^arn:aws:iam::aws:policy\//, "");
        if (!MANAGED[name]) throw new Error(`no document for managed policy ${name} in test/fixtures`);
        return MANAGED[name].document;
      });
    const own = mocks
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === role.name || p.inputs.role === role.id)
      .map((p) => JSON.parse(p.inputs.policy) as PolicyDocument);
    return [...attached, ...own];
  };
  const lambda = mocks.one("aws:lambda/function:Function", `${env}-rollout-fn`).inputs;
  const policy = JSON.parse(lambda.environment.variables[LAMBDA_ENV.policy]) as Policy;
  const tierPolicies = Object.values(policy.tiers ?? {});
  const alarms = [...new Set(tierPolicies.flatMap((p) => p.rolloutAlarms ?? []))].sort();
  return {
    environment: env,
    other: env === "live" ? "test" : "live",
    region: mocks.region,
    rollout: [inline(`${env}-rollout-policy`)],
    instance: { web: roleDocuments(`${env}-web-role`), api: roleDocuments(`${env}-api-role`) },
    buildInstance: roleDocuments(`${env}-image-instance`),
    lifecycle: roleDocuments(`${env}-image-lifecycle`),
    groupArn: {
      web: state("aws:autoscaling/group:Group", `${env}-web-asg`).arn,
      api: state("aws:autoscaling/group:Group", `${env}-api-asg`).arn,
    },
    bucketArn: state("aws:s3/bucket:Bucket", `${env}-releases-bucket`).arn,
    bootLogGroupArn: state("aws:cloudwatch/logGroup:LogGroup", `${env}-boot-logs`).arn,
    rolloutLogGroupArn: state("aws:cloudwatch/logGroup:LogGroup", `${env}-rollout-logs`).arn,
    followUpQueueArn: state("aws:sqs/queue:Queue", `${env}-rollout-follow-up`).arn,
    deadLetterQueueArn: state("aws:sqs/queue:Queue", `${env}-rollout-dlq`).arn,
    subnetIds: lambda.vpcConfig.subnetIds,
    rolloutSecurityGroupId: lambda.vpcConfig.securityGroupIds[0],
    alarmArns: alarms.map((name) => `arn:aws:cloudwatch:${mocks.region}:${MOCK_ACCOUNT_ID}:alarm:${name}`),
    autoRollback: tierPolicies.some((p) => p.autoRollback === true),
  };
}

/** `arn:aws:<service>:<region>:<account>:<resource>` in the stack's region. */
export function arn(r: StackRoles, service: string, resource: string): string {
  return `arn:aws:${service}:${r.region}:${MOCK_ACCOUNT_ID}:${resource}`;
}

/** The context a request on a group carries: its tags, as Auto Scaling and IAM name them. */
export function groupTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags).flatMap(([k, v]) => [
      [`autoscaling:ResourceTag/${k}`, v],
      [`aws:ResourceTag/${k}`, v],
    ]),
  );
}

/** The context of a tagging request: the keys it writes (and, creating, their values). */
export function tagRequest(action: string, keys: readonly string[]): Record<string, string | string[]> {
  const values = action.endsWith("CreateOrUpdateTags")
    ? Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, "x"]))
    : {};
  return { "aws:TagKeys": [...keys], ...values };
}

/** The requests AWS sees for one contract call made by this environment's code, on this environment's resources. */
export function requestsFor(r: StackRoles, call: AwsCall, tier?: (typeof TIER_NAMES)[number]): SimulatedCall[] {
  const label = `${call.operation} (${call.on})`;
  const tiers = tier ? [tier] : TIER_NAMES;
  switch (call.on) {
    case "any":
      return [{ label, action: call.action, resource: "*" }];
    case "manifest":
      return [{ label, action: call.action, resource: `${r.bucketArn}/${MANIFEST_KEY}` }];
    case "artifact":
      return tiers.map((t) => ({
        label,
        action: call.action,
        resource: `${r.bucketArn}/${artifactKey("1.0.274", t)}`,
      }));
    case "release-record":
      return [{ label, action: call.action, resource: `${r.bucketArn}/${releaseRecordKey("1.0.274")}` }];
    case "convergence-record":
      return [{ label, action: call.action, resource: `${r.bucketArn}/${CONVERGENCE_KEY}` }];
    case "rollback-record":
      return [{ label, action: call.action, resource: `${r.bucketArn}/${ROLLBACK_RECORD_KEY}` }];
    case "rollout-alarm":
      return r.alarmArns.map((resource) => ({ label, action: call.action, resource }));
    case "release-bucket":
      return [{ label, action: call.action, resource: r.bucketArn }];
    case "sweep-lease":
      return [{ label, action: call.action, resource: `${r.bucketArn}/${SWEEP_LEASE_KEY}` }];
    case "parameter":
      return [releaseBucketParameterName(r.environment), baseImageParameterName(r.environment)].map((name) => ({
        label,
        action: call.action,
        resource: arn(r, "ssm", `parameter${name}`),
      }));
    case "follow-up-queue":
      return [{ label, action: call.action, resource: r.followUpQueueArn }];
    case "boot-log-stream":
      return [{ label, action: call.action, resource: `${r.bootLogGroupArn}:log-stream:i-0123456789abcdef0` }];
    case "group":
      return tiers.map((t) => ({
        label,
        action: call.action,
        resource: r.groupArn[t],
        context: {
          ...groupTags({ [TAGS.environment]: r.environment, [TAGS.tier]: t }),
          ...(call.tagKeys ? tagRequest(call.action, call.tagKeys) : {}),
        },
      }));
  }
}
