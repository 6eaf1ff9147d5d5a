// Wedged groups: a surge's leftovers with no surge in progress. Two sweeps interleaving (or one straggling past its
// lease) can leave a group with phoenix's scaling processes suspended and no phoenix:surge-* tags, or with desired
// capacity raised above the baseline its last surge ended at. Read as "someone else did it", such a group would be
// left alone for good with its scaling alarms off; instead it is reported as wedged, with what `phoenix sweep
// --repair` would do to put it back, or why it cannot be sure of it.
import { LEASE_CLOCK_SKEW_SECONDS, LEASE_TTL_SECONDS, SURGE_PROCESSES, SURGE_TAGS } from "../../contract";
import type { SurgeEnd } from "../capacity-history";
import type { CapacityChange, RepairDecision, Strategy } from "../types";
import { GroupContext } from "./context";

/** Why the group is wedged and what repair would do; undefined when it is not wedged. */
export interface Wedge {
  whys: string[];
  /** True when the wedge is a raise of desired capacity alone (a person may have made it on purpose). */
  raisedOnly: boolean;
  /** The capacity it should be at, as far as known (the baseline its last surge ended at, or the repair's). */
  baseline: number;
  repair: RepairDecision;
}

/**
 * A group with no surge in progress is wedged when (1) phoenix's surge processes are suspended on it and it is a
 * group phoenix surges (strategy surge, or a surge tag left on it), or (2) its desired capacity was raised, after its
 * last surge ended, by an explicit request from exactly that surge's baseline while that surge's sweeps could still
 * hold the lease: a straggling start, not an operator or scaling.
 */
export function planWedge(ctx: GroupContext, strategy: Strategy): Wedge | undefined {
  const { group, surgeTags: t } = ctx;
  if (t.baseline !== undefined || t.invalidBaseline !== undefined) return undefined;
  const suspended = (group.suspendedProcesses ?? []).filter((p) => SURGE_PROCESSES.includes(p));
  const managed = strategy === "surge" || t.ended !== undefined || t.failed !== undefined;
  const whys: string[] = [];
  if (suspended.length > 0 && managed) {
    whys.push(
      `scaling processes ${suspended.join(", ")} are suspended but no surge is in progress (no ${SURGE_TAGS.baseline} ` +
        "tag), so scaling alarms and scheduled actions are off",
    );
  }
  const raise =
    t.ended !== undefined ? straggledRaise(group.desiredCapacity, t.ended, group.capacityHistory) : undefined;
  if (raise !== undefined && t.ended !== undefined) {
    whys.push(
      `desired capacity ${group.desiredCapacity} is above the baseline ${t.ended.baseline} its last surge ended at: ` +
        `raised from ${raise.from} by an explicit request at ${raise.at}, after that surge began and while its ` +
        "sweeps could still act",
    );
  }
  if (whys.length === 0) return undefined;
  const repair = decideRepair(ctx, suspended);
  const baseline =
    repair.ok && repair.setDesired !== undefined ? repair.setDesired : (t.ended?.baseline ?? group.desiredCapacity);
  return { whys, raisedOnly: raise !== undefined && whys.length === 1, baseline, repair };
}

/** The newest change when it is a straggler's raise from the ended surge's baseline; undefined otherwise. */
function straggledRaise(
  desired: number,
  end: SurgeEnd,
  history: CapacityChange[] | undefined,
): CapacityChange | undefined {
  const last = history?.[0];
  if (last === undefined || desired <= end.baseline) return undefined;
  if (last.by !== "request" || last.to !== desired || last.from !== end.baseline) return undefined;
  const at = Date.parse(last.at);
  const started = Date.parse(end.startedAt);
  const window = (LEASE_TTL_SECONDS + LEASE_CLOCK_SKEW_SECONDS) * 1000;
  return at >= started && at <= started + window ? last : undefined;
}

/**
 * What `--repair` does for a wedged group: lower desired capacity to the baseline when it was raised (while the
 * processes are still suspended, so no alarm fights it), then resume the processes. The baseline comes from the
 * `phoenix:surge-ended` tag confirmed by the group's history, or from the history alone (the explicit raise that set
 * today's capacity). It refuses when the group is still moving, when the tag and the history disagree, or when they
 * cannot tell what the capacity was: then a person decides.
 */
export function decideRepair(ctx: GroupContext, suspended: string[]): RepairDecision {
  const { group, surgeTags: t } = ctx;
  const name = group.name;
  const handSet =
    `set it by hand (aws autoscaling set-desired-capacity --auto-scaling-group-name ${name} --desired-capacity ` +
    "<n>), then resume the processes (aws autoscaling resume-processes --auto-scaling-group-name " +
    `${name} --scaling-processes ${SURGE_PROCESSES.join(" ")})`;
  if (group.activityInProgress === true || !ctx.stable) {
    const holding = [...ctx.unstable.map((u) => `${u.id} ${u.why}`), ...ctx.groupWhys].join("; ");
    return { ok: false, why: `the group is still changing (${holding}); repair it once it is stable` };
  }
  const desired = group.desiredCapacity;
  const history = group.capacityHistory;
  if (history === undefined) {
    return { ok: false, why: `the group's scaling history was not read, so its baseline is unknown; ${handSet}` };
  }
  const last = history[0];
  const raised = last !== undefined && last.to === desired && last.from < desired;
  const end = t.ended;
  const resumeOnly = (baselineFrom: string): RepairDecision => ({ ok: true, resume: suspended, baselineFrom });
  if (end !== undefined && desired <= end.baseline) {
    return resumeOnly(
      `desired capacity ${desired} is not above the baseline ${end.baseline} (tag ${SURGE_TAGS.ended})`,
    );
  }
  if (!raised) {
    if (end !== undefined) {
      return {
        ok: false,
        why:
          `desired capacity ${desired} is above the baseline ${end.baseline} its last surge ended at, but the group's ` +
          `history does not say how it got there; ${handSet}`,
      };
    }
    return resumeOnly(`the group's history shows no raise to today's desired capacity ${desired}`);
  }
  if (last.by !== "request") {
    return resumeOnly(`desired capacity ${desired} was set by a scaling ${last.by} at ${last.at}, not by a sweep`);
  }
  if (end !== undefined && last.from !== end.baseline) {
    return {
      ok: false,
      why:
        `tag ${SURGE_TAGS.ended} says the last surge ended at ${end.baseline}, but the group's history says desired ` +
        `capacity was raised to ${desired} from ${last.from} at ${last.at}; ${handSet}`,
    };
  }
  if (last.from < group.minSize) {
    return { ok: false, why: `the baseline ${last.from} is below the group's min size ${group.minSize}; ${handSet}` };
  }
  return {
    ok: true,
    setDesired: last.from,
    resume: suspended,
    baselineFrom:
      end !== undefined
        ? `tag ${SURGE_TAGS.ended}, confirmed by the group's history (raised ${last.from} → ${desired} at ${last.at})`
        : `the group's history (raised ${last.from} → ${desired} at ${last.at})`,
  };
}

/** The wedged plan's reason: what is wrong, that nothing else is done, and the command that fixes it. */
export function wedgeReason(environment: string, name: string, desired: number, w: Wedge): string {
  const command = `phoenix sweep --env ${environment} --repair`;
  const r = w.repair;
  const fix = r.ok
    ? `\`${command}\` would ` +
      [
        ...(r.setDesired !== undefined
          ? [`set desired capacity ${desired} → ${r.setDesired} (baseline from ${r.baselineFrom})`]
          : []),
        ...(r.resume.length > 0 ? [`resume ${r.resume.join(", ")}`] : []),
      ].join(" and then ") +
      (r.setDesired === undefined && r.baselineFrom !== undefined ? ` (${r.baselineFrom})` : "")
    : `\`${command}\` cannot put it back safely: ${r.why}`;
  const onPurpose = w.raisedOnly
    ? `. If a person raised it on purpose, keep it: delete the group's tag ${SURGE_TAGS.ended} instead`
    : "";
  return `wedged: ${w.whys.join("; ")}. ${name} is left alone until it is repaired: ${fix}${onPurpose}`;
}
