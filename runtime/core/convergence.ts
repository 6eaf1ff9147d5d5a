// The convergence record (`rollout/convergence.json`): what the rollout Lambda's sweeps saw of the current version,
// kept so that `phoenix promote` can tell, from another machine and without probing, whether an environment has run
// that version on healthy instances and for how long. Pure: every time in it comes from the sweeps that wrote it.
import { CONVERGENCE_KEY, CONVERGENCE_KIND } from "../contract";
import { ContractError } from "./errors";
import { normalizeVersion } from "./version";

/** One tier as the latest sweep saw it: its group and the instances that ran the version, healthy. */
export interface ConvergedTier {
  group: string;
  instances: string[];
}

/** `rollout/convergence.json`. */
export interface ConvergenceRecord {
  kind: typeof CONVERGENCE_KIND;
  environment: string;
  /** The manifest's version the sweeps measured against. */
  version: string;
  /**
   * When a sweep first saw every tier run `version` on healthy instances, every sweep since having seen the same and
   * no instance joining; null while the latest sweep saw otherwise.
   */
  convergedAt: string | null;
  /** When the latest sweep read the fleet (the Lambda's clock, as convergedAt). */
  checkedAt: string;
  /** Per tier, what the latest sweep saw: the group and the instances that ran the version, healthy. */
  tiers: Record<string, ConvergedTier>;
  /** Why the latest sweep did not count the fleet converged; absent when it did. */
  reason?: string;
}

/** What one sweep saw, decided by the caller with the planner's health rules (runtime/ops/convergence.ts). */
export interface ConvergenceObservation {
  environment: string;
  /** The manifest's version; absent when nothing is published (then nothing is recorded). */
  version?: string;
  /** Every tier runs the version on healthy instances, as many as its desired capacity, nothing else in flight. */
  converged: boolean;
  tiers: Record<string, ConvergedTier>;
  /** Why not converged: the first tier holding it back and its reason. */
  reason?: string;
  /** When the sweep read the fleet. */
  at: string;
}

/**
 * The record after one more sweep, or undefined when there is nothing to record (no release yet). The convergence
 * time carries over only while the version is the same, every sweep saw it converged, and no instance joined a tier
 * since: a replacement or a scale-out has not soaked, so the soak starts again.
 */
export function nextConvergenceRecord(
  previous: ConvergenceRecord | undefined,
  seen: ConvergenceObservation,
): ConvergenceRecord | undefined {
  if (seen.version === undefined) return undefined;
  const base = {
    kind: CONVERGENCE_KIND as typeof CONVERGENCE_KIND,
    environment: seen.environment,
    version: seen.version,
    checkedAt: seen.at,
  };
  if (!seen.converged) {
    return { ...base, convergedAt: null, tiers: seen.tiers, reason: seen.reason ?? "not converged" };
  }
  const carried =
    previous !== undefined &&
    previous.version === seen.version &&
    previous.convergedAt !== null &&
    noneJoined(previous.tiers, seen.tiers);
  return { ...base, convergedAt: carried ? previous.convergedAt : seen.at, tiers: seen.tiers };
}

function noneJoined(before: Record<string, ConvergedTier>, now: Record<string, ConvergedTier>): boolean {
  return Object.entries(now).every(([tier, t]) => {
    const had = new Set(before[tier]?.instances ?? []);
    return t.instances.every((id) => had.has(id));
  });
}

/** Minutes the record shows the version converged without a break, measured between two sweeps; 0 when it is not. */
export function soakedMinutes(record: Pick<ConvergenceRecord, "convergedAt" | "checkedAt">): number {
  if (record.convergedAt === null) return 0;
  return Math.max(0, (Date.parse(record.checkedAt) - Date.parse(record.convergedAt)) / 60_000);
}

/** Parses the record; throws ContractError naming what is wrong (a foreign or damaged document is no evidence). */
export function parseConvergenceRecord(text: string, source = CONVERGENCE_KEY): ConvergenceRecord {
  let doc: Partial<ConvergenceRecord>;
  try {
    doc = JSON.parse(text) as Partial<ConvergenceRecord>;
  } catch (cause) {
    throw new ContractError(`${source} is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof doc !== "object" || doc === null || doc.kind !== CONVERGENCE_KIND) {
    throw new ContractError(`${source} is not a phoenix convergence record (its kind is not ${CONVERGENCE_KIND})`);
  }
  const isTime = (t: unknown) => typeof t === "string" && !Number.isNaN(Date.parse(t));
  const tiersOk =
    typeof doc.tiers === "object" &&
    doc.tiers !== null &&
    Object.values(doc.tiers).every(
      (t) =>
        typeof t?.group === "string" && Array.isArray(t.instances) && t.instances.every((i) => typeof i === "string"),
    );
  if (
    typeof doc.environment !== "string" ||
    typeof doc.version !== "string" ||
    normalizeVersion(doc.version) === undefined ||
    !isTime(doc.checkedAt) ||
    !(doc.convergedAt === null || isTime(doc.convergedAt)) ||
    !tiersOk
  ) {
    throw new ContractError(
      `${source} must hold environment, a version, checkedAt, convergedAt (a time or null) and tiers; the next ` +
        "sweep rewrites it",
    );
  }
  return {
    kind: CONVERGENCE_KIND,
    environment: doc.environment,
    version: doc.version,
    convergedAt: doc.convergedAt ?? null,
    checkedAt: doc.checkedAt as string,
    tiers: doc.tiers as Record<string, ConvergedTier>,
    ...(typeof doc.reason === "string" && { reason: doc.reason }),
  };
}
