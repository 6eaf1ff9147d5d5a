// What a sweep reads, in one pass: the fleet as AWS (or the local fleet) reports it, each instance's /version
// answer, and what the sweep found about the desired state beside it (rollout alarms, the last rollback, the
// verification). Plain data, JSON-serializable: every sweep logs it and `phoenix explain` replays it.

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

export type FleetSnapshot = FleetState<GroupSnapshot>;
