// The surge rules: raise desired capacity so replacements launch before any stale instance goes (start), wait for
// them (waiting), then terminate the stale ones with decrement (finish), or, when the new ones do not become healthy
// in time, terminate those instead (abort). The group's phoenix:surge-* tags carry a surge from sweep to sweep.
import { LIMITS, SURGE_PROCESSES, SURGE_TAGS } from "../../contract";
import { parseSurgeEnd, surgeEndTag } from "../capacity-history";
import { InstanceSnapshot, SurgeDecision } from "../types";
import { GroupContext, SurgeTags } from "./context";
import { count, instanceWhy, staleBreakdown, targetText } from "./explain";
import { isHealthy, unhealthyWhy } from "./health";
import { byString, launchMs } from "./order";

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
  return t;
}

/** What a surge launches for, as a tag value: `1.0.274`, `1.0.274 ami-0abc`, or the image alone. */
export function surgeTarget(version: string | undefined, imageId: string | undefined): string {
  return [version, imageId].filter((x) => x !== undefined && x !== "").join(" ") || "current";
}

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
    }
  | { kind: "fallback"; decision: SurgeDecision; why: string };

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
  // The end leaves its baseline behind: with no surge in progress, a later sweep can still tell a straggling raise.
  const endTag = { [SURGE_TAGS.ended]: surgeEndTag(baseline, t.startedAt) };
  const end = { tags: { set: endTag, remove: [...SURGE_STATE_TAGS] }, resume: [...SURGE_PROCESSES] };

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
  const set: Record<string, string> = {};
  if (first) set[SURGE_TAGS.failed] = surgeFor;
  if (done) set[SURGE_TAGS.ended] = surgeEndTag(baseline, ctx.surgeTags.startedAt);
  const tags = {
    ...(Object.keys(set).length > 0 && { set }),
    ...(done && { remove: [...SURGE_STATE_TAGS] }),
  };
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
