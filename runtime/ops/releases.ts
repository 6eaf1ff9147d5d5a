// Publishing, rolling back and listing releases over an ObjectStore (S3, or the rehearsal's disk). A release is
// immutable once its artifacts are stored; `releases/current.json` is written last, and only if nobody else wrote it
// since we read it, so two concurrent releases cannot both half-win.
import { ContractError, PreconditionFailedError, UsageError } from "../core/errors";
import { MANIFEST_KEY, RELEASES_PREFIX, releaseRecordKey } from "../contract";
import { parseManifest } from "../core/manifest";
import { ObjectStore, ReleaseManifest } from "../core/types";
import { compareVersions, normalizeVersion } from "../core/version";
import { readArtifacts, requireVersion, sha256 } from "./release-artifacts";

export { checkLocalRelease, isZip, requireVersion } from "./release-artifacts";

/** Another writer got there first (the manifest, or the same version with other content); nothing of ours won. */
export class ReleaseConflictError extends Error {
  override name = "ReleaseConflictError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** `releases/<version>/release.json`: what a version was published with, so it can be listed and repointed to. */
export interface ReleaseRecord {
  version: string;
  /** Object key of each tier's artifact. */
  artifacts: Record<string, string>;
  /** SHA-256 (base64) of each tier's artifact. */
  checksums: Record<string, string>;
  /** ISO-8601 time the version was first published. */
  publishedAt: string;
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

/** The current manifest and its entity tag; both absent when nothing is published. */
export async function readCurrentRelease(
  store: ObjectStore,
): Promise<{ manifest?: ReleaseManifest; etag?: string; malformed?: string }> {
  const object = await store.get(MANIFEST_KEY);
  if (!object) return {};
  try {
    return { manifest: parseManifest(object.body.toString("utf8")), etag: object.etag };
  } catch (err) {
    // A broken pointer must not block the release that repairs it; the conditional write still guards the race.
    return { etag: object.etag, malformed: (err as Error).message };
  }
}

/** Validates everything, uploads the artifacts, records the version, then repoints current.json conditionally. */
export async function publishRelease(store: ObjectStore, request: PublishRequest): Promise<ReleaseResult> {
  const version = requireVersion(request.version, "--version");
  const local = await readArtifacts(version, request.artifacts, request.tiers);
  const current = await readCurrentRelease(store);

  // Versions are immutable: the same version may be re-published only with byte-identical artifacts.
  const stored = new Map<string, string>();
  for (const artifact of local) {
    const existing = await storedSha256(store, artifact.key);
    if (existing === undefined) continue;
    if (existing !== artifact.sha256) {
      throw new UsageError(
        `version ${version} is already published with different content: ${artifact.tier} is sha256 ${existing} in ` +
          `the store (${artifact.key}) but sha256 ${artifact.sha256} in ${artifact.path}. A published version never ` +
          `changes; publish a new version instead`,
      );
    }
    stored.set(artifact.key, existing);
  }

  const previousVersion = current.manifest?.version;
  if (previousVersion !== undefined && !request.allowDowngrade && compareVersions(version, previousVersion) < 0) {
    throw new UsageError(
      `version ${version} is older than the current release ${previousVersion}; to go back, run \`phoenix rollback ` +
        `--to <version>\` for a published version, or pass --allow-downgrade to publish this one`,
    );
  }

  const artifacts = Object.fromEntries(local.map((a) => [a.tier, a.key]));
  if (
    current.manifest?.version === version &&
    stored.size === local.length &&
    sameEntries(current.manifest.artifacts, artifacts)
  ) {
    return { status: "unchanged", manifest: current.manifest, previousVersion, uploaded: [] };
  }

  const uploaded: string[] = [];
  for (const artifact of local) {
    if (stored.has(artifact.key)) continue;
    await putOnce(store, artifact.key, artifact.body, artifact.sha256, "application/zip");
    uploaded.push(artifact.key);
  }
  const publishedAt = request.now().toISOString();
  await recordVersion(store, {
    version,
    artifacts,
    checksums: Object.fromEntries(local.map((a) => [a.tier, a.sha256])),
    publishedAt,
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
    target = records.filter((r) => compareVersions(r.version, previousVersion) < 0).at(-1);
    if (!target) {
      throw new UsageError(
        `no published version is older than the current ${previousVersion} (published: ${published.join(", ")})`,
      );
    }
  }

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

export interface ReleaseListing {
  version: string;
  publishedAt: string;
  current: boolean;
}

/** Every published version, newest first, with when it was first published and which one is current. */
export async function listReleases(store: ObjectStore): Promise<ReleaseListing[]> {
  const [records, current] = await Promise.all([readRecords(store), readCurrentRelease(store)]);
  const listing = records.map((r) => ({
    version: r.version,
    publishedAt: r.publishedAt,
    current: r.version === current.manifest?.version,
  }));
  // A manifest written by hand or by an older tool has no record; it is still what the fleet runs.
  if (current.manifest && !listing.some((l) => l.current)) {
    listing.push({ version: current.manifest.version, publishedAt: current.manifest.publishedAt, current: true });
  }
  return listing.sort((a, b) => compareVersions(b.version, a.version));
}

/** The version records in the store, oldest version first. */
async function readRecords(store: ObjectStore): Promise<ReleaseRecord[]> {
  const keys = (await store.list(RELEASES_PREFIX)).filter((k) => releaseRecordKey(k.split("/")[1] ?? "") === k);
  const records: ReleaseRecord[] = [];
  for (const key of keys) {
    const object = await store.get(key);
    if (object) records.push(parseRecord(object.body.toString("utf8"), key));
  }
  return records.sort((a, b) => compareVersions(a.version, b.version));
}

function parseRecord(text: string, key: string): ReleaseRecord {
  let doc: Partial<ReleaseRecord>;
  try {
    doc = JSON.parse(text) as Partial<ReleaseRecord>;
  } catch (cause) {
    throw new ContractError(`${key} is not JSON: ${(cause as Error).message}`, { cause });
  }
  const version = typeof doc.version === "string" ? normalizeVersion(doc.version) : undefined;
  if (
    version === undefined ||
    typeof doc.publishedAt !== "string" ||
    typeof doc.artifacts !== "object" ||
    doc.artifacts === null ||
    typeof doc.checksums !== "object" ||
    doc.checksums === null
  ) {
    throw new ContractError(`${key} must hold version, artifacts, checksums and publishedAt; delete or repair it`);
  }
  return { version, artifacts: doc.artifacts, checksums: doc.checksums, publishedAt: doc.publishedAt };
}

/** The stored object's sha256, from its metadata when the store kept it, else by reading it. */
async function storedSha256(store: ObjectStore, key: string): Promise<string | undefined> {
  const head = await store.head(key);
  if (!head) return undefined;
  if (head.sha256 !== undefined) return head.sha256;
  const object = await store.get(key);
  return object && sha256(object.body);
}

/** Writes an immutable object; when someone stored it meanwhile, theirs must be identical to ours. */
async function putOnce(store: ObjectStore, key: string, body: Buffer, digest: string, contentType: string) {
  try {
    await store.put(key, body, { ifNoneMatch: "*", sha256: digest, contentType });
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

/** The last write of a release: only if current.json is still what we read at the start. */
async function writeManifest(
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

function sameEntries(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
