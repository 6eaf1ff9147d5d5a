// The surge rules: raise desired capacity so replacements launch before any stale instance goes (start), wait for
// them (waiting), then terminate the stale ones with decrement (finish), or, when the new ones do not become healthy
// in time, terminate those instead (abort). The group's phoenix:surge-* tags carry a surge from sweep to sweep.
// With checkpoints, each checkpoint's share is a surge of its own that bakes, all healthy, before its stale ones go
// (checkpoints.ts); a rollout alarm in ALARM aborts the surge and, past a checkpoint, asks for a rollback.
import { LIMITS, SURGE_PROCESSES, SURGE_TAGS } from "../../contract";
import { parseSurgeEnd, surgeEndTag } from "../capacity-history";
import { InstanceSnapshot, SurgeDecision } from "../types";
import { checkpointFor, checkpointTag, checkpointText, isGated, state as checkpointState } from "./checkpoints";
import { GroupContext, SurgeTags } from "./context";
import { count, staleBreakdown, targetText } from "./explain";
import { isHealthy } from "./health";
import { byString, launchMs } from "./order";
import {
  alarmStop,
  bakeOrHold,
  owedRollback,
  owedRollbackText,
  SURGE_STATE_TAGS,
  surgeAbort,
  SurgeOutcome,
} from "./surge-stop";

export type { SurgeOutcome } from "./surge-stop";

const MINUTE_MS = 60_000;

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
  const ended = parseSurgeEnd(tags[SURGE_TAGS.ended]);
  if (ended !== undefined) t.ended = ended;
  if (tags[SURGE_TAGS.bakeStartedAt] !== undefined) t.bakeStartedAt = tags[SURGE_TAGS.bakeStartedAt];
  if (tags[SURGE_TAGS.alarm] !== undefined) t.alarm = tags[SURGE_TAGS.alarm];
  return t;
}

/** What a surge launches for, as a tag value: `1.0.274`, `1.0.274 ami-0abc`, or the image alone. */
export function surgeTarget(version: string | undefined, imageId: string | undefined): string {
  return [version, imageId].filter((x) => x !== undefined && x !== "").join(" ") || "current";
}

/** The surge rules; undefined hands the group to the original rules (nothing stale, or unstable before a start). */
export function planSurge(ctx: GroupContext): SurgeOutcome | undefined {
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
  const { group, surgeTags: t, p, gate } = ctx;
  const onTargetNow = ctx.instances.filter(
    (i) => !/^Terminat/.test(i.lifecycleState) && !ctx.decisions.get(i.id)!.stale,
  ).length;
  const owed = t.failed === target ? owedRollback(ctx, onTargetNow) : undefined;
  if (owed !== undefined) {
    return {
      kind: "surge",
      decision: { phase: "stopped", baseline: group.desiredCapacity, targetVersion: target },
      terminate: [],
      reason: `rollout stopped: ${t.alarm} stopped the rollout to ${target} (tag ${SURGE_TAGS.failed})${owedRollbackText(owed, target)}`,
      alarmStop: owed,
    };
  }
  if (ctx.stale.length === 0) return tidyCheckpoint(ctx, target);
  if (!ctx.stable) return undefined;
  const baseline = group.desiredCapacity;
  const blocked = (reason: string): SurgeOutcome => ({
    kind: "surge",
    decision: { phase: "blocked", baseline, targetVersion: target },
    terminate: [],
    reason,
  });
  if (t.failed !== undefined && t.failed === target) {
    return blocked(
      (t.alarm !== undefined
        ? `rollout stopped: ${t.alarm} stopped the rollout to ${target} (tag ${SURGE_TAGS.failed}); `
        : `surge blocked: a surge to ${target} was aborted before (tag ${SURGE_TAGS.failed}); `) +
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
  const onTarget = ctx.instances.filter((i) => !ctx.decisions.get(i.id)!.stale).length;
  const cp = gate.stepped ? checkpointFor(gate.checkpoints, baseline, onTarget) : undefined;
  // Between two checkpoints of this rollout: its alarms decide whether the next one starts.
  if (gate.inWindow && gate.alarm.kind === "firing") return alarmStop(ctx, target);
  if (gate.inWindow && gate.alarm.kind === "unknown") {
    return blocked(
      `surge held before ${cp !== undefined ? checkpointText(cp) : "the rollout's next step"}: ${gate.alarm.why}; ` +
        "no checkpoint is passed until every rollout alarm is read",
    );
  }
  const percent = p.maxSurgePercent ?? LIMITS.maxSurgePercent.fallback;
  const underMax = Math.max(0, group.maxSize - baseline);
  const byPercent = Math.ceil((baseline * percent) / 100);
  const want = cp === undefined ? ctx.stale.length : Math.min(ctx.stale.length, cp.share - onTarget);
  const k = Math.min(want, underMax, byPercent);
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
    k < want
      ? ` (capped by ${underMax <= byPercent ? `max size ${group.maxSize}` : `maxSurgePercent ${percent}%`}; ` +
        "the rest in a later surge)"
      : "";
  const step =
    cp !== undefined
      ? ` for ${checkpointText(cp)}, ${cp.share} of ${baseline} on the target`
      : gate.rollingBack && isGated(p)
        ? " of a rollback (no checkpoint, bake or rollout alarm holds a rollout back to an older version)"
        : "";
  const remove = [SURGE_TAGS.failed, SURGE_TAGS.alarm, SURGE_TAGS.bakeStartedAt].filter(
    (key) => group.tags?.[key] !== undefined,
  );
  return {
    kind: "surge",
    decision: { phase: "start", baseline, targetVersion: target },
    terminate: [],
    reason:
      `surge start${step}: raising desired capacity from ${baseline} to ${baseline + k} to launch ` +
      `${count(k, "replacement")} for ${ctx.stale.length} stale before terminating any${capped}. ` +
      `Stale: ${staleBreakdown(ctx.stale, p)}. Target: ${targetText(ctx)}.`,
    setDesired: baseline + k,
    tags: {
      set: {
        [SURGE_TAGS.baseline]: String(baseline),
        [SURGE_TAGS.version]: target,
        [SURGE_TAGS.startedAt]: ctx.snapshot.readAt,
        ...(cp !== undefined && { [SURGE_TAGS.checkpoint]: checkpointTag(cp.index, cp.count, target) }),
      },
      ...(remove.length > 0 && { remove }),
    },
    suspend: [...SURGE_PROCESSES],
    ...(cp !== undefined && { checkpoint: cp }),
  };
}

/** A converged group with no surge whose checkpoint or bake tags linger (a sweep that crashed while tidying up). */
function tidyCheckpoint(ctx: GroupContext, target: string): SurgeOutcome | undefined {
  const lingering = [SURGE_TAGS.checkpoint, SURGE_TAGS.bakeStartedAt].filter((k) => ctx.group.tags?.[k] !== undefined);
  if (lingering.length === 0 || !ctx.stable) return undefined;
  return {
    kind: "surge",
    decision: { phase: "finish", baseline: ctx.group.desiredCapacity, targetVersion: target },
    terminate: [],
    reason: `converged: every instance runs ${target}; clearing the rollout's leftover tags ${lingering.join(", ")}`,
    tags: { remove: lingering },
  };
}

function surgeInProgress(ctx: GroupContext, baseline: number, target: string): SurgeOutcome {
  const { group, surgeTags: t, p, snapshot, gate } = ctx;
  const surgeFor = t.version ?? target;
  const decision = (phase: SurgeDecision["phase"]): SurgeDecision => ({ phase, baseline, targetVersion: surgeFor });
  const aborting = t.failed !== undefined && t.failed === surgeFor;
  const desired = group.desiredCapacity;
  // The end leaves its baseline behind: with no surge in progress, a later sweep can still tell a straggling raise.
  const endTag = { [SURGE_TAGS.ended]: surgeEndTag(baseline, t.startedAt) };
  const staleLeft = (gone: string[]) => ctx.stale.filter((d) => !gone.includes(d.id)).length;
  // A gated rollout also ends its bake, and its checkpoint once nothing stale is left (or it was stopped).
  const gateTags = (final: boolean) =>
    gate.gated
      ? [SURGE_TAGS.bakeStartedAt, ...(final ? [SURGE_TAGS.checkpoint] : [])].filter(
          (k) => group.tags?.[k] !== undefined,
        )
      : [];
  const endOf = (final: boolean) => ({
    tags: { set: endTag, remove: [...SURGE_STATE_TAGS, ...gateTags(final)] },
    resume: [...SURGE_PROCESSES],
  });

  if (desired <= baseline) {
    // The terminations that closed the surge have been made (possibly by a sweep that crashed before tidying up).
    return {
      kind: "surge",
      decision: decision(aborting ? "abort" : "finish"),
      terminate: [],
      reason:
        `surge ${aborting ? "abort" : "finish"}: the group is back at its baseline of ${baseline}; clearing the ` +
        `surge tags and resuming ${SURGE_PROCESSES.join(", ")}`,
      ...endOf(aborting || staleLeft([]) === 0),
    };
  }
  const surged = desired - baseline;
  const startedMs = t.startedAt === undefined ? NaN : Date.parse(t.startedAt);
  const isNew = (i: InstanceSnapshot) => !Number.isNaN(startedMs) && launchMs(i) >= startedMs;
  const isCurrent = (i: InstanceSnapshot) => isHealthy(i, group.targetGroupArns) && !ctx.decisions.get(i.id)!.stale;
  if (aborting) return surgeAbort(ctx, baseline, surgeFor, isNew, { kind: "continuing" });
  const superseded = surgeFor !== target;
  if (!superseded && gate.inWindow && gate.alarm.kind === "firing") {
    return alarmStop(ctx, surgeFor, { baseline, isNew });
  }

  const current = ctx.instances.filter(isCurrent).length;
  // The checkpoint this surge works towards: the tag's, else (no steps) the whole group.
  const cp = gate.gated
    ? gate.tag !== undefined
      ? checkpointState(gate.checkpoints, baseline, gate.tag.index)
      : gate.stepped
        ? checkpointFor(gate.checkpoints, baseline, ctx.instances.filter((i) => isCurrent(i) && !isNew(i)).length)
        : checkpointState(gate.checkpoints, baseline, gate.checkpoints.length)
    : undefined;
  // A new release (or image) arrived mid-surge: the surge's instances will never be current. Once all are healthy,
  // trim back to the baseline (oldest versions first) and let the next sweep surge to the new target.
  if (ctx.stable && (superseded || current >= Math.min(baseline, surged))) {
    if (!superseded && cp !== undefined && current >= cp.share) {
      const held = bakeOrHold(ctx, cp, current, surgeFor);
      if (held !== undefined) return { ...held, decision: decision(held.decision.phase) };
    }
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
    const passing = cp !== undefined && !superseded && current >= cp.share;
    const passed = passing ? `${checkpointText(cp)} passed; ` : "";
    return {
      kind: "surge",
      decision: decision("finish"),
      terminate,
      reason:
        (superseded
          ? `surge finish: the surge to ${surgeFor} is superseded by ${target} and every instance is healthy: `
          : `surge finish: ${passed}${current} of ${desired} run ${surgeFor} and every instance is healthy: `) +
        (n === 0
          ? `terminating none yet (${rest})`
          : `terminating ${terminate.join(", ")} and lowering desired capacity to ${desired - n}`) +
        (done
          ? `; clearing the surge tags and resuming ${SURGE_PROCESSES.join(", ")}`
          : `; ${surged - n} more in a later sweep (${rest})`),
      ...(done && { setDesired: baseline, ...endOf(superseded || staleLeft(terminate) === 0) }),
      ...(cp !== undefined && { checkpoint: passing ? { ...cp, passed: true as const } : cp }),
    };
  }

  const fresh = ctx.instances.filter((i) => isNew(i) && isCurrent(i)).length;
  const newOnes = ctx.instances.filter(isNew);
  const newOk = (i: InstanceSnapshot) => (superseded ? isHealthy(i, group.targetGroupArns) : isCurrent(i));
  const newFailing = newOnes.length < surged || newOnes.some((i) => !newOk(i));
  const elapsedMin = (Date.parse(snapshot.readAt) - startedMs) / MINUTE_MS;
  const stall = p.surgeStallMinutes ?? LIMITS.surgeStallMinutes.fallback;
  if (newFailing && !(elapsedMin <= stall)) return surgeAbort(ctx, baseline, surgeFor, isNew, { kind: "stall" });

  const holding = [...ctx.unstable.map((u) => `${u.id} ${u.why}`), ...ctx.groupWhys];
  const notCurrent = newOnes.filter((i) => isHealthy(i, group.targetGroupArns) && !isCurrent(i)).map((i) => i.id);
  if (notCurrent.length > 0) holding.push(`${notCurrent.join(", ")} healthy but not on ${surgeFor}`);
  // A bake counts only while every instance is healthy: one that is not restarts it once all are again.
  const restart = gate.gated && t.bakeStartedAt !== undefined;
  return {
    kind: "surge",
    decision: decision("waiting"),
    terminate: [],
    reason:
      `surge waiting: ${fresh} of ${surged} new instances healthy on ${surgeFor}, ` +
      `started ${Number.isNaN(elapsedMin) ? "at an unknown time" : `${Math.floor(elapsedMin)} min ago`} ` +
      `(aborted after ${stall} min if they are not)` +
      (holding.length > 0 ? `; waiting for: ${holding.join("; ")}` : "") +
      (restart ? "; the bake starts again once every instance is healthy" : ""),
    ...(restart && { tags: { remove: [SURGE_TAGS.bakeStartedAt] } }),
    ...(cp !== undefined && { checkpoint: cp }),
  };
}
