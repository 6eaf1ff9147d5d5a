// A rollout's checkpoints and the alarms that gate it: the defaults, the names of the alarms the program creates
// per tier, and which names and ARNs may be used.

// ---- checkpoints and rollout alarms ----------------------------------------------------------------------------------

/** The checkpoints of a tier that names none: one step to 100 %, a rollout without checkpoints. */
export const DEFAULT_CHECKPOINTS: readonly number[] = [100];

/** Checkpoints a tier may have at most (each is a bake, and the policy tag has room for a few). */
export const MAX_CHECKPOINTS = 10;

/** A tier's own rollout alarms at most, beside the two the program creates. */
export const MAX_OWN_ROLLOUT_ALARMS = 8;

/**
 * The rollout alarms the program creates for a tier: its target 5xx rate and its target response time. Named, not
 * generated, so the runtime, the role and the CLI know them from the environment and tier alone.
 */
export function rolloutAlarmNames(environment: string, tier: string): { errors: string; latency: string } {
  return { errors: `phoenix-${environment}-${tier}-5xx`, latency: `phoenix-${environment}-${tier}-latency` };
}

/** A CloudWatch alarm's ARN: `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`. */
export const ALARM_ARN_PATTERN =
  /^arn:(aws|aws-cn|aws-us-gov):cloudwatch:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):alarm:(.+)$/;

/**
 * Why a rollout alarm (a name or an ARN) cannot be used, or undefined when it can. A name is 1-255 characters with no
 * control character, and no `*` or `?` (the role's resource would become a wildcard over other alarms); an ARN must
 * be a CloudWatch alarm's in `region`.
 */
export function alarmProblem(nameOrArn: string, region?: string): string | undefined {
  if (nameOrArn.startsWith("arn:")) {
    const m = ALARM_ARN_PATTERN.exec(nameOrArn);
    if (m === null) return "is not a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)";
    if (region !== undefined && m[2] !== region) {
      return `is in ${m[2]}, not the stack's region ${region}: a sweep there could not read it`;
    }
    return alarmProblem(m[4]);
  }
  if (nameOrArn.length === 0 || nameOrArn.length > 255) return "must be an alarm name of 1 to 255 characters";
  if ([...nameOrArn].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)) {
    return "must not hold control characters";
  }
  if (/[*?]/.test(nameOrArn)) return "must not hold * or ? (IAM would read them as wildcards over other alarms)";
  if (nameOrArn.trim() !== nameOrArn) return "must not start or end with a space";
  return undefined;
}

/** The alarm name of a name or ARN (see alarmProblem). */
export function alarmNameOf(nameOrArn: string): string {
  return ALARM_ARN_PATTERN.exec(nameOrArn)?.[4] ?? nameOrArn;
}
