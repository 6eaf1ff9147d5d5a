// Publishing and rolling back releases over an ObjectStore (S3, or the rehearsal's disk); reading and listing them is
// runtime/ops/release-records.ts. A release is immutable once its artifacts are stored; `releases/current.json` is
// written last, and only if nobody else wrote it since we read it, so two concurrent releases cannot both half-win.
import { ContractError, PreconditionFailedError, UsageError } from "../core/errors";
import { MANIFEST_KEY, releaseRecordKey } from "../contract";
import type { Promotion } from "../core/promotion";
import { isRolledBack, rolledBackWhy } from "../core/rollback";
import { ObjectStore, ReleaseManifest } from "../core/types";
import { compareVersions } from "../core/version";
import { readArtifacts, requireVersion, sha256 } from "./release-artifacts";
import {
  parseRecord,
  readCurrentRelease,
  readRecords,
  readRollbackRecord,
  ReleaseRecord,
  storedSha256,
} from "./release-records";

export { checkLocalRelease, isZip, requireVersion } from "./release-artifacts";
export { listReleases, readCurrentRelease, readRecord, storedSha256 } from "./release-records";
export type { ReleaseListing, ReleaseRecord } from "./release-records";

/** Another writer got there first (the manifest, or the same version with other content); nothing of ours won. */
export class ReleaseConflictError extends Error {
  override name = "ReleaseConflictError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An artifact's bytes are not the ones its release recorded (damaged on the way, or changed); the manifest was not. */
export class ChecksumMismatchError extends Error {
  override name = "ChecksumMismatchError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface PublishRequest {
  version: string;
  /** Local path of each tier's zip, e.g. `{ web: "dist/web.zip" }`. */
  artifacts: Record<string, string>;
  /** The environment's tiers: every one needs an artifact, and no other is accepted. */
  tiers: string[];
  /** Publish a version older than the current one (a rollback with new artifacts). @default false */
  allowDowngrade?: boolean;
  now: () => Date;
}

export interface ReleaseResult {
  /** `published`: current.json now names the version; `unchanged`: it already did, nothing was written. */
  status: "published" | "unchanged";
  manifest: ReleaseManifest;
  /** The version current.json named before, when there was one. */
  previousVersion?: string;
  /** Artifact keys written by this call (already stored identical ones are skipped). */
  uploaded: string[];
}

/** Validates everything, uploads the artifacts, records the version, then repoints current.json conditionally. */
export async function publishRelease(store: ObjectStore, request: PublishRequest): Promise<ReleaseResult> {
  const version = requireVersion(request.version, "--version");
  const local = await readArtifacts(version, request.artifacts, request.tiers);
  return publishStaged(store, {
    version,
    artifacts: local.map((a) => ({
      tier: a.tier,
      key: a.key,
      sha256: a.sha256,
      origin: a.path,
      write: (target: ObjectStore) =>
        target.put(a.key, a.body, { ifNoneMatch: "*", sha256: a.sha256, contentType: "application/zip" }),
    })),
    allowDowngrade: request.allowDowngrade,
    now: request.now,
  });
}

/** One tier's artifact on its way into a store: the key, the SHA-256 it must be stored with, and how to store it. */
export interface StagedArtifact {
  tier: string;
  key: string;
  /** SHA-256 (base64) the stored object must have. */
  sha256: string;
  /** Where the bytes come from, for messages: a local path, or another environment's object. */
  origin: string;
  /**
   * Gets the bytes ready and checks them, before anything is written (a download verified against its record). Called
   * only for artifacts the store does not hold yet, after every other check passed.
   */
  prepare?(): Promise<void>;
  /**
   * Stores the bytes at `key` only if nothing is there yet (throwing PreconditionFailedError when something is), with
   * a checksum the store verifies.
   */
  write(store: ObjectStore): Promise<unknown>;
}

/** A version whose artifacts are staged: what `phoenix release` and `phoenix promote` both publish through. */
export interface StagedRelease {
  version: string;
  /** One per tier of the environment, checked by the caller. */
  artifacts: StagedArtifact[];
  /** Publish a version older than the current one. @default false */
  allowDowngrade?: boolean;
  now: () => Date;
  /** Recorded in the version's record when this publication creates it. */
  promotion?: Promotion;
}

/**
 * The one publishing path. Nothing is written until every check passed: the same version is never stored with other
 * bytes, and never older than current without allowDowngrade. Then the missing artifacts are prepared (all of them),
 * written, and each written one is read back with its checksum before the version is recorded and current.json is
 * repointed, conditionally. Repeating a publication that already took effect writes nothing.
 */
export async function publishStaged(store: ObjectStore, release: StagedRelease): Promise<ReleaseResult> {
  const { version } = release;
  await refuseRolledBack(store, version);
  const current = await readCurrentRelease(store);

  // Versions are immutable: the same version may be re-published only with byte-identical artifacts.
  const stored = new Set<string>();
  for (const artifact of release.artifacts) {
    const existing = await storedSha256(store, artifact.key);
    if (existing === undefined) continue;
    if (existing !== artifact.sha256) {
      throw new UsageError(
        `version ${version} is already published with different content: ${artifact.tier} is sha256 ${existing} in ` +
          `the store (${artifact.key}) but sha256 ${artifact.sha256} in ${artifact.origin}. A published version never ` +
          `changes; publish a new version instead`,
      );
    }
    stored.add(artifact.key);
  }

  const previousVersion = current.manifest?.version;
  if (previousVersion !== undefined && !release.allowDowngrade && compareVersions(version, previousVersion) < 0) {
    throw new UsageError(
      `version ${version} is older than the current release ${previousVersion}; to go back, run \`phoenix rollback ` +
        `--to <version>\` for a published version, or pass --allow-downgrade to publish this one`,
    );
  }

  const artifacts = Object.fromEntries(release.artifacts.map((a) => [a.tier, a.key]));
  if (
    current.manifest?.version === version &&
    stored.size === release.artifacts.length &&
    sameEntries(current.manifest.artifacts, artifacts)
  ) {
    return { status: "unchanged", manifest: current.manifest, previousVersion, uploaded: [] };
  }

  const missing = release.artifacts.filter((a) => !stored.has(a.key));
  for (const artifact of missing) await artifact.prepare?.();
  const uploaded: string[] = [];
  for (const artifact of missing) {
    await writeOnce(store, artifact);
    uploaded.push(artifact.key);
  }
  for (const artifact of missing) {
    const sha = await storedSha256(store, artifact.key);
    if (sha !== artifact.sha256) {
      throw new ChecksumMismatchError(
        `${artifact.key} was stored with sha256 ${sha ?? "none"}, not the ${artifact.sha256} of ${artifact.origin}; ` +
          `${MANIFEST_KEY} was not changed. Delete that object and publish again`,
      );
    }
  }
  const publishedAt = release.now().toISOString();
  await recordVersion(store, {
    version,
    artifacts,
    checksums: Object.fromEntries(release.artifacts.map((a) => [a.tier, a.sha256])),
    publishedAt,
    ...(release.promotion !== undefined && { promotion: release.promotion }),
  });

  const manifest: ReleaseManifest = { version, artifacts, publishedAt };
  await writeManifest(store, manifest, current);
  return { status: "published", manifest, previousVersion, uploaded };
}

export interface RollbackRequest {
  /** The published version to repoint to. @default the highest published version below the current one */
  to?: string;
  /** When given, the target must have an artifact for each of these tiers. */
  tiers?: string[];
  now: () => Date;
}

/** Repoints current.json to an already published version: no upload, the same conditional write as a release. */
export async function rollback(store: ObjectStore, request: RollbackRequest): Promise<ReleaseResult> {
  const current = await readCurrentRelease(store);
  const records = await readRecords(store);
  const previousVersion = current.manifest?.version;
  const published = records.map((r) => r.version);

  let target: ReleaseRecord | undefined;
  if (request.to !== undefined) {
    const to = requireVersion(request.to, "--to");
    target = records.find((r) => r.version === to);
    if (!target) {
      throw new UsageError(
        `version ${to} is not published (published: ${published.join(", ") || "none"}); run \`phoenix releases\``,
      );
    }
  } else {
    if (previousVersion === undefined) {
      throw new UsageError(
        current.malformed
          ? `${MANIFEST_KEY} is malformed (${current.malformed}); name the version to repoint to with --to`
          : "nothing is published yet, so there is nothing to roll back to",
      );
    }
    // The version the last automatic rollback left is passed over: it failed under traffic once already.
    const marked = await readRollbackRecord(store);
    target = records
      .filter((r) => compareVersions(r.version, previousVersion) < 0 && !isRolledBack(marked, r.version))
      .at(-1);
    if (!target) {
      throw new UsageError(
        `no published version is older than the current ${previousVersion} (published: ${published.join(", ")})`,
      );
    }
  }

  await refuseRolledBack(store, target.version);
  for (const tier of request.tiers ?? []) {
    if (!(tier in target.artifacts)) {
      throw new UsageError(`version ${target.version} has no artifact for tier ${tier}, which this environment runs`);
    }
  }
  for (const [tier, key] of Object.entries(target.artifacts)) {
    if (!(await store.head(key))) {
      throw new ContractError(`cannot repoint to ${target.version}: its ${tier} artifact ${key} is missing`);
    }
  }

  if (previousVersion === target.version && sameEntries(current.manifest!.artifacts, target.artifacts)) {
    return { status: "unchanged", manifest: current.manifest!, previousVersion, uploaded: [] };
  }
  const manifest: ReleaseManifest = {
    version: target.version,
    artifacts: target.artifacts,
    publishedAt: request.now().toISOString(),
  };
  await writeManifest(store, manifest, current);
  return { status: "published", manifest, previousVersion, uploaded: [] };
}

/** Writes an immutable object; when someone stored it meanwhile, theirs must be identical to ours. */
async function putOnce(store: ObjectStore, key: string, body: Buffer, digest: string, contentType: string) {
  await writeOnce(store, {
    key,
    sha256: digest,
    write: (target) => target.put(key, body, { ifNoneMatch: "*", sha256: digest, contentType }),
  });
}

async function writeOnce(store: ObjectStore, artifact: Pick<StagedArtifact, "key" | "sha256" | "write">) {
  const { key, sha256: digest } = artifact;
  try {
    await artifact.write(store);
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    const theirs = await storedSha256(store, key);
    if (theirs !== digest) {
      throw new ReleaseConflictError(
        `${key} was stored by another release meanwhile with sha256 ${theirs}, ours is ${digest}; nothing was ` +
          `repointed. Check \`phoenix releases\` and publish a new version`,
        { cause: err },
      );
    }
  }
}

async function recordVersion(store: ObjectStore, record: ReleaseRecord): Promise<void> {
  const key = releaseRecordKey(record.version);
  const existing = await store.get(key);
  if (existing) {
    const theirs = parseRecord(existing.body.toString("utf8"), key);
    // Same artifacts: keep the first publication time, which is what `phoenix releases` shows.
    if (sameEntries(theirs.checksums, record.checksums)) return;
    throw new ReleaseConflictError(
      `${key} records other checksums than this release's artifacts; version ${record.version} was published ` +
        `differently meanwhile. Publish a new version`,
    );
  }
  const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
  await putOnce(store, key, body, sha256(body), "application/json").catch(async (err) => {
    // Two identical publications race on the record: theirs differs only in publishedAt; accept it.
    if (!(err instanceof ReleaseConflictError)) throw err;
    const theirs = await store.get(key);
    if (!theirs || !sameEntries(parseRecord(theirs.body.toString("utf8"), key).checksums, record.checksums)) throw err;
  });
}

/**
 * The last write of a release: only if current.json is still what we read at the start. A rollback (by hand or
 * automatic, runtime/ops/auto-rollback.ts) writes through this too, so it never overwrites a newer release.
 */
export async function writeManifest(
  store: ObjectStore,
  manifest: ReleaseManifest,
  read: { manifest?: ReleaseManifest; etag?: string },
): Promise<void> {
  const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const condition = read.etag !== undefined ? { ifMatch: read.etag } : { ifNoneMatch: "*" as const };
  try {
    await store.put(MANIFEST_KEY, body, { ...condition, sha256: sha256(body), contentType: "application/json" });
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    const was = read.manifest ? `version ${read.manifest.version}` : "no release";
    throw new ReleaseConflictError(
      `another release was published meanwhile: ${MANIFEST_KEY} changed after this run read it (${was}), so ` +
        `${manifest.version} was not made current. Run \`phoenix releases\` to see what is current, then re-run`,
      { cause: err },
    );
  }
}

/** A version the last automatic rollback left is not made current again: no sweep would roll it out. */
async function refuseRolledBack(store: ObjectStore, version: string): Promise<void> {
  const record = await readRollbackRecord(store);
  if (record !== undefined && isRolledBack(record, version)) throw new UsageError(rolledBackWhy(record));
}

function sameEntries(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
