// The per-group context: what plan() in index.ts works out once per group (policy, floor, health, staleness, surge
// tags) and hands to the strategies. Its own module, so replace.ts and surge.ts need not import index.ts.
import type { SurgeEnd } from "../capacity-history";
import { FleetSnapshot, GroupPolicy, GroupSnapshot, InstanceDecision, InstanceSnapshot, VersionSource } from "../types";
import type { RolloutGate } from "./checkpoints";

/** Everything the strategies decide from: computed once per group. */
export interface GroupContext {
  group: GroupSnapshot;
  snapshot: FleetSnapshot;
  p: GroupPolicy;
  instances: InstanceSnapshot[];
  decisions: Map<string, InstanceDecision>;
  /** Stale instances, most stale first. */
  candidates: InstanceSnapshot[];
  stale: InstanceDecision[];
  desired: { version?: string; source: VersionSource };
  desiredImageId?: string;
  floor: number;
  healthy: number;
  stable: boolean;
  unstable: { id: string; why: string }[];
  groupWhys: string[];
  surgeTags: SurgeTags;
  /** The rollout's checkpoints, bake and alarms for the group's current target. */
  gate: RolloutGate;
}

/** The surge state a group's tags hold, as readSurgeTags reads it. */
export interface SurgeTags {
  baseline?: number;
  /** The baseline tag's value when it is not a whole number. */
  invalidBaseline?: string;
  version?: string;
  startedAt?: string;
  failed?: string;
  /** What the group's last surge ended at (tag phoenix:surge-ended). */
  ended?: SurgeEnd;
  /** When the current checkpoint's bake began (tag phoenix:surge-bake-started-at). */
  bakeStartedAt?: string;
  /** Which alarm stopped the rollout the `failed` tag names (tag phoenix:surge-alarm). */
  alarm?: string;
}
