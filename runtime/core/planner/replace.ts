// The replace strategy, phoenix's original rules. They also decide for a surge group that has no room to surge,
// and for a replace group with no surge of its own in progress. With checkpoints, a bake or rollout alarms, the same
// rules stop at each checkpoint, counted in replaced instances: a checkpoint's share is terminated (and relaunched by
// Auto Scaling), baked all healthy, and only then does the next share go; an alarm in ALARM stops the rollout.
import { SURGE_TAGS } from "../../contract";
import { AlarmStop, CheckpointState } from "../types";
import {
  alarmTag,
  alarmText,
  bakeOf,
  checkpointFor,
  checkpointTag,
  checkpointText,
  state as checkpointState,
} from "./checkpoints";
import { GroupContext } from "./context";
import { count, explain, targetText } from "./explain";
import { surgeTarget } from "./surge";
import { bakeOrHold, firingStop, owedRollback, owedRollbackText, stayingText } from "./surge-stop";

/** What the replace rules decided: terminations and why, and for a gated rollout its tags and checkpoint. */
export interface ReplaceOutcome {
  terminate: string[];
  reason: string;
  tags?: { set?: Record<string, string>; remove?: string[] };
  checkpoint?: CheckpointState;
  alarmStop?: AlarmStop;
}

/** The original rules: terminate stale instances, most stale first, while the group is stable and above its floor. */
export function planReplace(ctx: GroupContext): ReplaceOutcome {
  return ctx.gate.gated && ctx.surgeTags.baseline === undefined ? gatedReplace(ctx) : plainReplace(ctx);
}

function plainReplace(ctx: GroupContext, at = Number.POSITIVE_INFINITY): { terminate: string[]; reason: string } {
  const { candidates, stable, healthy, floor, p } = ctx;
  const room = Math.max(0, healthy - floor);
  const limit = Math.min(at, p.maxPerSweep ?? Number.POSITIVE_INFINITY);
  const n = stable ? Math.max(0, Math.min(candidates.length, room, limit)) : 0;
  const terminate = candidates.slice(0, n).map((i) => i.id);
  for (const id of terminate) ctx.decisions.get(id)!.terminate = true;
  const why = { ...ctx, terminate, room };
  return { terminate, reason: explain(why) };
}

/**
 * Replace with checkpoints. The checkpoint worked on lives in the group's checkpoint tag from the first termination
 * until the rollout has converged and baked; its bake's start in the bake tag. Each sweep terminates at most what
 * the checkpoint's share still lacks; once the share runs, all healthy, it bakes; baked (and every alarm quiet), the
 * next share goes in the same sweep.
 */
function gatedReplace(ctx: GroupContext): ReplaceOutcome {
  const { gate, group, surgeTags: t, snapshot } = ctx;
  const target = surgeTarget(ctx.desired.version, ctx.desiredImageId);
  const baseline = group.desiredCapacity;
  const onTarget = ctx.instances.filter((i) => !/^Terminat/.test(i.lifecycleState) && !ctx.decisions.get(i.id)!.stale);
  const have = onTarget.length;
  const tagged = gate.tag !== undefined;
  if (t.failed !== undefined && t.failed === target && t.alarm !== undefined) {
    const owed = owedRollback(ctx, have);
    const stopped = `rollout stopped: ${t.alarm} stopped the rollout to ${target} (tag ${SURGE_TAGS.failed})`;
    if (owed !== undefined) return { terminate: [], reason: stopped + owedRollbackText(owed, target), alarmStop: owed };
    return {
      terminate: [],
      reason:
        `${stopped}; ${ctx.stale.length} stale left serving: publish a fixed version or roll back (or delete the tag ` +
        "to retry)",
    };
  }
  if (gate.inWindow && gate.alarm.kind === "firing") return stop(ctx, target, have);
  if (ctx.stale.length === 0 && !tagged) {
    // Converged, with nothing of this rollout to bake (or no rollout at all).
    const lingering = [SURGE_TAGS.checkpoint, SURGE_TAGS.bakeStartedAt].filter((k) => group.tags?.[k] !== undefined);
    const plain = plainReplace(ctx);
    return lingering.length > 0 && ctx.stable
      ? {
          ...plain,
          reason: `${plain.reason}; clearing the leftover tags ${lingering.join(", ")}`,
          tags: { remove: lingering },
        }
      : plain;
  }
  let cp = tagged
    ? checkpointState(gate.checkpoints, baseline, gate.tag!.index)
    : checkpointFor(gate.checkpoints, baseline, have);
  let advanced = false;
  let passedNow: CheckpointState | undefined;
  const set: Record<string, string> = {};
  const remove: string[] = [];
  if (have >= cp.share || ctx.stale.length === 0) {
    // The checkpoint's share is launched: it must run, all healthy, through its bake before the next share goes.
    if (!ctx.stable) {
      // A bake counts only while every instance is healthy: it starts again once all are.
      const restart = t.bakeStartedAt !== undefined ? { tags: { remove: [SURGE_TAGS.bakeStartedAt] } } : {};
      return { ...plainReplace(ctx, 0), ...restart, checkpoint: cp };
    }
    // The same bake rules as a surge's checkpoint: start it, keep baking, or hold while an alarm cannot be read.
    const held = bakeOrHold(ctx, cp, ctx.healthy - ctx.stale.length, target);
    if (held !== undefined) {
      return { terminate: [], reason: held.reason, ...(held.tags && { tags: held.tags }), checkpoint: held.checkpoint };
    }
    const bake = bakeOf(gate, t.bakeStartedAt, snapshot.readAt);
    const withEnd = { ...cp, ...(bake.endsAt !== undefined && { bakeEndsAt: bake.endsAt }) };
    if (t.bakeStartedAt !== undefined) remove.push(SURGE_TAGS.bakeStartedAt);
    if (ctx.stale.length === 0 || cp.index === cp.count) {
      // The last checkpoint baked: the rollout has converged and baked, its window closes.
      const plain = plainReplace(ctx);
      if (group.tags?.[SURGE_TAGS.checkpoint] !== undefined) remove.push(SURGE_TAGS.checkpoint);
      return {
        ...plain,
        reason: `${checkpointText(cp)} baked: the rollout to ${target} is done; ${plain.reason}`,
        ...(remove.length > 0 && { tags: { remove } }),
        checkpoint: { ...withEnd, passed: true },
      };
    }
    passedNow = { ...withEnd, passed: true };
    cp = checkpointState(gate.checkpoints, baseline, cp.index + 1);
    advanced = true;
  }
  const replaced = plainReplace(ctx, cp.share - have);
  // The tag is written with the rollout's first termination (from then on its alarms count) and at each checkpoint
  // passed, whether or not this sweep can terminate: the bake of the one passed must not start again.
  if ((advanced || replaced.terminate.length > 0) && gate.tag?.index !== cp.index) {
    set[SURGE_TAGS.checkpoint] = checkpointTag(cp.index, cp.count, target);
  }
  const tags = {
    ...(Object.keys(set).length > 0 && { set }),
    ...(remove.length > 0 && { remove }),
  };
  return {
    terminate: replaced.terminate,
    reason:
      (passedNow !== undefined ? `${checkpointText(passedNow)} passed; ` : "") +
      `${checkpointText(cp)}: ${cp.share} of ${baseline} to run ${target}; ${replaced.reason}`,
    ...(Object.keys(tags).length > 0 && { tags }),
    checkpoint: passedNow ?? cp,
  };
}

/** An alarm in ALARM: the replace rollout stops; every instance on the target replaced an old one already. */
function stop(ctx: GroupContext, target: string, staying: number): ReplaceOutcome {
  const cp = checkpointState(ctx.gate.checkpoints, ctx.group.desiredCapacity, ctx.gate.tag?.index ?? 1);
  const { alarm, where, alarmStop, gone } = firingStop(ctx, cp, staying);
  const after =
    staying === 0
      ? `nothing runs ${target} yet`
      : alarmStop.rollback
        ? `${count(staying, "instance")} already run ${target}: writing the previous release back as current (autoRollback)`
        : stayingText(ctx, staying, target);
  return {
    terminate: [],
    reason:
      `rollout stopped: ${alarmText(alarm)} at checkpoint ${where}; terminating nothing more; ${after}; tagged ` +
      `${SURGE_TAGS.failed}=${target}. Target: ${targetText(ctx)}.`,
    tags: {
      set: { [SURGE_TAGS.failed]: target, [SURGE_TAGS.alarm]: alarmTag(alarm.name, where) },
      ...(gone.length > 0 && { remove: gone }),
    },
    checkpoint: cp,
    alarmStop,
  };
}
