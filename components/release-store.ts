// Buckets: PrivateBucket gives every bucket phoenix creates the same protections (private, owner-enforced, versioned,
// encrypted, TLS only, old versions expired); ReleaseStore is the release bucket and the SSM parameter naming it (on a
// recovery stack: the parameter naming the replica it serves from, see release-replica.ts).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { recoveryOfParameterName, releaseBucketParameterName } from "../runtime/contract";
import type { BucketPolicyStatement } from "./iam";

export interface PrivateBucketArgs {
  /** Days a noncurrent (overwritten or deleted) object version is kept. */
  noncurrentVersionExpirationDays: number;
  /** Days a current object is kept before it expires. @default never (undefined) */
  currentVersionExpirationDays?: number;
  /** Extra policy statements (log delivery grants) beside the TLS-only denial; given the bucket ARN.
   *  @default none (the TLS-only denial alone) */
  statements?: (bucketArn: pulumi.Output<string>) => BucketPolicyStatement[];
  /** Let `pulumi destroy` delete a non-empty bucket (disposable environments). @default false */
  forceDestroy?: boolean;
  /** Pulumi's `protect` on the bucket: `pulumi destroy` refuses until it is turned off. @default false */
  protect?: boolean;
}

/** The statement every phoenix bucket carries: any request without TLS is denied, whoever makes it. */
export function denyInsecureTransport(bucketArn: pulumi.Output<string>): BucketPolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * A bucket nobody outside the account can read: all four public-access blocks, ACLs disabled (bucket owner
 * enforced), versioning, SSE-S3 encryption at rest (the only one ALB log delivery accepts), a TLS-only policy and a
 * lifecycle that expires old versions and abandoned uploads.
 */
export class PrivateBucket extends pulumi.ComponentResource {
  /** The bucket resource itself, for options a resource needs (dependsOn, a notification's bucket). */
  readonly bucket: aws.s3.Bucket;
  /** The bucket's name (generated from the component's name): where objects are written. */
  readonly bucketName: pulumi.Output<string>;
  /** The bucket's ARN, for IAM statements on it and its objects (`<arn>/*`). */
  readonly bucketArn: pulumi.Output<string>;
  /** Resolves once every protection is in place; depend on it before writing to the bucket. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: PrivateBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:storage:PrivateBucket", name, {}, opts);
    const parent = { parent: this };

    this.bucket = new aws.s3.Bucket(
      name,
      { forceDestroy: args.forceDestroy ?? false },
      { parent: this, protect: args.protect ?? false },
    );
    const bucket = this.bucket.id;

    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    const ownership = new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      parent,
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
      parent,
    );
    const policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [denyInsecureTransport(this.bucket.arn), ...(args.statements?.(this.bucket.arn) ?? [])],
        }),
      },
      // The public-access block must exist first, so no policy is ever evaluated without it.
      { parent: this, dependsOn: [publicAccess] },
    );
    const lifecycle = new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket,
        rules: [
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionExpirationDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            ...(args.currentVersionExpirationDays !== undefined
              ? { expiration: { days: args.currentVersionExpirationDays } }
              : { expiration: { expiredObjectDeleteMarker: true } }),
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.ready = [publicAccess, ownership, versioning, encryption, policy, lifecycle];
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}

export interface ReleaseStoreArgs {
  /** The environment (stack) name: the parameter is `/phoenix/<environment>/release-bucket`. */
  environment: string;
  /** Days an overwritten or deleted release object is kept. */
  noncurrentVersionExpirationDays: number;
  /** Let `pulumi destroy` delete the bucket with its releases (disposable environments). @default false */
  forceDestroy?: boolean;
  /** Pulumi's `protect` on the bucket: `pulumi destroy` refuses until it is turned off. @default false */
  protect?: boolean;
  /**
   * A recovery stack's store: the environment it recovers and that environment's replica in this region, used as it
   * is. No bucket is created (the environment that replicates to it owns it); the parameter names the replica, and
   * `/phoenix/<environment>/recovery-of` names the environment recovered.
   * @default none: a bucket of the store's own is created
   */
  recovery?: { recoverFrom: string; bucketName: pulumi.Input<string> };
}

/**
 * The release store: `releases/<version>/<tier>.zip` and `releases/current.json` live here. Its name is published in
 * SSM so the CLI and the Lambdas find it from the environment name alone.
 */
export class ReleaseStore extends pulumi.ComponentResource {
  /** The release bucket's name: `phoenix release` uploads artifacts and writes `releases/current.json` here. */
  readonly bucketName: pulumi.Output<string>;
  /** The release bucket's ARN: grant a build server `s3:PutObject` on `<arn>/releases/*` to let it publish. */
  readonly bucketArn: pulumi.Output<string>;
  /** `/phoenix/<env>/release-bucket`: the CLI and the Lambdas find the bucket from the environment name by it. */
  readonly parameterName: pulumi.Output<string>;
  /** The parameter's ARN: grant `ssm:GetParameter` on it to whatever must find the bucket. */
  readonly parameterArn: pulumi.Output<string>;
  /** The bucket resource, for its server access logging and replication; absent on a recovery stack (not its own). */
  readonly bucket?: aws.s3.Bucket;
  /** Resolves once every protection of the store's own bucket is in place (versioning included). */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: ReleaseStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:storage:ReleaseStore", name, {}, opts);
    let bucketName: pulumi.Output<string>;
    if (args.recovery !== undefined) {
      bucketName = pulumi.output(args.recovery.bucketName);
      const partition = aws.getPartitionOutput({}, { parent: this }).partition;
      this.bucketArn = pulumi.interpolate`arn:${partition}:s3:::${bucketName}`;
      this.ready = [];
      new aws.ssm.Parameter(
        `${name}-recovery-of`,
        {
          name: recoveryOfParameterName(args.environment),
          type: "String",
          value: args.recovery.recoverFrom,
          description: `The environment ${args.environment} recovers; its releases come from that one's replica (phoenix).`,
        },
        { parent: this },
      );
    } else {
      const store = new PrivateBucket(
        `${name}-bucket`,
        {
          noncurrentVersionExpirationDays: args.noncurrentVersionExpirationDays,
          forceDestroy: args.forceDestroy,
          protect: args.protect,
        },
        { parent: this },
      );
      bucketName = store.bucketName;
      this.bucket = store.bucket;
      this.bucketArn = store.bucketArn;
      this.ready = store.ready;
    }
    const parameter = new aws.ssm.Parameter(
      `${name}-parameter`,
      {
        name: releaseBucketParameterName(args.environment),
        type: "String",
        value: bucketName,
        description: `Release bucket of the ${args.environment} environment (phoenix).`,
      },
      { parent: this },
    );
    this.bucketName = bucketName;
    this.parameterName = parameter.name;
    this.parameterArn = parameter.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, parameterName: this.parameterName });
  }
}
