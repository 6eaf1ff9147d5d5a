// One environment (one stack): network, release store, load balancer, boot log group and the web and api tiers,
// built from the validated config. Everything an environment is hangs off this component, so `live`, `test` and
// disposable copies differ only in their stack config. This file is the composition root: the parts that take more
// than a constructor call are built by its siblings (access-logs.ts, image-builds.ts, tiers.ts, rollout.ts), each a
// child of this component under the name it always had.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BaseImagePipeline } from "../../ami/pipeline";
import { PhoenixConfig, rolloutGateWarnings, TierName } from "../../config";
import { AppTier } from "../app-tier";
import { Alerts, Dashboard } from "../observability";
import { RolloutAlarms } from "../rollout-alarms";
import { LoadBalancer } from "../load-balancer";
import { Network } from "../network";
import type { RecoverySource } from "../recovery";
import { ReleaseReplica, replicateReleaseStore } from "../release-replica";
import { PrivateBucket, ReleaseStore } from "../release-store";
import { Rollout } from "../rollout";
import { bootLogGroupName, environmentTags, rolloutServices, SERVICE_ENDPOINTS } from "../../runtime/contract";
import { accessLogBucket } from "./access-logs";
import { baseImagePipeline } from "./image-builds";
import { environmentDashboard, releaseAlarms, rolloutLambda } from "./rollout";
import { appTiers, tierRoutes } from "./tiers";

export { releaseAccessLogPrefix } from "./access-logs";
export { TIER_PATHS } from "./tiers";

export interface EnvironmentArgs {
  /** The stack's validated config (config/ loadConfig). */
  config: PhoenixConfig;
  /**
   * A recovery stack's starting point (components/recovery.ts lookUpRecoverySource): required when the config has
   * `recoverFrom`, ignored otherwise. @default none
   */
  recovery?: RecoverySource;
}

/** The stack outputs of an environment. */
export interface EnvironmentOutputs {
  environment: string;
  region: string;
  loadBalancerUrl: pulumi.Output<string>;
  releaseBucketName: pulumi.Output<string>;
  releaseBucketParameter: pulumi.Output<string>;
  /** The replica of the release store in each recovery region, by region (empty without recoveryRegions). */
  releaseReplicaBucketNames: pulumi.Output<Record<string, string>>;
  vpcId: pulumi.Output<string>;
  webGroupName: pulumi.Output<string>;
  apiGroupName: pulumi.Output<string>;
  bootLogGroupName: pulumi.Output<string>;
  /** The rollout Lambda (`aws lambda invoke --function-name <it>` runs a sweep by hand). */
  rolloutFunctionName: pulumi.Output<string>;
  /** Where the rollout Lambda logs every sweep's snapshot and plan (`aws logs tail <it> --follow`). */
  rolloutLogGroupName: pulumi.Output<string>;
  /** The environment's CloudWatch dashboard in the console. */
  dashboardUrl: pulumi.Output<string>;
  /** The SNS topic every alarm notifies. */
  alarmTopicArn: pulumi.Output<string>;
  /** The base-image pipeline to start by hand (`aws imagebuilder start-image-pipeline-execution`); absent when off. */
  imagePipelineArn: pulumi.Output<string | undefined>;
}

/**
 * One environment (one stack) and everything in it. index.ts builds exactly one and exports outputs(); a test or
 * another program may build one directly from a PhoenixConfig.
 */
export class Environment extends pulumi.ComponentResource {
  /** The environment (stack) name every resource is named and tagged after: `--env` of every phoenix command. */
  readonly environment: string;
  /** The validated config the environment was built from: read a setting as the environment saw it. */
  readonly config: PhoenixConfig;
  /** The VPC, its subnets and the S3 endpoint: place anything else the environment needs in its private subnets. */
  readonly network: Network;
  /** The release bucket and its SSM parameter: `phoenix release` publishes here. */
  readonly releaseStore: ReleaseStore;
  /** The release store's replica in each recovery region (`recoveryRegions`); empty without any. */
  readonly releaseReplicas: ReleaseReplica[];
  /** The access-log bucket, when `accessLogs` is on. */
  readonly accessLogBucket?: PrivateBucket;
  /** The front door: its URL serves both tiers, its target groups health-check /version. */
  readonly loadBalancer: LoadBalancer;
  /** Where every instance ships its boot log (`/phoenix/<env>/boot`): read it when an instance never turns healthy. */
  readonly bootLogGroup: aws.cloudwatch.LogGroup;
  /** The web and api tiers by name: their groups, roles and security groups. */
  readonly tiers: Record<TierName, AppTier>;
  /** The rollout Lambda ("the terminator") with its triggers, role and dead-letter queue. */
  readonly rollout: Rollout;
  /** The SNS topic every alarm notifies: subscribe to it to hear about a stuck or failed rollout. */
  readonly alerts: Alerts;
  /** The CloudWatch dashboard and alarms to watch a rollout by. */
  readonly dashboard: Dashboard;
  /** Each tier's 5xx-rate and latency alarms a rollout stops on, and the alarm that tells of a rollback. */
  readonly rolloutAlarms: RolloutAlarms;
  /** The monthly base-image pipeline, when `imagePipeline` is on. */
  readonly imagePipeline?: BaseImagePipeline;

  // What the rollout and image pipeline need, in one place.
  /** The environment's VPC id. */
  readonly vpcId: pulumi.Output<string>;
  /** The VPC's CIDR block: the range security groups may send to inside the environment. */
  readonly vpcCidrBlock: string;
  /** The private subnets, one per zone: where instances, the rollout Lambda and image builds run. */
  readonly privateSubnetIds: pulumi.Output<string[]>;
  /** The release bucket's name (also published at `/phoenix/<env>/release-bucket`). */
  readonly releaseBucketName: pulumi.Output<string>;
  /** The release bucket's ARN, for policies that grant access to releases. */
  readonly releaseBucketArn: pulumi.Output<string>;
  /** `http(s)://<load balancer>`: where the environment serves, and where a smoke test points. */
  readonly loadBalancerUrl: pulumi.Output<string>;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:env:Environment", name, {}, opts);
    const config = args.config;
    const env = config.environment;
    const parent = { parent: this };
    const recovery = config.recovery.from !== undefined ? args.recovery : undefined;
    if (config.recovery.from !== undefined && recovery === undefined) {
      throw new Error(`environment ${env} recovers ${config.recovery.from}: pass its RecoverySource (index.ts does)`);
    }
    this.environment = env;
    this.config = config;

    if (config.domain === undefined && config.certificateArn === undefined) {
      void pulumi.log.warn(
        `${env} serves plain HTTP: set phoenix:domainName (with hostedZoneId and hostedZoneName) or ` +
          "phoenix:certificateArn to serve HTTPS, as live must",
        this,
      );
    }
    for (const warning of rolloutGateWarnings(config)) void pulumi.log.warn(`${env}: ${warning}`, this);
    // Stateful resources a destroy would lose data with: Pulumi refuses to delete them while protected.
    const protect = config.deletionProtection;

    this.network = new Network(
      `${env}-net`,
      {
        region: config.region,
        cidrBlock: config.vpcCidr,
        availabilityZones: config.availabilityZones,
        natGateways: config.natGateways,
        environment: env,
        // Every service the rollout Lambda calls but S3, which has its gateway endpoint already.
        interfaceEndpoints: config.privateEndpoints
          ? rolloutServices().filter((service) => !SERVICE_ENDPOINTS[service]?.gateway)
          : [],
      },
      parent,
    );

    this.releaseStore = new ReleaseStore(
      `${env}-releases`,
      {
        environment: env,
        noncurrentVersionExpirationDays: config.releaseNoncurrentVersionDays,
        forceDestroy: config.forceDestroyBuckets,
        protect,
        ...(recovery && { recovery: { recoverFrom: recovery.recoverFrom, bucketName: recovery.releaseBucketName } }),
      },
      parent,
    );
    this.releaseReplicas = replicateReleaseStore(`${env}-releases`, this.releaseStore, {
      environment: env,
      regions: config.recovery.regions,
      noncurrentVersionExpirationDays: config.releaseNoncurrentVersionDays,
      forceDestroy: config.forceDestroyBuckets,
      protect,
    });

    if (config.accessLogs) this.accessLogBucket = accessLogBucket(config, this.releaseStore, this);

    this.loadBalancer = new LoadBalancer(
      `${env}-alb`,
      {
        environment: env,
        vpcId: this.network.vpcId,
        vpcCidrBlock: config.vpcCidr,
        publicSubnetIds: this.network.publicSubnetIds,
        routes: tierRoutes(config),
        certificateArn: config.certificateArn,
        domain: config.domain,
        deletionProtection: config.deletionProtection,
        accessLogsBucket: this.accessLogBucket?.bucketName,
      },
      { parent: this, dependsOn: this.accessLogBucket ? this.accessLogBucket.ready : [] },
    );

    this.bootLogGroup = new aws.cloudwatch.LogGroup(
      `${env}-boot-logs`,
      { name: bootLogGroupName(env), retentionInDays: config.bootLogRetentionDays, tags: environmentTags(env) },
      { parent: this, protect },
    );

    // The monthly base image (ami/, built by image-builds.ts), which the tiers' launch templates resolve at every launch.
    if (config.imagePipeline) this.imagePipeline = baseImagePipeline(config, this.network, recovery, this);

    this.tiers = appTiers(
      config,
      {
        network: this.network,
        loadBalancer: this.loadBalancer,
        releaseStore: this.releaseStore,
        bootLogGroup: this.bootLogGroup,
        imagePipeline: this.imagePipeline,
      },
      this,
    );

    // The rollout Lambda, the alarms and the dashboard (components/rollout/, components/observability.ts).
    this.alerts = new Alerts(`${env}-alerts`, { environment: env, alarmEmail: config.rollout.alarmEmail }, parent);
    const { network, releaseStore, loadBalancer, tiers, alerts } = this;
    this.rollout = rolloutLambda(config, { network, releaseStore, tiers, alerts }, this);
    this.dashboard = environmentDashboard(config, { tiers, loadBalancer, rollout: this.rollout, alerts }, this);
    this.rolloutAlarms = releaseAlarms(config, { loadBalancer, alerts }, this);

    this.vpcId = this.network.vpcId;
    this.vpcCidrBlock = config.vpcCidr;
    this.privateSubnetIds = this.network.privateSubnetIds;
    this.releaseBucketName = this.releaseStore.bucketName;
    this.releaseBucketArn = this.releaseStore.bucketArn;
    this.loadBalancerUrl = this.loadBalancer.url;
    this.registerOutputs({ ...this.outputs() });
  }

  /** The stack outputs: what an operator and the CLI need to find this environment. */
  outputs(): EnvironmentOutputs {
    return {
      environment: this.environment,
      region: this.config.region,
      loadBalancerUrl: this.loadBalancerUrl,
      releaseBucketName: this.releaseBucketName,
      releaseBucketParameter: this.releaseStore.parameterName,
      releaseReplicaBucketNames: pulumi
        .all(this.releaseReplicas.map((r) => r.bucketName))
        .apply((names) => Object.fromEntries(this.releaseReplicas.map((r, i) => [r.region, names[i]]))),
      vpcId: this.vpcId,
      webGroupName: this.tiers.web.groupName,
      apiGroupName: this.tiers.api.groupName,
      bootLogGroupName: this.bootLogGroup.name,
      rolloutFunctionName: this.rollout.functionName,
      rolloutLogGroupName: this.rollout.logGroupName,
      dashboardUrl: this.dashboard.dashboardUrl,
      alarmTopicArn: this.alerts.topicArn,
      imagePipelineArn: pulumi.output(this.imagePipeline?.pipelines[0].pipelineArn),
    };
  }
}
