// The convergence record over the release store: after each of its sweeps the rollout Lambda says what it saw of the
// current version (converged or not, on which instances, since when), and `phoenix promote` reads it from the
// environment it promotes from. Converged means what it means to `phoenix release --wait`: every instance of every
// tier runs the version and is healthy, as many as the group's desired capacity (runtime/ops/watch.ts, progressOf),
// and at least one: a tier scaled to zero proves nothing.
import { CONVERGENCE_KEY } from "../contract";
import {
  ConvergenceObservation,
  ConvergenceRecord,
  nextConvergenceRecord,
  parseConvergenceRecord,
} from "../core/convergence";
import { ContractError, PreconditionFailedError } from "../core/errors";
import { FleetSnapshot, ObjectStore } from "../core/types";
import { progressOf } from "./watch";

/** What a sweep's snapshot shows: converged on its desired version or not, and why not. */
export function observeConvergence(snapshot: FleetSnapshot, at: string): ConvergenceObservation {
  const version = snapshot.desiredVersion;
  const seen: ConvergenceObservation = { environment: snapshot.environment, converged: false, tiers: {}, at };
  if (version === undefined) return seen;
  const progress = progressOf(snapshot, version);
  const tiers = Object.fromEntries(
    progress.map((t) => [t.tier, { group: t.group, instances: [...t.healthyIds].sort() }]),
  );
  const holding = progress.find((t) => !t.converged);
  // A tier scaled to zero (test's nights) runs nothing: it proves nothing, so the soak does not run on through it.
  const empty = progress.find((t) => t.desired === 0);
  const reason =
    progress.length === 0
      ? "the environment has no Auto Scaling groups"
      : holding !== undefined
        ? `${holding.tier}: ${holding.onVersion}/${holding.desired} on ${version}` +
          (holding.waiting.length > 0 ? `, ${holding.waiting[0].id} ${holding.waiting[0].why}` : "")
        : empty !== undefined
          ? `${empty.tier}: no instance runs ${version} (desired capacity 0)`
          : undefined;
  return {
    ...seen,
    version,
    converged: reason === undefined,
    tiers,
    ...(reason !== undefined && { reason }),
  };
}

/** The environment's convergence record, or undefined when none has been written. Throws when it is not one. */
export async function readConvergence(store: ObjectStore): Promise<ConvergenceRecord | undefined> {
  const object = await store.get(CONVERGENCE_KEY);
  return object && parseConvergenceRecord(object.body.toString("utf8"));
}

/**
 * Writes the record after a sweep: read, advance, write only if nobody wrote it meanwhile (a lost race keeps the
 * other writer's record; the next sweep advances it again). Resolves to the record written, or undefined when there
 * was nothing to record (no release) or the race was lost. A damaged record is replaced: it is evidence for nothing.
 */
export async function recordConvergence(
  store: ObjectStore,
  snapshot: FleetSnapshot,
  at: string,
): Promise<ConvergenceRecord | undefined> {
  const seen = observeConvergence(snapshot, at);
  if (seen.version === undefined) return undefined;
  const object = await store.get(CONVERGENCE_KEY);
  let previous: ConvergenceRecord | undefined;
  if (object !== undefined) {
    try {
      previous = parseConvergenceRecord(object.body.toString("utf8"));
    } catch (err) {
      if (!(err instanceof ContractError)) throw err;
    }
  }
  const next = nextConvergenceRecord(previous, seen);
  if (next === undefined) return undefined;
  const body = Buffer.from(`${JSON.stringify(next, null, 2)}\n`);
  const condition = object !== undefined ? { ifMatch: object.etag } : { ifNoneMatch: "*" as const };
  try {
    await store.put(CONVERGENCE_KEY, body, { ...condition, contentType: "application/json" });
  } catch (err) {
    if (err instanceof PreconditionFailedError) return undefined;
    throw err;
  }
  return next;
}
