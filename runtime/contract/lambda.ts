// What the rollout Lambda and the boot scripts are handed: the boot log group's name, the Lambda's environment
// variables, and the follow-up message's type.

// ---- logs ----------------------------------------------------------------------------------------------------------

/** The CloudWatch Logs group the boot scripts of an environment write to. */
export function bootLogGroupName(environment: string): string {
  return `/phoenix/${environment}/boot`;
}

// ---- the rollout Lambda's environment ------------------------------------------------------------------------------

/** Environment variable names the rollout component sets and the handlers read. */
export const LAMBDA_ENV = {
  /** The environment (stack) name: which `phoenix:environment` tag the groups carry. */
  environment: "PHOENIX_ENVIRONMENT",
  /** JSON of a Policy: `{"minHealthy":1,"minHealthyPercent":0,"maxPerSweep":2,"tiers":{"api":{...}}}`. */
  policy: "PHOENIX_POLICY",
  /** Deadline of the /version probes, in milliseconds, from when probing begins (LIMITS.probeTimeoutMs). */
  probeTimeoutMs: "PHOENIX_PROBE_TIMEOUT_MS",
  /** /version probes in flight at once (LIMITS.probeConcurrency). Optional. */
  probeConcurrency: "PHOENIX_PROBE_CONCURRENCY",
  /** `true`: plan and log, terminate nothing (the rollout's pause switch). Optional, default false. */
  dryRun: "PHOENIX_DRY_RUN",
  /** The release bucket's name: where the release handler reads the manifest and checks the artifacts. */
  releaseBucket: "PHOENIX_RELEASE_BUCKET",
  /** The SQS delay queue follow-up sweeps go through. Optional: absent, no follow-ups (the schedule still sweeps). */
  followUpQueueUrl: "PHOENIX_FOLLOW_UP_QUEUE_URL",
  /** Seconds from a sweep to its follow-up (LIMITS.followUpDelaySeconds). Optional. */
  followUpDelaySeconds: "PHOENIX_FOLLOW_UP_DELAY_SECONDS",
  /**
   * Milliseconds one invocation may spend before it starts no further AWS call (sweepDeadlineMs of the function's
   * timeout). Optional: sweepDeadlineMs of LIMITS.rolloutTimeoutSeconds.fallback.
   */
  sweepDeadlineMs: "PHOENIX_SWEEP_DEADLINE_MS",
} as const;

/** The CLI's override of LIMITS.awsRequestTimeoutMs, for slow links and for tests. Optional. */
export const AWS_TIMEOUT_ENV = "PHOENIX_AWS_TIMEOUT_MS";

/** The `type` of a follow-up message's body. */
export const FOLLOW_UP_MESSAGE_TYPE = "phoenix.follow-up";
