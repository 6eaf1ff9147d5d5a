// Whether a sweep should ask for a follow-up sweep a little later, and when. The instance-launch event fires when an
// instance is InService, minutes before its app answers and its target group passes it; the sweep it triggers finds
// the group unstable, and without a follow-up nothing sweeps again until the next schedule tick. A follow-up is a
// delayed message (an SQS delay queue when deployed) that triggers one more sweep. Pure: the decision depends only on
// the plan and snapshot it is given, so it is tested without a queue and replayable from the sweep log.
import { LIMITS } from "../contract";
import { FleetSnapshot, Plan, SurgePhase } from "./types";

const DELAY = LIMITS.followUpDelaySeconds;

/** The port a sweep schedules follow-ups through: an SQS delay queue when deployed, the simulated clock rehearsed. */
export interface FollowUpScheduler {
  /**
   * Asks for one sweep in `delaySeconds`, unless one is already pending (at most one follow-up chain exists).
   * Never throws: a follow-up is an optimisation, and the schedule still sweeps without it.
   */
  schedule(delaySeconds: number): Promise<FollowUpOutcome>;
}

/** What a scheduler did: `sent`, `pending` (one was already queued, none sent) or `failed` (with why). */
export interface FollowUpOutcome {
  status: "sent" | "pending" | "failed";
  error?: string;
}

/** The decision, with the groups that asked for it and why, for the sweep log. */
export interface FollowUpDecision {
  schedule: boolean;
  /** 0-900; meaningful when `schedule` is true. */
  delaySeconds: number;
  /** Why a follow-up is (or is not) worth it. */
  reason: string;
  /** The groups waiting on something a follow-up would see finish. */
  groups: string[];
}

/** Surge phases in which the group is waiting for its new instances to boot and pass their health checks. */
const WAITING_PHASES: readonly SurgePhase[] = ["start", "waiting"];
/** Surge phases after which nothing progresses without an operator: a follow-up would only plan the same again. */
const DEAD_END_PHASES: readonly SurgePhase[] = ["abort", "blocked", "wedged", "stopped"];

/**
 * The delay as SQS accepts it: a whole number from 0 to 900. The default, half a target-group health-check interval,
 * was measured in the rehearsal: `npm run bench rollout` prints the follow-up-delay rows it was chosen from.
 */
export function clampDelaySeconds(delaySeconds: number): number {
  if (!Number.isFinite(delaySeconds)) return DELAY.fallback;
  return Math.min(DELAY.max, Math.max(DELAY.min, Math.round(delaySeconds)));
}

/**
 * A follow-up is worth scheduling when some group still has something to do (stale instances, or a surge in
 * progress) AND is waiting on something that finishes by itself soon: a surge that has just started or is waiting
 * for its new instances, or instances that are InService but not yet healthy in their target groups or not yet
 * answering /version (the snapshot tells InService apart; without one, only surge phases count). A converged or idle
 * fleet, a group unstable with nothing to do, and an aborted or blocked surge ask for nothing.
 */
export function decideFollowUp(
  plan: Plan,
  snapshot?: FleetSnapshot,
  delaySeconds: number = DELAY.fallback,
): FollowUpDecision {
  const delay = clampDelaySeconds(delaySeconds);
  const lifecycle = new Map<string, string>();
  for (const group of snapshot?.groups ?? []) {
    for (const instance of group.instances) lifecycle.set(instance.id, instance.lifecycleState);
  }
  const whys: string[] = [];
  const groups: string[] = [];
  let soonest = Number.POSITIVE_INFINITY;
  for (const g of plan.groups) {
    // A bake ends by itself: one sweep when it does goes past the checkpoint without waiting for the schedule.
    const left = bakeLeftSeconds(g, plan.readAt);
    if (left !== undefined) {
      whys.push(`${g.name}: baking checkpoint ${g.checkpoint!.index} of ${g.checkpoint!.count}, ${left} s left`);
      groups.push(g.name);
      soonest = Math.min(soonest, clampDelaySeconds(left));
      continue;
    }
    const phase = g.surge?.phase;
    if (phase !== undefined && DEAD_END_PHASES.includes(phase)) continue;
    const surging = phase !== undefined && phase !== "fallback-replace";
    const stale = g.instances.filter((i) => i.stale).length;
    if (stale === 0 && !surging) continue;
    const booting = g.unstable.filter((u) => lifecycle.get(u.id) === "InService").map((u) => u.id);
    if (phase !== undefined && WAITING_PHASES.includes(phase)) {
      whys.push(`${g.name}: surge ${phase === "start" ? "started" : "waiting"}, new instances booting`);
    } else if (booting.length > 0) {
      whys.push(`${g.name}: ${booting.join(", ")} InService but not yet healthy, ${stale} stale`);
    } else {
      continue;
    }
    groups.push(g.name);
    soonest = Math.min(soonest, delay);
  }
  if (groups.length === 0) {
    return {
      schedule: false,
      delaySeconds: delay,
      reason: "no group is waiting on an instance to turn healthy",
      groups,
    };
  }
  return { schedule: true, delaySeconds: soonest, reason: whys.join("; "), groups };
}

/** Seconds until a baking group's bake ends, or undefined when the group is not baking. */
function bakeLeftSeconds(g: Plan["groups"][number], readAt: string): number | undefined {
  const end = g.checkpoint?.bakeEndsAt === undefined ? NaN : Date.parse(g.checkpoint.bakeEndsAt);
  const baking = g.surge?.phase === "baking" || (g.surge === undefined && g.terminate.length === 0);
  const left = Math.ceil((end - Date.parse(readAt)) / 1000);
  return baking && left > 0 ? left : undefined;
}
