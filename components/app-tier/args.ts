// The app tier's arguments: what one tier (web or api) is built from, every unit in its name or its line, and the
// checks that refuse a tier before anything is created.
import type * as pulumi from "@pulumi/pulumi";
import { FORBIDDEN_PORTS, type RolloutStrategy, type ScheduledScaling } from "../../config";
import type { Platform } from "../../runtime/contract";
import type { GroupPolicy } from "../../runtime/core/types";

export interface AppTierArgs {
  /** Environment (stack) name: tags, the role's scope (`/phoenix/<env>/*`). */
  environment: string;
  /** Tier name: `web` or `api`; the artifact the boot script installs and the `phoenix:tier` tag. */
  tier: string;
  /** The OS the tier runs: picks the boot script (bash or PowerShell) and the root device name. */
  platform: Platform;
  /** TCP port the app serves on, /version included. */
  port: number;
  /** EC2 instance type of every instance, e.g. `t3.small`. */
  instanceType: string;
  /** Launch template image: an AMI id or `resolve:ssm:<parameter>` (see ami/image-source.ts). */
  imageId: string;
  /** Size of the encrypted gp3 root volume, in GiB. */
  rootVolumeSizeGiB: number;
  /** Fewest instances the group (and scaling) may run; 0 lets a schedule stop the tier. */
  minSize: number;
  /** Most instances the group may run; a surge rollout needs room above desired capacity here. */
  maxSize: number;
  /** Instances at creation only: later updates never touch it, so a deploy never fights the autoscaler. */
  desiredCapacity: number;
  /** Seconds after launch before a failing load-balancer health check makes the group replace an instance. */
  healthCheckGracePeriodSeconds: number;
  /** Rollout strategy, tagged `phoenix:strategy` for the rollout Lambda. */
  strategy: RolloutStrategy;
  /**
   * Rollout policy (floor, limits), tagged `phoenix:policy` so `phoenix plan`/`sweep` keep the Lambda's floor.
   * @default no tag (the CLI then uses its own default policy)
   */
  rolloutPolicy?: GroupPolicy;
  /** ALBRequestCountPerTarget target, in requests per target per minute; 0 adds no request-based policy. */
  requestsPerTarget: number;
  /** Average CPU percent target; 0 adds no CPU policy. */
  cpuTargetPercent: number;
  /** Seconds a new instance's metrics are left out of scaling (the group's default instance warm-up). */
  instanceWarmupSeconds: number;
  /** Scheduled capacity changes. @default none */
  schedules?: ScheduledScaling[];
  /** The VPC the tier's security group lives in. */
  vpcId: pulumi.Input<string>;
  /** Private subnets the instances run in, one per zone. */
  privateSubnetIds: pulumi.Input<string[]>;
  /** Target group the group registers its instances in. */
  targetGroupArn: pulumi.Input<string>;
  /** `targetgroup/<name>/<id>`, for the request-count metric's label. */
  targetGroupArnSuffix: pulumi.Input<string>;
  /** `app/<name>/<id>`, for the request-count metric's label. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** The load balancer's security group: the only source of client traffic. */
  loadBalancerSecurityGroupId: pulumi.Input<string>;
  /** The rollout Lambda's security group, admitted to the app port to probe /version. @default none (see admit()) */
  rolloutSecurityGroupId?: pulumi.Input<string>;
  /** The release bucket's name, written into the boot script: where it reads the manifest and the artifact. */
  releaseBucketName: pulumi.Input<string>;
  /** The release bucket's ARN: the instance role may read the manifest and this tier's artifacts in it. */
  releaseBucketArn: pulumi.Input<string>;
  /** Log group the boot script ships its log to. */
  bootLogGroupName: string;
  /** The boot log group's ARN: the instance role may write its streams and nothing else. */
  bootLogGroupArn: pulumi.Input<string>;
  /** The stack's region, for the parameter ARNs the role is scoped to (the account is looked up). */
  region: string;
}

/** Checks the args before anything is created; throws naming the value and what is allowed. */
export function validateAppTierArgs(args: AppTierArgs): void {
  const fail = (what: string) => {
    throw new Error(`AppTier ${args.environment}-${args.tier}: ${what}`);
  };
  if (args.minSize < 0 || args.minSize > args.maxSize)
    fail(`minSize ${args.minSize} must be from 0 to maxSize ${args.maxSize}`);
  if (args.desiredCapacity < args.minSize || args.desiredCapacity > args.maxSize) {
    fail(`desiredCapacity ${args.desiredCapacity} must be within minSize..maxSize (${args.minSize}..${args.maxSize})`);
  }
  if (FORBIDDEN_PORTS.includes(args.port)) fail(`port ${args.port} is an administrative port phoenix never opens`);
  if (args.cpuTargetPercent < 0 || args.cpuTargetPercent > 100)
    fail(`cpuTargetPercent ${args.cpuTargetPercent} must be 0 (off) to 100`);
  if (args.requestsPerTarget < 0) fail(`requestsPerTarget ${args.requestsPerTarget} must be 0 (off) or more`);
  if (!/^(ami-[0-9a-f]+|resolve:ssm:\/\S+)$/.test(args.imageId))
    fail(`imageId ${args.imageId} must be an AMI id or resolve:ssm:<parameter>`);
}
