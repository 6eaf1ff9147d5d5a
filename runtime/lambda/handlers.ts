// The rollout Lambda's handlers: read the environment once (env.ts), build the SDK clients and adapters once, and
// return the `async (event) => ...` the Lambda calls. The Pulumi closure in components/rollout/entry.ts only calls
// createRolloutHandler, so everything here is plain TypeScript that runs (and is tested) without Pulumi or AWS.
// Static imports only: the closure serializer follows them into the archive; a require() of a local path inside a
// function would point at a file that is not shipped.
import { createClients } from "../aws/clients";
import { AwsFleet } from "../aws/fleet";
import { S3ObjectStore } from "../aws/s3-object-store";
import { SqsFollowUp } from "../aws/sqs-follow-up";
import { LAMBDA_ENV } from "../contract";
import { errorText, UsageError } from "../core/errors";
import type { FollowUpScheduler } from "../core/follow-up";
import type { FleetAdapter, ObjectStore } from "../core/types";
import { describeLease } from "../core/lease";
import { isLeaseHeld, LeaseClaim, LeaseHeldError, newHolderId } from "../ops/lease";
import { handleReleaseEvent } from "../ops/release-event";
import type { ReleaseHandlerResult, S3NotificationEvent } from "../ops/release-event";
import { Deadline, Prober, sweep, sweepStatus } from "../ops/sweep";
import { DesiredStateVerifier } from "../ops/verify";
import { afterSweep } from "./after-sweep";
import { HandlerConfig, readHandlerConfig, required } from "./env";
import { isS3Event, nativeError, triggerOf } from "./events";

export { HandlerConfig, parsePolicy, policyForTiers, readHandlerConfig } from "./env";
export { isS3Event, isSqsEvent, nativeError } from "./events";

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
  /**
   * Verifies each sweep's desired state; built once per execution environment, so an artifact, an image and the
   * store are checked once per version and id, not once per invocation. @default one over the fleet's checks
   */
  verifier?: DesiredStateVerifier;
  /** Probes the fleet's instances. @default probeFleet over HTTP */
  prober?: Prober;
  /** A fresh id for each holding of the sweep lease. @default newHolderId (random) */
  holderId?: () => string;
}

/** The parts of the Lambda context the handlers read: who this invocation is, for the sweep lease. */
export interface InvocationContext {
  functionName?: string;
  awsRequestId?: string;
}

function stdoutLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * The real dependencies over SDK clients created once, here, and reused by every invocation. Only what `overrides`
 * leaves out is built; the store only when the release bucket is known.
 */
function resolveDeps(overrides: Partial<HandlerDeps>, config: HandlerConfig): HandlerDeps {
  let clients: ReturnType<typeof createClients> | undefined;
  const aws = () => (clients = clients ?? createClients());
  const fleet = overrides.fleet ?? new AwsFleet(aws());
  const bucket = config.releaseBucket;
  const store = overrides.store ?? (bucket !== undefined ? new S3ObjectStore(aws().s3, bucket) : unavailableStore);
  const now = overrides.now ?? Date.now;
  const queueUrl = config.followUpQueueUrl;
  const followUp =
    overrides.followUp ?? (queueUrl !== undefined ? new SqsFollowUp(lazySqs(aws), queueUrl, now) : undefined);
  return {
    fleet,
    store,
    log: overrides.log ?? stdoutLine,
    metrics: overrides.metrics ?? stdoutLine,
    now,
    ...(followUp !== undefined && { followUp }),
    verifier: overrides.verifier ?? new DesiredStateVerifier(fleet.checks),
    ...(overrides.prober !== undefined && { prober: overrides.prober }),
    ...(overrides.holderId !== undefined && { holderId: overrides.holderId }),
  };
}

/** The invocation's whole-sweep deadline: no AWS call starts after it, inside the function's timeout. */
function deadlineOf(config: HandlerConfig, deps: HandlerDeps, startedMs: number): Deadline {
  return {
    atMs: startedMs + config.sweepDeadlineMs,
    now: deps.now,
    describe: `${config.sweepDeadlineMs / 1000} s after the invocation started, inside the function's timeout`,
  };
}

/** An SQS client built on its first call: a sweep that schedules no follow-up never loads the SQS package. */
function lazySqs(aws: () => ReturnType<typeof createClients>): Pick<ReturnType<typeof createClients>["sqs"], "send"> {
  return { send: ((command: never) => aws().sqs.send(command)) as ReturnType<typeof createClients>["sqs"]["send"] };
}

const unavailable = (): never => {
  throw new UsageError(
    `the handler has no release store for the manifest and the sweep lease: set ${LAMBDA_ENV.releaseBucket}`,
  );
};
const unavailableStore: ObjectStore = { get: unavailable, put: unavailable, head: unavailable, list: unavailable };

/** What one sweep invocation returns (and Lambda records as the invocation's result). */
export interface SweepSummary {
  environment: string;
  dryRun: boolean;
  /** The EventBridge detail-type that triggered it (`Scheduled Event`, `EC2 Instance Launch Successful`, ...). */
  trigger: string;
  terminated: string[];
  /** Instances whose termination failed or was never attempted (the deadline had passed). */
  failed: string[];
  /** Groups left alone because they were not stable. */
  skipped: string[];
  /** Groups left alone because their desired state is not verified (the sweep's log says why, one line each). */
  unverified: string[];
  /** `ok`: everything decided was done; `incomplete`: a write failed or was skipped; `unverified`: see above. */
  status: "ok" | "incomplete" | "unverified";
  /** Seconds until the follow-up sweep this one scheduled (or found already pending); absent when none. */
  followUpSeconds?: number;
  /** Another sweep held the environment's lease: who, since when. Nothing was read or changed. */
  stoodDown?: string;
  /** What an automatic rollback did (a rollout alarm past a checkpoint); absent when none was asked for. */
  rollback?: { status: string; message: string };
}

export type SweepHandler = (event?: unknown, context?: InvocationContext) => Promise<SweepSummary>;
export type ReleaseHandler = (event: unknown, context?: InvocationContext) => Promise<ReleaseHandlerResult>;
export type RolloutHandler = (
  event?: unknown,
  context?: InvocationContext,
) => Promise<SweepSummary | ReleaseHandlerResult>;

/** The lease this invocation asks for: a fresh holder id, the function and request, and what triggered it. */
function claimFor(deps: HandlerDeps, context: InvocationContext | undefined, purpose: string): LeaseClaim {
  const name = context?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? "rollout lambda";
  const request = context?.awsRequestId !== undefined ? ` request ${context.awsRequestId}` : "";
  return { holder: (deps.holderId ?? newHolderId)(), who: `lambda ${name}${request}`, purpose };
}

/**
 * Another sweeper holds the lease: not an error. One log line says who, and a follow-up is scheduled so the rollout
 * keeps moving once that sweep is done (the schedule would pick it up anyway). Resolves to the follow-up's delay.
 */
async function standDown(
  deps: HandlerDeps,
  config: HandlerConfig,
  err: LeaseHeldError,
  trigger: string,
): Promise<number | undefined> {
  let outcome: Awaited<ReturnType<FollowUpScheduler["schedule"]>> | undefined;
  try {
    outcome = deps.followUp !== undefined ? await deps.followUp.schedule(config.followUpDelaySeconds) : undefined;
  } catch (e) {
    // A follow-up is an optimisation; the schedule still sweeps.
    outcome = { status: "failed", error: errorText(e) };
  }
  deps.log(
    JSON.stringify({
      type: "sweep.stood-down",
      trigger,
      lease: describeLease(err.view),
      ...(outcome !== undefined && { followUp: { ...outcome, delaySeconds: config.followUpDelaySeconds } }),
    }),
  );
  return outcome !== undefined && outcome.status !== "failed" ? config.followUpDelaySeconds : undefined;
}

function sweepHandler(config: HandlerConfig, deps: HandlerDeps): SweepHandler {
  return async (event?: unknown, context?: InvocationContext) => {
    const startedMs = deps.now();
    const deadline = deadlineOf(config, deps, startedMs);
    const trigger = triggerOf(event);
    const lease = { deps: { store: deps.store, now: deps.now }, claim: claimFor(deps, context, trigger) };
    let result: Awaited<ReturnType<typeof sweep>>;
    try {
      result = await sweep(
        {
          fleet: deps.fleet,
          probe: config.probe,
          log: deps.log,
          verifier: deps.verifier,
          deadline,
          lease,
          prober: deps.prober,
          store: deps.store,
        },
        { environment: config.environment, policy: config.policy, dryRun: config.dryRun },
      );
    } catch (err) {
      if (!isLeaseHeld(err)) throw err;
      const followUpSeconds = await standDown(deps, config, err, trigger);
      return {
        environment: config.environment,
        dryRun: config.dryRun,
        trigger,
        terminated: [],
        failed: [],
        skipped: [],
        unverified: [],
        status: "ok",
        stoodDown: describeLease(err.view),
        ...(followUpSeconds !== undefined && { followUpSeconds }),
      };
    }
    const status = sweepStatus(result);
    if (status.status !== "ok") deps.log(JSON.stringify({ type: "sweep.status", ...status }));
    const followUpSeconds = await afterSweep(deps, { ...config, deadline }, { ...result, startedMs });
    const gone = (o: { status: string }) => o.status === "terminated" || o.status === "already-gone";
    return {
      environment: config.environment,
      dryRun: config.dryRun,
      trigger,
      terminated: result.outcomes.filter(gone).map((o) => o.instanceId),
      failed: result.outcomes.filter((o) => !gone(o)).map((o) => o.instanceId),
      skipped: result.plan.groups.filter((g) => !g.stable).map((g) => g.name),
      unverified: status.unverified.map((u) => u.group),
      status: status.status,
      ...(followUpSeconds !== undefined && { followUpSeconds }),
      ...(result.rollback !== undefined && {
        rollback: { status: result.rollback.status, message: result.rollback.message },
      }),
    };
  };
}

function releaseHandler(config: HandlerConfig, bucket: string, deps: HandlerDeps): ReleaseHandler {
  return async (event: unknown, context?: InvocationContext) => {
    if (config.dryRun) {
      const ignored = `${LAMBDA_ENV.dryRun} is true: the rollout is paused, the next sweep will plan only`;
      deps.log(JSON.stringify({ type: "release.ignored", reason: ignored }));
      return { acted: [], ignored };
    }
    const startedMs = deps.now();
    const deadline = deadlineOf(config, deps, startedMs);
    const purpose = "release event";
    let released: ReleaseHandlerResult;
    try {
      released = await handleReleaseEvent(event as S3NotificationEvent, {
        fleet: deps.fleet,
        store: deps.store,
        environment: config.environment,
        policy: config.policy,
        probe: config.probe,
        log: deps.log,
        bucket,
        verifier: deps.verifier,
        deadline,
        lease: { deps: { store: deps.store, now: deps.now }, claim: claimFor(deps, context, purpose) },
        prober: deps.prober,
      });
    } catch (err) {
      if (!isLeaseHeld(err)) throw err;
      // The follow-up sweep starts the rollout: the terminator starts a surge (or replaces) as the release would.
      await standDown(deps, config, err, purpose);
      return { acted: [], stoodDown: describeLease(err.view) };
    }
    const { snapshot, ...result } = released;
    // After a surge starts (or a replacement is terminated), the group waits on boots a follow-up sees finish.
    if (snapshot !== undefined && result.plan !== undefined) {
      await afterSweep(
        deps,
        { ...config, deadline },
        {
          snapshot,
          plan: result.plan,
          outcomes: result.outcomes ?? [],
          actions: result.actions,
          startedMs,
        },
      );
    }
    return result;
  };
}

/**
 * The scheduled sweep ("the terminator"), also run on Auto Scaling launch/terminate events and follow-ups. Reads its
 * environment now: a missing variable fails here, at start, with its name.
 */
export function createSweepHandler(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<HandlerDeps> = {},
): SweepHandler {
  const config = readHandlerConfig(env);
  // Every mutating sweep takes the lease in the release bucket: without the bucket there is none to take.
  if (overrides.store === undefined && !config.dryRun) required(env, LAMBDA_ENV.releaseBucket);
  return sweepHandler(config, resolveDeps(overrides, config));
}

/**
 * The release handler: on `releases/current.json` written, the rollout starts in every tier at once (see
 * runtime/ops/release-event.ts). Paused (PHOENIX_DRY_RUN=true), it logs the event and terminates nothing.
 */
export function createReleaseHandler(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<HandlerDeps> = {},
): ReleaseHandler {
  const config = readHandlerConfig(env);
  const bucket = required(env, LAMBDA_ENV.releaseBucket);
  return releaseHandler(config, bucket, resolveDeps(overrides, config));
}

/**
 * The one entry point of the rollout Lambda: S3 events (the release manifest written) go to the release handler,
 * everything else (the schedule, instance launch/terminate events, a follow-up from the SQS delay queue, a manual
 * invoke) to the sweep. One function for both keeps them single-flight under reserved concurrency 1; the environment
 * is read and the SDK clients are built once for both. Whatever fails, at creation or in an invocation, is thrown as
 * a native Error (see nativeError).
 */
export function createRolloutHandler(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<HandlerDeps> = {},
): RolloutHandler {
  let onSchedule: SweepHandler;
  let onRelease: ReleaseHandler;
  try {
    const config = readHandlerConfig(env);
    const bucket = required(env, LAMBDA_ENV.releaseBucket);
    const deps = resolveDeps(overrides, config);
    onSchedule = sweepHandler(config, deps);
    onRelease = releaseHandler(config, bucket, deps);
  } catch (err) {
    throw nativeError(err);
  }
  return async (event?: unknown, context?: InvocationContext) => {
    try {
      return await (isS3Event(event) ? onRelease(event, context) : onSchedule(event, context));
    } catch (err) {
      throw nativeError(err);
    }
  };
}
