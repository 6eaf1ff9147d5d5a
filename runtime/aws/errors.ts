// How the AWS SDK's errors are told apart where its typed exceptions do not reach (Auto Scaling's ValidationError
// covers many cases; only its message says which), and how any failed read becomes one FleetReadError line.
import { ContractError, FleetReadError } from "../core/errors";

/** The operation that reads the release manifest (its AccessDenied gets a hint). */
export const READ_MANIFEST = "read the release manifest";

/** The error's name (`ValidationError`, `NoSuchKey`, ...), or its type when it is not an Error. */
export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/**
 * ValidationError saying the instance is no longer a member, or is already leaving (it was InService when read):
 * "Instance Id not found - No managed instance found ...", "... is not part of Auto Scaling group ...",
 * "The instance ... is not in InService or Standby". Other ValidationErrors (a min-size violation) are failures.
 */
export function isAlreadyGone(err: unknown): boolean {
  const message = err instanceof Error ? err.message : "";
  return (
    errorName(err) === "ValidationError" &&
    /not found|no managed instance|is not part of|not in InService or Standby/i.test(message)
  );
}

/**
 * An SDK error as one line an operator can act on: the setting that is missing (credentials, region), or the
 * service's own error name and message.
 */
export function awsErrorText(err: unknown): string {
  return settingProblem(err) ?? `${errorName(err)}: ${err instanceof Error ? err.message : String(err)}`;
}

/** The local setting an SDK error says is missing (credentials, region), as what to set; undefined for any other. */
function settingProblem(err: unknown): string | undefined {
  if (errorName(err) === "CredentialsProviderError") {
    return "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or run where a role is attached)";
  }
  if (/region is missing/i.test(err instanceof Error ? err.message : String(err))) {
    return "no AWS region configured: set AWS_REGION (or a region in your AWS_PROFILE)";
  }
  return undefined;
}

/** Runs one read, turning any failure into FleetReadError naming the operation and the cause. */
export async function step<T>(operation: string, environment: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toFleetReadError(operation, environment, err);
  }
}

/** Any failure of a read as one FleetReadError line: what was read, for which environment ("" for none), and why. */
function toFleetReadError(operation: string, environment: string, err: unknown): FleetReadError {
  if (err instanceof FleetReadError) {
    return err;
  }
  const setting = settingProblem(err);
  if (setting !== undefined) return new FleetReadError(setting, { cause: err });
  const name = errorName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ContractError) {
    return new FleetReadError(`cannot ${operation} of environment "${environment}": ${message}`, { cause: err });
  }
  const where = environment === "" ? "" : ` for environment "${environment}"`;
  if (name === "TimeoutError") {
    // A hung endpoint: every attempt ran into clients.ts's bounds. Reported like any other failed read.
    return new FleetReadError(`${operation} timed out${where}: AWS did not answer (${message})`, {
      cause: err,
    });
  }
  // Without s3:ListBucket, S3 answers a missing key with AccessDenied: say so, since "no manifest yet" is normal.
  const hint =
    name === "AccessDenied" && operation === READ_MANIFEST
      ? ` (if no release is published yet, the caller also needs s3:ListBucket on the bucket to see that)`
      : "";
  // Nothing about terminations: status and plan read the fleet too; a sweep says so itself (runtime/ops/sweep.ts).
  return new FleetReadError(`${operation} failed${where}: ${name}: ${message}${hint}`, {
    cause: err,
  });
}
