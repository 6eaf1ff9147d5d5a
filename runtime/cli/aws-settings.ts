// How the CLI's AWS clients are bounded: the request timeout of each call attempt, LIMITS.awsRequestTimeoutMs unless
// PHOENIX_AWS_TIMEOUT_MS says otherwise (a slow link, or a test that points the CLI at an endpoint that never answers).
import { AWS_TIMEOUT_ENV, limitProblem } from "../contract";
import { UsageError } from "../core/errors";

/** How long the CLI waits on one AWS call attempt: LIMITS.awsRequestTimeoutMs, or PHOENIX_AWS_TIMEOUT_MS. */
export function awsTimeouts(env: NodeJS.ProcessEnv): { requestTimeoutMs?: number } {
  const text = env[AWS_TIMEOUT_ENV]?.trim();
  if (text === undefined || text === "") return {};
  const problem = /^\d+$/.test(text) ? limitProblem("awsRequestTimeoutMs", Number(text)) : "must be a whole number";
  if (problem !== undefined) throw new UsageError(`${AWS_TIMEOUT_ENV} is "${text}"; it ${problem} (milliseconds)`);
  return { requestTimeoutMs: Number(text) };
}
