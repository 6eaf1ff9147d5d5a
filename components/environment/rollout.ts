// What watches and drives an environment's rollouts: the rollout Lambda (components/rollout/) over every tier,
// admitted to the tiers' ports and to the private endpoints; the dashboard; and each tier's 5xx-rate and latency
// alarms a rollout stops on (components/observability.ts, components/rollout-alarms.ts).
import * as pulumi from "@pulumi/pulumi";
import { PhoenixConfig, TierName, TIERS, tierPolicy } from "../../config";
import { LIMITS } from "../../runtime/contract";
import { AppTier } from "../app-tier";
import { LoadBalancer } from "../load-balancer";
import { Network } from "../network";
import { Alerts, Dashboard } from "../observability";
import { ReleaseStore } from "../release-store";
import { Rollout } from "../rollout";
import { RolloutAlarms } from "../rollout-alarms";

/**
 * The rollout Lambda `<env>-rollout` over every tier, child of `parent` (the Environment), admitted to each tier's
 * port for its /version probes and, with private endpoints, to the endpoints.
 */
export function rolloutLambda(
  config: PhoenixConfig,
  around: { network: Network; releaseStore: ReleaseStore; tiers: Record<TierName, AppTier>; alerts: Alerts },
  parent: pulumi.Resource,
): Rollout {
  const env = config.environment;
  const { network, releaseStore, tiers, alerts } = around;
  const rollout = new Rollout(
    `${env}-rollout`,
    {
      environment: env,
      vpcId: network.vpcId,
      vpcCidrBlock: config.vpcCidr,
      privateSubnetIds: network.privateSubnetIds,
      releaseBucketName: releaseStore.bucketName,
      releaseBucketArn: releaseStore.bucketArn,
      tiers: TIERS.map((t) => ({
        name: t,
        port: config.tiers[t].port,
        autoScalingGroupName: tiers[t].groupName,
        policy: tierPolicy(config.tiers[t], env, config.rollout.desiredVersion),
      })),
      // Every tier carries its own floor; this is the fallback for a group whose tier the policy does not name.
      policy: { minHealthy: LIMITS.minHealthy.fallback, minHealthyPercent: LIMITS.minHealthyPercent.fallback },
      probeTimeoutMs: config.rollout.probeTimeoutMs,
      probeConcurrency: config.rollout.probeConcurrency,
      memorySizeMb: config.rollout.memorySizeMb,
      timeoutSeconds: config.rollout.timeoutSeconds,
      scheduleExpression: config.rollout.scheduleExpression,
      paused: config.rollout.paused,
      alarmActions: [alerts.topicArn],
      protect: config.deletionProtection,
      privateEndpoints:
        network.endpointSecurityGroupId !== undefined
          ? {
              securityGroupId: network.endpointSecurityGroupId,
              s3PrefixListId: network.s3PrefixListId,
              hosts: Object.fromEntries(network.interfaceEndpoints.map((e) => [e.service, e.dnsName])),
            }
          : undefined,
    },
    { parent },
  );
  if (network.endpointSecurityGroupId !== undefined) {
    network.admitToEndpoints("rollout", rollout.securityGroupId);
  }
  for (const t of TIERS) {
    tiers[t].admit("rollout", rollout.securityGroupId, "rollout Lambda /version probes");
  }
  return rollout;
}

/** The environment's dashboard `<env>-observability` and its alarms, child of `parent` (the Environment). */
export function environmentDashboard(
  config: PhoenixConfig,
  around: { tiers: Record<TierName, AppTier>; loadBalancer: LoadBalancer; rollout: Rollout; alerts: Alerts },
  parent: pulumi.Resource,
): Dashboard {
  const { tiers, loadBalancer, rollout, alerts } = around;
  return new Dashboard(
    `${config.environment}-observability`,
    {
      environment: config.environment,
      tiers: TIERS.map((t) => ({
        name: t,
        autoScalingGroupName: tiers[t].groupName,
        targetGroupArnSuffix: loadBalancer.targets[t].arnSuffix,
      })),
      loadBalancerArnSuffix: loadBalancer.arnSuffix,
      functionName: rollout.functionName,
      alarmTopicArn: alerts.topicArn,
      rolloutStuckMinutes: config.rollout.stuckMinutes,
    },
    { parent },
  );
}

/** Each tier's 5xx-rate and latency alarms a rollout stops on, `<env>-release-alarms`, child of `parent`. */
export function releaseAlarms(
  config: PhoenixConfig,
  around: { loadBalancer: LoadBalancer; alerts: Alerts },
  parent: pulumi.Resource,
): RolloutAlarms {
  const { loadBalancer, alerts } = around;
  return new RolloutAlarms(
    `${config.environment}-release-alarms`,
    {
      environment: config.environment,
      tiers: TIERS.map((t) => ({
        name: t,
        targetGroupArnSuffix: loadBalancer.targets[t].arnSuffix,
        errorPercent: config.tiers[t].rollout5xxPercent,
        responseTimeMs: config.tiers[t].rolloutResponseTimeMs,
      })),
      loadBalancerArnSuffix: loadBalancer.arnSuffix,
      alarmTopicArn: alerts.topicArn,
      breachMinutes: config.rollout.alarmMinutes,
    },
    { parent },
  );
}
