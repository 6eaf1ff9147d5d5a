// How the AWS SDK's errors are told apart where its typed exceptions do not reach (Auto Scaling's ValidationError
// covers many cases; only its message says which).

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
