// Entry point of the Pulumi program: reads the stack's config once and builds one environment.
// `pulumi up --stack test` builds the test environment; any other stack name builds a copy from its own config.
import { Environment } from "./components/environment";
import { environmentProvider } from "./components/tags";
import { loadConfig } from "./config";

// Validated before any resource exists: a config mistake stops here, naming the key, the value and what is allowed.
const config = loadConfig();

// Every resource is created through this provider: the stack's region and the environment's tags by default.
const provider = environmentProvider(config.environment, config.region);
const environment = new Environment(config.environment, { config }, { providers: { aws: provider } });

const outputs = environment.outputs();
export const environmentName = outputs.environment;
export const region = outputs.region;
export const loadBalancerUrl = outputs.loadBalancerUrl;
export const releaseBucketName = outputs.releaseBucketName;
export const releaseBucketParameter = outputs.releaseBucketParameter;
export const vpcId = outputs.vpcId;
export const webGroupName = outputs.webGroupName;
export const apiGroupName = outputs.apiGroupName;
export const bootLogGroupName = outputs.bootLogGroupName;
export const imagePipelineArn = outputs.imagePipelineArn;
export const rolloutFunctionName = outputs.rolloutFunctionName;
export const rolloutLogGroupName = outputs.rolloutLogGroupName;
export const dashboardUrl = outputs.dashboardUrl;
export const alarmTopicArn = outputs.alarmTopicArn;
