// The rollout Lambda's environment, read in one place: every variable the stack sets (runtime/contract LAMBDA_ENV),
// validated against the contract's LIMITS. A missing or malformed variable fails at start, naming it.
import { LAMBDA_ENV, LIMITS, LimitName, sweepDeadlineMs } from "../contract";
import { UsageError } from "../core/errors";
import { validatePolicy } from "../core/planner";
import type { GroupPolicy, Policy, ProbeOptions } from "../core/types";

/** What the handlers read from their environment, validated. */
export interface HandlerConfig {
  environment: string;
  policy: Policy;
  probe: Partial<ProbeOptions>;
  dryRun: boolean;
  /** Seconds from a sweep to the follow-up it schedules. */
  followUpDelaySeconds: number;
  /** The release bucket; required by the release handler and the rollout entry point. */
  releaseBucket?: string;
  /** The follow-up delay queue; absent, no follow-ups are scheduled (the schedule still sweeps). */
  followUpQueueUrl?: string;
  /** Milliseconds from an invocation's start past which it starts no AWS call. */
  sweepDeadlineMs: number;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** The value of a variable the handlers cannot run without; throws UsageError naming it. */
export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = optional(env, name);
  if (value === undefined) {
    throw new UsageError(
      `environment variable ${name} is not set: the rollout Lambda needs it; it is set by components/rollout from ` +
        `the stack config, so redeploy with \`pulumi up\` (or export it when running the handler by hand)`,
    );
  }
  return value;
}

/** A whole-number variable within its knob's limits, or its default when unset. */
function wholeNumber(env: NodeJS.ProcessEnv, name: string, limit: LimitName, isRequired = false): number {
  const text = isRequired ? required(env, name) : optional(env, name);
  const { min, max } = LIMITS[limit];
  if (text === undefined) return LIMITS[limit].fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} is "${text}"; it must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** Parses and validates PHOENIX_POLICY; throws UsageError naming the bad field. */
export function parsePolicy(text: string): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`${LAMBDA_ENV.policy} is not JSON (${(cause as Error).message}): set it to a policy object`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new UsageError(`${LAMBDA_ENV.policy} must be a JSON object such as {"minHealthy":1,"minHealthyPercent":0}`);
  }
  const policy = doc as Policy;
  const tiers: unknown = policy.tiers;
  if (tiers !== undefined && (typeof tiers !== "object" || tiers === null || Array.isArray(tiers))) {
    throw new UsageError(`${LAMBDA_ENV.policy}: tiers must be an object of tier name to policy overrides`);
  }
  try {
    validatePolicy(policy);
  } catch (err) {
    throw new UsageError(`${LAMBDA_ENV.policy}: ${(err as Error).message}`, { cause: err });
  }
  return policy;
}

/** Reads and validates every variable the handlers use; a missing or malformed one throws UsageError naming it. */
export function readHandlerConfig(env: NodeJS.ProcessEnv): HandlerConfig {
  const environment = required(env, LAMBDA_ENV.environment);
  const policy = parsePolicy(required(env, LAMBDA_ENV.policy));
  const timeoutMs = wholeNumber(env, LAMBDA_ENV.probeTimeoutMs, "probeTimeoutMs", true);
  const concurrency = optional(env, LAMBDA_ENV.probeConcurrency);
  const dryRunText = (optional(env, LAMBDA_ENV.dryRun) ?? "false").toLowerCase();
  if (dryRunText !== "true" && dryRunText !== "false") {
    throw new UsageError(`${LAMBDA_ENV.dryRun} is "${env[LAMBDA_ENV.dryRun]}"; it must be true or false`);
  }
  const releaseBucket = optional(env, LAMBDA_ENV.releaseBucket);
  const followUpQueueUrl = optional(env, LAMBDA_ENV.followUpQueueUrl);
  const deadlineText = optional(env, LAMBDA_ENV.sweepDeadlineMs);
  const deadlineMax = sweepDeadlineMs(LIMITS.rolloutTimeoutSeconds.max);
  const deadline =
    deadlineText === undefined ? sweepDeadlineMs(LIMITS.rolloutTimeoutSeconds.fallback) : Number(deadlineText);
  if (deadlineText !== undefined && (!/^\d+$/.test(deadlineText) || deadline < 1 || deadline > deadlineMax)) {
    throw new UsageError(
      `${LAMBDA_ENV.sweepDeadlineMs} is "${deadlineText}"; it must be a whole number of milliseconds from 1 to ${deadlineMax}`,
    );
  }
  return {
    environment,
    policy,
    probe: {
      timeoutMs,
      ...(concurrency !== undefined && {
        concurrency: wholeNumber(env, LAMBDA_ENV.probeConcurrency, "probeConcurrency"),
      }),
    },
    dryRun: dryRunText === "true",
    followUpDelaySeconds: wholeNumber(env, LAMBDA_ENV.followUpDelaySeconds, "followUpDelaySeconds"),
    ...(releaseBucket !== undefined && { releaseBucket }),
    ...(followUpQueueUrl !== undefined && { followUpQueueUrl }),
    sweepDeadlineMs: deadline,
  };
}

/** The per-tier policy a stack declares, merged into one Policy: what PHOENIX_POLICY carries. */
export function policyForTiers(base: GroupPolicy, tiers: Record<string, Partial<GroupPolicy>>): Policy {
  const overrides = Object.fromEntries(Object.entries(tiers).filter(([, p]) => Object.keys(p).length > 0));
  return Object.keys(overrides).length > 0 ? { ...base, tiers: overrides } : { ...base };
}
