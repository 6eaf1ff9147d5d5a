// What the operator allows a sweep to do (the policy, per group and per tier) and the bounds on probing /version,
// with their defaults from the contract's LIMITS.
import { DesiredVersionSource, LIMITS, Strategy } from "../../contract";

export type { Strategy } from "../../contract";

/** What the operator allows a sweep to do. Every field is per group; `tiers` overrides them per tier. */
export interface GroupPolicy {
  /** Never fewer healthy instances than this. @default 1 */
  minHealthy: number;
  /** Never fewer healthy instances than this percentage of desired capacity (rounded up). @default 0 */
  minHealthyPercent: number;
  /** At most this many terminations per group per sweep. @default unlimited (undefined) */
  maxPerSweep?: number;
  /** Instances older than this are stale with reason "age". @default off (undefined) */
  maxInstanceAgeHours?: number;
  /**
   * How stale instances are replaced. Overrides the group's `phoenix:strategy` tag; without either, the planner's
   * DEFAULT_STRATEGY. A surge already in progress (its tags on the group) always runs to its end.
   */
  strategy?: Strategy;
  /** A surge adds at most this percentage of the baseline desired capacity (rounded up). @default 100 */
  maxSurgePercent?: number;
  /** A surge whose new instances are not all healthy this long after it started is aborted. @default 20 */
  surgeStallMinutes?: number;
  /** Where the desired version comes from when no manifest names one. @default "manifest" (nowhere) */
  desiredVersion?: DesiredVersionSource;
  /** Percentages of the group a rollout stops at, increasing, ending in 100. @default [100] (no checkpoint) */
  checkpoints?: number[];
  /** Minutes a checkpoint's new instances serve, all healthy, before the rollout goes past it. @default 0 */
  bakeMinutes?: number;
  /** CloudWatch alarms (names) whose ALARM stops the tier's rollout. @default none */
  rolloutAlarms?: string[];
  /** An alarm past a checkpoint (old instances gone) writes the previous release back as current. @default false */
  autoRollback?: boolean;
}

export interface Policy extends GroupPolicy {
  /** Overrides per tier name (`web`, `api`, ...). */
  tiers?: Record<string, Partial<GroupPolicy>>;
}

export const DEFAULT_POLICY: Policy = {
  minHealthy: LIMITS.minHealthy.fallback,
  minHealthyPercent: LIMITS.minHealthyPercent.fallback,
};

/** Bounds on probing /version. */
export interface ProbeOptions {
  /**
   * Deadline for the whole exchange (connect, headers, body). probeFleet counts it from when probing begins, so a
   * probe queued behind others gets what is left of it, or a quarter of it if that is more. @default 2000
   */
  timeoutMs: number;
  /** Bytes of body read at most; a longer body is an error. @default 1024 */
  maxBodyBytes: number;
  /** Probes in flight at once; 0 sizes it from the fleet (probeConcurrencyFor). @default 0 */
  concurrency: number;
}

export const DEFAULT_PROBE_OPTIONS: ProbeOptions = {
  timeoutMs: LIMITS.probeTimeoutMs.fallback,
  maxBodyBytes: LIMITS.probeMaxBodyBytes.fallback,
  concurrency: LIMITS.probeConcurrency.fallback,
};
