// The environment's access-log bucket (`accessLogs`): the load balancer's logs under `<env>-alb/` and the release
// bucket's server access logs under `<env>-releases/`, each delivered by the one service allowed to write there.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PhoenixConfig } from "../../config";
import { PrivateBucket, ReleaseStore } from "../release-store";

/** Where the release bucket's server access logs land in the log bucket, beside the load balancer's `<env>-alb/`. */
export function releaseAccessLogPrefix(environment: string): string {
  return `${environment}-releases/`;
}

/**
 * The access-log bucket, and the release bucket's server access logging into it. Both are children of `parent` (the
 * Environment), named after the environment as they always were.
 */
export function accessLogBucket(
  config: PhoenixConfig,
  releaseStore: ReleaseStore,
  parent: pulumi.Resource,
): PrivateBucket {
  const env = config.environment;
  const opts = { parent };
  const elbAccount = aws.elb.getServiceAccountOutput({}, opts);
  const accountId = aws.getCallerIdentityOutput({}, opts).accountId;
  const bucket = new PrivateBucket(
    `${env}-access-logs`,
    {
      noncurrentVersionExpirationDays: 1,
      currentVersionExpirationDays: config.accessLogRetentionDays,
      forceDestroy: config.forceDestroyBuckets,
      protect: config.deletionProtection,
      // Older regions deliver as the regional ELB account, newer ones as the log delivery service.
      statements: (arn) => [
        {
          Sid: "LoadBalancerLogDelivery",
          Effect: "Allow",
          Principal: { AWS: elbAccount.arn, Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: pulumi.interpolate`${arn}/${env}-alb/AWSLogs/${accountId}/*`,
        },
        {
          // Server access logs of the release bucket: who read or wrote what runs in production.
          Sid: "ReleaseBucketAccessLogDelivery",
          Effect: "Allow",
          Principal: { Service: "logging.s3.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: pulumi.interpolate`${arn}/${releaseAccessLogPrefix(env)}*`,
          Condition: {
            ArnLike: { "aws:SourceArn": releaseStore.bucketArn },
            StringEquals: { "aws:SourceAccount": accountId },
          },
        },
      ],
    },
    opts,
  );
  new aws.s3.BucketLogging(
    `${env}-releases-access-logging`,
    {
      bucket: releaseStore.bucketName,
      targetBucket: bucket.bucketName,
      targetPrefix: releaseAccessLogPrefix(env),
    },
    { parent, dependsOn: bucket.ready },
  );
  return bucket;
}
