// The tags groups are found and steered by: the environment and tier keys, the surge state a rollout keeps on its
// group, and the `phoenix:policy` tag that hands each tier's rollout policy to the CLI.

// ---- tags ----------------------------------------------------------------------------------------------------------

/** Tag keys on every group (and, propagated, every instance). The CLI and the Lambda find groups by these two. */
export const TAGS = {
  /** The environment (stack) a resource belongs to: `live`, `test`, ... */
  environment: "phoenix:environment",
  /** The tier a group serves: `web`, `api`. */
  tier: "phoenix:tier",
  /** The port instances serve `/version` on; DEFAULT_PORT when absent. */
  port: "phoenix:port",
  /** The tier's rollout strategy (`surge` or `replace`). */
  strategy: "phoenix:strategy",
  /** The tier's rollout policy as JSON (see encodePolicyTag), so a sweep from a laptop keeps the deployed floor. */
  policy: "phoenix:policy",
  /** Every resource phoenix creates carries `managed-by=phoenix`. */
  managedBy: "managed-by",
} as const;

export const MANAGED_BY = "phoenix";

/** Tag keys on the base images the pipeline builds. */
export const IMAGE_TAGS = {
  /** `linux` or `windows`. */
  platform: "phoenix:platform",
  /** `true` on every image the pipeline published. */
  baseImage: "phoenix:base-image",
} as const;

/** The port a group's instances serve `/version` on when it has no `phoenix:port` tag. */
export const DEFAULT_PORT = 80;

/** A surge's state, kept on the group so that any later sweep (even after a crash) knows a surge is in progress. */
export const SURGE_TAGS = {
  /** Desired capacity before the surge: what finish and abort return to. */
  baseline: "phoenix:surge-baseline",
  /** What the surge launched for (`<version>` or `<version> <image>`). */
  version: "phoenix:surge-version",
  /** readAt of the sweep that started it: the clock the stall limit runs on. */
  startedAt: "phoenix:surge-started-at",
  /** Left by an abort: this target is not surged again until the desired version or image changes. */
  failed: "phoenix:surge-failed",
  /**
   * Left by the end of every surge (finish or abort): `<baseline> <started-at>` of the surge that ended. With no surge
   * in progress it is how a later sweep knows the capacity a straggling step could have raised the group from.
   */
  ended: "phoenix:surge-ended",
  /**
   * A rollout with checkpoints: `<i>/<n> <target>`, the checkpoint it works on. Kept between the surges of its
   * checkpoints (it marks the rollout's alarm window) and removed once the rollout has converged and baked, or stopped.
   */
  checkpoint: "phoenix:surge-checkpoint",
  /** readAt of the sweep that found the current checkpoint's new instances all healthy: its bake runs from here. */
  bakeStartedAt: "phoenix:surge-bake-started-at",
  /** Left with `failed` when a rollout alarm stopped the rollout: `<alarm> in ALARM at checkpoint <i> of <n>`. */
  alarm: "phoenix:surge-alarm",
} as const;

/** The only tag keys the rollout role may write or delete: its IAM condition is `aws:TagKeys` like this. */
export const SURGE_TAG_PATTERN = "phoenix:surge-*";

/** Scaling processes that would fight a surge (alarm-driven and scheduled scaling): suspended while it runs. */
export const SURGE_PROCESSES: readonly string[] = ["AlarmNotification", "ScheduledActions"];

/** Tags every resource of an environment carries (the provider adds them as default tags). */
export function environmentTags(environment: string): Record<string, string> {
  return { [TAGS.environment]: environment, [TAGS.managedBy]: MANAGED_BY };
}

/** Tags of a resource that belongs to one tier. */
export function tierTags(environment: string, tier: string): Record<string, string> {
  return { ...environmentTags(environment), [TAGS.tier]: tier };
}

// ---- the policy tag ------------------------------------------------------------------------------------------------

/** The policy fields a `phoenix:policy` tag may carry (the runtime's GroupPolicy, as plain JSON). */
export const POLICY_TAG_FIELDS = [
  "minHealthy",
  "minHealthyPercent",
  "maxPerSweep",
  "maxInstanceAgeHours",
  "strategy",
  "maxSurgePercent",
  "surgeStallMinutes",
  "desiredVersion",
  "checkpoints",
  "bakeMinutes",
  "rolloutAlarms",
  "autoRollback",
] as const;

/** A tier's policy as the `phoenix:policy` tag value: JSON of the fields set, in a stable order. */
export function encodePolicyTag(policy: Partial<Record<(typeof POLICY_TAG_FIELDS)[number], unknown>>): string {
  const fields = POLICY_TAG_FIELDS.filter((f) => policy[f] !== undefined).map((f) => [f, policy[f]]);
  return JSON.stringify(Object.fromEntries(fields));
}

/**
 * Reads a `phoenix:policy` tag value back: the object, or why it is not one (the caller names the group and says
 * to redeploy). The fields' values are checked by the planner's policy validation, which knows their bounds.
 */
export function decodePolicyTag(text: string): { policy: Record<string, unknown> } | { error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { error: `tag ${TAGS.policy} is ${JSON.stringify(text)}, not a JSON policy object` };
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { error: `tag ${TAGS.policy} is ${JSON.stringify(text)}, not a JSON policy object` };
  }
  const unknown = Object.keys(doc).filter((k) => !(POLICY_TAG_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    return { error: `tag ${TAGS.policy} has unknown fields ${unknown.join(", ")}` };
  }
  return { policy: doc as Record<string, unknown> };
}
