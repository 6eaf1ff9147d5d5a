// The names phoenix gives and checks: the platforms a tier may run, the rollout strategies, where a tier's desired
// version comes from, and which names an environment or a tier may have.

// ---- platforms -----------------------------------------------------------------------------------------------------

/** The operating systems a tier may run: its boot script, its base image and its root device follow from it. */
export const PLATFORMS = ["linux", "windows"] as const;
export type Platform = (typeof PLATFORMS)[number];

// ---- rollout strategies ------------------------------------------------------------------------------------------

/** `surge`: launch the replacements first, terminate after; `replace`: terminate first, one stale instance at a time. */
export const STRATEGIES = ["surge", "replace"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The strategy of a tier whose config, group tag and policy name none. */
export const DEFAULT_STRATEGY: Strategy = "surge";

// ---- where the desired version comes from ------------------------------------------------------------------------

/**
 * `manifest`: only the release manifest names the version; without one nothing is replaced for its version.
 * `highest-observed`: the manifest's, else the highest version the group's instances answer (the seed's behaviour, for
 * fleets without a release store), trusted only when at least MIN_OBSERVED_FOR_TARGET instances answer it.
 */
export const DESIRED_VERSION_SOURCES = ["manifest", "highest-observed"] as const;
export type DesiredVersionSource = (typeof DESIRED_VERSION_SOURCES)[number];

/** The source of a policy, stack or flag that names none: a version no release names is never a target. */
export const DEFAULT_DESIRED_VERSION_SOURCE: DesiredVersionSource = "manifest";

/** Instances that must answer a version before `highest-observed` takes it for the target: one cannot set it. */
export const MIN_OBSERVED_FOR_TARGET = 2;
// ---- names ---------------------------------------------------------------------------------------------------------

/**
 * Why a name cannot be an environment (stack) name, or undefined when it can. The stack config refuses such a stack
 * and the CLI such an `--env`: the name is part of bucket, load balancer and parameter names.
 */
export function environmentNameProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || name.endsWith("-") || name.includes("--")) {
    return "must start with a lowercase letter and hold only lowercase letters, digits and single hyphens (it names buckets)";
  }
  if (name.length > 16) return "must be at most 16 characters (load balancer and target group names are limited to 32)";
  return undefined;
}

/** What a tier name may be: the boot script refuses any other (it names the service, directories and the artifact). */
export const TIER_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** Why a name cannot be a tier name, or undefined when it can. */
export function tierNameProblem(name: string): string | undefined {
  return TIER_NAME_PATTERN.test(name)
    ? undefined
    : "must start with a lowercase letter and hold only lowercase letters, digits and hyphens, at most 32 characters";
}

/** An AWS region's name: `eu-west-1`, `us-gov-west-1`. The stack's region, recovery and image distribution regions. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** An email address as an SNS email subscription takes it: `someone@example.com`, no spaces. */
export const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
