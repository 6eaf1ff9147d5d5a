// What an environment (stack) name may be: it names buckets, load balancers and target groups, so their rules bind it.
// Its own module because the stack's name and recoverFrom (config/recovery.ts) are both checked against it.

/** Why a stack name cannot be an environment name, or undefined when it can. */
export function environmentProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || name.endsWith("-") || name.includes("--")) {
    return "must start with a lowercase letter and hold only lowercase letters, digits and single hyphens (it names buckets)";
  }
  if (name.length > 16) return "must be at most 16 characters (load balancer and target group names are limited to 32)";
  return undefined;
}
