// Versions as instances report them on GET /version: which bodies count as a version, and how two versions order.
// The planner, the prober and the release tools all go through here so that they agree on what "1.2.3" means.
import * as semver from "semver";
import { ContractError } from "./errors";

/**
 * The version a /version body names, normalized (no leading `v`; prerelease and build metadata kept), or undefined
 * when the body is not one of the accepted forms: `1.2.3`, `v1.2.3`, `"1.2.3"` (a JSON string) or
 * `{"version":"1.2.3"}` (a JSON object whose `version` is such a string; other fields are ignored). Surrounding
 * whitespace and newlines are tolerated; anything else (HTML, `1.0`, `1.2.3 beta`, junk) is not a version.
 */
export function parseVersionBody(body: string): string | undefined {
  const text = body.trim();
  if (text.startsWith('"') || text.startsWith("{")) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (typeof doc === "string") {
      return normalizeVersion(doc);
    }
    if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) {
      const version = (doc as Record<string, unknown>).version;
      return typeof version === "string" ? normalizeVersion(version) : undefined;
    }
    return undefined;
  }
  return normalizeVersion(text);
}

/** A strict semantic version, with an optional leading `v`, normalized; undefined otherwise. */
export function normalizeVersion(text: string): string | undefined {
  // semver trims on its own; refuse inner or surrounding whitespace here so `" 1.2.3"` inside JSON is not a version.
  if (text !== text.trim() || text.length === 0) {
    return undefined;
  }
  const parsed = semver.parse(text);
  if (parsed === null) {
    return undefined;
  }
  // SemVer#version drops build metadata; keep it, since two builds of one version are different artifacts.
  return parsed.build.length > 0 ? `${parsed.version}+${parsed.build.join(".")}` : parsed.version;
}

/**
 * Orders two versions: negative when a < b, positive when a > b, 0 only when they are the same version.
 * Precedence is semver's (prerelease below release, build metadata ignored); two versions that differ only in build
 * metadata have equal precedence and are then ordered by their build metadata, so that sorting and "highest
 * observed" never depend on input order. Throws ContractError for a string that is not a semantic version.
 */
export function compareVersions(a: string, b: string): number {
  const left = parseOrThrow(a);
  const right = parseOrThrow(b);
  return semver.compareBuild(left, right);
}

/**
 * True when both are semantic versions and the same one, build included (`v1.0.274` is `1.0.274`); false when either
 * is not a version, so an unreadable answer never counts as running it.
 */
export function sameVersion(a: string | undefined, b: string | undefined): boolean {
  const na = a === undefined ? undefined : normalizeVersion(a);
  const nb = b === undefined ? undefined : normalizeVersion(b);
  return na !== undefined && nb !== undefined && compareVersions(na, nb) === 0;
}

/** True when the versions have equal semver precedence (they may still differ in build metadata). */
export function samePrecedence(a: string, b: string): boolean {
  return semver.compare(parseOrThrow(a), parseOrThrow(b)) === 0;
}

function parseOrThrow(text: string): semver.SemVer {
  const parsed = semver.parse(text);
  if (parsed === null) {
    throw new ContractError(`${JSON.stringify(text)} is not a semantic version (e.g. 1.0.274); parse it first`);
  }
  return parsed;
}
