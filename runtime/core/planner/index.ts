// The planner: a pure function from what a sweep saw (snapshot) and what the operator allows (policy) to what the
// sweep does (plan). No I/O, no clock: "now" is snapshot.readAt, so any logged sweep replays to the same decisions.
import { LIMITS, SURGE_PROCESSES, SURGE_TAGS, TAGS } from "../../contract";
import { ContractError, UsageError } from "../errors";
import { compareVersions, normalizeVersion } from "../version";
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
  Strategy,
  SurgeDecision,
  VersionSource,
} from "../types";

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** The strategy of a group with no `phoenix:strategy` tag and no strategy in the policy. */
export const DEFAULT_STRATEGY: Strategy = "surge";

/** The policy one tier runs under: the fleet-wide policy with that tier's overrides (undefined overrides nothing). */
export function effectivePolicy(policy: Policy, tier: string): GroupPolicy {
  const merged: GroupPolicy = {
    minHealthy: policy.minHealthy ?? DEFAULT_POLICY.minHealthy,
    minHealthyPercent: policy.minHealthyPercent ?? DEFAULT_POLICY.minHealthyPercent,
    maxPerSweep: policy.maxPerSweep,
    maxInstanceAgeHours: policy.maxInstanceAgeHours,
  };
  // The surge keys are added only when set, so a policy without them merges to exactly what it did before them.
  if (policy.strategy !== undefined) merged.strategy = policy.strategy;
  if (policy.maxSurgePercent !== undefined) merged.maxSurgePercent = policy.maxSurgePercent;
  if (policy.surgeStallMinutes !== undefined) merged.surgeStallMinutes = policy.surgeStallMinutes;
  const override = policy.tiers?.[tier] ?? {};
  // Only defined keys override: a JSON round trip drops undefined, and a replayed sweep must decide the same.
  for (const key of ["minHealthy", "minHealthyPercent", "maxPerSweep", "maxInstanceAgeHours"] as const) {
    if (override[key] !== undefined) merged[key] = override[key];
  }
  if (override.strategy !== undefined) merged.strategy = override.strategy;
  if (override.maxSurgePercent !== undefined) merged.maxSurgePercent = override.maxSurgePercent;
  if (override.surgeStallMinutes !== undefined) merged.surgeStallMinutes = override.surgeStallMinutes;
  return merged;
}

/**
 * Throws UsageError naming the first field of a policy (or tier override) that a sweep cannot work with. Bounds are
 * the contract's LIMITS; in a policy an unset maxPerSweep is unlimited and an unset maxInstanceAgeHours is off, so
 * 0 there means what it says (no terminations; every instance too old) and only the stack config and flags read 0
 * as "unlimited" or "off".
 */
export function validatePolicy(policy: Policy): void {
  const check = (where: string, p: Partial<GroupPolicy>) => {
    for (const key of ["minHealthy", "minHealthyPercent", "maxPerSweep", "maxSurgePercent"] as const) {
      const value = p[key];
      const { min, max } = LIMITS[key];
      if (
        value !== undefined &&
        (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
      ) {
        throw new UsageError(
          `${where}${key} is ${JSON.stringify(value)}; it must be a whole number from ${min} to ${max}`,
        );
      }
    }
    if (p.strategy !== undefined && p.strategy !== "surge" && p.strategy !== "replace") {
      throw new UsageError(`${where}strategy is ${JSON.stringify(p.strategy)}; it must be "surge" or "replace"`);
    }
    for (const [key, unit] of [
      ["surgeStallMinutes", "minutes"],
      ["maxInstanceAgeHours", "hours"],
    ] as const) {
      const value = p[key];
      const { max } = LIMITS[key];
      if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > max)) {
        throw new UsageError(
          `${where}${key} is ${JSON.stringify(value)}; it must be a positive number of ${unit} up to ${max}, or unset`,
        );
      }
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
  const surgeTags = readSurgeTags(group.tags ?? {});
  // During a surge the baseline is the group's real size: a floor in percent of the raised capacity would forbid
  // the very terminations that bring the group back down.
  const floorBase = surgeTags.baseline !== undefined ? Math.min(group.desiredCapacity, surgeTags.baseline) : undefined;
  const floor = floorFor(floorBase ?? group.desiredCapacity, p);

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
  const stale = candidates.map((i) => decisions.get(i.id)!);
  const ctx: GroupContext = {
    group,
    snapshot,
    p,
    instances,
    decisions,
    candidates,
    stale,
    desired,
    desiredImageId,
    floor,
    healthy,
    stable,
    unstable,
    groupWhys,
    surgeTags,
  };

  const strategy = strategyFor(group, p);
  const surge = surgeTags.baseline !== undefined || strategy === "surge" ? planSurge(ctx) : undefined;
  if (surge !== undefined && surge.kind === "surge") {
    for (const id of surge.terminate) decisions.get(id)!.terminate = true;
    const base = groupPlanOf(ctx, surge.terminate, surge.reason);
    // The log line says when a sweep changes the group itself, not only which instances go.
    const phase = surge.decision.phase;
    const capacity = surge.setDesired !== undefined ? `: desired ${group.desiredCapacity} → ${surge.setDesired}` : "";
    const acting = phase === "start" || phase === "finish" || phase === "abort";
    return {
      ...base,
      log: acting ? `${base.log}, surge ${phase}${capacity}` : base.log,
      strategy,
      surge: surge.decision,
      ...(surge.terminate.length > 0 && { decrement: true }),
      ...(surge.setDesired !== undefined && { setDesired: surge.setDesired }),
      ...(surge.tags !== undefined && { tags: surge.tags }),
      ...(surge.suspend !== undefined && { suspend: surge.suspend }),
      ...(surge.resume !== undefined && { resume: surge.resume }),
    };
  }

  const replaced = planReplace(ctx);
  if (surge === undefined) return groupPlanOf(ctx, replaced.terminate, replaced.reason);
  // Surge found no room: the original rules, saying why.
  return {
    ...groupPlanOf(ctx, replaced.terminate, `${surge.why}; replacing in place instead: ${replaced.reason}`),
    strategy,
    surge: surge.decision,
  };
}

/** Everything the strategies decide from: computed once per group. */
interface GroupContext {
  group: GroupSnapshot;
  snapshot: FleetSnapshot;
  p: GroupPolicy;
  instances: InstanceSnapshot[];
  decisions: Map<string, InstanceDecision>;
  /** Stale instances, most stale first. */
  candidates: InstanceSnapshot[];
  stale: InstanceDecision[];
  desired: { version?: string; source: VersionSource };
  desiredImageId?: string;
  floor: number;
  healthy: number;
  stable: boolean;
  unstable: { id: string; why: string }[];
  groupWhys: string[];
  surgeTags: SurgeTags;
}

function groupPlanOf(ctx: GroupContext, terminate: string[], reason: string): GroupPlan {
  return {
    name: ctx.group.name,
    tier: ctx.group.tier,
    desiredVersion: ctx.desired.version,
    versionSource: ctx.desired.source,
    desiredImageId: ctx.desiredImageId,
    floor: ctx.floor,
    healthy: ctx.healthy,
    stable: ctx.stable,
    unstable: ctx.unstable,
    instances: ctx.instances.map((i) => ctx.decisions.get(i.id)!),
    terminate,
    reason,
    log: logLine(ctx.group, ctx.instances, ctx.stable, terminate.length),
  };
}

/** The original rules: terminate stale instances, most stale first, while the group is stable and above its floor. */
function planReplace(ctx: GroupContext): { terminate: string[]; reason: string } {
  const { candidates, stable, healthy, floor, p } = ctx;
  const room = Math.max(0, healthy - floor);
  const limit = p.maxPerSweep ?? Number.POSITIVE_INFINITY;
  const n = stable ? Math.max(0, Math.min(candidates.length, room, limit)) : 0;
  const terminate = candidates.slice(0, n).map((i) => i.id);
  for (const id of terminate) ctx.decisions.get(id)!.terminate = true;
  const why = { ...ctx, terminate, room };
  return { terminate, reason: explain(why) };
}

/** The strategy a group runs under: the policy's (CLI flag or tier override), else the group's tag, else default. */
export function strategyFor(group: Pick<GroupSnapshot, "tags">, p: Pick<GroupPolicy, "strategy">): Strategy {
  if (p.strategy !== undefined) return p.strategy;
  const tag = group.tags?.[TAGS.strategy];
  return tag === "surge" || tag === "replace" ? tag : DEFAULT_STRATEGY;
}

interface SurgeTags {
  baseline?: number;
  /** The baseline tag's value when it is not a whole number. */
  invalidBaseline?: string;
  version?: string;
  startedAt?: string;
  failed?: string;
}

/** The surge state a group's tags hold. */
export function readSurgeTags(tags: Record<string, string>): SurgeTags {
  const t: SurgeTags = {};
  const raw = tags[SURGE_TAGS.baseline];
  if (raw !== undefined) {
    if (/^\d{1,6}$/.test(raw.trim())) t.baseline = Number(raw.trim());
    else t.invalidBaseline = raw;
  }
  if (tags[SURGE_TAGS.version] !== undefined) t.version = tags[SURGE_TAGS.version];
  if (tags[SURGE_TAGS.startedAt] !== undefined) t.startedAt = tags[SURGE_TAGS.startedAt];
  if (tags[SURGE_TAGS.failed] !== undefined) t.failed = tags[SURGE_TAGS.failed];
  return t;
}

/** What a surge launches for, as a tag value: `1.0.274`, `1.0.274 ami-0abc`, or the image alone. */
export function surgeTarget(version: string | undefined, imageId: string | undefined): string {
  return [version, imageId].filter((x) => x !== undefined && x !== "").join(" ") || "current";
}

type SurgeOutcome =
  | {
      kind: "surge";
      decision: SurgeDecision;
      terminate: string[];
      reason: string;
      setDesired?: number;
      tags?: { set?: Record<string, string>; remove?: string[] };
      suspend?: string[];
      resume?: string[];
    }
  | { kind: "fallback"; decision: SurgeDecision; why: string };

/** The surge rules; undefined hands the group to the original rules (nothing stale, or unstable before a start). */
function planSurge(ctx: GroupContext): SurgeOutcome | undefined {
  const { group, surgeTags: t } = ctx;
  const target = surgeTarget(ctx.desired.version, ctx.desiredImageId);
  if (t.invalidBaseline !== undefined) {
    return {
      kind: "surge",
      decision: { phase: "blocked", baseline: group.desiredCapacity, targetVersion: t.version ?? target },
      terminate: [],
      reason:
        `surge blocked: tag ${SURGE_TAGS.baseline}=${JSON.stringify(t.invalidBaseline)} is not a whole number; ` +
        "set it to the desired capacity the group had before the surge, or delete the phoenix:surge-* tags",
    };
  }
  return t.baseline !== undefined ? surgeInProgress(ctx, t.baseline, target) : surgeStart(ctx, target);
}

function surgeStart(ctx: GroupContext, target: string): SurgeOutcome | undefined {
  const { group, surgeTags: t, p } = ctx;
  if (ctx.stale.length === 0 || !ctx.stable) return undefined;
  const baseline = group.desiredCapacity;
  const blocked = (reason: string): SurgeOutcome => ({
    kind: "surge",
    decision: { phase: "blocked", baseline, targetVersion: target },
    terminate: [],
    reason,
  });
  if (t.failed !== undefined && t.failed === target) {
    return blocked(
      `surge blocked: a surge to ${target} was aborted before (tag ${SURGE_TAGS.failed}); ` +
        `${ctx.stale.length} stale left serving: publish a fixed version or roll back (or delete the tag to retry)`,
    );
  }
  const suspended = group.suspendedProcesses ?? [];
  if (suspended.length > 0) {
    return blocked(
      `left alone: scaling processes ${suspended.join(", ")} are suspended and no surge of phoenix's is in ` +
        "progress (someone else suspended them); resume them to let phoenix surge",
    );
  }
  const percent = p.maxSurgePercent ?? LIMITS.maxSurgePercent.fallback;
  const underMax = Math.max(0, group.maxSize - baseline);
  const byPercent = Math.ceil((baseline * percent) / 100);
  const k = Math.min(ctx.stale.length, underMax, byPercent);
  if (k <= 0) {
    return {
      kind: "fallback",
      decision: { phase: "fallback-replace", baseline, targetVersion: target },
      why:
        underMax <= 0
          ? `surge: no room (desired capacity ${baseline} is the group's max size ${group.maxSize})`
          : `surge: maxSurgePercent ${percent}% of ${baseline} allows no extra instance`,
    };
  }
  const capped =
    k < ctx.stale.length
      ? ` (capped by ${underMax <= byPercent ? `max size ${group.maxSize}` : `maxSurgePercent ${percent}%`}; ` +
        "the rest in a later surge)"
      : "";
  return {
    kind: "surge",
    decision: { phase: "start", baseline, targetVersion: target },
    terminate: [],
    reason:
      `surge start: raising desired capacity from ${baseline} to ${baseline + k} to launch ` +
      `${count(k, "replacement")} for ${ctx.stale.length} stale before terminating any${capped}. ` +
      `Stale: ${staleBreakdown(ctx.stale, p)}. Target: ${targetText(ctx)}.`,
    setDesired: baseline + k,
    tags: {
      set: {
        [SURGE_TAGS.baseline]: String(baseline),
        [SURGE_TAGS.version]: target,
        [SURGE_TAGS.startedAt]: ctx.snapshot.readAt,
      },
      ...(t.failed !== undefined && { remove: [SURGE_TAGS.failed] }),
    },
    suspend: [...SURGE_PROCESSES],
  };
}

const SURGE_STATE_TAGS = [SURGE_TAGS.baseline, SURGE_TAGS.version, SURGE_TAGS.startedAt];

function surgeInProgress(ctx: GroupContext, baseline: number, target: string): SurgeOutcome {
  const { group, surgeTags: t, p, snapshot } = ctx;
  const surgeFor = t.version ?? target;
  const decision = (phase: SurgeDecision["phase"]): SurgeDecision => ({ phase, baseline, targetVersion: surgeFor });
  const aborting = t.failed !== undefined && t.failed === surgeFor;
  const desired = group.desiredCapacity;
  const end = { tags: { remove: [...SURGE_STATE_TAGS] }, resume: [...SURGE_PROCESSES] };

  if (desired <= baseline) {
    // The terminations that closed the surge have been made (possibly by a sweep that crashed before tidying up).
    return {
      kind: "surge",
      decision: decision(aborting ? "abort" : "finish"),
      terminate: [],
      reason:
        `surge ${aborting ? "abort" : "finish"}: the group is back at its baseline of ${baseline}; clearing the ` +
        `surge tags and resuming ${SURGE_PROCESSES.join(", ")}`,
      ...end,
    };
  }
  const surged = desired - baseline;
  const startedMs = t.startedAt === undefined ? NaN : Date.parse(t.startedAt);
  const isNew = (i: InstanceSnapshot) => !Number.isNaN(startedMs) && launchMs(i) >= startedMs;
  const isCurrent = (i: InstanceSnapshot) => isHealthy(i, group.targetGroupArns) && !ctx.decisions.get(i.id)!.stale;
  if (aborting) return surgeAbort(ctx, baseline, surgeFor, isNew, false);

  const current = ctx.instances.filter(isCurrent).length;
  // A new release (or image) arrived mid-surge: the surge's instances will never be current. Once all are healthy,
  // trim back to the baseline (oldest versions first) and let the next sweep surge to the new target.
  const superseded = surgeFor !== target;
  if (ctx.stable && (superseded || current >= Math.min(baseline, surged))) {
    // Stale first (most stale first), then, if the surge brought more than there were stale, the newest current.
    const fresh = ctx.instances.filter((i) => !ctx.decisions.get(i.id)!.stale);
    fresh.sort((a, b) => launchMs(b) - launchMs(a) || byString(b.id, a.id));
    const order = [...ctx.candidates, ...fresh];
    const byFloor = Math.max(0, ctx.healthy - ctx.floor);
    const n = Math.max(0, Math.min(surged, byFloor, p.maxPerSweep ?? Number.POSITIVE_INFINITY));
    const terminate = order.slice(0, n).map((i) => i.id);
    const done = n === surged;
    const rest =
      byFloor < Math.min(surged, p.maxPerSweep ?? Number.POSITIVE_INFINITY)
        ? `only ${byFloor} above the floor of ${ctx.floor}`
        : `at most ${p.maxPerSweep} per sweep`;
    return {
      kind: "surge",
      decision: decision("finish"),
      terminate,
      reason:
        (superseded
          ? `surge finish: the surge to ${surgeFor} is superseded by ${target} and every instance is healthy: `
          : `surge finish: ${current} of ${desired} run ${surgeFor} and every instance is healthy: `) +
        (n === 0
          ? `terminating none yet (${rest})`
          : `terminating ${terminate.join(", ")} and lowering desired capacity to ${desired - n}`) +
        (done
          ? `; clearing the surge tags and resuming ${SURGE_PROCESSES.join(", ")}`
          : `; ${surged - n} more in a later sweep (${rest})`),
      ...(done && { setDesired: baseline, ...end }),
    };
  }

  const fresh = ctx.instances.filter((i) => isNew(i) && isCurrent(i)).length;
  const newOnes = ctx.instances.filter(isNew);
  const newOk = (i: InstanceSnapshot) => (superseded ? isHealthy(i, group.targetGroupArns) : isCurrent(i));
  const newFailing = newOnes.length < surged || newOnes.some((i) => !newOk(i));
  const elapsedMin = (Date.parse(snapshot.readAt) - startedMs) / MINUTE_MS;
  const stall = p.surgeStallMinutes ?? LIMITS.surgeStallMinutes.fallback;
  if (newFailing && !(elapsedMin <= stall)) return surgeAbort(ctx, baseline, surgeFor, isNew, true);

  const holding = [...ctx.unstable.map((u) => `${u.id} ${u.why}`), ...ctx.groupWhys];
  const notCurrent = newOnes.filter((i) => isHealthy(i, group.targetGroupArns) && !isCurrent(i)).map((i) => i.id);
  if (notCurrent.length > 0) holding.push(`${notCurrent.join(", ")} healthy but not on ${surgeFor}`);
  return {
    kind: "surge",
    decision: decision("waiting"),
    terminate: [],
    reason:
      `surge waiting: ${fresh} of ${surged} new instances healthy on ${surgeFor}, ` +
      `started ${Number.isNaN(elapsedMin) ? "at an unknown time" : `${Math.floor(elapsedMin)} min ago`} ` +
      `(aborted after ${stall} min if they are not)` +
      (holding.length > 0 ? `; waiting for: ${holding.join("; ")}` : ""),
  };
}

/**
 * Terminates the surge's new instances (newest first, never below the floor) and lowers desired capacity with
 * them. The baseline is restored and the tags cleared only once no more than the baseline would remain: otherwise
 * setting desired capacity would let Auto Scaling pick which instance goes.
 */
function surgeAbort(
  ctx: GroupContext,
  baseline: number,
  surgeFor: string,
  isNew: (i: InstanceSnapshot) => boolean,
  first: boolean,
): SurgeOutcome {
  const { group } = ctx;
  const desired = group.desiredCapacity;
  const candidates = ctx.instances
    .filter((i) => isNew(i) && !/^Terminat/.test(i.lifecycleState))
    .sort((a, b) => launchMs(b) - launchMs(a) || byString(b.id, a.id));
  let healthyLeft = ctx.healthy;
  const terminate: string[] = [];
  const whys: string[] = [];
  for (const i of candidates) {
    if (terminate.length >= desired - baseline) break;
    const why = unhealthyWhy(i, group.targetGroupArns);
    if (why === undefined) {
      if (healthyLeft - 1 < ctx.floor) continue;
      healthyLeft -= 1;
      const d = ctx.decisions.get(i.id)!;
      if (d.stale)
        whys.push(
          `${i.id} ${instanceWhy(d, { desiredVersion: ctx.desired.version, desiredImageId: ctx.desiredImageId })}`,
        );
    } else {
      whys.push(`${i.id} ${why}`);
    }
    terminate.push(i.id);
  }
  const leaving = ctx.instances.filter((i) => /^Terminat/.test(i.lifecycleState)).length;
  const remaining = ctx.instances.length - leaving - terminate.length;
  const done = remaining <= baseline;
  const failedTag = first ? { set: { [SURGE_TAGS.failed]: surgeFor } } : {};
  const tags = done ? { ...failedTag, remove: [...SURGE_STATE_TAGS] } : failedTag;
  const missing = desired - ctx.instances.length;
  return {
    kind: "surge",
    decision: { phase: "abort", baseline, targetVersion: surgeFor },
    terminate,
    reason:
      `surge abort: the new instances for ${surgeFor} are not all healthy ` +
      `${first ? `${ctx.p.surgeStallMinutes ?? LIMITS.surgeStallMinutes.fallback} min after the surge started` : "(abort in progress)"}` +
      (whys.length > 0 ? ` (${whys.join("; ")})` : "") +
      (missing > 0 ? ` and ${count(missing, "instance")} never launched` : "") +
      `: ${terminate.length > 0 ? `terminating ${terminate.join(", ")} and ` : ""}` +
      (done
        ? `restoring desired capacity ${baseline}, clearing the surge tags, resuming ${SURGE_PROCESSES.join(", ")}`
        : `lowering desired capacity; ${remaining - baseline} more to remove in a later sweep`) +
      (first ? `; tagged ${SURGE_TAGS.failed}=${surgeFor}: publish a fix or roll back` : ""),
    ...(Object.keys(tags).length > 0 && { tags }),
    ...(done && { setDesired: baseline, resume: [...SURGE_PROCESSES] }),
  };
}

function targetText(ctx: Pick<GroupContext, "desired" | "desiredImageId">): string {
  return (
    [
      ctx.desired.version === undefined
        ? undefined
        : `version ${ctx.desired.version} (${sourceText(ctx.desired.source)})`,
      ctx.desiredImageId === undefined ? undefined : `image ${ctx.desiredImageId}`,
    ]
      .filter((t) => t !== undefined)
      .join(" on ") || "the same version"
  );
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
      lines.push(`  terminate ${id}: ${terminationWhy(id, d, g)}`);
    }
    lines.push(`  ${g.reason}`);
  }
  return lines;
}

/** Why one instance is terminated: why it is stale, or (a surge's abort or trim) why it goes although current. */
function terminationWhy(id: string, d: InstanceDecision | undefined, g: GroupPlan): string {
  if (d !== undefined && d.reasons.length > 0) return instanceWhy(d, g);
  const unhealthy = g.unstable.find((u) => u.id === id)?.why;
  if (g.surge?.phase === "abort") return `new instance of the aborted surge${unhealthy ? ` (${unhealthy})` : ""}`;
  if (g.surge?.phase === "finish") return `surplus over the baseline of ${g.surge.baseline} (newest current first)`;
  return unhealthy ?? "stale";
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
