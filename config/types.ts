// What a validated stack config is: the typed object index.ts hands the components. config/parse.ts builds it from
// the raw keys of config/keys.ts; nothing here reads or checks anything.
import type { ImageSource } from "../ami/image-source";
import type { StartCondition } from "../ami/schedule";
import type { DesiredVersionSource, Platform, Strategy } from "../runtime/contract";

/** The Pulumi project name: every key lives in its namespace (`phoenix:webPort`). */
export const PROJECT = "phoenix";

/**
 * The Pulumi CLI versions the program runs under: at least the @pulumi/pulumi SDK package.json pins (the SDK calls
 * engine RPCs only a CLI as new implements), below the next major. Pulumi.yaml's requiredPulumiVersion says the same,
 * and index.ts checks it at start; a test keeps all three equal.
 */
export const PULUMI_CLI_RANGE = ">=3.248.0 <4.0.0";
export const TIERS = ["web", "api"] as const;
export type TierName = (typeof TIERS)[number];
export { STRATEGIES } from "../runtime/contract";
/** A tier's rollout strategy (the runtime's Strategy). */
export type RolloutStrategy = Strategy;
export const NAT_STRATEGIES = ["single", "perZone"] as const;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];

/** One scheduled capacity change of a tier (an Auto Scaling scheduled action). */
export interface ScheduledScaling {
  /** Action name, unique per tier: `nights`. */
  name: string;
  /** Five-field Unix cron: minute hour day-of-month month day-of-week. */
  cron: string;
  /** IANA time zone the cron is read in: `Europe/London`. */
  timeZone: string;
  minSize?: number;
  maxSize?: number;
  desiredCapacity?: number;
}

/** Everything one tier (web or api) is configured with. */
export interface TierConfig {
  name: TierName;
  platform: Platform;
  /** Port the app serves on, /version included. */
  port: number;
  instanceType: string;
  rootVolumeSizeGiB: number;
  minSize: number;
  maxSize: number;
  /** Capacity at creation only; scaling owns it afterwards. */
  desiredCapacity: number;
  healthCheckGracePeriodSeconds: number;
  strategy: RolloutStrategy;
  /** Target for ALBRequestCountPerTarget; 0 turns request-based scaling off. */
  requestsPerTarget: number;
  /** Target average CPU percentage; 0 turns CPU-based scaling off. */
  cpuTargetPercent: number;
  /** Seconds a new instance's metrics are left out of scaling decisions. */
  instanceWarmupSeconds: number;
  schedules: ScheduledScaling[];
  /** Where the launch template takes its image from (ami/image-source.ts decides). */
  image: ImageSource;
  /** Rollout policy: never fewer healthy instances than this. */
  minHealthy: number;
  /** Rollout policy: never fewer healthy instances than this percentage of desired capacity. */
  minHealthyPercent: number;
  /** Rollout policy: at most this many terminations per sweep; undefined is unlimited. */
  maxPerSweep?: number;
  /** Rollout policy: instances older than this are replaced (reason "age"); undefined is off. */
  maxInstanceAgeHours?: number;
  /** Rollout checkpoints: percentages of the group, increasing, ending in 100 ([100]: one step). */
  checkpoints: number[];
  /** Minutes each checkpoint's new instances serve, all healthy, before the rollout goes past it. */
  bakeMinutes: number;
  /** The stack's own rollout alarms, as given (names or ARNs), beside the two the program creates. */
  rolloutAlarms: string[];
  /** Past a checkpoint, an alarm writes the previous release back as current. */
  autoRollback: boolean;
  /** Target 5xx responses, in percent of the tier's requests, that put its rollout alarm in ALARM. */
  rollout5xxPercent: number;
  /** Average target response time, in milliseconds, that puts its latency rollout alarm in ALARM. */
  rolloutResponseTimeMs: number;
}

/** The rollout Lambda and the alarms that watch it (components/rollout/, components/observability.ts). */
export interface RolloutConfig {
  /** EventBridge schedule of the sweep: `rate(5 minutes)`. */
  scheduleExpression: string;
  memorySizeMb: number;
  timeoutSeconds: number;
  /** Deadline of one /version probe. */
  probeTimeoutMs: number;
  /** /version probes in flight at once. */
  probeConcurrency: number;
  /** Plan and log only, terminate nothing. */
  paused: boolean;
  /** Where the target version comes from without a manifest: nowhere, or the highest two instances answer. */
  desiredVersion: DesiredVersionSource;
  /** Stale instances for this long raise the rollout-stuck alarm. */
  stuckMinutes: number;
  /** One-minute periods a rollout alarm's metric must breach in a row before it is in ALARM. */
  alarmMinutes: number;
  /** Address subscribed to the alarm topic; absent subscribes nobody. */
  alarmEmail?: string;
}

/** The base-image pipeline's settings (BaseImagePipelineArgs in ami/pipeline.ts). */
export interface ImagePipelineConfig {
  /** AWS cron (UTC) of the build check: a monthly nth weekday such as `cron(0 0 ? * wed#3 *)`. */
  schedule: string;
  /** Build only when AWS's parent image or a component changed, or at every schedule match. */
  startCondition: StartCondition;
  /** Regions each new image is copied to, with the base-image parameter written there too (recoveryRegions). */
  drRegions: string[];
  /** Newest images kept active; older ones are deprecated. */
  keepCount: number;
  /** Images kept at all; older ones are deleted with their snapshots. */
  retainCount: number;
  /** Images that launched an instance within this many days are never deprecated or deleted. */
  inUseDays: number;
}

/** A domain the program certifies (ACM, DNS validation) and points at the load balancer. */
export interface DomainConfig {
  /** `www.example.com`. */
  name: string;
  /** The Route 53 public hosted zone holding it: `Z0123456789ABCDEFGHIJ`. */
  hostedZoneId: string;
  /** That zone's name, `example.com`: the domain lies in it. */
  hostedZoneName: string;
}

/** How the environment serves HTTPS and what a destroy or the network may not do (config/security.ts). */
export interface SecurityConfig {
  /** HTTPS on a domain the program certifies. */
  domain?: DomainConfig;
  /** HTTPS with a certificate managed outside the program; never together with `domain`. */
  certificateArn?: string;
  /** Load balancer deletion protection and `protect` on buckets and log groups. */
  deletionProtection: boolean;
  /** Interface endpoints for the rollout Lambda's AWS calls; its security group then has no internet route. */
  privateEndpoints: boolean;
}

/** Where the environment can be rebuilt after losing its region, or which environment this stack rebuilds. */
export interface RecoveryConfig {
  /** Regions the release store replicates `releases/` to and the base images are copied to. */
  regions: string[];
  /** On a recovery stack: the environment whose replicated store and copied image it starts from (`live`). */
  from?: string;
}

/** The validated configuration of one environment (one stack). */
export interface PhoenixConfig {
  /** The stack name: `live`, `test`, or a disposable copy. */
  environment: string;
  region: string;
  vpcCidr: string;
  availabilityZones: number;
  natGateways: NatStrategy;
  releaseNoncurrentVersionDays: number;
  /** ACM certificate for HTTPS given by ARN; absent with no domain serves HTTP only. */
  certificateArn?: string;
  /** HTTPS on a domain the program certifies; absent with no certificateArn serves HTTP only. */
  domain?: DomainConfig;
  /** Load balancer deletion protection and `protect` on buckets and log groups. */
  deletionProtection: boolean;
  /** Interface endpoints for the rollout Lambda's AWS calls (components/network.ts). */
  privateEndpoints: boolean;
  /** `pulumi destroy` may delete non-empty buckets (test and disposable environments). */
  forceDestroyBuckets: boolean;
  accessLogs: boolean;
  accessLogRetentionDays: number;
  bootLogRetentionDays: number;
  /** True: tiers boot `resolve:ssm:/phoenix/<env>/base-image[-windows]`, written by this stack's image pipeline. */
  imagePipeline: boolean;
  /** Image for Linux tiers without the pipeline: an AMI id or an SSM parameter name. */
  linuxImage: string;
  /** Image for Windows tiers without the pipeline, in the same forms. */
  windowsImage: string;
  /** The monthly base-image pipeline (ami/pipeline.ts), used when imagePipeline is on. */
  image: ImagePipelineConfig;
  tiers: Record<TierName, TierConfig>;
  rollout: RolloutConfig;
  /** Disaster recovery: this environment's recovery regions, or the environment this stack recovers. */
  recovery: RecoveryConfig;
}
