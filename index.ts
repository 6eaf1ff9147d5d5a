// Entry point of the Pulumi program: reads the stack's config once and builds one environment.
// `pulumi up --stack test` builds the test environment; any other stack name builds a copy from its own config.
import * as pulumi from "@pulumi/pulumi";
import { Environment } from "./components/environment";
import { lookUpRecoverySource } from "./components/recovery";
import { environmentProvider } from "./components/tags";
import { loadConfig, PULUMI_CLI_RANGE } from "./config";

// A CLI older than the SDK fails here with Pulumi's own "upgrade the Pulumi CLI" (docs/operating.md, First deploy).
void pulumi.runtime.requirePulumiVersion(PULUMI_CLI_RANGE);

// Validated before any resource exists: a config mistake stops here, naming the key, the value and what is allowed.
const config = loadConfig();

// Every resource is created through this provider: the stack's region and the environment's tags by default.
const provider = environmentProvider(config.environment, config.region);

// A recovery stack first reads its region's copy of the lost environment (replica and image): nothing is created
// until that is known, and a missing replica stops it, naming phoenix:recoverFrom and the region.
const recoverFrom = config.recovery.from;
const environment: Promise<Environment> =
  recoverFrom === undefined
    ? Promise.resolve(new Environment(config.environment, { config }, { providers: { aws: provider } }))
    : lookUpRecoverySource(recoverFrom, config.region, provider).then(
        (recovery) => new Environment(config.environment, { config, recovery }, { providers: { aws: provider } }),
      );

const outputs = pulumi.output(environment.then((e) => e.outputs()));
export const environmentName = outputs.environment;
export const region = outputs.region;
export const loadBalancerUrl = outputs.loadBalancerUrl;
export const releaseBucketName = outputs.releaseBucketName;
export const releaseBucketParameter = outputs.releaseBucketParameter;
export const releaseReplicaBucketNames = outputs.releaseReplicaBucketNames;
export const vpcId = outputs.vpcId;
export const webGroupName = outputs.webGroupName;
export const apiGroupName = outputs.apiGroupName;
export const bootLogGroupName = outputs.bootLogGroupName;
export const imagePipelineArn = outputs.imagePipelineArn;
export const rolloutFunctionName = outputs.rolloutFunctionName;
export const rolloutLogGroupName = outputs.rolloutLogGroupName;
export const dashboardUrl = outputs.dashboardUrl;
export const alarmTopicArn = outputs.alarmTopicArn;
