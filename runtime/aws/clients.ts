// The AWS SDK v3 clients phoenix uses, created once per process and passed to every adapter so that tests and the
// rehearsal can inject their own. Region, credentials and endpoints come from the SDK's default chains untouched:
// `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`) points every client at an emulator.
//
// Every call is bounded. The SDK's own handler has no connection or request timeout, so an endpoint that accepts the
// connection and never answers would hang a sweep for ever; here each attempt has both, the request timeout throws
// (the installed @smithy/node-http-handler only warns unless `throwOnRequestTimeout` is set), an idle socket fails
// too, and the attempts are counted: awsCallBoundMs in the contract is the longest one call can take.
//
// Each client's package is required on first use, not at import: requiring all of them takes about 0.8 s on Node 20
// (client-ec2 alone about 0.35 s), and a sweep's first calls (Auto Scaling, SSM, S3) need only three of them (SQS
// only when it schedules a follow-up, CloudWatch only while a rollout is in its alarm window). The CLI thus reaches
// AWS sooner, and `--help` or the rehearsal never load the SDK at all. STS, Lambda, EventBridge and CloudWatch Logs
// serve `phoenix doctor` only (the Lambda archive leaves them out, components/rollout/entry.ts).
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { STSClient } from "@aws-sdk/client-sts";
import { AWS_CONNECTION_TIMEOUT_MS, AWS_MAX_ATTEMPTS, LIMITS } from "../contract";

export interface AwsClients {
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  s3: S3Client;
  ssm: SSMClient;
  /** The follow-up delay queue (runtime/aws/sqs-follow-up.ts): built only when a sweep schedules a follow-up. */
  sqs: SQSClient;
  /** `phoenix doctor`: who the credentials are. */
  sts: STSClient;
  /** `phoenix doctor`: the rollout function and its event source. */
  lambda: LambdaClient;
  /** `phoenix doctor`: the rules that invoke the rollout function. */
  events: EventBridgeClient;
  /** `phoenix doctor`: the rollout function's last sweep. */
  logs: CloudWatchLogsClient;
  /** The rollout alarms (runtime/aws/alarms.ts): built only when a rollout is in its alarm window. */
  cloudwatch: CloudWatchClient;
}

/**
 * Settings shared by every client. Production passes nothing (or, `phoenix promote --from-profile`, a profile for
 * one side's credentials and region); tests pass a region, fixed credentials and a fake request handler so that the
 * SDK's real middleware (retries, serialization) runs without a network.
 */
export type ClientOverrides = Pick<
  NonNullable<ConstructorParameters<typeof SSMClient>[0]>,
  "region" | "credentials" | "requestHandler" | "maxAttempts" | "profile"
>;

/* eslint-disable @typescript-eslint/no-require-imports -- deliberate lazy loading, see the top of the file */
/** The SDK packages, each required when first asked for (Node caches the module after that). */
export const sdk = {
  autoScaling: () => require("@aws-sdk/client-auto-scaling") as typeof import("@aws-sdk/client-auto-scaling"),
  ec2: () => require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2"),
  elbv2: () =>
    require("@aws-sdk/client-elastic-load-balancing-v2") as typeof import("@aws-sdk/client-elastic-load-balancing-v2"),
  s3: () => require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3"),
  ssm: () => require("@aws-sdk/client-ssm") as typeof import("@aws-sdk/client-ssm"),
  sqs: () => require("@aws-sdk/client-sqs") as typeof import("@aws-sdk/client-sqs"),
  sts: () => require("@aws-sdk/client-sts") as typeof import("@aws-sdk/client-sts"),
  lambda: () => require("@aws-sdk/client-lambda") as typeof import("@aws-sdk/client-lambda"),
  events: () => require("@aws-sdk/client-eventbridge") as typeof import("@aws-sdk/client-eventbridge"),
  logs: () => require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs"),
  cloudwatch: () => require("@aws-sdk/client-cloudwatch") as typeof import("@aws-sdk/client-cloudwatch"),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** How long one attempt of one call may take. @default LIMITS.awsRequestTimeoutMs.fallback */
export interface ClientTimeouts {
  requestTimeoutMs?: number;
}

/**
 * The settings every client is built with: the bounded handler and the stated number of attempts, then whatever the
 * caller overrides (a test's fake handler replaces the bounded one; its own timeouts are then the test's business).
 */
export function clientSettings(overrides: ClientOverrides = {}, timeouts: ClientTimeouts = {}): ClientOverrides {
  const requestTimeout = timeouts.requestTimeoutMs ?? LIMITS.awsRequestTimeoutMs.fallback;
  return {
    maxAttempts: AWS_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: Math.min(AWS_CONNECTION_TIMEOUT_MS, requestTimeout),
      requestTimeout,
      throwOnRequestTimeout: true,
      // An answer that starts and then stalls (a body that never ends) is bounded by the same figure.
      socketTimeout: requestTimeout,
    },
    // An override left undefined keeps the bounded default rather than erasing it.
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
}

/** One client per service, each built on first access and the same object on every access after that. */
export function createClients(overrides: ClientOverrides = {}, timeouts: ClientTimeouts = {}): AwsClients {
  const settings = clientSettings(overrides, timeouts);
  const built: Partial<AwsClients> = {};
  return {
    get autoScaling() {
      return (built.autoScaling ??= new (sdk.autoScaling().AutoScalingClient)({ ...settings }));
    },
    get ec2() {
      return (built.ec2 ??= new (sdk.ec2().EC2Client)({ ...settings }));
    },
    get elbv2() {
      return (built.elbv2 ??= new (sdk.elbv2().ElasticLoadBalancingV2Client)({ ...settings }));
    },
    get s3() {
      return (built.s3 ??= new (sdk.s3().S3Client)({ ...settings }));
    },
    get ssm() {
      return (built.ssm ??= new (sdk.ssm().SSMClient)({ ...settings }));
    },
    get sqs() {
      return (built.sqs ??= new (sdk.sqs().SQSClient)({ ...settings }));
    },
    get sts() {
      return (built.sts ??= new (sdk.sts().STSClient)({ ...settings }));
    },
    get lambda() {
      return (built.lambda ??= new (sdk.lambda().LambdaClient)({ ...settings }));
    },
    get events() {
      return (built.events ??= new (sdk.events().EventBridgeClient)({ ...settings }));
    },
    get logs() {
      return (built.logs ??= new (sdk.logs().CloudWatchLogsClient)({ ...settings }));
    },
    get cloudwatch() {
      return (built.cloudwatch ??= new (sdk.cloudwatch().CloudWatchClient)({ ...settings }));
    },
  };
}
