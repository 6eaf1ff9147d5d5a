// `phoenix doctor`'s vocabulary: a check's result (one line: what is wrong, the command that fixes it), the read-only
// port the checks read AWS through (runtime/aws/doctor.ts implements it, tests fake it), and the pure pieces the checks
// decide with: how long a quiet rollout log may be for its schedule, and what a logged sweep decided.
import type { FleetState, Plan } from "./types";

/** `ok` passes; `warn` passes with something to do (a never-released environment); `fail` does not pass. */
export type CheckStatus = "ok" | "warn" | "fail";

/** One check's line. */
export interface CheckResult {
  /** Short name of what was checked: `credentials`, `manifest`, `schedule`, `eu-central-1 replica`, ... */
  check: string;
  status: CheckStatus;
  /** What was found, or what is wrong. */
  text: string;
  /** The command (or step) that fixes it; absent when the check passed. */
  fix?: string;
}

/** What `phoenix doctor` found for one environment. */
export interface DoctorReport {
  environment: string;
  region: string;
  checks: CheckResult[];
}

/** The rollout function as Lambda reports it. */
export interface FunctionState {
  arn: string;
  /** `Active`, `Pending`, `Inactive`, `Failed`. */
  state: string;
  /** `Successful`, `InProgress`, `Failed`. */
  lastUpdateStatus: string;
  /** Reserved concurrency: 1 as deployed, 0 when someone stopped the terminator; undefined when unreserved. */
  reservedConcurrency?: number;
  /** The log group its invocations write to. */
  logGroup?: string;
}

/** An EventBridge rule that targets the function. */
export interface RuleState {
  name: string;
  /** `ENABLED` or `DISABLED`. */
  state: string;
  scheduleExpression?: string;
  eventPattern?: string;
}

/** One log line of the function's log group. */
export interface LogEvent {
  timestamp: number;
  message: string;
}

/**
 * Everything `phoenix doctor` reads, read-only. Each method returns undefined (or an empty list) for something that does
 * not exist and throws for anything else (access denied, throttled, unreachable); `region` reads another region.
 */
export interface DoctorPort {
  /** The credentials' account and caller, and the region the SDK resolved; throws when either is missing. */
  identity(): Promise<{ account: string; arn: string; region: string }>;
  parameter(name: string, region?: string): Promise<string | undefined>;
  /** True when the bucket exists and these credentials may read it. */
  bucketExists(bucket: string, region?: string): Promise<boolean>;
  object(bucket: string, key: string, region?: string): Promise<Buffer | undefined>;
  objectExists(bucket: string, key: string, region?: string): Promise<boolean>;
  /** The environment's groups and instances, as a sweep reads them (no /version probes). */
  fleet(environment: string): Promise<FleetState>;
  function(name: string): Promise<FunctionState | undefined>;
  rulesTargeting(functionArn: string): Promise<RuleState[]>;
  /** The functions the bucket's event notifications invoke, with each one's key filter. */
  notifiedFunctions(bucket: string): Promise<{ functionArn: string; prefix?: string; suffix?: string }[]>;
  /** The function's event source mappings (its follow-up queue). */
  eventSources(functionName: string): Promise<{ sourceArn: string; state: string }[]>;
  /** Log lines since `sinceMs` holding any of `terms`, oldest first. */
  logEvents(logGroup: string, sinceMs: number, terms: string[]): Promise<LogEvent[]>;
  /** The bucket's replication rules; empty when it replicates nowhere. */
  replicationRules(bucket: string): Promise<{ id: string; status: string; destinationBucket: string }[]>;
}

const MINUTE_MS = 60_000;
const UNIT_MS: Record<string, number> = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS };

/**
 * How far back a sweep must have been logged for the rollout to count as running: three schedule periods (at least a
 * quarter of an hour) for `rate(...)`; a day and an hour for a `cron(...)`, whose period is not read here.
 */
export function sweepWindowMs(scheduleExpression: string | undefined): number {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(scheduleExpression ?? "");
  if (rate === null) return 25 * 60 * MINUTE_MS;
  return Math.max(15 * MINUTE_MS, 3 * Number(rate[1]) * UNIT_MS[rate[2]]);
}

/** The terms a rollout log line holds when it records a sweep's plan or a failed invocation. */
export const SWEEP_LOG_TERMS = ["sweep.plan", "Task timed out", "ERROR"];

/** What the rollout log says of the last sweep: when, and what it decided or why the invocation failed. */
export type LastSweep =
  | { outcome: "none" }
  | { outcome: "planned"; at: number; groups: string[] }
  | { outcome: "failed"; at: number; line: string };

/**
 * The last sweep among log lines (oldest first): a `sweep.plan` record (each group's tier and the first clause of its
 * reason), or a failed invocation logged after the last plan.
 */
export function lastSweep(events: LogEvent[]): LastSweep {
  for (const event of [...events].reverse()) {
    const start = event.message.indexOf("{");
    if (start >= 0 && event.message.includes("sweep.plan")) {
      try {
        const record = JSON.parse(event.message.slice(start)) as { type?: string; plan?: Plan };
        if (record.type === "sweep.plan" && record.plan !== undefined) {
          const groups = record.plan.groups.map((g) => `${g.tier} ${g.reason.split(":")[0]}`);
          return { outcome: "planned", at: event.timestamp, groups };
        }
      } catch {
        // A truncated or foreign line: keep looking further back.
      }
      continue;
    }
    if (/Task timed out|\bERROR\b/.test(event.message)) {
      return { outcome: "failed", at: event.timestamp, line: event.message.trim().split("\n")[0].slice(0, 200) };
    }
  }
  return { outcome: "none" };
}

/** "4m ago", "2h 5m ago": how long before `now` a time was. */
export function ago(at: number, now: number): string {
  const minutes = Math.max(0, Math.round((now - at) / MINUTE_MS));
  return minutes < 60 ? `${minutes}m ago` : `${Math.floor(minutes / 60)}h ${minutes % 60}m ago`;
}
