// Lambda handler factories: read the function's environment once, build the SDK clients once, and return the
// `async (event) => ...` the rollout Lambda calls. The Pulumi closure in components/rollout.ts only calls these,
// so everything here is plain TypeScript that runs (and is tested) without Pulumi or AWS.
// Static imports only: the closure serializer follows them into the archive; a require() of a local path inside a
// function would point at a file that is not shipped.
import { createClients } from "../aws/clients";
import { AwsFleet } from "../aws/fleet";
import { SqsFollowUp } from "../aws/sqs-follow-up";
import { S3ObjectStore } from "../aws/s3-object-store";
import { errorText, UsageError } from "../core/errors";
import { decideFollowUp, DEFAULT_FOLLOW_UP_DELAY_SECONDS, MAX_FOLLOW_UP_DELAY_SECONDS } from "../core/follow-up";
import type { FollowUpScheduler } from "../core/follow-up";
// For components/rollout.ts, which imports from the runtime only the handler factories and what they need.
export { DEFAULT_FOLLOW_UP_DELAY_SECONDS } from "../core/follow-up";
import { sweepMetrics, writeMetrics } from "../core/metrics";
import { validatePolicy } from "../core/planner";
import { handleReleaseEvent } from "../ops/release-event";
import type { ReleaseHandlerResult, S3NotificationEvent } from "../ops/release-event";
import { sweep } from "../ops/sweep";
import type {
  FleetAdapter,
  FleetSnapshot,
  GroupActionOutcome,
  GroupPolicy,
  ObjectStore,
  Plan,
  Policy,
  ProbeOptions,
  TerminationOutcome,
} from "../core/types";

/** Environment variable names the rollout component sets and the handlers read. */
export const ENV = {
  /** The environment (stack) name: which `phoenix:environment` tag the groups carry. */
  environment: "PHOENIX_ENVIRONMENT",
  /** JSON of a Policy: `{"minHealthy":1,"minHealthyPercent":0,"maxPerSweep":2,"tiers":{"api":{...}}}`. */
  policy: "PHOENIX_POLICY",
  /** Deadline of one /version probe, in milliseconds. */
  probeTimeoutMs: "PHOENIX_PROBE_TIMEOUT_MS",
  /** /version probes in flight at once. Optional, default 64. */
  probeConcurrency: "PHOENIX_PROBE_CONCURRENCY",
  /** `true`: plan and log, terminate nothing (the rollout's pause switch). Optional, default false. */
  dryRun: "PHOENIX_DRY_RUN",
  /** The release bucket's name: where the release handler reads the manifest and checks the artifacts. */
  releaseBucket: "PHOENIX_RELEASE_BUCKET",
  /** The SQS delay queue follow-up sweeps go through. Optional: absent, no follow-ups (the schedule still sweeps). */
  followUpQueueUrl: "PHOENIX_FOLLOW_UP_QUEUE_URL",
  /** Seconds from a sweep to its follow-up, 0-900. Optional, default DEFAULT_FOLLOW_UP_DELAY_SECONDS (15). */
  followUpDelaySeconds: "PHOENIX_FOLLOW_UP_DELAY_SECONDS",
} as const;

/** What a handler reads from its environment, validated. */
export interface HandlerConfig {
  environment: string;
  policy: Policy;
  probe: Partial<ProbeOptions>;
  dryRun: boolean;
  /** Seconds from a sweep to the follow-up it schedules. @default DEFAULT_FOLLOW_UP_DELAY_SECONDS (15) */
  followUpDelaySeconds?: number;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new UsageError(
      `environment variable ${name} is not set: the rollout Lambda needs it; it is set by components/rollout.ts ` +
        `from the stack config, so redeploy with \`pulumi up\` (or export it when running the handler by hand)`,
    );
  }
  return value.trim();
}

/** Parses and validates PHOENIX_POLICY; throws UsageError naming the bad field. */
export function parsePolicy(text: string): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`${ENV.policy} is not JSON (${(cause as Error).message}): set it to a policy object`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new UsageError(`${ENV.policy} must be a JSON object such as {"minHealthy":1,"minHealthyPercent":0}`);
  }
  const policy = doc as Policy;
  const tiers: unknown = policy.tiers;
  if (tiers !== undefined && (typeof tiers !== "object" || tiers === null || Array.isArray(tiers))) {
    throw new UsageError(`${ENV.policy}: tiers must be an object of tier name to policy overrides`);
  }
  try {
    validatePolicy(policy);
  } catch (err) {
    throw new UsageError(`${ENV.policy}: ${(err as Error).message}`, { cause: err });
  }
  return policy;
}

/** Reads and validates every variable a handler needs; a missing or malformed one throws UsageError naming it. */
export function readHandlerConfig(env: NodeJS.ProcessEnv): HandlerConfig {
  const environment = required(env, ENV.environment);
  const policy = parsePolicy(required(env, ENV.policy));
  const timeoutText = required(env, ENV.probeTimeoutMs);
  const timeoutMs = Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new UsageError(`${ENV.probeTimeoutMs} is "${timeoutText}"; it must be a whole number of milliseconds >= 1`);
  }
  const concurrencyText = (env[ENV.probeConcurrency] ?? "").trim();
  const concurrency = Number(concurrencyText);
  if (concurrencyText !== "" && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new UsageError(`${ENV.probeConcurrency} is "${concurrencyText}"; it must be a whole number >= 1`);
  }
  const dryRunText = (env[ENV.dryRun] ?? "false").trim().toLowerCase();
  if (dryRunText !== "true" && dryRunText !== "false" && dryRunText !== "") {
    throw new UsageError(`${ENV.dryRun} is "${env[ENV.dryRun]}"; it must be true or false`);
  }
  const delayText = (env[ENV.followUpDelaySeconds] ?? "").trim();
  const followUpDelaySeconds = delayText === "" ? DEFAULT_FOLLOW_UP_DELAY_SECONDS : Number(delayText);
  if (!Number.isInteger(followUpDelaySeconds) || followUpDelaySeconds < 0) {
    throw new UsageError(`${ENV.followUpDelaySeconds} is "${delayText}"; it must be a whole number of seconds >= 0`);
  }
  if (followUpDelaySeconds > MAX_FOLLOW_UP_DELAY_SECONDS) {
    throw new UsageError(
      `${ENV.followUpDelaySeconds} is ${followUpDelaySeconds}; SQS delays a message at most ` +
        `${MAX_FOLLOW_UP_DELAY_SECONDS} s, so use 0-${MAX_FOLLOW_UP_DELAY_SECONDS}`,
    );
  }
  return {
    environment,
    policy,
    probe: { timeoutMs, ...(concurrencyText !== "" && { concurrency }) },
    dryRun: dryRunText === "true",
    ...(delayText !== "" && { followUpDelaySeconds }),
  };
}

/** The per-tier policy a stack declares, merged into one Policy: what PHOENIX_POLICY carries. */
export function policyForTiers(base: GroupPolicy, tiers: Record<string, Partial<GroupPolicy>>): Policy {
  const overrides = Object.fromEntries(Object.entries(tiers).filter(([, p]) => Object.keys(p).length > 0));
  return Object.keys(overrides).length > 0 ? { ...base, tiers: overrides } : { ...base };
}

/** What the handlers need from the outside world; production builds it from the SDK, tests pass fakes. */
export interface HandlerDeps {
  fleet: FleetAdapter;
  /** The release bucket (release handler only). */
  store: ObjectStore;
  /** One JSON line per sweep or release record. @default stdout (Lambda ships it to CloudWatch Logs) */
  log: (line: string) => void;
  /** EMF lines. @default stdout */
  metrics: (line: string) => void;
  /** Milliseconds since the epoch, for durations and metric timestamps. */
  now: () => number;
  /** Where follow-up sweeps are scheduled. @default an SQS delay queue when PHOENIX_FOLLOW_UP_QUEUE_URL is set, else none */
  followUp?: FollowUpScheduler;
}

function stdoutLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * The real dependencies over SDK clients created once, here, and reused by every invocation. Only what `overrides`
 * leaves out is built; the store only when the release bucket is known.
 */
function resolveDeps(overrides: Partial<HandlerDeps>, env: NodeJS.ProcessEnv, bucket?: string): HandlerDeps {
  let clients: ReturnType<typeof createClients> | undefined;
  const aws = () => (clients = clients ?? createClients());
  const fleet = overrides.fleet ?? new AwsFleet(aws());
  const store = overrides.store ?? (bucket !== undefined ? new S3ObjectStore(aws().s3, bucket) : unavailableStore);
  const queueUrl = env[ENV.followUpQueueUrl]?.trim();
  const now = overrides.now ?? Date.now;
  const followUp =
    overrides.followUp ??
    (queueUrl !== undefined && queueUrl !== "" ? new SqsFollowUp(lazySqs(aws), queueUrl, now) : undefined);
  return {
    fleet,
    store,
    log: overrides.log ?? stdoutLine,
    metrics: overrides.metrics ?? stdoutLine,
    now,
    ...(followUp !== undefined && { followUp }),
  };
}

/** An SQS client built on its first call: a sweep that schedules no follow-up never loads the SQS package. */
function lazySqs(aws: () => ReturnType<typeof createClients>): Pick<ReturnType<typeof createClients>["sqs"], "send"> {
  return { send: ((command: never) => aws().sqs.send(command)) as ReturnType<typeof createClients>["sqs"]["send"] };
}

/**
 * Asks the pure decision whether a follow-up sweep is worth it and, when it is, schedules one. Logs what it did; a
 * failure is logged and swallowed: the sweep it follows has already done its work, and the schedule still sweeps.
 */
async function followUp(
  deps: HandlerDeps,
  config: HandlerConfig,
  plan: Plan | undefined,
  snapshot?: FleetSnapshot,
): Promise<number | undefined> {
  if (deps.followUp === undefined || plan === undefined || config.dryRun) return undefined;
  try {
    const decision = decideFollowUp(plan, snapshot, config.followUpDelaySeconds);
    if (!decision.schedule) return undefined;
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

const unavailable = (): never => {
  throw new UsageError(`the sweep handler has no release store; use createReleaseHandler (needs ${ENV.releaseBucket})`);
};
const unavailableStore: ObjectStore = { get: unavailable, put: unavailable, head: unavailable, list: unavailable };

function emit(
  deps: HandlerDeps,
  environment: string,
  plan: Plan | undefined,
  outcomes: TerminationOutcome[],
  actions: GroupActionOutcome[] | undefined,
  started: number,
): void {
  if (plan === undefined) return;
  const finished = deps.now();
  writeMetrics(
    sweepMetrics({ environment, plan, outcomes, actions, durationMs: finished - started, timestampMs: finished }),
    deps.metrics,
  );
}

/** What one sweep invocation returns (and Lambda records as the invocation's result). */
export interface SweepSummary {
  environment: string;
  dryRun: boolean;
  /** The EventBridge detail-type that triggered it (`Scheduled Event`, `EC2 Instance Launch Successful`, ...). */
  trigger: string;
  terminated: string[];
  failed: string[];
  /** Groups left alone because they were not stable. */
  skipped: string[];
  /** Seconds until the follow-up sweep this one scheduled (or found already pending); absent when none. */
  followUpSeconds?: number;
}

export type SweepHandler = (event?: unknown) => Promise<SweepSummary>;

function triggerOf(event: unknown): string {
  if (typeof event === "object" && event !== null) {
    const detailType = (event as Record<string, unknown>)["detail-type"];
    if (typeof detailType === "string") return detailType;
  }
  if (isSqsEvent(event)) return "follow-up";
  return "direct";
}

/**
 * The scheduled sweep ("the terminator"), also run on Auto Scaling launch/terminate events. Reads its environment
 * now: a missing variable fails here, at start, with its name.
 */
export function createSweepHandler(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<HandlerDeps> = {},
): SweepHandler {
  const config = readHandlerConfig(env);
  const deps = resolveDeps(overrides, env);
  return async (event?: unknown) => {
    const started = deps.now();
    const result = await sweep(
      { fleet: deps.fleet, probe: config.probe, log: deps.log },
      { environment: config.environment, policy: config.policy, dryRun: config.dryRun },
    );
    emit(deps, config.environment, result.plan, result.outcomes, result.actions, started);
    const followUpSeconds = await followUp(deps, config, result.plan, result.snapshot);
    return {
      environment: config.environment,
      dryRun: config.dryRun,
      trigger: triggerOf(event),
      terminated: result.outcomes.filter((o) => o.status !== "failed").map((o) => o.instanceId),
      failed: result.outcomes.filter((o) => o.status === "failed").map((o) => o.instanceId),
      skipped: result.plan.groups.filter((g) => !g.stable).map((g) => g.name),
      ...(followUpSeconds !== undefined && { followUpSeconds }),
    };
  };
}

export type ReleaseHandler = (event: unknown) => Promise<ReleaseHandlerResult>;

/**
 * The release handler: on `releases/current.json` written, one stale instance per tier is replaced at once (see
 * runtime/release-handler.ts). Paused (PHOENIX_DRY_RUN=true), it logs the event and terminates nothing.
 */
export function createReleaseHandler(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<HandlerDeps> = {},
): ReleaseHandler {
  const config = readHandlerConfig(env);
  const bucket = required(env, ENV.releaseBucket);
  const deps = resolveDeps(overrides, env, bucket);
  return async (event: unknown) => {
    if (config.dryRun) {
      const ignored = `${ENV.dryRun} is true: the rollout is paused, the next sweep will plan only`;
      deps.log(JSON.stringify({ type: "release.ignored", reason: ignored }));
      return { acted: [], ignored };
    }
    const started = deps.now();
    const result = await handleReleaseEvent(event as S3NotificationEvent, {
      fleet: deps.fleet,
      store: deps.store,
      environment: config.environment,
      policy: config.policy,
      probe: config.probe,
      log: deps.log,
      bucket,
    });
    emit(deps, config.environment, result.plan, result.outcomes ?? [], result.actions, started);
    // After a surge starts (or a replacement is terminated), the group waits on boots a follow-up sees finish.
    await followUp(deps, config, result.plan);
    return result;
  };
}

/** True for an SQS event (`Records[].eventSource === "aws:sqs"`): a follow-up sweep came due. */
export function isSqsEvent(event: unknown): boolean {
  return recordsFrom(event, "aws:sqs");
}

function recordsFrom(event: unknown, source: string): boolean {
  if (typeof event !== "object" || event === null) return false;
  const records = (event as { Records?: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((r) => typeof r === "object" && r !== null && (r as { eventSource?: unknown }).eventSource === source)
  );
}

/** True for an S3 notification event (`Records[].eventSource === "aws:s3"`): a release was written. */
export function isS3Event(event: unknown): boolean {
  if (typeof event !== "object" || event === null) return false;
  const records = (event as { Records?: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every(
      (r) => typeof r === "object" && r !== null && (r as { eventSource?: unknown }).eventSource === "aws:s3",
    )
  );
}

export type RolloutHandler = (event?: unknown) => Promise<SweepSummary | ReleaseHandlerResult>;

/**
 * The error as a native Error, the only kind Lambda reports with its type, message and stack. In the deployed code
 * the runtime's own error classes are rebuilt by Pulumi's closure serializer, whose instances are not `instanceof
 * Error`; their name and message are carried over (and the original kept as `cause`).
 */
export function nativeError(err: unknown): Error {
  if (err instanceof Error && typeof err.stack === "string") return err;
  const e = (typeof err === "object" && err !== null ? err : {}) as { name?: unknown; message?: unknown };
  const name = typeof e.name === "string" && e.name !== "" ? e.name : "Error";
  const message = typeof e.message === "string" && e.message !== "" ? e.message : String(err);
  const native = new Error(message, { cause: err });
  native.name = name;
  return native;
}

/**
 * The one entry point of the rollout Lambda: S3 events (the release manifest written) go to the release handler,
 * everything else (the schedule, instance launch/terminate events, a follow-up from the SQS delay queue, a manual
 * invoke) to the sweep. One function for
 * both keeps them single-flight under reserved concurrency 1. Both handlers share one set of SDK clients. Whatever
 * fails, at creation or in an invocation, is thrown as a native Error (see nativeError).
 */
export function createRolloutHandler(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<HandlerDeps> = {},
): RolloutHandler {
  let onSchedule: SweepHandler;
  let onRelease: ReleaseHandler;
  try {
    const bucket = required(env, ENV.releaseBucket);
    const deps = resolveDeps(overrides, env, bucket);
    onSchedule = createSweepHandler(env, deps);
    onRelease = createReleaseHandler(env, deps);
  } catch (err) {
    throw nativeError(err);
  }
  return async (event?: unknown) => {
    try {
      return await (isS3Event(event) ? onRelease(event) : onSchedule(event));
    } catch (err) {
      throw nativeError(err);
    }
  };
}
