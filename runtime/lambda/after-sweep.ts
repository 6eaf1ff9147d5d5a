// The one step after every sweep the Lambda runs, whatever triggered it: write the sweep's metrics, then ask the pure
// follow-up decision (with the snapshot the sweep read) whether one more sweep is worth scheduling soon.
import { errorText } from "../core/errors";
import { decideFollowUp, FollowUpScheduler } from "../core/follow-up";
import { sweepMetrics } from "../core/metrics";
import type { FleetSnapshot, GroupActionOutcome, Plan, TerminationOutcome } from "../core/types";

/** What a sweep (scheduled, event-triggered or release-triggered) read, decided and did. */
export interface SweepOutcome {
  snapshot: FleetSnapshot;
  plan: Plan;
  outcomes: TerminationOutcome[];
  actions?: GroupActionOutcome[];
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
    durationMs: finished - sweep.startedMs,
    timestampMs: finished,
  });
  for (const doc of docs) deps.metrics(JSON.stringify(doc));

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
