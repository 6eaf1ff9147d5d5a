// The AWS SDK v3 clients phoenix uses, created once per process and passed to every adapter so that tests and the
// rehearsal can inject their own. Region, credentials and endpoints come from the SDK's default chains untouched:
// `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`) points every client at an emulator.
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";

export interface AwsClients {
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  s3: S3Client;
  ssm: SSMClient;
}

/**
 * Settings shared by every client. Production passes nothing; tests pass a region, fixed credentials and a fake
 * request handler so that the SDK's real middleware (retries, serialization) runs without a network.
 */
export type ClientOverrides = Pick<
  NonNullable<ConstructorParameters<typeof SSMClient>[0]>,
  "region" | "credentials" | "requestHandler" | "maxAttempts"
>;

export function createClients(overrides: ClientOverrides = {}): AwsClients {
  return {
    autoScaling: new AutoScalingClient({ ...overrides }),
    ec2: new EC2Client({ ...overrides }),
    elbv2: new ElasticLoadBalancingV2Client({ ...overrides }),
    s3: new S3Client({ ...overrides }),
    ssm: new SSMClient({ ...overrides }),
  };
}
