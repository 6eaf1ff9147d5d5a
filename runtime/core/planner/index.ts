// The planner: a pure function from what a sweep saw (snapshot) and what the operator allows (policy) to what the
// sweep does (plan). No I/O, no clock: "now" is snapshot.readAt, so any logged sweep replays to the same decisions.
// This module works out each group's context and picks the rules; policy, health, replace, surge and explain hold
// them, and their public parts are exported from here.
import { baseImageParameterName, MANIFEST_KEY } from "../../contract";
import { ContractError } from "../errors";
import { compareVersions, normalizeVersion } from "../version";
import { FleetSnapshot, GroupPlan, GroupPolicy, GroupSnapshot, InstanceDecision, Plan, Policy } from "../types";
import { GroupContext } from "./context";
import { count, logLine } from "./explain";
import { DesiredVersion, desiredVersionFor, staleReasons, unhealthyWhy, versionOf } from "./health";
import { byString, compareStaleness } from "./order";
import { effectivePolicy, floorFor, strategyFor, validatePolicy } from "./policy";
import { rolloutGate } from "./checkpoints";
import { planReplace } from "./replace";
import { planSurge, readSurgeTags, surgeTarget } from "./surge";
import { planWedge, wedgeReason } from "./wedge";

export { effectivePolicy, floorFor, strategyFor, validatePolicy } from "./policy";
export { DesiredVersion, desiredVersionFor, instanceAgeHours, isHealthy, unhealthyWhy } from "./health";
export { instanceWhy } from "./explain";
export { readSurgeTags, surgeTarget } from "./surge";
export { decideRepair, planWedge } from "./wedge";
export { checkpointsProblem } from "./policy";
export { alarmVerdict, mayNeedAlarms, readCheckpointTag, shareOf } from "./checkpoints";

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
  const { desiredVersion, desiredImageId, verification } = snapshot;
  if (desiredVersion !== undefined && normalizeVersion(desiredVersion) === undefined) {
    throw new ContractError(
      `the desired version ${JSON.stringify(desiredVersion)} is not a semantic version (e.g. 1.0.274); ` +
        `republish ${MANIFEST_KEY} with a valid version`,
    );
  }
  // A verified snapshot has had its image judged already: a bad one leaves its groups alone instead of failing all.
  if (
    verification === undefined &&
    desiredImageId !== undefined &&
    (desiredImageId.length === 0 || /\s/.test(desiredImageId))
  ) {
    throw new ContractError(
      `the desired image ${JSON.stringify(desiredImageId)} is not an image id (ami-...); ` +
        `fix the base-image parameter ${baseImageParameterName(snapshot.environment)}`,
    );
  }
}

function planGroup(group: GroupSnapshot, snapshot: FleetSnapshot, p: GroupPolicy): GroupPlan {
  const instances = [...group.instances].sort((a, b) => byString(a.id, b.id));
  const desired = desiredVersionFor({ instances }, snapshot, p);
  const problems = unverifiedWhy(group, snapshot, desired);
  // An image that is not verified is no yardstick: against "garbage" every instance would count as drifted.
  const desiredImageId = snapshot.verification?.image === undefined ? snapshot.desiredImageId : undefined;
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
    const reasons = staleReasons(instance, desired.version, desiredImageId, snapshot.readAt, p, desired.source);
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
    gate: rolloutGate(
      p,
      group.tags ?? {},
      snapshot,
      surgeTarget(desired.version, desiredImageId),
      rollingBack(stale, desired.version),
    ),
  };

  const strategy = strategyFor(group, p);
  // A wedged group is reported first: its scaling is off or its capacity raised whatever the desired state says.
  const wedge = planWedge(ctx, strategy);
  if (wedge !== undefined) {
    // Nothing is terminated or changed in a wedged group: its capacity and scaling are not what any plan assumes.
    const base = groupPlanOf(ctx, [], wedgeReason(snapshot.environment, group.name, group.desiredCapacity, wedge));
    return {
      ...base,
      log: `${base.log}, wedged`,
      strategy,
      surge: { phase: "wedged", baseline: wedge.baseline, targetVersion: surgeTarget(desired.version, desiredImageId) },
      repair: wedge.repair,
    };
  }
  if (problems.length > 0) return leftAlone(ctx, problems, strategy);
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
      ...(surge.checkpoint !== undefined && { checkpoint: surge.checkpoint }),
      ...(surge.alarmStop !== undefined && { alarmStop: surge.alarmStop }),
    };
  }

  const replaced = planReplace(ctx);
  // A gated replace rollout keeps its checkpoint in the group's tags, and may be stopped by an alarm.
  const gated = {
    ...(replaced.tags !== undefined && { tags: replaced.tags }),
    ...(replaced.checkpoint !== undefined && { checkpoint: replaced.checkpoint }),
    ...(replaced.alarmStop !== undefined && { alarmStop: replaced.alarmStop }),
  };
  if (surge === undefined) return { ...groupPlanOf(ctx, replaced.terminate, replaced.reason), ...gated };
  // Surge found no room: the original rules, saying why.
  return {
    ...groupPlanOf(ctx, replaced.terminate, `${surge.why}; replacing in place instead: ${replaced.reason}`),
    strategy,
    surge: surge.decision,
    ...gated,
  };
}

/** True when some instance stale for its version runs a higher one than the target: the rollout goes back. */
function rollingBack(stale: InstanceDecision[], target: string | undefined): boolean {
  const want = target === undefined ? undefined : normalizeVersion(target);
  return (
    want !== undefined &&
    stale.some((d) => d.reasons.includes("version") && d.version !== undefined && compareVersions(d.version, want) > 0)
  );
}

/** What keeps a group's desired state from being verified: the store's, the image's, its tier's, its version's. */
function unverifiedWhy(group: GroupSnapshot, snapshot: FleetSnapshot, desired: DesiredVersion): string[] {
  const v = snapshot.verification;
  return [v?.store, v?.release, v?.image, v?.tiers?.[group.tier], desired.untrusted].filter(
    (w): w is string => w !== undefined,
  );
}

/** An unverified group: nothing terminated, no capacity, tag or process change, and a reason naming each problem. */
function leftAlone(ctx: GroupContext, problems: string[], strategy: GroupPlan["strategy"]): GroupPlan {
  const surge =
    ctx.surgeTags.baseline !== undefined
      ? `; the surge in progress (baseline ${ctx.surgeTags.baseline}) waits too`
      : "";
  const base = groupPlanOf(
    ctx,
    [],
    `left alone, desired state not verified: ${problems.join("; ")}. Nothing is terminated and desired capacity ` +
      `is not changed here until it is${surge}`,
  );
  return {
    ...base,
    log: logLine(ctx.group, ctx.instances, ctx.stable, 0, true),
    strategy,
    unverified: problems.join("; "),
  };
}

function groupPlanOf(ctx: GroupContext, terminate: string[], reason: string): GroupPlan {
  return {
    name: ctx.group.name,
    tier: ctx.group.tier,
    desiredVersion: ctx.desired.version,
    versionSource: ctx.desired.source,
    // What the parameter holds, verified or not: the operator sees the value a group was left alone for.
    desiredImageId: ctx.snapshot.desiredImageId,
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
