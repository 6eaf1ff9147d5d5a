// The monthly base image (ami/) of an environment with `imagePipeline` on: built for the tiers' platform in a private
// subnet, from a security group that may only reach out, and published to /phoenix/<env>/base-image, which the
// tiers' launch templates resolve at every launch and the terminator holds instances to.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BaseImagePipeline } from "../../ami/pipeline";
import { PhoenixConfig } from "../../config";
import { environmentTags } from "../../runtime/contract";
import { Network } from "../network";
import type { RecoverySource } from "../recovery";

/** The image builds' security group (outbound only) and the pipeline, children of `parent` (the Environment). */
export function baseImagePipeline(
  config: PhoenixConfig,
  network: Network,
  recovery: RecoverySource | undefined,
  parent: pulumi.Resource,
): BaseImagePipeline {
  const env = config.environment;
  const opts = { parent };
  const builds = new aws.ec2.SecurityGroup(
    `${env}-image-builds`,
    {
      vpcId: network.vpcId,
      description: `phoenix ${env}: Image Builder build and test instances, outbound only`,
      tags: environmentTags(env),
    },
    opts,
  );
  // Package repositories, Windows Update (plain HTTP too), SSM and S3; nothing may connect in.
  for (const port of [443, 80]) {
    new aws.vpc.SecurityGroupEgressRule(
      `${env}-image-builds-out-${port}`,
      {
        securityGroupId: builds.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: "0.0.0.0/0",
        description: `updates and packages over port ${port}`,
      },
      opts,
    );
  }
  return new BaseImagePipeline(
    `${env}-image`,
    {
      environment: env,
      // parseConfig allows the pipeline only with both tiers on one platform.
      platforms: [config.tiers.web.platform],
      subnetId: network.privateSubnetIds.apply((ids) => ids[0]),
      securityGroupId: builds.id,
      drRegions: config.image.drRegions,
      scheduleExpression: config.image.schedule,
      startCondition: config.image.startCondition,
      keepImageCount: config.image.keepCount,
      retainImageCount: config.image.retainCount,
      inUseWithinDays: config.image.inUseDays,
      // A recovery starts from the lost environment's copied image (the public image when the region has none).
      ...(recovery?.baseImageId !== undefined && { seedImageId: recovery.baseImageId }),
      tags: environmentTags(env),
    },
    opts,
  );
}
