// The doors to the world a sweep goes through: the fleet adapter (read, terminate, surge), the checks of the desired
// state and the alarm reader, each implemented against AWS (runtime/aws), the local fleet (runtime/rehearsal) and
// memory (tests), and what they answer with.
import type { AlarmState, FleetState } from "./fleet";

/** A group's desired capacity, tags and suspended processes read again right before a step changes them. */
export interface GroupControl {
  desiredCapacity: number;
  tags: Record<string, string>;
  suspendedProcesses: string[];
}

/** Reads rollout alarms: one call for every name, answering each (a name it does not find is `missing`). */
export interface AlarmReader {
  read(names: string[]): Promise<AlarmState[]>;
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
