// Where an environment's state lives: the SSM parameters that name its release bucket and base image, the release
// store's keys, the sweep lease and the convergence record its sweeps keep.
import { REGION_PATTERN } from "./names";

// ---- SSM parameters ------------------------------------------------------------------------------------------------

/** `/phoenix/<env>/release-bucket`: the name of the environment's release bucket. */
export function releaseBucketParameterName(environment: string): string {
  return `/phoenix/${environment}/release-bucket`;
}

/**
 * `/phoenix/<env>/base-image`: the one image the terminator holds every instance of the environment to, and the one
 * the pipeline's primary platform publishes to.
 */
export function baseImageParameterName(environment: string): string {
  return `/phoenix/${environment}/base-image`;
}

/**
 * What an AMI id looks like: `ami-` and 8 or 17 lowercase hex digits. The base-image parameter must hold one before
 * its state is even asked for; anything else fails closed, naming the parameter.
 */
export const AMI_ID_PATTERN = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** The only image state a sweep acts on: an image still pending, failed or deregistered launches nothing. */
export const IMAGE_AVAILABLE = "available";

/**
 * `/phoenix/<env>/release-replica`, written by the environment's own stack in each of its recovery regions (and only
 * there): the name of the bucket its release store replicates `releases/` to in that region. A recovery stack and the
 * recovery environment's CLI find the replica by it without reaching the failed region.
 */
export function releaseReplicaParameterName(environment: string): string {
  return `/phoenix/${environment}/release-replica`;
}

/** `/phoenix/<env>/rollout-function`: the name of the environment's rollout Lambda (`phoenix doctor` reads it). */
export function rolloutFunctionParameterName(environment: string): string {
  return `/phoenix/${environment}/rollout-function`;
}

/**
 * `/phoenix/<env>/recovery-of`, written by a recovery stack: the environment it recovers (`live` for `live-dr`), whose
 * replicated release store it serves from and whose copied base image it started with.
 */
export function recoveryOfParameterName(environment: string): string {
  return `/phoenix/${environment}/recovery-of`;
}

/** Every parameter of an environment lives under this path; roles are scoped to it. */
export function environmentParameterPath(environment: string): string {
  return `/phoenix/${environment}/`;
}

// ---- the release store ---------------------------------------------------------------------------------------------

/** `releases/current.json`: the only pointer to what the fleet must run, written last by a release. */
export const MANIFEST_KEY = "releases/current.json";

/** Where artifacts and version records live. */
export const RELEASES_PREFIX = "releases/";

/**
 * The version an instance answers on GET /version when it booted before any release was published: a valid semantic
 * version that sorts below every real one (a prerelease of 0.0.0). Such an instance serves a placeholder, reports
 * healthy, and is stale as soon as a manifest names a version; it is never a target of its own.
 */
export const UNRELEASED_VERSION = "0.0.0-unreleased";

/** True for the placeholder's version (UNRELEASED_VERSION): the instance has no release installed. */
export function isUnreleased(version: string | undefined): boolean {
  return version === UNRELEASED_VERSION;
}

/** The id of the replication rule that copies `releases/` to a recovery region (one rule per region). */
export function replicationRuleId(region: string): string {
  return `releases-to-${region}`;
}

/** The recovery region a replication rule id names, or undefined when the id is not one replicationRuleId made. */
export function replicationRuleRegion(ruleId: string): string | undefined {
  const region = ruleId.startsWith("releases-to-") ? ruleId.slice("releases-to-".length) : "";
  return REGION_PATTERN.test(region) ? region : undefined;
}

/** Object key of a tier's artifact for a version: `releases/<version>/<tier>.zip`. */
export function artifactKey(version: string, tier: string): string {
  return `${RELEASES_PREFIX}${version}/${tier}.zip`;
}

/** Every artifact of one tier, whatever the version (an IAM resource pattern). */
export function tierArtifactPattern(tier: string): string {
  return `${RELEASES_PREFIX}*/${tier}.zip`;
}

/** Every artifact of every tier (an IAM resource pattern). */
export const ARTIFACT_PATTERN = `${RELEASES_PREFIX}*.zip`;

/** `releases/<version>/release.json`: what a version was published with (artifacts, checksums, time). */
export function releaseRecordKey(version: string): string {
  return `${RELEASES_PREFIX}${version}/release.json`;
}

/** The version a key is the release record of (`releases/<version>/release.json`), or undefined for any other key. */
export function recordKeyVersion(key: string): string | undefined {
  const version = key.split("/")[1] ?? "";
  return version !== "" && releaseRecordKey(version) === key ? version : undefined;
}

// ---- the sweep lease -----------------------------------------------------------------------------------------------

/**
 * `leases/sweep.json` in the release bucket: the one object every mutating sweep of an environment (the Lambda's,
 * `phoenix sweep`, `--repair`) must hold, taken and handed over with conditional writes. Outside `releases/`, so no
 * release listing, artifact pattern or build server's grant reaches it, and the manifest notification never fires.
 */
export const SWEEP_LEASE_KEY = "leases/sweep.json";

/** The lease document's `kind`: an object at the key without it is foreign, treated as held and never overwritten. */
export const SWEEP_LEASE_KIND = "phoenix.sweep-lease";

/**
 * Seconds a lease lasts from its write, unless released first. Longer than any sweep's whole budget (the Lambda's
 * timeout is at most LIMITS.rolloutTimeoutSeconds.max), so a live holder never loses it and a dead one's lapses.
 */
export const LEASE_TTL_SECONDS = 1200;

/**
 * Seconds before its lease would lapse that a holder stops starting new steps: a step begun earlier lands before the
 * lease can pass to anyone else, unless the call itself takes longer than this.
 */
export const LEASE_SAFETY_SECONDS = 120;

/**
 * Seconds of clock difference tolerated when the store does not report its own clock and a reader has to compare
 * its clock with the holder's `expiresAt` (S3 reports both Last-Modified and Date, so it never has to).
 */
export const LEASE_CLOCK_SKEW_SECONDS = 60;

// ---- convergence evidence ------------------------------------------------------------------------------------------

/**
 * `rollout/convergence.json` in the release bucket: what the rollout Lambda's sweeps saw of the current version — since
 * when every tier has run it on healthy instances without a break, on which instances, and when a sweep last said so.
 * `phoenix promote` reads it from the source environment: its gate and its soak are measured on these sweep times,
 * never on the promoting machine's clock. Outside `releases/`, so a build server's grant there cannot forge it; only
 * the rollout role writes it.
 */
export const CONVERGENCE_KEY = "rollout/convergence.json";

/** The convergence record's `kind`: a document at the key without it is not phoenix's, and counts as no evidence. */
export const CONVERGENCE_KIND = "phoenix.convergence";

/** The rollout role on CONVERGENCE_KEY only: read the record, and write it after each sweep. */
export const CONVERGENCE_RECORD_ACTIONS = ["s3:GetObject", "s3:PutObject"];

/**
 * `rollbacks/latest.json`: the last automatic rollback (from, to, tier, alarm, checkpoint, when). Outside `releases/`,
 * so no release listing or artifact pattern reaches it. It also marks its `from` version: no sweep rolls out to it
 * again until a newer version is published.
 */
export const ROLLBACK_RECORD_KEY = "rollbacks/latest.json";

/** The rollback record's `kind`. */
export const ROLLBACK_RECORD_KIND = "phoenix.rollback";
