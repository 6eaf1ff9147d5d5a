// Release artifacts that survive the region: a private bucket in each recovery region that the release store
// replicates `releases/` to (S3 replication, both sides versioned), named at `/phoenix/<env>/release-replica` in that
// region so a recovery stack, and the recovery environment's CLI, find it without reaching the failed region. The
// replication role's document is a pure function, tested statement by statement.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { environmentTags, RELEASES_PREFIX, releaseReplicaParameterName, replicationRuleId } from "../runtime/contract";
import type { PolicyDocument } from "./iam";
import { PrivateBucket, ReleaseStore } from "./release-store";

export interface ReleaseReplicaArgs {
  /** The environment (stack) whose releases the replica holds: its parameter is `/phoenix/<environment>/release-replica`. */
  environment: string;
  /** The recovery region the replica lives in. */
  region: string;
  /** Days an overwritten or deleted release object is kept, as in the release store. */
  noncurrentVersionExpirationDays: number;
  /** Let `pulumi destroy` delete the replica with its releases. @default false */
  forceDestroy?: boolean;
  /** Pulumi's `protect` on the replica bucket, as on the store it copies. @default false */
  protect?: boolean;
}

/**
 * One recovery region's copy of the release store: a bucket with the same protections (versioned, private, TLS only)
 * and the SSM parameter naming it, both in that region through their own provider.
 */
export class ReleaseReplica extends pulumi.ComponentResource {
  /** The recovery region. */
  readonly region: string;
  /** The replica bucket's name: a recovery stack with `recoverFrom` serves its releases from it. */
  readonly bucketName: pulumi.Output<string>;
  /** The replica bucket's ARN: the replication rule's destination. */
  readonly bucketArn: pulumi.Output<string>;
  /** `/phoenix/<env>/release-replica`, in the recovery region: how a recovery stack or CLI finds the bucket. */
  readonly parameterName: pulumi.Output<string>;
  /** Resolves once the replica can receive replicated objects (versioning on). */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: ReleaseReplicaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:storage:ReleaseReplica", name, {}, opts);
    // Its own provider: the stack's provider is pinned to the stack's region. Same default tags, so the replica
    // carries the environment's tags like everything else.
    const provider = new aws.Provider(
      `${name}-aws`,
      { region: args.region as aws.Region, defaultTags: { tags: environmentTags(args.environment) } },
      { parent: this },
    );
    const inRegion = { parent: this, providers: { aws: provider } };
    const bucket = new PrivateBucket(
      `${name}-bucket`,
      {
        noncurrentVersionExpirationDays: args.noncurrentVersionExpirationDays,
        forceDestroy: args.forceDestroy,
        protect: args.protect,
      },
      inRegion,
    );
    const parameter = new aws.ssm.Parameter(
      `${name}-parameter`,
      {
        name: releaseReplicaParameterName(args.environment),
        type: "String",
        value: bucket.bucketName,
        description: `Replica of the ${args.environment} environment's release store in ${args.region} (phoenix): recoverFrom reads it.`,
      },
      { parent: this, provider },
    );
    this.region = args.region;
    this.bucketName = bucket.bucketName;
    this.bucketArn = bucket.bucketArn;
    this.parameterName = parameter.name;
    this.ready = bucket.ready;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, parameterName: this.parameterName });
  }
}

/** The replication role's trust policy: S3 and nothing else. */
export const REPLICATION_TRUST_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/**
 * What S3 needs to replicate `releases/` from the store to its replicas: read the store's replication configuration
 * and its release objects' versions, write replicas of them. Nothing outside `releases/`, no other bucket.
 */
export function replicationPolicyDocument(p: { sourceBucketArn: string; replicaBucketArns: string[] }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadReplicationConfiguration",
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        Resource: p.sourceBucketArn,
      },
      {
        Sid: "ReadReleaseVersions",
        Effect: "Allow",
        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
        Resource: `${p.sourceBucketArn}/${RELEASES_PREFIX}*`,
      },
      {
        Sid: "WriteReplicas",
        Effect: "Allow",
        Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        Resource: p.replicaBucketArns.map((arn) => `${arn}/${RELEASES_PREFIX}*`),
      },
    ],
  };
}

/**
 * The store's replication rules: one per recovery region, `releases/` only. Delete markers are not replicated, so a
 * release deleted by mistake (or by an intruder) in the home region survives in the replicas.
 */
export function replicationRules(replicas: { region: string; bucketArn: pulumi.Input<string> }[]) {
  return replicas.map((r, i) => ({
    id: replicationRuleId(r.region),
    status: "Enabled",
    priority: i,
    filter: { prefix: RELEASES_PREFIX },
    deleteMarkerReplication: { status: "Disabled" },
    destination: { bucket: r.bucketArn, storageClass: "STANDARD" },
  }));
}

/** What replicating a release store needs: the recovery regions and how the replicas keep old versions. */
export interface ReplicationArgs {
  /** The environment (stack) whose store replicates: each replica's parameter is `/phoenix/<environment>/release-replica`. */
  environment: string;
  /** The recovery regions, one replica each, in this order. */
  regions: string[];
  /** Days an overwritten or deleted release object is kept in a replica. */
  noncurrentVersionExpirationDays: number;
  /** Let `pulumi destroy` delete the replicas with their releases. @default false */
  forceDestroy?: boolean;
  /** Pulumi's `protect` on the replica buckets. @default false */
  protect?: boolean;
}

/**
 * Replicates a release store's `releases/` to a new replica in each recovery region: the replicas, the role S3
 * replicates as, and the replication configuration on the store's bucket, all children of the store. None when the
 * list is empty. The store must own its bucket (a recovery stack's does not, and config refuses regions there).
 */
export function replicateReleaseStore(name: string, store: ReleaseStore, args: ReplicationArgs): ReleaseReplica[] {
  if (args.regions.length === 0) return [];
  const sourceBucket = store.bucket?.id;
  if (sourceBucket === undefined) {
    throw new Error(`${name}: a release store that does not own its bucket cannot replicate it`);
  }
  const parent = { parent: store };
  const replicas = args.regions.map(
    (region) =>
      new ReleaseReplica(
        `${name}-${region}`,
        {
          environment: args.environment,
          region,
          noncurrentVersionExpirationDays: args.noncurrentVersionExpirationDays,
          forceDestroy: args.forceDestroy,
          protect: args.protect,
        },
        parent,
      ),
  );
  const role = new aws.iam.Role(
    `${name}-replication-role`,
    {
      description: `phoenix ${args.environment}: S3 replicates releases/ to ${args.regions.join(", ")} as this role`,
      assumeRolePolicy: REPLICATION_TRUST_POLICY,
      tags: environmentTags(args.environment),
    },
    parent,
  );
  const rolePolicy = new aws.iam.RolePolicy(
    `${name}-replication-policy`,
    {
      role: role.id,
      policy: pulumi
        .all([store.bucketArn, pulumi.all(replicas.map((r) => r.bucketArn))])
        .apply(([sourceBucketArn, replicaBucketArns]) =>
          JSON.stringify(replicationPolicyDocument({ sourceBucketArn, replicaBucketArns })),
        ),
    },
    parent,
  );
  new aws.s3.BucketReplicationConfig(
    `${name}-replication`,
    {
      bucket: sourceBucket,
      role: role.arn,
      rules: replicationRules(replicas.map((r) => ({ region: r.region, bucketArn: r.bucketArn }))),
    },
    // S3 refuses a replication configuration until both sides are versioned and the role may act.
    { parent: store, dependsOn: [...store.ready, ...replicas.flatMap((r) => r.ready), rolePolicy] },
  );
  return replicas;
}
