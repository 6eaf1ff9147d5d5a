// The web and api tiers of an environment: how the load balancer routes to each, and each tier's AppTier wired to the
// network, the load balancer's target group, the release store, the boot log group and the base image.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BaseImagePipeline } from "../../ami/pipeline";
import { PhoenixConfig, TierName, TIERS, tierPolicy } from "../../config";
import { bootLogGroupName } from "../../runtime/contract";
import { AppTier } from "../app-tier";
import { LoadBalancer, LoadBalancerRoute } from "../load-balancer";
import { Network } from "../network";
import { ReleaseStore } from "../release-store";

/** Path patterns routed to each tier; the tier without any is the load balancer's default. */
export const TIER_PATHS: Record<TierName, string[] | undefined> = { web: undefined, api: ["/api/*"] };

/** The load balancer's route to each tier: its port and, but for the default tier, its paths. */
export function tierRoutes(config: PhoenixConfig): LoadBalancerRoute[] {
  return TIERS.map((tier): LoadBalancerRoute => ({
    tier,
    port: config.tiers[tier].port,
    pathPatterns: TIER_PATHS[tier],
  }));
}

/** What every tier of an environment is wired to. */
export interface TierSurroundings {
  network: Network;
  loadBalancer: LoadBalancer;
  releaseStore: ReleaseStore;
  bootLogGroup: aws.cloudwatch.LogGroup;
  /** The base-image pipeline, when `imagePipeline` is on: its parameter must exist before any launch template. */
  imagePipeline?: BaseImagePipeline;
}

/** Every tier of the config as an AppTier named `<env>-<tier>`, children of `parent` (the Environment). */
export function appTiers(
  config: PhoenixConfig,
  around: TierSurroundings,
  parent: pulumi.Resource,
): Record<TierName, AppTier> {
  const env = config.environment;
  const { network, loadBalancer, releaseStore, bootLogGroup, imagePipeline } = around;
  const tiers = {} as Record<TierName, AppTier>;
  for (const tierName of TIERS) {
    const tier = config.tiers[tierName];
    const target = loadBalancer.targets[tierName];
    tiers[tierName] = new AppTier(
      `${env}-${tierName}`,
      {
        environment: env,
        tier: tierName,
        platform: tier.platform,
        port: tier.port,
        instanceType: tier.instanceType,
        imageId: tier.image.imageId,
        rootVolumeSizeGiB: tier.rootVolumeSizeGiB,
        minSize: tier.minSize,
        maxSize: tier.maxSize,
        desiredCapacity: tier.desiredCapacity,
        healthCheckGracePeriodSeconds: tier.healthCheckGracePeriodSeconds,
        strategy: tier.strategy,
        rolloutPolicy: tierPolicy(tier, env, config.rollout.desiredVersion),
        requestsPerTarget: tier.requestsPerTarget,
        cpuTargetPercent: tier.cpuTargetPercent,
        instanceWarmupSeconds: tier.instanceWarmupSeconds,
        schedules: tier.schedules,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        targetGroupArn: target.arn,
        targetGroupArnSuffix: target.arnSuffix,
        loadBalancerArnSuffix: loadBalancer.arnSuffix,
        loadBalancerSecurityGroupId: loadBalancer.securityGroupId,
        releaseBucketName: releaseStore.bucketName,
        releaseBucketArn: releaseStore.bucketArn,
        bootLogGroupName: bootLogGroupName(env),
        bootLogGroupArn: bootLogGroup.arn,
        region: config.region,
      },
      // The launch template resolves the base-image parameter at launch: it must exist first.
      { parent, dependsOn: imagePipeline ? [imagePipeline.baseImageParameter] : [] },
    );
  }
  return tiers;
}
