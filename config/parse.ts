// The stack's configuration, read once and validated before any resource exists: one table of keys (mirrored by
// Pulumi.yaml's declarations), pure parsing and validation functions, and loadConfig() for index.ts.
import * as pulumi from "@pulumi/pulumi";
import { ImageSource, ImageSourceError, PUBLIC_IMAGE_ALIASES, resolveImageSource } from "../ami/image-source";
import {
  DEFAULT_SCHEDULE_EXPRESSION,
  DEFAULT_START_CONDITION,
  parseMonthlyCron,
  ScheduleExpressionError,
  START_CONDITIONS,
  StartCondition,
} from "../ami/schedule";
import { Platform, PLATFORMS } from "../runtime/contract";
import { UsageError } from "../runtime/core/errors";

export const PROJECT = "phoenix";
export const TIERS = ["web", "api"] as const;
export type TierName = (typeof TIERS)[number];
export const STRATEGIES = ["surge", "replace"] as const;
export type RolloutStrategy = (typeof STRATEGIES)[number];
export const NAT_STRATEGIES = ["single", "perZone"] as const;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];

/** Ports no tier may serve on: the administrative doors phoenix keeps shut. */
export const FORBIDDEN_PORTS = [22, 3389];

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
  /** Stale instances for this long raise the rollout-stuck alarm. */
  stuckMinutes: number;
  /** Address subscribed to the alarm topic; absent subscribes nobody. */
  alarmEmail?: string;
}

/** The base-image pipeline's settings (BaseImagePipelineArgs in ami/pipeline.ts). */
export interface ImagePipelineConfig {
  /** AWS cron (UTC) of the build check: a monthly nth weekday such as `cron(0 0 ? * wed#3 *)`. */
  schedule: string;
  /** Build only when AWS's parent image or a component changed, or at every schedule match. */
  startCondition: StartCondition;
  /** Regions each new image is copied to, with the base-image parameter written there too. */
  drRegions: string[];
  /** Newest images kept active; older ones are deprecated. */
  keepCount: number;
  /** Images kept at all; older ones are deleted with their snapshots. */
  retainCount: number;
  /** Images that launched an instance within this many days are never deprecated or deleted. */
  inUseDays: number;
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
  /** ACM certificate for HTTPS; absent serves HTTP only. */
  certificateArn?: string;
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
}

type KeyType = "string" | "integer" | "boolean" | "array";

/** A declared config key: the single source of Pulumi.yaml's `config:` block. */
export interface ConfigKey {
  key: string;
  type: KeyType;
  default: string | number | boolean | string[];
  description: string;
}

const ENVIRONMENT_KEYS: ConfigKey[] = [
  {
    key: "vpcCidr",
    type: "string",
    default: "10.0.0.0/16",
    description: "IPv4 CIDR of the environment's VPC (/16 to /24).",
  },
  {
    key: "availabilityZones",
    type: "integer",
    default: 2,
    description: "Zones the VPC spans, taken from the region (2 to 6).",
  },
  {
    key: "natGateways",
    type: "string",
    default: "single",
    description: "NAT gateways: single (one for the VPC, cheaper) or perZone (one per zone, survives a zone outage).",
  },
  {
    key: "releaseNoncurrentVersionDays",
    type: "integer",
    default: 30,
    description: "Days an overwritten or deleted release object is kept before it expires (1 to 3650).",
  },
  {
    key: "certificateArn",
    type: "string",
    default: "",
    description:
      "ACM certificate ARN for HTTPS on the load balancer; empty serves HTTP only. With it, HTTP redirects to HTTPS.",
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
    default: false,
    description: "Write load balancer access logs to a private log bucket.",
  },
  {
    key: "accessLogRetentionDays",
    type: "integer",
    default: 90,
    description: "Days access logs are kept (1 to 3650).",
  },
  {
    key: "bootLogRetentionDays",
    type: "integer",
    default: 30,
    description: "Days boot logs are kept in CloudWatch Logs (one of CloudWatch's allowed retention values).",
  },
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
    description:
      "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE builds only when AWS's parent image or a component has a newer version; EXPRESSION_MATCH_ONLY builds at every match.",
  },
  {
    key: "imageDrRegions",
    type: "array",
    default: [],
    description:
      "Regions each new base image is copied to for disaster recovery, with /phoenix/<env>/base-image written there too.",
  },
  {
    key: "imageKeepCount",
    type: "integer",
    default: 3,
    description: "Newest base images kept active; older ones are deprecated (1 to 999).",
  },
  {
    key: "imageRetainCount",
    type: "integer",
    default: 6,
    description:
      "Base images kept at all, deprecated ones included; older ones are deleted with their snapshots (more than imageKeepCount, at most 1000).",
  },
  {
    key: "imageInUseDays",
    type: "integer",
    default: 45,
    description:
      "A base image that launched an instance within this many days is never deprecated or deleted (1 to 365).",
  },
  {
    key: "rolloutSchedule",
    type: "string",
    default: "rate(5 minutes)",
    description: "When the rollout Lambda sweeps without any event: an EventBridge rate(...) or cron(...) expression.",
  },
  {
    key: "rolloutMemoryMb",
    type: "integer",
    default: 256,
    description: "Memory of the rollout Lambda in MB (128 to 10240).",
  },
  {
    key: "rolloutTimeoutSeconds",
    type: "integer",
    default: 120,
    description: "Timeout of the rollout Lambda in seconds: more than the probe timeout plus 30, at most 900.",
  },
  {
    key: "probeTimeoutMs",
    type: "integer",
    default: 2000,
    description: "Deadline of one GET /version probe in milliseconds (100 to 60000).",
  },
  {
    key: "probeConcurrency",
    type: "integer",
    default: 64,
    description: "GET /version probes in flight at once (1 to 1024); raise it for fleets of thousands of instances.",
  },
  {
    key: "rolloutPaused",
    type: "boolean",
    default: false,
    description: "Pause rollouts: the Lambda still sweeps, plans and logs, but terminates nothing.",
  },
  {
    key: "rolloutStuckMinutes",
    type: "integer",
    default: 60,
    description: "Minutes a tier may keep stale instances before the rollout-stuck alarm fires (10 to 1440).",
  },
  {
    key: "alarmEmail",
    type: "string",
    default: "",
    description:
      "Email address subscribed to the environment's alarm topic (it must confirm); empty subscribes nobody.",
  },
];

function tierKeys(tier: TierName): ConfigKey[] {
  const Tier = tier === "web" ? "Web" : "API";
  return [
    {
      key: `${tier}Platform`,
      type: "string",
      default: "linux",
      description: `${Tier} tier platform: linux (AL2023, systemd) or windows (IIS).`,
    },
    {
      key: `${tier}Port`,
      type: "integer",
      default: 8080,
      description: `${Tier} tier app port, /version included (1 to 65535, never 22 or 3389).`,
    },
    { key: `${tier}InstanceType`, type: "string", default: "t3.micro", description: `${Tier} tier EC2 instance type.` },
    {
      key: `${tier}RootVolumeSizeGiB`,
      type: "integer",
      default: 30,
      description: `${Tier} tier encrypted gp3 root volume size in GiB (Linux at least 8, Windows at least 30).`,
    },
    { key: `${tier}MinSize`, type: "integer", default: 1, description: `${Tier} tier minimum instances.` },
    { key: `${tier}MaxSize`, type: "integer", default: 2, description: `${Tier} tier maximum instances (1 to 1000).` },
    {
      key: `${tier}DesiredCapacity`,
      type: "integer",
      default: 1,
      description: `${Tier} tier instances at creation; scaling owns the number afterwards.`,
    },
    {
      key: `${tier}HealthCheckGracePeriodSeconds`,
      type: "integer",
      default: 300,
      description: `${Tier} tier seconds a booting instance has before failing health checks replace it (0 to 7200).`,
    },
    {
      key: `${tier}Strategy`,
      type: "string",
      default: "surge",
      description: `${Tier} tier rollout strategy: surge (new instances first) or replace (one stale instance at a time).`,
    },
    {
      key: `${tier}RequestsPerTarget`,
      type: "integer",
      default: 1000,
      description: `${Tier} tier target of load balancer requests per instance per minute; 0 turns it off (1 to 1000000).`,
    },
    {
      key: `${tier}CpuTargetPercent`,
      type: "integer",
      default: 0,
      description: `${Tier} tier target average CPU percent; 0 turns it off (1 to 100).`,
    },
    {
      key: `${tier}InstanceWarmupSeconds`,
      type: "integer",
      default: 300,
      description: `${Tier} tier seconds before a new instance's metrics count for scaling (0 to 3600).`,
    },
    {
      key: `${tier}Schedules`,
      type: "array",
      default: [],
      description: `${Tier} tier scheduled actions, each "<name>: <cron, 5 fields> <IANA time zone> [min=N] [max=N] [desired=N]".`,
    },
    {
      key: `${tier}MinHealthy`,
      type: "integer",
      default: 1,
      description: `${Tier} tier rollout floor: a sweep never leaves fewer healthy instances than this (0 to 1000).`,
    },
    {
      key: `${tier}MinHealthyPercent`,
      type: "integer",
      default: 0,
      description: `${Tier} tier rollout floor as a percentage of desired capacity, rounded up (0 to 100).`,
    },
    {
      key: `${tier}MaxPerSweep`,
      type: "integer",
      default: 0,
      description: `${Tier} tier most instances one sweep terminates; 0 is unlimited (0 to 1000).`,
    },
    {
      key: `${tier}MaxInstanceAgeHours`,
      type: "integer",
      default: 0,
      description: `${Tier} tier recycling: instances older than this many hours are replaced within the floor; 0 is off (0 to 8760).`,
    },
  ];
}

/** Every key the program reads, in the `phoenix` namespace. Pulumi.yaml declares exactly these. */
export const CONFIG_KEYS: ConfigKey[] = [...ENVIRONMENT_KEYS, ...TIERS.flatMap(tierKeys)];

/** Raw values by key (without the `phoenix:` prefix): strings as Pulumi stores them, or already-typed values. */
export type RawConfig = Record<string, unknown>;

/** Collects every problem so one run reports them all. */
class Problems {
  readonly list: string[] = [];
  add(key: string, value: unknown, allowed: string): void {
    this.list.push(`${PROJECT}:${key} = ${JSON.stringify(value)}: ${allowed}`);
  }
}

function declared(key: string): ConfigKey {
  const k = CONFIG_KEYS.find((c) => c.key === key);
  if (!k) throw new Error(`config key ${key} is not declared in CONFIG_KEYS`);
  return k;
}

function readString(raw: RawConfig, key: string): string {
  const v = raw[key];
  if (v === undefined || v === null) return declared(key).default as string;
  return typeof v === "string" ? v : JSON.stringify(v);
}

function readInteger(raw: RawConfig, key: string, problems: Problems, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return declared(key).default as number;
  const text = typeof v === "string" ? v.trim() : "";
  const n = typeof v === "number" ? v : /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n)) {
    problems.add(key, v, `must be a whole number from ${min} to ${max}`);
    return declared(key).default as number;
  }
  if (n < min || n > max) problems.add(key, n, `must be from ${min} to ${max}`);
  return n;
}

function readBoolean(raw: RawConfig, key: string, problems: Problems): boolean {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return declared(key).default as boolean;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  problems.add(key, v, "must be true or false");
  return declared(key).default as boolean;
}

function readArray(raw: RawConfig, key: string, problems: Problems): string[] {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return [...(declared(key).default as string[])];
  let parsed: unknown = v;
  if (typeof v === "string") {
    try {
      parsed = JSON.parse(v);
    } catch {
      problems.add(key, v, "must be a YAML list of strings");
      return [];
    }
  }
  if (!Array.isArray(parsed) || parsed.some((e) => typeof e !== "string")) {
    problems.add(key, parsed, "must be a YAML list of strings");
    return [];
  }
  return parsed as string[];
}

function readChoice<T extends string>(raw: RawConfig, key: string, choices: readonly T[], problems: Problems): T {
  const v = readString(raw, key);
  if (!(choices as readonly string[]).includes(v)) {
    problems.add(key, v, `must be one of ${choices.join(", ")}`);
    return declared(key).default as T;
  }
  return v as T;
}

/** Why a CIDR is unusable for the VPC, or undefined when it is fine. */
export function cidrProblem(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return "is not an IPv4 CIDR (a.b.c.d/n)";
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  const prefix = Number(m[5]);
  if (prefix < 16 || prefix > 24) return "must have a prefix from /16 to /24 (AWS VPC limits, room for subnets)";
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 32 - prefix;
  if (address % 2 ** hostBits !== 0) return `has host bits set: the network address for /${prefix} is different`;
  return undefined;
}

/** Why an image setting is unusable, or undefined when it is an AMI id or an SSM parameter name. */
export function imageProblem(image: string): string | undefined {
  if (/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(image)) return undefined;
  if (/^\/[A-Za-z0-9_./-]+$/.test(image)) return undefined;
  return "must be an AMI id (ami-0123456789abcdef0) or an SSM parameter name (/aws/service/...)";
}

/**
 * A tier's image source from the config: the pipeline's parameter when it is on, otherwise the configured AMI id or
 * parameter, with the platform's public alias (the default) meaning "no override". Throws ImageSourceError.
 */
export function imageSourceFor(
  environment: string,
  platform: Platform,
  imagePipeline: boolean,
  configured: string,
): ImageSource {
  const isDefault = configured === PUBLIC_IMAGE_ALIASES[platform];
  const isAmi = configured.startsWith("ami-");
  return resolveImageSource({
    environment,
    platform,
    pipelineEnabled: imagePipeline,
    amiId: !isDefault && isAmi ? configured : undefined,
    baseImageParameter: !isDefault && !isAmi ? configured : undefined,
  });
}

/** Why a stack name cannot be an environment name, or undefined when it can. */
export function environmentProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || name.endsWith("-") || name.includes("--")) {
    return "must start with a lowercase letter and hold only lowercase letters, digits and single hyphens (it names buckets)";
  }
  if (name.length > 16) return "must be at most 16 characters (load balancer and target group names are limited to 32)";
  return undefined;
}

const CRON_FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { name: "day of week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

/** Why a cron expression is not a five-field Unix cron Auto Scaling accepts, or undefined when it is. */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5)
    return `has ${fields.length} fields; a cron has 5: minute hour day-of-month month day-of-week`;
  for (let i = 0; i < 5; i++) {
    const spec = CRON_FIELDS[i];
    const value = (token: string): number | undefined => {
      const upper = token.toUpperCase();
      const named = spec.names?.indexOf(upper) ?? -1;
      if (named >= 0) return named + spec.min;
      if (!/^\d+$/.test(token)) return undefined;
      const n = Number(token);
      // Day of week 7 is Sunday too.
      const max = spec.name === "day of week" ? 7 : spec.max;
      return n >= spec.min && n <= max ? n : undefined;
    };
    for (const part of fields[i].split(",")) {
      const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
      const range = m?.[1];
      const step = m?.[2];
      let ok = m !== null && (step === undefined || Number(step) > 0);
      if (ok && range !== "*") {
        const ends = range!.split("-");
        const numbers = ends.map(value);
        ok =
          ends.length <= 2 &&
          numbers.every((n) => n !== undefined) &&
          (ends.length === 1 || (numbers[0] ?? 0) <= (numbers[1] ?? 0));
      }
      if (!ok)
        return `field ${i + 1} (${spec.name}) "${fields[i]}" is not valid: use *, ${spec.min}-${spec.max}, lists, ranges and /steps`;
    }
  }
  return undefined;
}

/** The values a valid cron field matches (day of week 7 folded onto 0, Sunday). */
function cronValues(field: string, spec: (typeof CRON_FIELDS)[number]): Set<number> {
  const values = new Set<number>();
  const value = (token: string) => {
    const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
    return named >= 0 ? named + spec.min : Number(token);
  };
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    const [from, to] =
      range === "*"
        ? [spec.min, spec.max]
        : range.includes("-")
          ? range.split("-").map(value)
          : [value(range), stepText ? spec.max : value(range)];
    for (let v = from; v <= to; v += step) values.add(spec.name === "day of week" && v === 7 ? 0 : v);
  }
  return values;
}

/** A matcher for a valid five-field cron over local wall-clock fields (Vixie cron's day-of-month/day-of-week OR rule). */
export function cronMatcher(
  cron: string,
): (t: { minute: number; hour: number; day: number; month: number; weekday: number }) => boolean {
  const fields = cron.trim().split(/\s+/);
  const sets = fields.map((f, i) => cronValues(f, CRON_FIELDS[i]));
  const domAny = fields[2] === "*";
  const dowAny = fields[4] === "*";
  return (t) => {
    if (!sets[0].has(t.minute) || !sets[1].has(t.hour) || !sets[3].has(t.month)) return false;
    const dom = sets[2].has(t.day);
    const dow = sets[4].has(t.weekday);
    return domAny || dowAny ? dom && dow : dom || dow;
  };
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/**
 * Instance-hours a tier runs in the week starting at `weekStart` (UTC, ISO) under its scheduled actions, minute by
 * minute, starting from `initialDesired` (the capacity the schedules leave it at, e.g. after the previous week). For
 * the README's cost figures; scaling policies may add more at busy times.
 */
export function weeklyInstanceHours(schedules: ScheduledScaling[], initialDesired: number, weekStart: string): number {
  const start = Date.parse(weekStart);
  const matchers = schedules.map((s) => ({
    schedule: s,
    matches: cronMatcher(s.cron),
    format: new Intl.DateTimeFormat("en-GB", {
      timeZone: s.timeZone,
      hourCycle: "h23",
      minute: "numeric",
      hour: "numeric",
      day: "numeric",
      month: "numeric",
      weekday: "short",
    }),
  }));
  let desired = initialDesired;
  let minutes = 0;
  for (let m = 0; m < 7 * 24 * 60; m++) {
    const at = new Date(start + m * 60_000);
    for (const { schedule, matches, format } of matchers) {
      const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
      const local = {
        minute: Number(parts.minute),
        hour: Number(parts.hour),
        day: Number(parts.day),
        month: Number(parts.month),
        weekday: WEEKDAYS.indexOf(parts.weekday),
      };
      if (matches(local)) {
        const min = schedule.minSize ?? -Infinity;
        const max = schedule.maxSize ?? Infinity;
        desired = Math.min(max, Math.max(min, schedule.desiredCapacity ?? desired));
      }
    }
    minutes += desired;
  }
  return minutes / 60;
}

/** True when the runtime knows the IANA time zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const SCHEDULE_PATTERN =
  /^([a-z0-9][a-z0-9-]*):\s+(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(\S+)((?:\s+(?:min|max|desired)=\S+)*)\s*$/;

/**
 * Parses one schedule entry, `"<name>: <cron> <time zone> [min=N] [max=N] [desired=N]"`, against the tier's bounds.
 * Returns the schedule and the problems found (each a sentence without the key).
 */
export function parseSchedule(
  entry: string,
  tier: { minSize: number; maxSize: number },
): { schedule?: ScheduledScaling; problems: string[] } {
  const m = SCHEDULE_PATTERN.exec(entry.trim());
  if (!m) {
    return {
      problems: [
        `"${entry}" is not "<name>: <minute> <hour> <day> <month> <weekday> <Area/City> [min=N] [max=N] [desired=N]"`,
      ],
    };
  }
  const [, name, cron, timeZone, sizes] = m;
  const problems: string[] = [];
  const cronIssue = cronProblem(cron);
  if (cronIssue) problems.push(`schedule ${name}: cron "${cron}" ${cronIssue}`);
  if (!isTimeZone(timeZone))
    problems.push(`schedule ${name}: "${timeZone}" is not an IANA time zone (e.g. Europe/London, UTC)`);
  const schedule: ScheduledScaling = { name, cron, timeZone };
  for (const pair of sizes.trim().split(/\s+/).filter(Boolean)) {
    const [k, v] = pair.split("=");
    if (!/^\d+$/.test(v)) {
      problems.push(`schedule ${name}: ${k}=${v} must be a whole number`);
      continue;
    }
    const n = Number(v);
    if (k === "min") schedule.minSize = n;
    else if (k === "max") schedule.maxSize = n;
    else schedule.desiredCapacity = n;
  }
  if (schedule.minSize === undefined && schedule.maxSize === undefined && schedule.desiredCapacity === undefined) {
    problems.push(`schedule ${name}: sets no size; give at least one of min=, max=, desired=`);
  }
  const min = schedule.minSize ?? tier.minSize;
  const max = schedule.maxSize ?? tier.maxSize;
  if (min > max) problems.push(`schedule ${name}: min ${min} is greater than max ${max}`);
  if (schedule.desiredCapacity !== undefined && (schedule.desiredCapacity < min || schedule.desiredCapacity > max)) {
    problems.push(`schedule ${name}: desired=${schedule.desiredCapacity} is outside its min/max ${min}..${max}`);
  }
  if (schedule.maxSize !== undefined && schedule.maxSize > tier.maxSize) {
    problems.push(
      `schedule ${name}: max=${schedule.maxSize} is above the tier's maximum ${tier.maxSize}; raise the tier's MaxSize first`,
    );
  }
  return { schedule: problems.length === 0 ? schedule : undefined, problems };
}

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function parseTier(raw: RawConfig, tier: TierName, problems: Problems): TierConfig {
  const k = (suffix: string) => `${tier}${suffix}`;
  const platform = readChoice(raw, k("Platform"), PLATFORMS, problems);
  const port = readInteger(raw, k("Port"), problems, 1, 65535);
  if (FORBIDDEN_PORTS.includes(port))
    problems.add(k("Port"), port, "22 and 3389 are administrative ports phoenix never opens; choose another port");
  const instanceType = readString(raw, k("InstanceType"));
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType))
    problems.add(k("InstanceType"), instanceType, "must be an EC2 instance type such as t3.micro");
  const rootVolumeSizeGiB = readInteger(raw, k("RootVolumeSizeGiB"), problems, 8, 16384);
  if (platform === "windows" && rootVolumeSizeGiB < 30) {
    problems.add(k("RootVolumeSizeGiB"), rootVolumeSizeGiB, "Windows images need a root volume of at least 30 GiB");
  }
  const minSize = readInteger(raw, k("MinSize"), problems, 0, 1000);
  const maxSize = readInteger(raw, k("MaxSize"), problems, 1, 1000);
  const desiredCapacity = readInteger(raw, k("DesiredCapacity"), problems, 0, 1000);
  if (minSize > maxSize) problems.add(k("MinSize"), minSize, `must not exceed ${PROJECT}:${k("MaxSize")} (${maxSize})`);
  else if (desiredCapacity < minSize || desiredCapacity > maxSize) {
    problems.add(
      k("DesiredCapacity"),
      desiredCapacity,
      `must be within ${PROJECT}:${k("MinSize")}..${PROJECT}:${k("MaxSize")} (${minSize}..${maxSize})`,
    );
  }
  const healthCheckGracePeriodSeconds = readInteger(raw, k("HealthCheckGracePeriodSeconds"), problems, 0, 7200);
  const strategy = readChoice(raw, k("Strategy"), STRATEGIES, problems);
  const requestsPerTarget = readInteger(raw, k("RequestsPerTarget"), problems, 0, 1_000_000);
  const cpuTargetPercent = readInteger(raw, k("CpuTargetPercent"), problems, 0, 100);
  const instanceWarmupSeconds = readInteger(raw, k("InstanceWarmupSeconds"), problems, 0, 3600);
  const schedules: ScheduledScaling[] = [];
  const names = new Set<string>();
  for (const entry of readArray(raw, k("Schedules"), problems)) {
    const parsed = parseSchedule(entry, { minSize, maxSize });
    for (const p of parsed.problems) problems.add(k("Schedules"), entry, p);
    if (parsed.schedule) {
      if (names.has(parsed.schedule.name))
        problems.add(k("Schedules"), entry, `schedule name ${parsed.schedule.name} is used twice`);
      names.add(parsed.schedule.name);
      schedules.push(parsed.schedule);
    }
  }
  const minHealthy = readInteger(raw, k("MinHealthy"), problems, 0, 1000);
  const minHealthyPercent = readInteger(raw, k("MinHealthyPercent"), problems, 0, 100);
  const maxPerSweep = readInteger(raw, k("MaxPerSweep"), problems, 0, 1000);
  const maxInstanceAgeHours = readInteger(raw, k("MaxInstanceAgeHours"), problems, 0, 8760);
  return {
    name: tier,
    platform,
    port,
    instanceType,
    rootVolumeSizeGiB,
    minSize,
    maxSize,
    desiredCapacity,
    healthCheckGracePeriodSeconds,
    strategy,
    requestsPerTarget,
    cpuTargetPercent,
    instanceWarmupSeconds,
    schedules,
    // Decided in parseConfig, which knows the environment-wide image settings.
    image: { kind: "public-alias", imageId: `resolve:ssm:${PUBLIC_IMAGE_ALIASES[platform]}` },
    minHealthy,
    minHealthyPercent,
    ...(maxPerSweep > 0 ? { maxPerSweep } : {}),
    ...(maxInstanceAgeHours > 0 ? { maxInstanceAgeHours } : {}),
  };
}

/** The rollout Lambda's settings; problems name the key, the value and what is allowed. */
function parseRollout(raw: RawConfig, problems: Problems): RolloutConfig {
  const scheduleExpression = readString(raw, "rolloutSchedule");
  if (!/^(rate|cron)\(.+\)$/.test(scheduleExpression)) {
    problems.add(
      "rolloutSchedule",
      scheduleExpression,
      "must be rate(<n> minutes) or cron(<6 fields>), e.g. rate(5 minutes)",
    );
  }
  const memorySizeMb = readInteger(raw, "rolloutMemoryMb", problems, 128, 10240);
  const probeTimeoutMs = readInteger(raw, "probeTimeoutMs", problems, 100, 60000);
  const probeConcurrency = readInteger(raw, "probeConcurrency", problems, 1, 1024);
  const timeoutSeconds = readInteger(raw, "rolloutTimeoutSeconds", problems, 1, 900);
  const minTimeout = Math.ceil(probeTimeoutMs / 1000) + 30;
  if (timeoutSeconds <= minTimeout) {
    problems.add(
      "rolloutTimeoutSeconds",
      timeoutSeconds,
      `must exceed the probe timeout plus 30 s (more than ${minTimeout})`,
    );
  }
  const paused = readBoolean(raw, "rolloutPaused", problems);
  const stuckMinutes = readInteger(raw, "rolloutStuckMinutes", problems, 10, 1440);
  const alarmEmail = readString(raw, "alarmEmail");
  if (alarmEmail !== "" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    problems.add("alarmEmail", alarmEmail, "must be an email address or empty");
  }
  return {
    scheduleExpression,
    memorySizeMb,
    timeoutSeconds,
    probeTimeoutMs,
    probeConcurrency,
    paused,
    stuckMinutes,
    ...(alarmEmail !== "" ? { alarmEmail } : {}),
  };
}

/**
 * Validates raw config for an environment. Pure: no Pulumi, no AWS. Throws one UsageError listing every problem,
 * each naming the key, the value given and what is allowed.
 */
export function parseConfig(raw: RawConfig, environment: string, region: string | undefined): PhoenixConfig {
  const problems = new Problems();
  const envIssue = environmentProblem(environment);
  if (envIssue) problems.list.push(`stack name ${JSON.stringify(environment)} ${envIssue}`);
  if (!region)
    problems.list.push("aws:region is not set: run `pulumi config set aws:region <region>` (e.g. eu-west-1)");
  else if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))
    problems.list.push(`aws:region = ${JSON.stringify(region)}: is not an AWS region such as eu-west-1`);

  for (const key of Object.keys(raw)) {
    if (!CONFIG_KEYS.some((c) => c.key === key)) {
      problems.add(
        key,
        raw[key],
        `is not a phoenix config key; known keys: ${CONFIG_KEYS.map((c) => c.key).join(", ")}`,
      );
    }
  }
  const vpcCidr = readString(raw, "vpcCidr");
  const cidrIssue = cidrProblem(vpcCidr);
  if (cidrIssue) problems.add("vpcCidr", vpcCidr, cidrIssue);
  const availabilityZones = readInteger(raw, "availabilityZones", problems, 2, 6);
  const natGateways = readChoice(raw, "natGateways", NAT_STRATEGIES, problems);
  const releaseNoncurrentVersionDays = readInteger(raw, "releaseNoncurrentVersionDays", problems, 1, 3650);
  const certificateArn = readString(raw, "certificateArn");
  if (
    certificateArn !== "" &&
    !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/.test(certificateArn)
  ) {
    problems.add(
      "certificateArn",
      certificateArn,
      "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>) or empty",
    );
  }
  const forceDestroyBuckets = readBoolean(raw, "forceDestroyBuckets", problems);
  const accessLogs = readBoolean(raw, "accessLogs", problems);
  const accessLogRetentionDays = readInteger(raw, "accessLogRetentionDays", problems, 1, 3650);
  const bootLogRetentionDays = readInteger(raw, "bootLogRetentionDays", problems, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(bootLogRetentionDays)) {
    problems.add("bootLogRetentionDays", bootLogRetentionDays, `must be one of ${LOG_RETENTION_DAYS.join(", ")}`);
  }
  const imagePipeline = readBoolean(raw, "imagePipeline", problems);
  const linuxImage = readString(raw, "linuxImage");
  const windowsImage = readString(raw, "windowsImage");
  for (const [key, value] of [
    ["linuxImage", linuxImage],
    ["windowsImage", windowsImage],
  ] as const) {
    const issue = imageProblem(value);
    if (issue) problems.add(key, value, issue);
  }
  const tiers = { web: parseTier(raw, "web", problems), api: parseTier(raw, "api", problems) };
  for (const tier of Object.values(tiers)) {
    const key = tier.platform === "linux" ? "linuxImage" : "windowsImage";
    const configured = tier.platform === "linux" ? linuxImage : windowsImage;
    if (imageProblem(configured) !== undefined) continue;
    try {
      tier.image = imageSourceFor(environment, tier.platform, imagePipeline, configured);
    } catch (error) {
      if (!(error instanceof ImageSourceError)) throw error;
      problems.add(key, configured, `${tier.name} tier: ${error.message}`);
    }
  }
  const image = parseImagePipeline(raw, problems);
  const platforms = new Set(Object.values(tiers).map((t) => t.platform));
  if (imagePipeline && platforms.size > 1) {
    // The terminator holds every instance of the environment to the one /phoenix/<env>/base-image.
    problems.add(
      "imagePipeline",
      imagePipeline,
      "needs both tiers on one platform (webPlatform and apiPlatform differ): the terminator compares every " +
        "instance with the one base-image parameter, so a tier on the other platform would be replaced forever; " +
        "use one platform, or turn imagePipeline off",
    );
  }
  const rollout = parseRollout(raw, problems);
  if (problems.list.length > 0) {
    throw new UsageError(
      `The ${environment} stack's config has ${problems.list.length} problem(s); nothing was created:\n  - ${problems.list.join("\n  - ")}`,
    );
  }
  return {
    environment,
    region: region!,
    vpcCidr,
    availabilityZones,
    natGateways,
    releaseNoncurrentVersionDays,
    certificateArn: certificateArn === "" ? undefined : certificateArn,
    forceDestroyBuckets,
    accessLogs,
    accessLogRetentionDays,
    bootLogRetentionDays,
    imagePipeline,
    linuxImage,
    windowsImage,
    image,
    tiers,
    rollout,
  };
}

/** The image pipeline's keys, checked whether or not the pipeline is on (a stack file is right or wrong). */
function parseImagePipeline(raw: RawConfig, problems: Problems): ImagePipelineConfig {
  const schedule = readString(raw, "imageSchedule");
  try {
    parseMonthlyCron(schedule);
  } catch (error) {
    if (!(error instanceof ScheduleExpressionError)) throw error;
    problems.add("imageSchedule", schedule, error.message);
  }
  const startCondition = readChoice(raw, "imageStartCondition", START_CONDITIONS, problems);
  const drRegions = readArray(raw, "imageDrRegions", problems);
  for (const region of drRegions) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
      problems.add("imageDrRegions", region, "must list AWS region names such as eu-central-1");
    }
  }
  const keepCount = readInteger(raw, "imageKeepCount", problems, 1, 999);
  const retainCount = readInteger(raw, "imageRetainCount", problems, 2, 1000);
  if (retainCount <= keepCount) {
    problems.add("imageRetainCount", retainCount, `must be more than imageKeepCount (${keepCount})`);
  }
  const inUseDays = readInteger(raw, "imageInUseDays", problems, 1, 365);
  return { schedule, startCondition, drRegions, keepCount, retainCount, inUseDays };
}

/** Reads the stack's config once (Pulumi config, `aws:region`, the stack name) and validates it. For index.ts. */
export function loadConfig(): PhoenixConfig {
  // Every key in the namespace, not only the declared ones, so that a misspelt key fails instead of being ignored.
  const raw: RawConfig = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (fullKey.startsWith(`${PROJECT}:`)) raw[fullKey.slice(PROJECT.length + 1)] = value;
  }
  return parseConfig(raw, pulumi.getStack(), new pulumi.Config("aws").get("region"));
}
