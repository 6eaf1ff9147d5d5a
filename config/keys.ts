// The stack's config keys, each written once: its type, default, bounds and description (a row's shape is
// config/declared-key.ts). The readers take bounds and defaults from here, and `npm run docs:config` renders
// Pulumi.yaml's `config:` block and docs/configuration.md from here. Knobs the runtime also enforces take their
// bounds and default from LIMITS in runtime/contract.ts.
import { PUBLIC_IMAGE_ALIASES } from "../ami/image-source";
import { DEFAULT_SCHEDULE_EXPRESSION, DEFAULT_START_CONDITION, START_CONDITIONS } from "../ami/schedule";
import {
  DEFAULT_CHECKPOINTS,
  DEFAULT_DESIRED_VERSION_SOURCE,
  DEFAULT_STRATEGY,
  DEFAULT_SWEEP_SCHEDULE,
  DESIRED_VERSION_SOURCES,
  Limit,
  LimitName,
  LIMITS,
  MAX_CHECKPOINTS,
  MAX_OWN_ROLLOUT_ALARMS,
  PLATFORMS,
  SWEEP_OVERHEAD_SECONDS,
} from "../runtime/contract";
import { ConfigKey, IntegerKey, KeySection } from "./declared-key";
import { NAT_STRATEGIES, STRATEGIES, TierName, TIERS } from "./types";

export type { ConfigKey, IntegerKey, KeySection } from "./declared-key";
export { describeKey, rangeText } from "./declared-key";

/** The prefix lengths a VPC CIDR may have: AWS's limits, with room for a subnet per zone and tier. */
export const VPC_PREFIX = { min: 16, max: 24 } as const;

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Ports no tier may serve on: the administrative doors phoenix keeps shut. */
export const FORBIDDEN_PORTS = [22, 3389];

/** Windows Server images do not fit a smaller root volume. */
export const WINDOWS_MIN_ROOT_VOLUME_GIB = 30;

/** Bounds and default of a knob the runtime enforces too: the contract's, never a copy. */
function limit(name: LimitName): Pick<IntegerKey, "type" | "min" | "max" | "default" | "zero" | "shared"> {
  const l: Limit = LIMITS[name];
  return {
    type: "integer",
    min: l.min,
    max: l.max,
    default: l.fallback,
    ...(l.zero ? { zero: l.zero } : {}),
    shared: name,
  };
}

const NETWORK_AND_BUCKETS: ConfigKey[] = [
  {
    key: "vpcCidr",
    type: "string",
    default: "10.0.0.0/16",
    description: "IPv4 CIDR of the environment's VPC.",
    rule: `/${VPC_PREFIX.min} to /${VPC_PREFIX.max}`,
  },
  {
    key: "availabilityZones",
    type: "integer",
    default: 2,
    min: 2,
    max: 6,
    description: "Zones the VPC spans, taken from the region.",
  },
  {
    key: "natGateways",
    type: "string",
    default: "single",
    choices: NAT_STRATEGIES,
    description: "NAT gateways: single (one for the VPC, cheaper) or perZone (one per zone, survives a zone outage).",
  },
  {
    key: "releaseNoncurrentVersionDays",
    type: "integer",
    default: 30,
    min: 1,
    max: 3650,
    description: "Days an overwritten or deleted release object is kept before it expires.",
  },
  {
    key: "forceDestroyBuckets",
    type: "boolean",
    default: true,
    description:
      "Let pulumi destroy delete buckets that still hold releases or logs: true for test and disposable copies, false for live.",
  },
  {
    key: "accessLogs",
    type: "boolean",
    default: true,
    description:
      "Write load balancer access logs and the release bucket's server access logs to a private log bucket, each under its own prefix.",
  },
  {
    key: "accessLogRetentionDays",
    type: "integer",
    default: 90,
    min: 1,
    max: 3650,
    description: "Days access logs are kept.",
  },
  {
    key: "bootLogRetentionDays",
    type: "integer",
    default: 30,
    min: LOG_RETENTION_DAYS[0],
    max: LOG_RETENTION_DAYS[LOG_RETENTION_DAYS.length - 1],
    allowed: LOG_RETENTION_DAYS,
    description: "Days boot logs are kept in CloudWatch Logs.",
  },
];

const SECURITY: ConfigKey[] = [
  {
    key: "domainName",
    type: "string",
    default: "",
    description:
      "Domain the environment serves HTTPS on (www.example.com): the program issues its ACM certificate, validates it in hostedZoneId and points an alias record at the load balancer.",
    rule: "inside hostedZoneName",
  },
  {
    key: "hostedZoneId",
    type: "string",
    default: "",
    description: "Route 53 public hosted zone (Z...) that holds domainName: validation and alias records go here.",
    rule: "with domainName",
  },
  {
    key: "hostedZoneName",
    type: "string",
    default: "",
    description:
      "The hosted zone's own name (example.com): checked against domainName before anything is created, and against the zone itself at deploy.",
    rule: "with hostedZoneId",
  },
  {
    key: "certificateArn",
    type: "string",
    default: "",
    description:
      "An ACM certificate you manage, in the stack's region, instead of domainName; serves HTTPS with it and no DNS record.",
    rule: "not with domainName",
  },
  {
    key: "deletionProtection",
    type: "boolean",
    default: true,
    description:
      "Deletion protection on the load balancer and `protect` on buckets and log groups, so pulumi destroy cannot lose releases or logs; false for test and disposable copies.",
  },
  {
    key: "privateEndpoints",
    type: "boolean",
    default: false,
    description:
      "Interface endpoints for every AWS service the rollout Lambda calls, reachable from its security group only; the Lambda then has no route to the internet.",
  },
];

const IMAGES: ConfigKey[] = [
  {
    key: "imagePipeline",
    type: "boolean",
    default: false,
    description:
      "Run this stack's monthly image pipeline; both tiers (one platform) then boot the image it writes to /phoenix/<env>/base-image, and linuxImage/windowsImage must stay at their defaults.",
  },
  {
    key: "linuxImage",
    type: "string",
    default: PUBLIC_IMAGE_ALIASES.linux,
    description:
      "Linux image when the pipeline is off: an AMI id (ami-...) or an SSM parameter name resolved at every launch (/..., e.g. /phoenix/test/base-image to follow test's images).",
  },
  {
    key: "windowsImage",
    type: "string",
    default: PUBLIC_IMAGE_ALIASES.windows,
    description:
      "Windows image when the pipeline is off: an AMI id (ami-...) or an SSM parameter name resolved at launch (/...).",
  },
  {
    key: "imageSchedule",
    type: "string",
    default: DEFAULT_SCHEDULE_EXPRESSION,
    description:
      "When the image pipeline checks for a build: AWS cron in UTC on an nth weekday of every month; the third Wednesday (wed#3) is always 1 to 8 days after Patch Tuesday.",
  },
  {
    key: "imageStartCondition",
    type: "string",
    default: DEFAULT_START_CONDITION,
    choices: START_CONDITIONS,
    description:
      "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE builds only when AWS's parent image or a component has a newer version; EXPRESSION_MATCH_ONLY builds at every match.",
  },
  {
    key: "imageKeepCount",
    ...limit("imageKeepCount"),
    description: "Newest base images kept active; older ones are deprecated.",
  },
  {
    key: "imageRetainCount",
    ...limit("imageRetainCount"),
    description: "Base images kept at all, deprecated ones included; older ones are deleted with their snapshots.",
    rule: "more than imageKeepCount",
  },
  {
    key: "imageInUseDays",
    ...limit("imageInUseDays"),
    description: "A base image that launched an instance within this many days is never deprecated or deleted.",
  },
];

const RECOVERY: ConfigKey[] = [
  {
    key: "recoveryRegions",
    type: "array",
    default: [],
    description:
      "Regions this environment can be rebuilt in after losing its own: the release store replicates releases/ to a bucket there (named at /phoenix/<env>/release-replica in that region) and each new base image is copied there (/phoenix/<env>/base-image).",
  },
  {
    key: "recoverFrom",
    type: "string",
    default: "",
    description:
      "On a recovery stack: the environment it rebuilds (live for live-dr). Its release store is that environment's replica in this region, and its image pipeline starts from that environment's copied base image. Empty on every other stack.",
  },
];

/** Keys that were renamed: a stack file that still sets the old name is told the new one. */
export const RENAMED_KEYS: Record<string, string> = { imageDrRegions: "recoveryRegions" };

const ROLLOUT: ConfigKey[] = [
  {
    key: "rolloutSchedule",
    type: "string",
    default: DEFAULT_SWEEP_SCHEDULE,
    description: "When the rollout Lambda sweeps without any event: an EventBridge rate(...) or cron(...) expression.",
  },
  {
    key: "rolloutMemoryMb",
    ...limit("rolloutMemoryMb"),
    description: "Memory of the rollout Lambda in MB.",
  },
  {
    key: "rolloutTimeoutSeconds",
    ...limit("rolloutTimeoutSeconds"),
    description: "Timeout of the rollout Lambda in seconds.",
    rule: `more than the probe timeout plus ${SWEEP_OVERHEAD_SECONDS}`,
  },
  {
    key: "probeTimeoutMs",
    ...limit("probeTimeoutMs"),
    description:
      "Deadline of the GET /version probes in milliseconds, counted from when a sweep begins probing; a probe whose turn comes later still gets a quarter of it.",
  },
  {
    key: "probeConcurrency",
    ...limit("probeConcurrency"),
    description:
      "GET /version probes in flight at once. 0 sizes it from the fleet, so a sweep of thousands of instances takes one probe timeout however many never answer; the maximum leaves the Lambda's file descriptors room for the SDK's sockets.",
  },
  {
    key: "rolloutPaused",
    type: "boolean",
    default: false,
    description: "Pause rollouts: the Lambda still sweeps, plans and logs, but terminates nothing.",
  },
  {
    key: "desiredVersion",
    type: "string",
    default: DEFAULT_DESIRED_VERSION_SOURCE,
    choices: DESIRED_VERSION_SOURCES,
    description:
      "Where a tier's target version comes from when no release manifest names one: manifest (nowhere: nothing is " +
      "replaced for its version) or highest-observed (the highest version at least two instances answer, for fleets " +
      "without a release store).",
  },
  {
    key: "rolloutStuckMinutes",
    ...limit("rolloutStuckMinutes"),
    description: "Minutes a tier may keep stale instances before the rollout-stuck alarm fires.",
  },
  {
    key: "rolloutAlarmMinutes",
    ...limit("rolloutAlarmMinutes"),
    description:
      "One-minute periods in a row a tier's 5xx-rate or response-time rollout alarm must breach before it is in ALARM " +
      "and stops the rollout.",
  },
  {
    key: "alarmEmail",
    type: "string",
    default: "",
    description:
      "Email address subscribed to the environment's alarm topic (it must confirm); empty subscribes nobody.",
  },
];

/** A tier's keys: `webPort`, `apiPort`, ... The same knobs for every tier, each described with the tier's name. */
function tierKeys(tier: TierName): ConfigKey[] {
  const Tier = tier === "web" ? "Web" : "API";
  return [
    {
      key: `${tier}Platform`,
      type: "string",
      default: "linux",
      choices: PLATFORMS,
      description: `${Tier} tier platform: linux (AL2023, systemd) or windows (IIS).`,
    },
    {
      key: `${tier}Port`,
      type: "integer",
      default: 8080,
      min: 1,
      max: 65535,
      description: `${Tier} tier app port, /version included.`,
      rule: `never ${FORBIDDEN_PORTS.join(" or ")}`,
    },
    { key: `${tier}InstanceType`, type: "string", default: "t3.micro", description: `${Tier} tier EC2 instance type.` },
    {
      key: `${tier}RootVolumeSizeGiB`,
      type: "integer",
      default: 30,
      min: 8,
      max: 16384,
      description: `${Tier} tier encrypted gp3 root volume size in GiB.`,
      rule: `Windows at least ${WINDOWS_MIN_ROOT_VOLUME_GIB}`,
    },
    {
      key: `${tier}MinSize`,
      type: "integer",
      default: 1,
      min: 0,
      max: 1000,
      description: `${Tier} tier minimum instances.`,
      rule: `at most ${tier}MaxSize`,
    },
    {
      key: `${tier}MaxSize`,
      type: "integer",
      default: 2,
      min: 1,
      max: 1000,
      description: `${Tier} tier maximum instances.`,
    },
    {
      key: `${tier}DesiredCapacity`,
      type: "integer",
      default: 1,
      min: 0,
      max: 1000,
      description: `${Tier} tier instances at creation; scaling owns the number afterwards.`,
      rule: `within ${tier}MinSize..${tier}MaxSize`,
    },
    {
      key: `${tier}HealthCheckGracePeriodSeconds`,
      type: "integer",
      default: 300,
      min: 0,
      max: 7200,
      description: `${Tier} tier seconds a booting instance has before failing health checks replace it.`,
    },
    {
      key: `${tier}Strategy`,
      type: "string",
      default: DEFAULT_STRATEGY,
      choices: STRATEGIES,
      description: `${Tier} tier rollout strategy: surge (new instances first) or replace (one stale instance at a time).`,
    },
    {
      key: `${tier}RequestsPerTarget`,
      type: "integer",
      default: 1000,
      min: 0,
      max: 1_000_000,
      zero: "off",
      description: `${Tier} tier target of load balancer requests per instance per minute.`,
    },
    {
      key: `${tier}CpuTargetPercent`,
      type: "integer",
      default: 0,
      min: 0,
      max: 100,
      zero: "off",
      description: `${Tier} tier target average CPU percent.`,
    },
    {
      key: `${tier}InstanceWarmupSeconds`,
      type: "integer",
      default: 300,
      min: 0,
      max: 3600,
      description: `${Tier} tier seconds before a new instance's metrics count for scaling.`,
    },
    {
      key: `${tier}Schedules`,
      type: "array",
      default: [],
      description: `${Tier} tier scheduled actions, each "<name>: <cron, 5 fields> <IANA time zone> [min=N] [max=N] [desired=N]".`,
    },
    {
      key: `${tier}MinHealthy`,
      ...limit("minHealthy"),
      description: `${Tier} tier rollout floor: a sweep never leaves fewer healthy instances than this; no more than the tier's desired capacity, or nothing could be replaced.`,
    },
    {
      key: `${tier}MinHealthyPercent`,
      ...limit("minHealthyPercent"),
      description: `${Tier} tier rollout floor as a percentage of desired capacity, rounded up.`,
    },
    {
      key: `${tier}MaxPerSweep`,
      ...limit("maxPerSweep"),
      description: `${Tier} tier most instances one sweep terminates.`,
    },
    {
      key: `${tier}MaxInstanceAgeHours`,
      ...limit("maxInstanceAgeHours"),
      description: `${Tier} tier recycling: instances older than this many hours are replaced within the floor.`,
    },
    {
      key: `${tier}Checkpoints`,
      type: "array",
      items: "integer",
      default: [...DEFAULT_CHECKPOINTS],
      description:
        `${Tier} tier rollout checkpoints: percentages of the group a rollout launches, bakes and checks its alarms ` +
        "at before going on; [100] rolls out in one step.",
      rule: `1 to ${MAX_CHECKPOINTS} whole percentages from 1 to 100, increasing, ending in 100`,
    },
    {
      key: `${tier}BakeMinutes`,
      ...limit("bakeMinutes"),
      description: `${Tier} tier minutes each checkpoint's new instances serve, all healthy, before the rollout goes past it.`,
    },
    {
      key: `${tier}RolloutAlarms`,
      type: "array",
      default: [],
      description:
        `${Tier} tier CloudWatch alarms of the stack's own (names or ARNs, e.g. from an APM) that stop a rollout in ` +
        "ALARM, beside the two the program creates (target 5xx rate and response time).",
      rule: `at most ${MAX_OWN_ROLLOUT_ALARMS}; ARNs in the stack's region`,
    },
    {
      key: `${tier}AutoRollback`,
      type: "boolean",
      default: false,
      description:
        `${Tier} tier: when a rollout alarm fires past a checkpoint (old instances already gone), write the previous ` +
        "release back as current; off, the rollout only stops.",
    },
    {
      key: `${tier}Rollout5xxPercent`,
      ...limit("rollout5xxPercent"),
      description: `${Tier} tier target 5xx responses, in percent of its requests, that put its rollout alarm in ALARM.`,
    },
    {
      key: `${tier}RolloutResponseTimeMs`,
      ...limit("rolloutResponseTimeMs"),
      description: `${Tier} tier average target response time in milliseconds that puts its latency rollout alarm in ALARM.`,
    },
  ];
}

/** The keys by topic, in Pulumi.yaml's order. */
export const KEY_SECTIONS: KeySection[] = [
  { title: "Network and buckets", keys: NETWORK_AND_BUCKETS },
  { title: "Security", keys: SECURITY },
  { title: "Base images", keys: IMAGES },
  { title: "Disaster recovery", keys: RECOVERY },
  { title: "Rollout", keys: ROLLOUT },
  ...TIERS.map((tier) => ({ title: `${tier === "web" ? "Web" : "API"} tier`, keys: tierKeys(tier) })),
];

/** Every key the program reads, in the `phoenix` namespace. Pulumi.yaml declares exactly these. */
export const CONFIG_KEYS: ConfigKey[] = KEY_SECTIONS.flatMap((s) => s.keys);

/** The declared key of that name, or a programming error: every key the parser reads must be in the table. */
export function configKey(key: string): ConfigKey {
  const k = CONFIG_KEYS.find((c) => c.key === key);
  if (!k) throw new Error(`config key ${key} is not declared in config/keys.ts`);
  return k;
}
