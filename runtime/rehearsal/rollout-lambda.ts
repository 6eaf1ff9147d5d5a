// The rollout Lambda as deployed, run in this process: its own entry point (createRolloutHandler), configured through
// the environment variables the stack sets, over the local fleet, the disk release store and the simulated clock.
// Each invocation's JSON records go to the run's sweep log (what `phoenix explain` replays) and are read back to
// tell what it decided — plans, terminations and why — to the run's log and measurement.
import * as fs from "node:fs";
import { LAMBDA_ENV } from "../contract";
import { FollowUpScheduler } from "../core/follow-up";
import { ObjectStore, Plan, Policy, TerminationOutcome } from "../core/types";
import { createRolloutHandler, RolloutHandler } from "../lambda/handlers";
import { SimClock } from "./clock";
import { TerminationCause } from "./instance-lifecycle";
import { LocalFleet } from "./local-fleet";
import { Measurement } from "./measurement";

export interface LocalRolloutLambdaOptions {
  /** The stack's environment name (PHOENIX_ENVIRONMENT). */
  environment: string;
  policy: Policy;
  probeTimeoutMs: number;
  /** The release bucket's name (PHOENIX_RELEASE_BUCKET). */
  bucket: string;
  /** PHOENIX_FOLLOW_UP_DELAY_SECONDS; the handler's default when undefined. */
  followUpSeconds?: number;
  fleet: LocalFleet;
  store: ObjectStore;
  clock: SimClock;
  /** Where every invocation's JSON records are appended. */
  sweepLogPath: string;
  /** Where the metric (EMF) lines are appended. */
  metricsPath: string;
  /** The follow-up queue; none when follow-ups are off. */
  followUp?: FollowUpScheduler;
  measurement: Measurement;
  /** A fresh id for each holding of the sweep lease (drawn from the run's seed, so a run repeats). */
  holderId: () => string;
  /** One line of the run's log. */
  log: (source: string, line: string) => void;
}

/** What one invocation decided, read back from the records it logged. */
type Decision =
  | { type: "plan"; plan: Plan }
  | { type: "terminated"; plan: Plan; outcomes: TerminationOutcome[] }
  | { type: "skipped"; group: string | undefined; why: string | undefined }
  | { type: "stood-down"; lease: string }
  | { type: "rollback"; status: string; to?: string; message: string };

/** The deployed Lambda, invoked locally with the events AWS would send it. */
export class LocalRolloutLambda {
  private readonly handler: RolloutHandler;
  /** The records of the invocation running now; undefined between invocations. */
  private handlerLog?: string[];
  /** Who terminates in the invocation running now: the fleet records each termination with it. */
  private cause: TerminationCause = "sweep";
  /** Invocations so far: each gets its own request id, as Lambda's context carries one. */
  private invocations = 0;

  constructor(private readonly options: LocalRolloutLambdaOptions) {
    const { clock, followUp, followUpSeconds, metricsPath } = options;
    this.handler = createRolloutHandler(
      {
        [LAMBDA_ENV.environment]: options.environment,
        [LAMBDA_ENV.policy]: JSON.stringify(options.policy),
        [LAMBDA_ENV.probeTimeoutMs]: String(options.probeTimeoutMs),
        [LAMBDA_ENV.releaseBucket]: options.bucket,
        ...(followUpSeconds !== undefined && { [LAMBDA_ENV.followUpDelaySeconds]: String(followUpSeconds) }),
      },
      {
        fleet: options.fleet.adapterFor(() => this.cause),
        store: options.store,
        log: (line) => this.handlerLog?.push(line),
        metrics: (line) => fs.appendFileSync(metricsPath, `${line}\n`),
        now: () => clock.now(),
        holderId: options.holderId,
        ...(followUp !== undefined && { followUp }),
      },
    );
  }

  /**
   * Invokes the entry point (S3 events go to the release handler, the rest to the sweep), appends what it logged to
   * the sweep log, and reports what it decided. `trigger` names what delivered the event, for the run's log.
   */
  async invoke(trigger: string, cause: TerminationCause, event: unknown): Promise<void> {
    const { log, measurement } = this.options;
    const lines: string[] = [];
    this.handlerLog = lines;
    this.cause = cause;
    try {
      this.invocations += 1;
      await this.handler(event, {
        functionName: `${this.options.environment}-rollout`,
        awsRequestId: `${trigger.replace(/ /g, "-")}-${this.invocations}`,
      });
    } catch (err) {
      const message = (err as Error).message;
      log(trigger, `${cause === "release" ? "release handler" : "sweep"} failed: ${message}`);
      if (cause === "sweep") measurement.sweepFailed(message);
    } finally {
      this.handlerLog = undefined;
      fs.appendFileSync(this.options.sweepLogPath, lines.map((l) => `${l}\n`).join(""));
    }
    for (const decision of decisions(lines)) {
      if (decision.type === "plan") {
        measurement.planned(cause, decision.plan);
        for (const g of decision.plan.groups) log(trigger, g.log);
      } else if (decision.type === "terminated") {
        for (const line of terminationLines(decision.plan, decision.outcomes)) log("", line);
      } else if (decision.type === "rollback") {
        log(trigger, decision.message);
        if (decision.status === "done" && decision.to !== undefined) measurement.rolledBack(decision.to);
      } else if (decision.type === "stood-down") {
        log(trigger, `stood down: the lease is ${decision.lease}; a follow-up tries again`);
      } else {
        log(trigger, `${decision.group} => left alone: ${decision.why}`);
      }
    }
  }
}

/** The plans, terminations and skipped groups among an invocation's records, in order. */
function decisions(lines: string[]): Decision[] {
  const found: Decision[] = [];
  let plan: Plan | undefined;
  for (const line of lines) {
    const record = JSON.parse(line) as {
      type: string;
      plan?: Plan;
      outcomes?: TerminationOutcome[];
      group?: string;
      why?: string;
      error?: string;
      lease?: string;
      status?: string;
      to?: string;
      message?: string;
    };
    if (record.type === "sweep.plan" && record.plan) {
      plan = record.plan;
      found.push({ type: "plan", plan });
    } else if (record.type === "sweep.terminated" && record.outcomes && plan) {
      found.push({ type: "terminated", plan, outcomes: record.outcomes });
    } else if (record.type === "release.skipped") {
      found.push({ type: "skipped", group: record.group, why: record.why });
    } else if (record.type === "sweep.rollback") {
      found.push({ type: "rollback", status: record.status ?? "", to: record.to, message: record.message ?? "" });
    } else if (record.type === "sweep.stood-down") {
      found.push({ type: "stood-down", lease: record.lease ?? "held" });
    }
  }
  return found;
}

/** One line per termination: the instance, its outcome, and why the plan called it stale. */
function terminationLines(plan: Plan, outcomes: TerminationOutcome[]): string[] {
  return outcomes.map((o) => {
    const d = plan.groups.find((g) => g.name === o.group)?.instances.find((i) => i.id === o.instanceId);
    const what = d?.reasons.length ? ` (stale: ${d.reasons.join(", ")}${d.version ? `, runs ${d.version}` : ""})` : "";
    return `  ${o.group}: ${o.instanceId} ${o.status}${what}`;
  });
}
