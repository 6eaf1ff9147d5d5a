// The rehearsal's release artifacts: tiny but genuine zip files that the real publish code uploads, and that a local
// instance "installs" at boot to learn what it runs — including a build that is broken — and their publishing, as a
// build server's `phoenix release` does it.
import * as fs from "node:fs";
import * as path from "node:path";
import { unzipSync, zipSync } from "fflate";
import type { ObjectStore } from "../core/types";
import { publishRelease } from "../ops/releases";

/**
 * What a rehearsal build contains; an instance serves `version`, and a broken build never becomes healthy. A build
 * with an `errorRate` is bad under traffic: it passes every health check, and answers that share of requests with 5xx.
 */
export interface RehearsalBuild {
  tier: string;
  version: string;
  broken: boolean;
  /** Share (0-1) of requests answered with 5xx; absent or 0 for a good build. */
  errorRate?: number;
}

const BUILD_ENTRY = "rehearsal-build.json";

/** A fixed entry time, so the same build always zips to the same bytes (and the same SHA-256). */
const ENTRY_TIME = new Date("2000-01-01T00:00:00Z");

/** A zip archive holding one `rehearsal-build.json` entry describing the build. */
export function buildArtifact(build: RehearsalBuild): Buffer {
  const entry = Buffer.from(JSON.stringify(build));
  return Buffer.from(zipSync({ [BUILD_ENTRY]: entry }, { level: 0, mtime: ENTRY_TIME }));
}

/**
 * What `phoenix release` does on a build server: each tier's artifact built as `<buildsDir>/<version>/<tier>.zip`,
 * then published to `store` by the real publish code.
 */
export async function publishBuild(
  store: ObjectStore,
  o: { buildsDir: string; version: string; tiers: string[]; now: () => Date; broken?: boolean; errorRate?: number },
): Promise<void> {
  const dir = path.join(o.buildsDir, o.version);
  fs.mkdirSync(dir, { recursive: true });
  const artifacts: Record<string, string> = {};
  for (const tier of o.tiers) {
    artifacts[tier] = path.join(dir, `${tier}.zip`);
    const errorRate = o.errorRate ?? 0;
    const build = { tier, version: o.version, broken: o.broken === true, ...(errorRate > 0 && { errorRate }) };
    fs.writeFileSync(artifacts[tier], buildArtifact(build));
  }
  await publishRelease(store, { version: o.version, artifacts, tiers: o.tiers, now: o.now });
}

/** Reads a build back from an artifact; undefined when the archive has no readable build entry (it will not boot). */
export function readArtifact(zip: Buffer): RehearsalBuild | undefined {
  let entry: Uint8Array | undefined;
  try {
    entry = unzipSync(zip, { filter: (file) => file.name === BUILD_ENTRY })[BUILD_ENTRY];
  } catch {
    return undefined; // Not a zip: the instance fails to boot, as a real one would.
  }
  if (entry === undefined) return undefined;
  try {
    const doc = JSON.parse(Buffer.from(entry).toString("utf8")) as Partial<RehearsalBuild>;
    if (typeof doc.version !== "string" || typeof doc.tier !== "string") return undefined;
    const errorRate = typeof doc.errorRate === "number" && doc.errorRate > 0 ? Math.min(1, doc.errorRate) : undefined;
    return { tier: doc.tier, version: doc.version, broken: doc.broken === true, ...(errorRate && { errorRate }) };
  } catch {
    return undefined;
  }
}
