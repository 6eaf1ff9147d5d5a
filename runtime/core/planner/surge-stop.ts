// How a surge stops short of its plain finish: a checkpoint's share that bakes (or is held while an alarm cannot be
// read), an abort when its new instances do not become healthy in time, and a stop when a rollout alarm is in ALARM,
// which past a checkpoint asks for a rollback. surge.ts decides when; this file says what each one does. A replace
// rollout's checkpoints bake by the same rules (replace.ts).
import { LIMITS, SURGE_PROCESSES, SURGE_TAGS } from "../../contract";
import { surgeEndTag } from "../capacity-history";
import { isRolledBack } from "../rollback";
import { AlarmState, AlarmStop, CheckpointState, InstanceSnapshot, SurgeDecision } from "../types";
import {
  AlarmVerdict,
  alarmTag,
  alarmText,
  bakeOf,
  bakingText,
  checkpointFor,
  checkpointText,
  readAlarmTag,
  state as checkpointState,
} from "./checkpoints";
import { GroupContext } from "./context";
import { count, instanceWhy } from "./explain";
import { unhealthyWhy } from "./health";
import { byString, launchMs } from "./order";

/** What the surge rules decided for a group, or why they hand it to the original rules. */
export type SurgeOutcome =
  | {
      kind: "surge";
      decision: SurgeDecision;
      terminate: string[];
      reason: string;
      setDesired?: number;
      tags?: { set?: Record<string, string>; remove?: string[] };
      suspend?: string[];
      resume?: string[];
      checkpoint?: CheckpointState;
      alarmStop?: AlarmStop;
    }
  | { kind: "fallback"; decision: SurgeDecision; why: string };

/** The tags that say a surge is in progress; its end removes them. */
export const SURGE_STATE_TAGS = [SURGE_TAGS.baseline, SURGE_TAGS.version, SURGE_TAGS.startedAt];

/**
 * A checkpoint's share is all healthy: start its bake, keep baking, or hold while an alarm cannot be read. Undefined
 * when the checkpoint may be passed (baked, and every alarm read and quiet).
 */
export function bakeOrHold(
  ctx: GroupContext,
  cp: CheckpointState,
  onTarget: number,
  surgeFor: string,
): Extract<SurgeOutcome, { kind: "surge" }> | undefined {
  const { gate, group, snapshot, surgeTags: t } = ctx;
  const baking = (reason: string, extra: Partial<Extract<SurgeOutcome, { kind: "surge" }>> = {}) => ({
    kind: "surge" as const,
    decision: { phase: "baking" as const, baseline: 0 },
    terminate: [],
    reason,
    ...extra,
  });
  const of = group.desiredCapacity;
  if (gate.bakeMinutes > 0 && t.bakeStartedAt === undefined) {
    const bake = bakeOf(gate, snapshot.readAt, snapshot.readAt);
    return baking(
      `${checkpointText(cp)} reached: ${onTarget} of ${of} healthy on ${surgeFor}; baking for ${gate.bakeMinutes} min ` +
        `(until ${bake.endsAt}) before going past it`,
      {
        tags: { set: { [SURGE_TAGS.bakeStartedAt]: snapshot.readAt } },
        checkpoint: { ...cp, bakeEndsAt: bake.endsAt },
      },
    );
  }
  const bake = bakeOf(gate, t.bakeStartedAt, snapshot.readAt);
  const withEnd = { ...cp, ...(bake.endsAt !== undefined && { bakeEndsAt: bake.endsAt }) };
  if (!bake.done) {
    return baking(bakingText(cp, onTarget, of, surgeFor, { bakeMinutes: gate.bakeMinutes, ...bake }), {
      checkpoint: withEnd,
    });
  }
  if (gate.inWindow && gate.alarm.kind === "unknown") {
    return {
      ...baking(
        `${checkpointText(cp)} baked, but held: ${gate.alarm.why}; no checkpoint is passed until every rollout ` +
          "alarm is read",
        { checkpoint: withEnd },
      ),
      decision: { phase: "blocked", baseline: 0 },
    };
  }
  return undefined;
}

/**
 * A rollout alarm is in ALARM: stop the rollout. A surge in progress is aborted (its new instances terminated, the
 * baseline restored, no boot); instances on the target outside it mean old ones are already gone, and only writing
 * the previous release back as current undoes them: the plan asks for that when the policy's autoRollback is on.
 */
export function alarmStop(
  ctx: GroupContext,
  target: string,
  surge?: { baseline: number; isNew: (i: InstanceSnapshot) => boolean },
): Extract<SurgeOutcome, { kind: "surge" }> {
  const { gate, group } = ctx;
  const staying = ctx.instances.filter(
    (i) => !/^Terminat/.test(i.lifecycleState) && !ctx.decisions.get(i.id)!.stale && !(surge?.isNew(i) ?? false),
  ).length;
  const baseline = surge?.baseline ?? group.desiredCapacity;
  const cp =
    gate.tag !== undefined
      ? checkpointState(gate.checkpoints, baseline, gate.tag.index)
      : checkpointFor(gate.checkpoints, baseline, staying);
  const { alarm, where, alarmStop, gone } = firingStop(ctx, cp, staying);
  const after =
    staying === 0
      ? `nothing outside this surge runs ${target}`
      : alarmStop.rollback
        ? `${count(staying, "instance")} outside it already run ${target} (old ones gone): writing the previous ` +
          "release back as current (autoRollback)"
        : stayingText(ctx, staying, target);
  const tag = alarmTag(alarm.name, where);
  if (surge !== undefined) {
    const abort = surgeAbort(ctx, surge.baseline, target, surge.isNew, {
      kind: "alarm",
      head: `${alarmText(alarm)} at checkpoint ${where}`,
      tail: after,
    });
    const set = { ...abort.tags?.set, [SURGE_TAGS.alarm]: tag };
    const remove = [...(abort.tags?.remove ?? []), ...gone.filter((k) => !(abort.tags?.remove ?? []).includes(k))];
    return { ...abort, tags: { set, ...(remove.length > 0 && { remove }) }, checkpoint: cp, alarmStop };
  }
  return {
    kind: "surge",
    decision: { phase: "stopped", baseline, targetVersion: target },
    terminate: [],
    reason: `rollout stopped: ${alarmText(alarm)} at checkpoint ${where}, no surge in progress; ${after}; tagged ${SURGE_TAGS.failed}=${target}`,
    tags: { set: { [SURGE_TAGS.failed]: target, [SURGE_TAGS.alarm]: tag }, ...(gone.length > 0 && { remove: gone }) },
    checkpoint: cp,
    alarmStop,
  };
}

/**
 * What stopping a rollout at a firing alarm decides, for the surge and the replace rules alike: the alarm, the
 * checkpoint it fired at, the stop the plan reports (with whether the previous release is written back), and the
 * rollout's checkpoint and bake tags that the stop removes.
 */
export function firingStop(
  ctx: GroupContext,
  cp: CheckpointState,
  staying: number,
): { alarm: AlarmState; where: string; alarmStop: AlarmStop; gone: string[] } {
  const alarm = (ctx.gate.alarm as Extract<AlarmVerdict, { kind: "firing" }>).alarm;
  const where = `${cp.index} of ${cp.count}`;
  const version = ctx.desired.version;
  return {
    alarm,
    where,
    alarmStop: {
      alarm: alarm.name,
      checkpoint: where,
      ...(version !== undefined && { version }),
      remaining: staying,
      rollback: rollsBack(ctx, staying) && version !== undefined,
    },
    gone: [SURGE_TAGS.checkpoint, SURGE_TAGS.bakeStartedAt].filter((k) => ctx.group.tags?.[k] !== undefined),
  };
}

/** Whether a stopped rollout writes the previous release back: instances already run it, autoRollback, a manifest. */
function rollsBack(ctx: GroupContext, staying: number): boolean {
  return staying > 0 && ctx.p.autoRollback === true && ctx.desired.source === "manifest";
}

/** A stop's words for the instances on the target that stay (no automatic rollback), and what to do about them. */
export function stayingText(ctx: GroupContext, staying: number, target: string): string {
  return (
    `${count(staying, "instance")} already run ${target} and stay: roll back (\`phoenix rollback\`) or publish a ` +
    `fix (${ctx.p.autoRollback === true ? "no manifest version to roll back from" : "autoRollback is off"})`
  );
}

/**
 * The automatic rollback a stopped rollout still owes: an alarm stopped it (tag `phoenix:surge-alarm`), the policy
 * rolls back, the manifest still names the version and `staying` instances run it. Its write failed, or the sweep ran
 * out of time before it; every sweep asks again until it is written, or a newer release or a rollback by hand changes
 * the manifest's version (and with it the target, so this no longer applies).
 */
export function owedRollback(ctx: GroupContext, staying: number): AlarmStop | undefined {
  const { surgeTags: t } = ctx;
  const version = ctx.desired.version;
  const owed = t.alarm !== undefined && rollsBack(ctx, staying);
  // A rollback record that marks the version means it was written: the manifest naming it again is not ours to undo.
  if (!owed || version === undefined || isRolledBack(ctx.snapshot.rollback, version)) return undefined;
  return { ...readAlarmTag(t.alarm!), version, remaining: staying, rollback: true };
}

/** The reason of a stopped rollout that still owes its rollback, after the stop's own words. */
export function owedRollbackText(stop: AlarmStop, target: string): string {
  return (
    `; ${count(stop.remaining, "instance")} still run ${target} and no rollback is recorded: writing the previous ` +
    "release back as current (autoRollback)"
  );
}

/**
 * Terminates the surge's new instances (newest first, never below the floor) and lowers desired capacity with
 * them. The baseline is restored and the tags cleared only once no more than the baseline would remain: otherwise
 * setting desired capacity would let Auto Scaling pick which instance goes.
 */
export function surgeAbort(
  ctx: GroupContext,
  baseline: number,
  surgeFor: string,
  isNew: (i: InstanceSnapshot) => boolean,
  cause: { kind: "stall" } | { kind: "continuing" } | { kind: "alarm"; head: string; tail: string },
): Extract<SurgeOutcome, { kind: "surge" }> {
  const { group } = ctx;
  const first = cause.kind !== "continuing";
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
  const set: Record<string, string> = {};
  if (first) set[SURGE_TAGS.failed] = surgeFor;
  // The end leaves its baseline behind: with no surge in progress, a later sweep can still tell a straggling raise.
  if (done) set[SURGE_TAGS.ended] = surgeEndTag(baseline, ctx.surgeTags.startedAt);
  // A gated rollout that is aborted is over: its checkpoint and bake go with the first abort.
  const gateTags = ctx.gate.gated
    ? [SURGE_TAGS.checkpoint, SURGE_TAGS.bakeStartedAt].filter((k) => group.tags?.[k] !== undefined)
    : [];
  const removing = [...(done ? SURGE_STATE_TAGS : []), ...(first ? gateTags : [])];
  const tags = {
    ...(Object.keys(set).length > 0 && { set }),
    ...(removing.length > 0 && { remove: removing }),
  };
  const missing = desired - ctx.instances.length;
  const head =
    cause.kind === "alarm"
      ? `surge abort: ${cause.head}`
      : cause.kind === "continuing" && ctx.surgeTags.alarm !== undefined
        ? `surge abort: ${ctx.surgeTags.alarm} (abort in progress)`
        : `surge abort: the new instances for ${surgeFor} are not all healthy ` +
          `${first ? `${ctx.p.surgeStallMinutes ?? LIMITS.surgeStallMinutes.fallback} min after the surge started` : "(abort in progress)"}` +
          (whys.length > 0 ? ` (${whys.join("; ")})` : "") +
          (missing > 0 ? ` and ${count(missing, "instance")} never launched` : "");
  return {
    kind: "surge",
    decision: { phase: "abort", baseline, targetVersion: surgeFor },
    terminate,
    reason:
      head +
      `: ${terminate.length > 0 ? `terminating ${terminate.join(", ")} and ` : ""}` +
      (done
        ? `restoring desired capacity ${baseline}, clearing the surge tags, resuming ${SURGE_PROCESSES.join(", ")}`
        : `lowering desired capacity; ${remaining - baseline} more to remove in a later sweep`) +
      (cause.kind === "alarm"
        ? `; tagged ${SURGE_TAGS.failed}=${surgeFor}; ${cause.tail}`
        : first
          ? `; tagged ${SURGE_TAGS.failed}=${surgeFor}: publish a fix or roll back`
          : ""),
    ...(Object.keys(tags).length > 0 && { tags }),
    ...(done && { setDesired: baseline, resume: [...SURGE_PROCESSES] }),
  };
}
