// What a sweep decides: one plan per group, including the decision to do nothing, with the surge, checkpoint and
// alarm state behind it. Plain data, JSON-serializable: logged with the snapshot it was made from.
import type { Strategy } from "../../contract";

/**
 * Where a group's surge stands, as the planner decided it this sweep. `baking`: a checkpoint's new instances are all
 * healthy and serve until the bake ends. `stopped`: a rollout alarm stopped a rollout that had no surge in progress.
 */
export type SurgePhase =
  "start" | "waiting" | "baking" | "finish" | "abort" | "stopped" | "fallback-replace" | "blocked" | "wedged";

/** A surge decision: the phase, the desired capacity to return to, and the target it launches for. */
export interface SurgeDecision {
  phase: SurgePhase;
  /** Desired capacity before the surge (from the group's `phoenix:surge-baseline` tag once started). */
  baseline: number;
  /** What the surge launches: the desired version, and the image when one is desired (`1.0.274 ami-0abc`). */
  targetVersion?: string;
}

export type StaleReason = "version" | "image" | "age";

/** Where the desired version came from. */
export type VersionSource = "manifest" | "highest-observed" | "none";

/** The planner's view of one instance. */
export interface InstanceDecision {
  id: string;
  /** The version it answered, when it answered one. */
  version?: string;
  imageId?: string;
  stale: boolean;
  reasons: StaleReason[];
  terminate: boolean;
}

/** The decision for one group, including the decision to do nothing. */
export interface GroupPlan {
  name: string;
  tier: string;
  desiredVersion?: string;
  versionSource: VersionSource;
  desiredImageId?: string;
  /** Minimum healthy instances this sweep must leave. */
  floor: number;
  /** Instances counted healthy (InService, Healthy, healthy in every target group, answered /version). */
  healthy: number;
  stable: boolean;
  /** Instances that made the group unstable, each with why. Empty when stable. */
  unstable: { id: string; why: string }[];
  instances: InstanceDecision[];
  /** Instance ids to terminate, in order. */
  terminate: string[];
  /** A human sentence: why these terminations, or why none. */
  reason: string;
  /** One line in the original terminator's style: `live-web => lowest version 1.0.266, ...`. */
  log: string;
  /** The strategy this group ran under (absent in plans made before strategies existed). */
  strategy?: Strategy;
  /** Present when the group's surge logic decided (start, wait, finish, abort, fall back, or refuse). */
  surge?: SurgeDecision;
  /** True when the terminations also lower desired capacity (a surge's finish or abort). */
  decrement?: boolean;
  /** Desired capacity to set: raised at a surge's start, back to the baseline at its finish or abort. */
  setDesired?: number;
  /** Why the group's desired state is not verified: the group is left alone (set only then). */
  unverified?: string;
  /** Group tags to write and to delete (the surge's state lives in tags, so a later sweep can pick it up). */
  tags?: { set?: Record<string, string>; remove?: string[] };
  /** Scaling processes to suspend (surge start) and to resume (surge finish or abort). */
  suspend?: string[];
  resume?: string[];
  /**
   * A wedged group only: what `phoenix sweep --repair` would do (its baseline and where it comes from), or why it
   * would refuse. A normal sweep never acts on it.
   */
  repair?: RepairDecision;
  /** The checkpoint the rollout works on, when the policy has checkpoints, a bake or rollout alarms. */
  checkpoint?: CheckpointState;
  /** Set when a rollout alarm stopped the group's rollout this sweep. */
  alarmStop?: AlarmStop;
}

/** Where a rollout stands against its checkpoints. */
export interface CheckpointState {
  /** 1-based. */
  index: number;
  count: number;
  percent: number;
  /** Instances on the target the checkpoint wants (its share of the group, rounded up, at least one). */
  share: number;
  /** When the checkpoint's bake ends (ISO-8601), once it has begun. */
  bakeEndsAt?: string;
  /** True when this plan goes past the checkpoint (baked, and its stale instances go or the next share starts). */
  passed?: true;
}

/** A rollout alarm in ALARM stopped the rollout: which, where, and whether the previous release is written back. */
export interface AlarmStop {
  alarm: string;
  /** `2 of 3`. */
  checkpoint: string;
  /** The version the rollout was rolling out (what a rollback rolls back from). */
  version?: string;
  /** Instances on the rollout's target that stay after the abort: old instances are gone, only a rollback undoes it. */
  remaining: number;
  /** True when the sweep must write the previous release back as current (autoRollback, and something to undo). */
  rollback: boolean;
}

/** How `--repair` puts a wedged group back, or why it cannot be sure it would. */
export type RepairDecision =
  | {
      ok: true;
      /** Desired capacity to return to, when it is above the baseline. */
      setDesired?: number;
      /** Surge processes to resume. */
      resume: string[];
      /** Where the baseline came from, in words (`tag phoenix:surge-ended`, `the group's history`). */
      baselineFrom?: string;
    }
  | { ok: false; why: string };

export interface Plan {
  environment: string;
  readAt: string;
  groups: GroupPlan[];
}
