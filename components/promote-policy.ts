// The least-privilege policy of an identity that runs `phoenix promote` (a build server's role, say): read on the
// source environment's release store and fleet, write on the target's release store only, each statement on the
// narrowest resource AWS allows. Built from the contract's PROMOTE_CALLS, so a call the promotion starts making
// shows up here, and the IAM simulator (test/components/iam/simulate.promote.test.ts) holds the two together. No
// stack creates it: attach one document per side to whatever identity promotes (both to one identity in one account,
// or the source's to --from-profile's and the target's to --to-profile's).
import {
  ARTIFACT_PATTERN,
  CallTarget,
  CONVERGENCE_KEY,
  environmentParameterPath,
  MANIFEST_KEY,
  PROMOTE_CALLS,
  PromoteSide,
  RELEASES_PREFIX,
  ROLLBACK_RECORD_KEY,
  rolloutAlarmNames,
} from "../runtime/contract";
import { TIERS } from "../config";
import type { PolicyDocument, PolicyStatement } from "./iam";

/** One environment's resources, as a promotion's policy names them. */
export interface PromoteEnvironment {
  partition?: string;
  region: string;
  accountId: string;
  environment: string;
  /** The environment's release bucket (the stack output releaseBucketName). */
  bucketName: string;
  /**
   * The source's own rollout alarms (its `<tier>RolloutAlarms`, names), beside the two per tier the program creates,
   * which the gate reads too. @default none
   */
  ownRolloutAlarms?: readonly string[];
}

/** Statement ids by what the calls act on, so the document reads as what it grants. */
const SIDS: Record<PromoteSide, Partial<Record<CallTarget, string>>> = {
  source: {
    any: "ReadSourceFleet",
    parameter: "ReadSourceParameters",
    "release-bucket": "TellMissingSourceKeysApart",
    manifest: "ReadSourceManifest",
    "release-record": "ReadSourceReleaseRecords",
    "convergence-record": "ReadSourceConvergence",
    "rollback-record": "ReadSourceRollbackRecord",
    artifact: "ReadSourceArtifacts",
    "rollout-alarm": "ReadSourceRolloutAlarms",
  },
  target: {
    any: "ReadTargetFleet",
    parameter: "ReadTargetParameters",
    "release-bucket": "TellMissingTargetKeysApart",
    manifest: "PublishTargetManifest",
    "release-record": "RecordTargetReleases",
    "rollback-record": "ReadTargetRollbackRecord",
    artifact: "StoreTargetArtifacts",
  },
};

/** The ARN of what a call acts on, in one environment. */
function resourceOf(on: CallTarget, env: PromoteEnvironment): string | string[] {
  const partition = env.partition ?? "aws";
  const bucket = `arn:${partition}:s3:::${env.bucketName}`;
  switch (on) {
    case "any":
      return "*";
    case "parameter":
      return `arn:${partition}:ssm:${env.region}:${env.accountId}:parameter${environmentParameterPath(env.environment)}*`;
    case "release-bucket":
      return bucket;
    case "manifest":
      return `${bucket}/${MANIFEST_KEY}`;
    case "release-record":
      return `${bucket}/${RELEASES_PREFIX}*/release.json`;
    case "convergence-record":
      return `${bucket}/${CONVERGENCE_KEY}`;
    case "rollback-record":
      return `${bucket}/${ROLLBACK_RECORD_KEY}`;
    case "artifact":
      return `${bucket}/${ARTIFACT_PATTERN}`;
    case "rollout-alarm": {
      // Named one by one, as the rollout role names them: no wildcard reaches another environment's alarms.
      const created = TIERS.flatMap((t) => Object.values(rolloutAlarmNames(env.environment, t)));
      const names = [...new Set([...created, ...(env.ownRolloutAlarms ?? [])])];
      return names.map((name) => `arn:${partition}:cloudwatch:${env.region}:${env.accountId}:alarm:${name}`);
    }
    default:
      throw new Error(`phoenix promote makes no call on ${on}`);
  }
}

/** The policy one side of a promotion needs: one statement per kind of resource, its actions sorted. */
export function promotePolicyDocument(side: PromoteSide, env: PromoteEnvironment): PolicyDocument {
  const byTarget = new Map<CallTarget, Set<string>>();
  for (const call of PROMOTE_CALLS.filter((c) => c.side === side)) {
    byTarget.set(call.on, (byTarget.get(call.on) ?? new Set()).add(call.action));
  }
  const statements: PolicyStatement[] = [...byTarget].map(([on, actions]) => ({
    Sid: SIDS[side][on] ?? `${side}-${on}`,
    Effect: "Allow",
    Action: [...actions].sort(),
    Resource: resourceOf(on, env),
  }));
  return { Version: "2012-10-17", Statement: statements };
}
