// One tier's keys (`web...`, `api...`) read into a TierConfig, with the rules between them: sizes that nest, ports
// phoenix never opens, a Windows root volume Windows fits on, and scheduled actions within the tier's bounds.
import { PUBLIC_IMAGE_ALIASES } from "../ami/image-source";
import { alarmNameOf, alarmProblem, MAX_OWN_ROLLOUT_ALARMS, Platform } from "../runtime/contract";
import { checkpointsProblem } from "../runtime/core/planner/policy";
import { FORBIDDEN_PORTS, WINDOWS_MIN_ROOT_VOLUME_GIB } from "./keys";
import {
  Problems,
  RawConfig,
  readArray,
  readBoolean,
  readChoice,
  readInteger,
  readIntegerList,
  readString,
} from "./readers";
import { parseSchedule } from "./schedule";
import { PROJECT, RolloutStrategy, ScheduledScaling, TierConfig, TierName } from "./types";

/** A tier's settings; its image is the platform's public alias until parseConfig, which knows the image keys, decides. */
export function parseTier(
  raw: RawConfig,
  tier: TierName,
  problems: Problems,
  stack: { region?: string } = {},
): TierConfig {
  const k = (suffix: string) => `${tier}${suffix}`;
  const int = (suffix: string) => readInteger(raw, k(suffix), problems);
  const platform = readChoice<Platform>(raw, k("Platform"), problems);
  const port = int("Port");
  if (FORBIDDEN_PORTS.includes(port)) {
    problems.add(
      k("Port"),
      port,
      `${FORBIDDEN_PORTS.join(" and ")} are administrative ports phoenix never opens; choose another port`,
    );
  }
  const instanceType = readString(raw, k("InstanceType"));
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType))
    problems.add(k("InstanceType"), instanceType, "must be an EC2 instance type such as t3.micro");
  const rootVolumeSizeGiB = int("RootVolumeSizeGiB");
  if (platform === "windows" && rootVolumeSizeGiB < WINDOWS_MIN_ROOT_VOLUME_GIB) {
    problems.add(
      k("RootVolumeSizeGiB"),
      rootVolumeSizeGiB,
      `Windows images need a root volume of at least ${WINDOWS_MIN_ROOT_VOLUME_GIB} GiB`,
    );
  }
  const minSize = int("MinSize");
  const maxSize = int("MaxSize");
  const desiredCapacity = int("DesiredCapacity");
  if (minSize > maxSize) problems.add(k("MinSize"), minSize, `must not exceed ${PROJECT}:${k("MaxSize")} (${maxSize})`);
  else if (desiredCapacity < minSize || desiredCapacity > maxSize) {
    problems.add(
      k("DesiredCapacity"),
      desiredCapacity,
      `must be within ${PROJECT}:${k("MinSize")}..${PROJECT}:${k("MaxSize")} (${minSize}..${maxSize})`,
    );
  }
  const healthCheckGracePeriodSeconds = int("HealthCheckGracePeriodSeconds");
  const strategy = readChoice<RolloutStrategy>(raw, k("Strategy"), problems);
  const requestsPerTarget = int("RequestsPerTarget");
  const cpuTargetPercent = int("CpuTargetPercent");
  const instanceWarmupSeconds = int("InstanceWarmupSeconds");
  const schedules = parseSchedules(raw, k("Schedules"), { minSize, maxSize }, problems);
  const minHealthy = int("MinHealthy");
  const floorProblem = minHealthyProblem(tier, minHealthy, desiredCapacity, schedules);
  if (floorProblem !== undefined) problems.add(k("MinHealthy"), minHealthy, floorProblem);
  const minHealthyPercent = int("MinHealthyPercent");
  const maxPerSweep = int("MaxPerSweep");
  const maxInstanceAgeHours = int("MaxInstanceAgeHours");
  const gates = parseRolloutGates(raw, tier, problems, stack);
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
    image: { kind: "public-alias", imageId: `resolve:ssm:${PUBLIC_IMAGE_ALIASES[platform]}` },
    minHealthy,
    minHealthyPercent,
    // 0 is the key's way of saying "unlimited" or "off"; the policy says it by leaving the field out.
    ...(maxPerSweep > 0 ? { maxPerSweep } : {}),
    ...(maxInstanceAgeHours > 0 ? { maxInstanceAgeHours } : {}),
    ...gates,
  };
}

/** A tier's checkpoints, bake, rollout alarms and automatic rollback, each problem naming its key. */
function parseRolloutGates(
  raw: RawConfig,
  tier: TierName,
  problems: Problems,
  stack: { region?: string },
): Pick<
  TierConfig,
  "checkpoints" | "bakeMinutes" | "rolloutAlarms" | "autoRollback" | "rollout5xxPercent" | "rolloutResponseTimeMs"
> {
  const k = (suffix: string) => `${tier}${suffix}`;
  const checkpoints = readIntegerList(raw, k("Checkpoints"), problems);
  const checkpointIssue = checkpointsProblem(checkpoints);
  if (checkpointIssue !== undefined) problems.add(k("Checkpoints"), checkpoints, checkpointIssue);
  const bakeMinutes = readInteger(raw, k("BakeMinutes"), problems);
  const rolloutAlarms = readArray(raw, k("RolloutAlarms"), problems);
  for (const alarm of rolloutAlarms) {
    const issue = alarmProblem(alarm, stack.region);
    if (issue !== undefined) problems.add(k("RolloutAlarms"), alarm, `${issue}; give an alarm name or its ARN`);
  }
  const names = rolloutAlarms.map(alarmNameOf);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) problems.add(k("RolloutAlarms"), rolloutAlarms, `names ${twice.join(", ")} twice`);
  if (rolloutAlarms.length > MAX_OWN_ROLLOUT_ALARMS) {
    problems.add(k("RolloutAlarms"), rolloutAlarms, `holds ${rolloutAlarms.length}; at most ${MAX_OWN_ROLLOUT_ALARMS}`);
  }
  const autoRollback = readBoolean(raw, k("AutoRollback"), problems);
  return {
    checkpoints,
    bakeMinutes,
    rolloutAlarms,
    autoRollback,
    rollout5xxPercent: readInteger(raw, k("Rollout5xxPercent"), problems),
    rolloutResponseTimeMs: readInteger(raw, k("RolloutResponseTimeMs"), problems),
  };
}

/**
 * A floor above the instances a tier runs lets no instance ever be replaced: every release and image update would wait
 * forever. Checked against the desired capacity at creation and each non-zero one a schedule sets (a tier scaled to
 * zero has nothing to replace).
 */
export function minHealthyProblem(
  tier: TierName,
  minHealthy: number,
  desiredCapacity: number,
  schedules: ScheduledScaling[],
): string | undefined {
  const sizes = [
    { desired: desiredCapacity, what: `${PROJECT}:${tier}DesiredCapacity` },
    ...schedules.map((s) => ({ desired: s.desiredCapacity ?? 0, what: `schedule ${s.name}'s desired` })),
  ];
  const short = sizes.find((s) => s.desired > 0 && s.desired < minHealthy);
  if (short === undefined) return undefined;
  return (
    `is above ${short.what} (${short.desired}): with fewer instances than the floor none could ever be replaced; ` +
    `use at most ${short.desired}, or ${PROJECT}:${tier}MinHealthyPercent for a share of capacity`
  );
}

/** The tier's scheduled actions: each entry valid on its own, names unique. */
function parseSchedules(
  raw: RawConfig,
  key: string,
  bounds: { minSize: number; maxSize: number },
  problems: Problems,
): ScheduledScaling[] {
  const schedules: ScheduledScaling[] = [];
  const names = new Set<string>();
  for (const entry of readArray(raw, key, problems)) {
    const parsed = parseSchedule(entry, bounds);
    for (const p of parsed.problems) problems.add(key, entry, p);
    if (parsed.schedule) {
      if (names.has(parsed.schedule.name))
        problems.add(key, entry, `schedule name ${parsed.schedule.name} is used twice`);
      names.add(parsed.schedule.name);
      schedules.push(parsed.schedule);
    }
  }
  return schedules;
}
