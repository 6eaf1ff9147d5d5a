// A tier's keys (`webPort`, `apiPort`, ...): the same knobs for every tier, each described with the tier's name.
import {
  DEFAULT_CHECKPOINTS,
  DEFAULT_STRATEGY,
  MAX_CHECKPOINTS,
  MAX_OWN_ROLLOUT_ALARMS,
  PLATFORMS,
} from "../../runtime/contract";
import { ConfigKey } from "../declared-key";
import { STRATEGIES, TierName } from "../types";
import { limit } from "./limit";

/** Ports no tier may serve on: the administrative doors phoenix keeps shut. */
export const FORBIDDEN_PORTS = [22, 3389];

/** Windows Server images do not fit a smaller root volume. */
export const WINDOWS_MIN_ROOT_VOLUME_GIB = 30;

/** A tier's keys: `webPort`, `apiPort`, ... The same knobs for every tier, each described with the tier's name. */
export function tierKeys(tier: TierName): ConfigKey[] {
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
