// Reading what a release store holds: the current manifest, the record of each published version (its artifacts,
// their SHA-256, when it was first published and, when it was promoted, from where), the listing `phoenix releases`
// prints, and an object's stored checksum. The writes (publish, rollback, promote's publish) are runtime/ops/releases.ts.
import { MANIFEST_KEY, recordKeyVersion, RELEASES_PREFIX, releaseRecordKey, ROLLBACK_RECORD_KEY } from "../contract";
import { ContractError } from "../core/errors";
import { parseManifest } from "../core/manifest";
import type { Promotion } from "../core/promotion";
import { parseRollbackRecord } from "../core/rollback";
import { ObjectStore, ReleaseManifest, RollbackRecord } from "../core/types";
import { compareVersions, normalizeVersion } from "../core/version";
import { sha256 } from "./release-artifacts";

/** `releases/<version>/release.json`: what a version was published with, so it can be listed and repointed to. */
export interface ReleaseRecord {
  version: string;
  /** Object key of each tier's artifact. */
  artifacts: Record<string, string>;
  /** SHA-256 (base64) of each tier's artifact. */
  checksums: Record<string, string>;
  /** ISO-8601 time the version was first published. */
  publishedAt: string;
  /** Set when the version was promoted here from another environment: from where, why, and on what evidence. */
  promotion?: Promotion;
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

export interface ReleaseListing {
  version: string;
  publishedAt: string;
  current: boolean;
  /** Where the version was promoted from, when it was (its record's provenance). */
  promotion?: Promotion;
}

/** Every published version, newest first, with when it was first published and which one is current. */
export async function listReleases(store: ObjectStore): Promise<ReleaseListing[]> {
  const [records, current] = await Promise.all([readRecords(store), readCurrentRelease(store)]);
  const listing: ReleaseListing[] = records.map((r) => ({
    version: r.version,
    publishedAt: r.publishedAt,
    current: r.version === current.manifest?.version,
    ...(r.promotion !== undefined && { promotion: r.promotion }),
  }));
  // A manifest written by hand or by an older tool has no record; it is still what the fleet runs.
  if (current.manifest && !listing.some((l) => l.current)) {
    listing.push({ version: current.manifest.version, publishedAt: current.manifest.publishedAt, current: true });
  }
  return listing.sort((a, b) => compareVersions(b.version, a.version));
}

/** One version's record, or undefined when the store has none for it. */
export async function readRecord(store: ObjectStore, version: string): Promise<ReleaseRecord | undefined> {
  const key = releaseRecordKey(version);
  const object = await store.get(key);
  return object && parseRecord(object.body.toString("utf8"), key);
}

/**
 * The published versions (those with a release record), oldest first, from a listing alone: what the rollout role
 * may see, which lists the bucket but reads no record.
 */
export async function publishedVersions(store: ObjectStore): Promise<string[]> {
  const versions = (await store.list(RELEASES_PREFIX)).flatMap((key) => {
    const version = recordKeyVersion(key);
    return version !== undefined && normalizeVersion(version) !== undefined ? [version] : [];
  });
  return versions.sort(compareVersions);
}

/** The last automatic rollback's record (`rollbacks/latest.json`), or undefined when there is none or not ours. */
export async function readRollbackRecord(store: ObjectStore): Promise<RollbackRecord | undefined> {
  const object = await store.get(ROLLBACK_RECORD_KEY);
  return object === undefined ? undefined : parseRollbackRecord(object.body.toString("utf8"));
}

/** The version records in the store, oldest version first. */
export async function readRecords(store: ObjectStore): Promise<ReleaseRecord[]> {
  const keys = (await publishedVersions(store)).map(releaseRecordKey);
  const records: ReleaseRecord[] = [];
  for (const key of keys) {
    const object = await store.get(key);
    if (object) records.push(parseRecord(object.body.toString("utf8"), key));
  }
  return records.sort((a, b) => compareVersions(a.version, b.version));
}

export function parseRecord(text: string, key: string): ReleaseRecord {
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
  return {
    version,
    artifacts: doc.artifacts,
    checksums: doc.checksums,
    publishedAt: doc.publishedAt,
    ...(typeof doc.promotion === "object" && doc.promotion !== null && { promotion: doc.promotion }),
  };
}

/** The stored object's sha256, from its metadata when the store kept it, else by reading it. */
export async function storedSha256(store: ObjectStore, key: string): Promise<string | undefined> {
  const head = await store.head(key);
  if (!head) return undefined;
  if (head.sha256 !== undefined) return head.sha256;
  const object = await store.get(key);
  return object && sha256(object.body);
}
