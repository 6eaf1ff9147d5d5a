// The one step after every sweep the Lambda runs, whatever triggered it: write the sweep's metrics, record what it saw
// of the current version in the convergence record (the evidence `phoenix promote` reads), then ask the pure
// follow-up decision (with the snapshot the sweep read) whether one more sweep is worth scheduling soon.
import { errorText } from "../core/errors";
import { decideFollowUp, FollowUpScheduler } from "../core/follow-up";
import { sweepMetrics } from "../core/metrics";
import type { FleetSnapshot, GroupActionOutcome, ObjectStore, Plan, TerminationOutcome } from "../core/types";
import type { RollbackOutcome } from "../ops/auto-rollback";
import { recordConvergence } from "../ops/convergence";

/** What a sweep (scheduled, event-triggered or release-triggered) read, decided and did. */
export interface SweepOutcome {
  snapshot: FleetSnapshot;
  plan: Plan;
  outcomes: TerminationOutcome[];
  actions?: GroupActionOutcome[];
  /** What an automatic rollback did, if the plan asked for one. */
  rollback?: RollbackOutcome;
  /** When the sweep started, for its duration metric. */
  startedMs: number;
}

export interface AfterSweepDeps {
  /** One JSON line per record. */
  log: (line: string) => void;
  /** EMF lines (Lambda ships stdout to CloudWatch Logs, which extracts the metrics). */
  metrics: (line: string) => void;
  now: () => number;
  followUp?: FollowUpScheduler;
  /** The release bucket, where the convergence record is kept. Absent: nothing is recorded. */
  store?: ObjectStore;
}

/**
 * Writes the metrics and schedules a follow-up when the decision asks for one (never while paused). Resolves to the
 * follow-up's delay in seconds when one was sent or is already pending. A follow-up failure is logged and swallowed:
 * the sweep it follows has done its work, and the schedule still sweeps.
 */
export async function afterSweep(
  deps: AfterSweepDeps,
  context: {
    environment: string;
    dryRun: boolean;
    followUpDelaySeconds: number;
    /** Past it no follow-up is sent: the call could outlive the function (the schedule still sweeps). */
    deadline?: { atMs: number };
  },
  sweep: SweepOutcome,
): Promise<number | undefined> {
  const finished = deps.now();
  const docs = sweepMetrics({
    environment: context.environment,
    plan: sweep.plan,
    outcomes: sweep.outcomes,
    actions: sweep.actions,
    ...(sweep.rollback?.status === "done" && { rolledBackTier: sweep.rollback.tier }),
    durationMs: finished - sweep.startedMs,
    timestampMs: finished,
  });
  for (const doc of docs) deps.metrics(JSON.stringify(doc));
  await recordSeen(deps, sweep.snapshot, context.deadline);

  if (deps.followUp === undefined || context.dryRun) return undefined;
  try {
    const decision = decideFollowUp(sweep.plan, sweep.snapshot, context.followUpDelaySeconds);
    if (!decision.schedule) return undefined;
    if (context.deadline !== undefined && deps.now() >= context.deadline.atMs) {
      deps.log(JSON.stringify({ type: "followUp", status: "skipped", reason: "the sweep's deadline had passed" }));
      return undefined;
    }
    const outcome = await deps.followUp.schedule(decision.delaySeconds);
    deps.log(
      JSON.stringify({
        type: "followUp",
        status: outcome.status,
        delaySeconds: decision.delaySeconds,
        reason: decision.reason,
        ...(outcome.error !== undefined && { error: outcome.error }),
      }),
    );
    return outcome.status === "failed" ? undefined : decision.delaySeconds;
  } catch (err) {
    deps.log(JSON.stringify({ type: "followUp", status: "failed", error: errorText(err) }));
    return undefined;
  }
}

/**
 * The convergence record, stamped with the sweep's own read time (the Lambda's clock). Paused or not, it is only what
 * was seen. A failure is logged and swallowed like a follow-up's, and past the deadline nothing is attempted: the sweep
 * has done its work, and the next one writes the record again.
 */
async function recordSeen(deps: AfterSweepDeps, snapshot: FleetSnapshot, deadline?: { atMs: number }): Promise<void> {
  if (deps.store === undefined) return;
  if (deadline !== undefined && deps.now() >= deadline.atMs) {
    deps.log(JSON.stringify({ type: "convergence", status: "skipped", reason: "the sweep's deadline had passed" }));
    return;
  }
  try {
    const record = await recordConvergence(deps.store, snapshot, snapshot.readAt);
    if (record === undefined) return;
    deps.log(
      JSON.stringify({
        type: "convergence",
        version: record.version,
        convergedAt: record.convergedAt,
        checkedAt: record.checkedAt,
        ...(record.reason !== undefined && { reason: record.reason }),
      }),
    );
  } catch (err) {
    deps.log(JSON.stringify({ type: "convergence", status: "failed", error: errorText(err) }));
  }
}
