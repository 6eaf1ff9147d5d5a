// The bounds and default of every knob (stack config, CLI flags, the Lambda's environment), written once.

// ---- limits --------------------------------------------------------------------------------------------------------

/**
 * A knob's bounds, inclusive, and its default. The default is called `fallback` because Pulumi's closure serializer
 * cannot serialize an object with a `default` key (it takes it for an ES module): the Lambda archive would fail.
 * `zero` names what 0 means when it switches the knob off.
 */
export interface Limit {
  min: number;
  max: number;
  fallback: number;
  zero?: string;
}

/**
 * Every numeric knob that crosses a layer (stack config, component args, the Lambda's environment, CLI flags), with
 * its bounds and default. Each layer validates against these and nothing else.
 */
export const LIMITS = {
  /**
   * Deadline of a sweep's GET /version probes, in milliseconds, counted from when probing begins: a probe queued
   * behind others ends by then too, or a quarter of it after its own start if that is later.
   */
  probeTimeoutMs: { min: 100, max: 60_000, fallback: 2000 },
  /**
   * GET /version probes in flight at once; 0 sizes it from the fleet. The maximum is the sockets a sweep's probes
   * may hold: Lambda allows a function 1024 file descriptors, and a quarter stays for everything else (the SDK
   * clients' pooled sockets, at most 8 target-health reads and 4 terminations in flight; the runtime's own).
   */
  probeConcurrency: { min: 0, max: 768, fallback: 0, zero: "one per instance, at most 768" },
  /** Bytes of a /version body read at most. */
  probeMaxBodyBytes: { min: 16, max: 65_536, fallback: 1024 },
  /** The rollout Lambda's memory, in MB. */
  rolloutMemoryMb: { min: 128, max: 10_240, fallback: 256 },
  /** The rollout Lambda's timeout, in seconds; it must also exceed the probe deadline plus SWEEP_OVERHEAD_SECONDS. */
  rolloutTimeoutSeconds: { min: 1, max: 900, fallback: 120 },
  /** Seconds from a sweep that waits on a booting instance to its follow-up (SQS delays 0-900 s). */
  followUpDelaySeconds: { min: 0, max: 900, fallback: 15 },
  /** Retries of a failed asynchronous invocation before the dead-letter queue (Lambda allows 0-2). */
  maximumRetryAttempts: { min: 0, max: 2, fallback: 1 },
  /** An event older than this (throttled behind a long sweep) goes to the dead-letter queue (Lambda: 60-21600). */
  maximumEventAgeSeconds: { min: 60, max: 21_600, fallback: 3600 },
  /** Days the rollout's logs (sweep records, EMF metrics) are kept. */
  rolloutLogRetentionDays: { min: 1, max: 3653, fallback: 30 },
  /** Minutes a tier may keep stale instances before the rollout-stuck alarm fires. */
  rolloutStuckMinutes: { min: 10, max: 1440, fallback: 60 },
  /** Minutes an environment must have stayed converged on a version before `phoenix promote` copies it on (0: none). */
  promoteSoakMinutes: { min: 0, max: 10_080, fallback: 30 },
  /** Never fewer healthy instances than this. */
  minHealthy: { min: 0, max: 1000, fallback: 1 },
  /** Never fewer healthy instances than this percentage of desired capacity, rounded up. */
  minHealthyPercent: { min: 0, max: 100, fallback: 0 },
  /** At most this many terminations per group per sweep. */
  maxPerSweep: { min: 0, max: 1000, fallback: 0, zero: "unlimited" },
  /** Instances older than this many hours are replaced (reason "age"). */
  maxInstanceAgeHours: { min: 0, max: 8760, fallback: 0, zero: "off" },
  /** A surge adds at most this percentage of the baseline desired capacity, rounded up. */
  maxSurgePercent: { min: 1, max: 100, fallback: 100 },
  /** A surge whose new instances are not all healthy this long after it started is aborted. */
  surgeStallMinutes: { min: 1, max: 1440, fallback: 20 },
  /** Minutes each checkpoint's new instances serve, all healthy, before a rollout goes past it (0: no bake). */
  bakeMinutes: { min: 0, max: 1440, fallback: 0 },
  /** The target 5xx rate, in percent of a tier's requests, that puts its rollout alarm in ALARM. */
  rollout5xxPercent: { min: 1, max: 100, fallback: 1 },
  /** The average target response time, in milliseconds, that puts a tier's latency alarm in ALARM. */
  rolloutResponseTimeMs: { min: 10, max: 60_000, fallback: 2000 },
  /** One-minute periods in a row a rollout alarm's metric must breach before the alarm is in ALARM. */
  rolloutAlarmMinutes: { min: 1, max: 30, fallback: 3 },
  /** Newest base images per platform kept active; older ones are deprecated (ami/pipeline.ts). */
  imageKeepCount: { min: 1, max: 999, fallback: 3 },
  /** Base images per platform kept at all, deprecated ones included; it must also exceed imageKeepCount. */
  imageRetainCount: { min: 2, max: 1000, fallback: 6 },
  /** A base image that launched an instance within this many days is never deprecated or deleted. */
  imageInUseDays: { min: 1, max: 365, fallback: 45 },
  /** Deadline of one attempt of one AWS API call: connect, send, and the first byte of the answer, in milliseconds. */
  awsRequestTimeoutMs: { min: 100, max: 120_000, fallback: 5000 },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/** Seconds a sweep may need beyond one probe deadline: paginated reads, target health, terminations. */
export const SWEEP_OVERHEAD_SECONDS = 30;

/** Deadline of the TCP connection of one AWS call, in milliseconds (at most the request timeout). */
export const AWS_CONNECTION_TIMEOUT_MS = 3000;

/** Attempts of one AWS call (the SDK's standard retry mode, stated so that the bound below holds). */
export const AWS_MAX_ATTEMPTS = 3;

/**
 * The longest one AWS call can take with every attempt timing out: attempts × (connection + request timeout), plus
 * one second for the SDK's backoff between attempts (100 ms × 2^attempt, jittered).
 */
export function awsCallBoundMs(requestTimeoutMs: number): number {
  const connection = Math.min(AWS_CONNECTION_TIMEOUT_MS, requestTimeoutMs);
  return AWS_MAX_ATTEMPTS * (connection + requestTimeoutMs) + 1000;
}

/**
 * The rollout Lambda's whole-sweep deadline for a function timeout: three quarters of it. Past the deadline the sweep
 * starts no AWS call; the last quarter is for the call in flight and the after-sweep step (metrics, follow-up), so
 * the sweep ends with its own line instead of Lambda's "Task timed out".
 */
export function sweepDeadlineMs(timeoutSeconds: number): number {
  return Math.floor(timeoutSeconds * 750);
}

/** When the terminator runs without any event. */
export const DEFAULT_SWEEP_SCHEDULE = "rate(5 minutes)";

/**
 * Why a sweep schedule is not an EventBridge schedule expression, or undefined when it is: `rate(<n> <unit>)`, the
 * unit singular for 1 and plural otherwise (EventBridge refuses `rate(1 minutes)`), or `cron(<6 fields>)`.
 */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|hour|day)(s?)\)$/.exec(expression);
  if (rate !== null) {
    const n = Number(rate[1]);
    if (n < 1) return "must be a rate of at least 1, e.g. rate(5 minutes)";
    if ((n === 1) !== (rate[3] === "")) return `must say ${n === 1 ? `rate(1 ${rate[2]})` : `rate(${n} ${rate[2]}s)`}`;
    return undefined;
  }
  if (/^cron\(\S+( \S+){5}\)$/.test(expression)) return undefined;
  return `must be rate(<n> minutes) or cron(<6 fields>), e.g. ${DEFAULT_SWEEP_SCHEDULE}`;
}

/** Why a value is outside a knob's limits, or undefined when it is a whole number within them. */
export function limitProblem(name: LimitName, value: unknown): string | undefined {
  const limit: Limit = LIMITS[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < limit.min || value > limit.max) {
    const zero = limit.zero !== undefined ? ` (0 is ${limit.zero})` : "";
    return `must be a whole number from ${limit.min} to ${limit.max}${zero}`;
  }
  return undefined;
}
