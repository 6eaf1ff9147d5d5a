// The planner: a pure function from what a sweep saw (snapshot) and what the operator allows (policy) to what the
// sweep does (plan). No I/O, no clock: "now" is snapshot.readAt, so any logged sweep replays to the same decisions.
import { ContractError, UsageError } from "./errors";
import { compareVersions, normalizeVersion } from "./version";
import {
  DEFAULT_POLICY,
  FleetSnapshot,
  GroupPlan,
  GroupPolicy,
  GroupSnapshot,
  InstanceDecision,
  InstanceSnapshot,
  Plan,
  Policy,
  StaleReason,
  VersionSource,
} from "./types";

const HOUR_MS = 3_600_000;

/** The policy one tier runs under: the fleet-wide policy with that tier's overrides (undefined overrides nothing). */
export function effectivePolicy(policy: Policy, tier: string): GroupPolicy {
  const merged: GroupPolicy = {
    minHealthy: policy.minHealthy ?? DEFAULT_POLICY.minHealthy,
    minHealthyPercent: policy.minHealthyPercent ?? DEFAULT_POLICY.minHealthyPercent,
    maxPerSweep: policy.maxPerSweep,
    maxInstanceAgeHours: policy.maxInstanceAgeHours,
  };
  const override = policy.tiers?.[tier] ?? {};
  // Only defined keys override: a JSON round trip drops undefined, and a replayed sweep must decide the same.
  for (const key of ["minHealthy", "minHealthyPercent", "maxPerSweep", "maxInstanceAgeHours"] as const) {
    if (override[key] !== undefined) merged[key] = override[key];
  }
  return merged;
}

/** Throws UsageError naming the first field of a policy (or tier override) that a sweep cannot work with. */
export function validatePolicy(policy: Policy): void {
  const check = (where: string, p: Partial<GroupPolicy>) => {
    const whole = (key: keyof GroupPolicy, min: number, max = Number.MAX_SAFE_INTEGER) => {
      const value = p[key];
      if (value === undefined) return;
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw new UsageError(
          `${where}${key} is ${JSON.stringify(value)}; it must be a whole number from ${min} to ${max}`,
        );
      }
    };
    whole("minHealthy", 0);
    whole("minHealthyPercent", 0, 100);
    whole("maxPerSweep", 0);
    const age = p.maxInstanceAgeHours;
    if (age !== undefined && (typeof age !== "number" || !Number.isFinite(age) || age <= 0)) {
      throw new UsageError(
        `${where}maxInstanceAgeHours is ${JSON.stringify(age)}; it must be a positive number of hours, or unset`,
      );
    }
  };
  check("policy ", policy);
  for (const tier of Object.keys(policy.tiers ?? {}).sort()) {
    check(`policy for tier ${tier}: `, policy.tiers![tier]);
  }
}

/** Fewest healthy instances a sweep may leave: max(minHealthy, ceil(desiredCapacity × minHealthyPercent / 100)). */
export function floorFor(desiredCapacity: number, p: GroupPolicy): number {
  // desiredCapacity × percent is a whole number for whole percents, so the division is rounded up exactly.
  return Math.max(p.minHealthy, Math.ceil((desiredCapacity * p.minHealthyPercent) / 100));
}

/** The version a group must run: the manifest's, else the highest any instance answered, else none. */
export function desiredVersionFor(
  group: Pick<GroupSnapshot, "instances">,
  snapshot: Pick<FleetSnapshot, "desiredVersion">,
): { version?: string; source: VersionSource } {
  if (snapshot.desiredVersion !== undefined) {
    return { version: snapshot.desiredVersion, source: "manifest" };
  }
  const observed = group.instances.map(versionOf).filter((v): v is string => v !== undefined);
  if (observed.length === 0) return { source: "none" };
  // Ties (equal precedence and build) fall to the larger string, so input order never picks the answer.
  const highest = observed.reduce((a, b) => {
    const c = compareVersions(b, a);
    return c > 0 || (c === 0 && b > a) ? b : a;
  });
  return { version: highest, source: "highest-observed" };
}

/**
 * Why an instance does not count as healthy, or undefined when it does: InService, Healthy in the ASG, `healthy` in
 * every listed target group (missing from one is not healthy), and a semantic version answered on /version.
 * `targetGroupArns` are the group's; by default, every target group the instance has health for.
 */
export function unhealthyWhy(
  instance: InstanceSnapshot,
  targetGroupArns: string[] = Object.keys(instance.lbHealth).sort(),
): string | undefined {
  const whys: string[] = [];
  if (instance.lifecycleState !== "InService") whys.push(`is ${instance.lifecycleState}`);
  if (instance.asgHealth !== "Healthy") whys.push(`is ${instance.asgHealth} in the Auto Scaling group`);
  for (const arn of targetGroupArns) {
    const state = instance.lbHealth[arn];
    if (state === undefined) whys.push(`is not registered in target group ${targetGroupName(arn)}`);
    else if (state !== "healthy") whys.push(`is ${state} in target group ${targetGroupName(arn)}`);
  }
  if (!instance.probe.ok) whys.push(`answered no version (${instance.probe.error})`);
  else if (versionOf(instance) === undefined) {
    whys.push(`answered ${JSON.stringify(instance.probe.version)}, which is not a semantic version`);
  }
  return whys.length === 0 ? undefined : whys.join(", ");
}

export function isHealthy(instance: InstanceSnapshot, targetGroupArns?: string[]): boolean {
  return unhealthyWhy(instance, targetGroupArns) === undefined;
}

/** Hours between an instance's launch and readAt; undefined when either time is unreadable. */
export function instanceAgeHours(instance: Pick<InstanceSnapshot, "launchTime">, readAt: string): number | undefined {
  const age = Date.parse(readAt) - Date.parse(instance.launchTime);
  return Number.isNaN(age) ? undefined : age / HOUR_MS;
}

/**
 * Decides, for every group of the snapshot, which instances to terminate and why (including why none). Throws
 * UsageError for a policy it cannot apply and ContractError for a desired version or image it cannot compare with:
 * either would otherwise make every instance look stale.
 */
export function plan(snapshot: FleetSnapshot, policy: Policy): Plan {
  validatePolicy(policy);
  validateDesired(snapshot);
  // Sorted by name so that the order AWS happened to list groups in never changes a plan.
  const groups = [...snapshot.groups].sort((a, b) => byString(a.name, b.name) || byString(a.tier, b.tier));
  return {
    environment: snapshot.environment,
    readAt: snapshot.readAt,
    groups: groups.map((g) => planGroup(g, snapshot, effectivePolicy(policy, g.tier))),
  };
}

function validateDesired(snapshot: FleetSnapshot): void {
  const { desiredVersion, desiredImageId } = snapshot;
  if (desiredVersion !== undefined && normalizeVersion(desiredVersion) === undefined) {
    throw new ContractError(
      `the desired version ${JSON.stringify(desiredVersion)} is not a semantic version (e.g. 1.0.274); ` +
        "republish releases/current.json with a valid version",
    );
  }
  if (desiredImageId !== undefined && (desiredImageId.length === 0 || /\s/.test(desiredImageId))) {
    throw new ContractError(
      `the desired image ${JSON.stringify(desiredImageId)} is not an image id (ami-...); ` +
        "fix the base-image parameter /phoenix/<env>/base-image",
    );
  }
}

function planGroup(group: GroupSnapshot, snapshot: FleetSnapshot, p: GroupPolicy): GroupPlan {
  const instances = [...group.instances].sort((a, b) => byString(a.id, b.id));
  const desired = desiredVersionFor({ instances }, snapshot);
  const desiredImageId = snapshot.desiredImageId;
  const floor = floorFor(group.desiredCapacity, p);

  const unstable: { id: string; why: string }[] = [];
  for (const instance of instances) {
    const why = unhealthyWhy(instance, group.targetGroupArns);
    if (why !== undefined) unstable.push({ id: instance.id, why });
  }
  const healthy = instances.length - unstable.length;
  const groupWhys: string[] = [];
  if (group.activityInProgress === true) groupWhys.push("a scaling activity is in progress");
  if (instances.length !== group.desiredCapacity) {
    groupWhys.push(`${count(instances.length, "instance")} but desired capacity ${group.desiredCapacity}`);
  }
  const stable = unstable.length === 0 && groupWhys.length === 0;

  const decisions = new Map<string, InstanceDecision>();
  for (const instance of instances) {
    const reasons = staleReasons(instance, desired.version, desiredImageId, snapshot.readAt, p);
    decisions.set(instance.id, {
      id: instance.id,
      // What it answered even when that is not a version, so the operator sees the "1.0" that made it unhealthy.
      version: versionOf(instance) ?? (instance.probe.ok ? instance.probe.version : undefined),
      imageId: instance.imageId,
      stale: reasons.length > 0,
      reasons,
      terminate: false,
    });
  }

  const candidates = instances.filter((i) => decisions.get(i.id)!.stale);
  candidates.sort((a, b) => compareStaleness(a, decisions.get(a.id)!.reasons, b, decisions.get(b.id)!.reasons));
  const room = Math.max(0, healthy - floor);
  const limit = p.maxPerSweep ?? Number.POSITIVE_INFINITY;
  const n = stable ? Math.max(0, Math.min(candidates.length, room, limit)) : 0;
  const terminate = candidates.slice(0, n).map((i) => i.id);
  for (const id of terminate) decisions.get(id)!.terminate = true;

  const stale = candidates.map((i) => decisions.get(i.id)!);
  const why = { group, stable, unstable, groupWhys, stale, terminate, room, floor, p, desired, desiredImageId };
  return {
    name: group.name,
    tier: group.tier,
    desiredVersion: desired.version,
    versionSource: desired.source,
    desiredImageId,
    floor,
    healthy,
    stable,
    unstable,
    instances: instances.map((i) => decisions.get(i.id)!),
    terminate,
    reason: explain(why),
    log: logLine(group, instances, stable, terminate.length),
  };
}

function staleReasons(
  instance: InstanceSnapshot,
  desiredVersion: string | undefined,
  desiredImageId: string | undefined,
  readAt: string,
  p: GroupPolicy,
): StaleReason[] {
  const reasons: StaleReason[] = [];
  const version = versionOf(instance);
  // A different build of the same version is a different artifact: only the exact version is current.
  if (desiredVersion !== undefined && version !== undefined && !sameVersion(version, desiredVersion)) {
    reasons.push("version");
  }
  if (desiredImageId !== undefined && instance.imageId !== desiredImageId) reasons.push("image");
  if (p.maxInstanceAgeHours !== undefined) {
    const age = instanceAgeHours(instance, readAt);
    if (age !== undefined && age > p.maxInstanceAgeHours) reasons.push("age");
  }
  return reasons;
}

/**
 * Most stale first: wrong image and wrong version, then wrong version or image (oldest version first, then oldest
 * launch), then instances stale only by age (oldest launch first); the instance id settles every tie.
 */
function compareStaleness(
  a: InstanceSnapshot,
  aReasons: StaleReason[],
  b: InstanceSnapshot,
  bReasons: StaleReason[],
): number {
  const rank = (r: StaleReason[]) =>
    r.includes("image") && r.includes("version") ? 0 : r.includes("image") || r.includes("version") ? 1 : 2;
  const byRank = rank(aReasons) - rank(bReasons);
  if (byRank !== 0) return byRank;
  if (rank(aReasons) < 2) {
    const byVersion = compareOptionalVersions(versionOf(a), versionOf(b));
    if (byVersion !== 0) return byVersion;
  }
  return launchMs(a) - launchMs(b) || byString(a.id, b.id);
}

interface Explanation {
  group: GroupSnapshot;
  stable: boolean;
  unstable: { id: string; why: string }[];
  groupWhys: string[];
  stale: InstanceDecision[];
  terminate: string[];
  room: number;
  floor: number;
  p: GroupPolicy;
  desired: { version?: string; source: VersionSource };
  desiredImageId?: string;
}

function explain(e: Explanation): string {
  if (e.group.desiredCapacity === 0 && e.group.instances.length === 0 && e.group.activityInProgress !== true) {
    return "converged: scaled to zero (desired capacity 0, no instances); nothing to do";
  }
  if (!e.stable) {
    const parts = [...e.unstable.map((u) => `${u.id} ${u.why}`), ...e.groupWhys];
    return `unstable: ${parts.join("; ")}; no terminations until every instance is healthy and the group settles`;
  }
  const target = [
    e.desired.version === undefined ? undefined : `version ${e.desired.version} (${sourceText(e.desired.source)})`,
    e.desiredImageId === undefined ? undefined : `image ${e.desiredImageId}`,
  ]
    .filter((t) => t !== undefined)
    .join(" on ");
  if (e.stale.length === 0) {
    return `converged: all ${count(e.group.instances.length, "instance")} run ${target || "the same version"}`;
  }
  const head = limitClause(e);
  return `${head}. Stale: ${staleBreakdown(e.stale, e.p)}. Target: ${target}.`;
}

/** "2 stale: terminating i-1, i-2", or why fewer: the floor, or the per-sweep cap. */
function limitClause(e: Explanation): string {
  const which = `terminating ${e.terminate.join(", ")}`;
  if (e.terminate.length === e.stale.length) {
    return `${e.stale.length} stale: ${which}`;
  }
  if (e.room <= e.terminate.length && e.room < (e.p.maxPerSweep ?? Number.POSITIVE_INFINITY)) {
    return e.room === 0
      ? `${e.stale.length} stale but none above the floor of ${e.floor}: waiting for capacity above the floor ` +
          "(surge, or raise desired capacity, to make room)"
      : `${e.stale.length} stale but only ${e.room} above the floor of ${e.floor}: ${which}`;
  }
  return e.terminate.length === 0
    ? `${e.stale.length} stale, at most ${e.p.maxPerSweep} per sweep: terminating none`
    : `${e.stale.length} stale, at most ${e.p.maxPerSweep} per sweep: ${which}`;
}

function staleBreakdown(stale: InstanceDecision[], p: GroupPolicy): string {
  const n = (r: StaleReason) => stale.filter((d) => d.reasons.includes(r)).length;
  return [
    n("version") > 0 ? `${n("version")} version` : undefined,
    n("image") > 0 ? `${n("image")} image drift` : undefined,
    n("age") > 0 ? `${n("age")} age (older than ${p.maxInstanceAgeHours}h)` : undefined,
  ]
    .filter((t) => t !== undefined)
    .join(", ");
}

function logLine(group: GroupSnapshot, instances: InstanceSnapshot[], stable: boolean, n: number): string {
  const versions = instances.map(versionOf).filter((v): v is string => v !== undefined);
  versions.sort(compareVersions);
  const seen =
    group.desiredCapacity === 0 && instances.length === 0
      ? "scaled to zero"
      : versions.length === 0
        ? "no version answered"
        : `lowest version ${versions[0]}, highest version ${versions[versions.length - 1]}`;
  return `${group.name} => ${seen}${stable ? "" : ", unstable"}, ${count(n, "instance")} to terminate`;
}

/**
 * The lines the CLI prints for a plan: per group its log line, one line per instance to terminate with why, and
 * the group's reason.
 */
export function formatPlan(p: Plan): string[] {
  const lines: string[] = [];
  for (const g of p.groups) {
    lines.push(g.log);
    for (const id of g.terminate) {
      const d = g.instances.find((i) => i.id === id);
      lines.push(`  terminate ${id}: ${d === undefined ? "stale" : instanceWhy(d, g)}`);
    }
    lines.push(`  ${g.reason}`);
  }
  return lines;
}

/** Why one instance is stale, in words: `version 1.0.266 (want 1.0.274), image drift ami-1 (want ami-2), age`. */
export function instanceWhy(d: InstanceDecision, g: Pick<GroupPlan, "desiredVersion" | "desiredImageId">): string {
  return d.reasons
    .map((r) =>
      r === "version"
        ? `version ${d.version ?? "?"} (want ${g.desiredVersion ?? "?"})`
        : r === "image"
          ? `image drift ${d.imageId ?? "(none)"} (want ${g.desiredImageId ?? "?"})`
          : "age over the limit",
    )
    .join(", ");
}

function sourceText(source: VersionSource): string {
  return source === "manifest" ? "manifest" : source === "highest-observed" ? "highest observed" : "none";
}

/** The instance's answered version, normalized, when it is a semantic version. */
function versionOf(instance: InstanceSnapshot): string | undefined {
  return instance.probe.ok ? normalizeVersion(instance.probe.version) : undefined;
}

function sameVersion(a: string, b: string): boolean {
  // validateDesired has made sure b is a version; normalizing lets a manifest's `v1.0.274` match `1.0.274`.
  return compareVersions(a, normalizeVersion(b)!) === 0;
}

function compareOptionalVersions(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compareVersions(a, b);
}

function launchMs(instance: InstanceSnapshot): number {
  const t = Date.parse(instance.launchTime);
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

function targetGroupName(arn: string): string {
  // arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>
  const match = /:targetgroup\/([^/]+)\//.exec(arn);
  return match ? match[1] : arn;
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
