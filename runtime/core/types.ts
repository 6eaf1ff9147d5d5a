// The runtime's shared vocabulary: what a fleet looks like (snapshot), what the operator allows (policy),
// and what a sweep decides (plan). Plain data only, JSON-serializable, so that any sweep can be logged and
// replayed by `phoenix explain`.
import { DesiredVersionSource, LIMITS, Strategy } from "../contract";

/** The answer an instance gave (or did not give) to `GET /version`. */
export type ProbeResult = { ok: true; version: string } | { ok: false; error: string };

/** Target health as Elastic Load Balancing reports it (`healthy`, `unhealthy`, `initial`, `draining`, ...). */
export type TargetHealthState = string;

/** One instance as AWS (or the local fleet) sees it, before its /version is probed. */
export interface InstanceState {
  id: string;
  /** Auto Scaling lifecycle state: `Pending`, `InService`, `Terminating`, ... */
  lifecycleState: string;
  /** Auto Scaling health status: `Healthy` or `Unhealthy`. */
  asgHealth: string;
  /** Health in each target group attached to the group, keyed by target group ARN. Empty when none is attached. */
  lbHealth: Record<string, TargetHealthState>;
  /** ISO-8601 launch time. */
  launchTime: string;
  imageId?: string;
  privateIp?: string;
}

/** One instance with its /version probe result: what the planner reads. */
export interface InstanceSnapshot extends InstanceState {
  probe: ProbeResult;
}

/** One Auto Scaling Group of an environment, found by its `phoenix:environment` and `phoenix:tier` tags. */
export interface GroupState<I extends InstanceState = InstanceState> {
  name: string;
  tier: string;
  desiredCapacity: number;
  minSize: number;
  maxSize: number;
  /** The port instances serve /version on (tag `phoenix:port`, 80 when absent). */
  port: number;
  targetGroupArns: string[];
  /** Every tag on the group (surge state, strategy and the phoenix:* tags live here). */
  tags: Record<string, string>;
  /** True while the group has a scaling activity in progress (scale-out, scale-in, replacement). */
  activityInProgress?: boolean;
  /** Scaling processes currently suspended on the group (`AlarmNotification`, `ScheduledActions`, ...). */
  suspendedProcesses?: string[];
  /**
   * The group's recent desired-capacity changes, newest first, from its scaling activities. Read only for a group
   * that may be wedged (needsCapacityHistory): who raised it, from what, and when.
   */
  capacityHistory?: CapacityChange[];
  instances: I[];
}

/** One change of a group's desired capacity, as its scaling activity tells it. */
export interface CapacityChange {
  /** ISO-8601 time of the change. */
  at: string;
  from: number;
  to: number;
  /** `request`: an explicit API call (what phoenix and an operator make); `alarm` and `schedule`: scaling did it. */
  by: "request" | "alarm" | "schedule" | "other";
}

/** A group's desired capacity, tags and suspended processes read again right before a step changes them. */
export interface GroupControl {
  desiredCapacity: number;
  tags: Record<string, string>;
  suspendedProcesses: string[];
}

export type GroupSnapshot = GroupState<InstanceSnapshot>;

/** Everything a sweep knows, read in one pass. */
export interface FleetState<G extends GroupState<InstanceState> = GroupState> {
  environment: string;
  /** ISO-8601 time the state was read: the planner's only notion of "now". */
  readAt: string;
  /** The release manifest's version; absent when no manifest is published. */
  desiredVersion?: string;
  /** The manifest's object key of each tier's artifact; present whenever desiredVersion came from a manifest. */
  desiredArtifacts?: Record<string, string>;
  /** The release store the manifest was read from (the bucket's name; the rehearsal's directory): checked and named. */
  releaseStore?: string;
  /** The base-image parameter's AMI id; absent when the parameter does not exist. */
  desiredImageId?: string;
  /** Versions published in the release store, when a sweep needed them (highest-observed without a manifest). */
  publishedVersions?: string[];
  /**
   * What the verification step found about the desired state before planning (runtime/ops/verify.ts). Absent only
   * in snapshots logged before verification existed; the planner then decides as it did then.
   */
  verification?: Verification;
  /**
   * The rollout alarms' states, read (one call for all) when some tier's rollout was in its alarm window: from its
   * surge's start until it has converged and baked. Absent when no tier was.
   */
  alarms?: AlarmState[];
  /** The last automatic rollback (`rollbacks/latest.json`), when there was one: its `from` version is marked bad. */
  rollback?: RollbackRecord;
  groups: G[];
}

/** One rollout alarm as CloudWatch (or the rehearsal's local alarm) reported it when the sweep read it. */
export interface AlarmState {
  name: string;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`; `missing` when no alarm of that name exists. */
  state: string;
  /** When it entered that state (ISO-8601). */
  since?: string;
  /** Why, in CloudWatch's words, shortened. */
  reason?: string;
}

/** Reads rollout alarms: one call for every name, answering each (a name it does not find is `missing`). */
export interface AlarmReader {
  read(names: string[]): Promise<AlarmState[]>;
}

/** What an automatic rollback did and why: `rollbacks/latest.json`. */
export interface RollbackRecord {
  kind: string;
  /** The version rolled back from: marked, no sweep rolls out to it until a newer version is published. */
  from: string;
  /** The version written back as current. */
  to: string;
  tier: string;
  alarm: string;
  /** `2 of 3`. */
  checkpoint: string;
  /** ISO-8601 time of the rollback. */
  at: string;
  /** The sentence the sweep logged. */
  reason: string;
}

/**
 * Why parts of the desired state cannot be acted on. Each entry is one line naming what is wrong and where; an
 * absent entry is verified. A tier with any problem (its own, the store's or the image's) is left alone.
 */
export interface Verification {
  /** The release store is not this environment's (its bucket lacks the environment's tag): every tier. */
  store?: string;
  /** The base image is not an AMI id, or not available in this region: every tier. */
  image?: string;
  /** The manifest names a version an automatic rollback marked (FleetState.rollback): every tier. */
  release?: string;
  /** Per tier: the manifest names no artifact for it, or the artifact it names does not exist. */
  tiers?: Record<string, string>;
}

/**
 * What verifying the desired state asks of the world, answered by the AWS adapter from S3 and EC2, by the rehearsal
 * from its disk store, and by tests from memory. A question that cannot be answered (access denied, a timeout)
 * throws: the sweep then stops like any failed read, acting on nothing.
 */
export interface DesiredStateChecks {
  /** Why the release store is not this environment's own, or undefined when it is. */
  storeProblem(environment: string, store: string): Promise<string | undefined>;
  /** True when the object exists in the release store (`store` as the fleet read it: FleetState.releaseStore). */
  artifactExists(store: string, key: string): Promise<boolean>;
  /** The image's state in this region (`available`, `pending`, `failed`, ...), or undefined when there is none. */
  imageState(imageId: string): Promise<string | undefined>;
  /** Versions published in the release store (`releases/<version>/release.json`), in any order. */
  publishedVersions(store: string): Promise<string[]>;
}

export type FleetSnapshot = FleetState<GroupSnapshot>;

export type { Strategy } from "../contract";

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

/** A termination as executed. */
export interface TerminationOutcome {
  group: string;
  instanceId: string;
  /** `skipped`: never attempted (the sweep's deadline had passed). */
  status: "terminated" | "already-gone" | "failed" | "skipped";
  error?: string;
}

/** A group-level change as executed: what was done and whether it worked. */
export interface GroupActionOutcome {
  group: string;
  action: "set-tags" | "remove-tags" | "suspend" | "resume" | "set-desired";
  status: "done" | "failed" | "skipped";
  error?: string;
}

/**
 * What a surge needs besides reading and plain terminations. Each call is idempotent (setting the same tags, desired
 * capacity or suspension twice changes nothing) and throws when AWS (or the local fleet) refuses it.
 */
export interface SurgeOperations {
  /** The group's desired capacity, tags and suspended processes now: what a step checks before it changes them. */
  readGroup(group: string): Promise<GroupControl>;
  setDesiredCapacity(group: string, desiredCapacity: number): Promise<void>;
  setTags(group: string, tags: Record<string, string>): Promise<void>;
  removeTags(group: string, keys: string[]): Promise<void>;
  suspendProcesses(group: string, processes: string[]): Promise<void>;
  resumeProcesses(group: string, processes: string[]): Promise<void>;
  /** Terminates instances AND lowers desired capacity by one each, one call each, continuing past failures. */
  terminateAndDecrement(requests: { group: string; instanceId: string }[]): Promise<TerminationOutcome[]>;
}

/**
 * The only door to the fleet. The AWS adapter implements it with the SDK; the local rehearsal fleet implements it
 * with processes on loopback. A read that cannot see everything throws: a partial view never drives a termination.
 */
export interface FleetAdapter {
  readFleet(environment: string): Promise<FleetState>;
  /** Terminates instances without decrementing desired capacity, one call each, continuing past failures. */
  terminate(requests: { group: string; instanceId: string }[]): Promise<TerminationOutcome[]>;
  /** Present when the fleet can surge; without it a sweep replaces in place and leaves surge actions undone. */
  surge?: SurgeOperations;
  /** How this fleet's desired state is verified; without it nothing a manifest or image names counts as verified. */
  checks?: DesiredStateChecks;
  /** Reads rollout alarms; without it a tier with rollout alarms never goes past a checkpoint. */
  alarms?: AlarmReader;
}

/** `releases/current.json`: the only pointer to what the fleet must run. */
export interface ReleaseManifest {
  version: string;
  /** Object key of each tier's artifact, e.g. `{ web: "releases/1.0.274/web.zip" }`. */
  artifacts: Record<string, string>;
  /** ISO-8601 time the manifest was written. */
  publishedAt: string;
}

/** An object as a store returns it. */
export interface StoredObject {
  body: Buffer;
  etag: string;
  lastModified?: string;
  readAt?: string;
}

/**
 * The release bucket, as far as releases need it. S3 implements it in `runtime/aws/`; the local rehearsal
 * implements it on disk. Release logic (publish, rollback, list, read the manifest) is written once over this.
 */
export interface ObjectStore {
  /**
   * The object and its entity tag, or undefined when the key does not exist. `lastModified` (when it was written) and
   * `readAt` (when the store answered), both ISO-8601 by the store's own clock, when the store reports them: a lease's
   * age is measured with them, free of any reader's clock.
   */
  get(key: string): Promise<StoredObject | undefined>;
  /**
   * Writes an object. `ifMatch`: only if the current object has this entity tag; `ifNoneMatch: "*"`: only if no
   * object exists. A failed condition throws PreconditionFailedError and writes nothing. `sha256` (base64) is
   * verified by the store: a body that does not match is rejected.
   */
  put(
    key: string,
    body: Buffer,
    options?: { ifMatch?: string; ifNoneMatch?: "*"; sha256?: string; contentType?: string },
  ): Promise<{ etag: string }>;
  /** Metadata of an object (its sha256 in base64 when the store recorded one), or undefined when absent. */
  head(key: string): Promise<{ etag: string; size: number; sha256?: string } | undefined>;
  /** Every key under a prefix, in lexical order. */
  list(prefix: string): Promise<string[]>;
}
