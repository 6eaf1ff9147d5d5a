// The release manifest (`releases/current.json`): parsing and validation, shared by the fleet adapter, the release
// handler, the CLI and the local rehearsal so that every reader rejects the same malformed documents.
import * as semver from "semver";
import { MANIFEST_KEY } from "../contract";
import { ContractError } from "./errors";
import { ReleaseManifest } from "./types";

/** Parses and validates a manifest document; throws ContractError naming the first problem. */
export function parseManifest(text: string, source = MANIFEST_KEY): ReleaseManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new ContractError(`${source} is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new ContractError(`${source} must be a JSON object with version, artifacts and publishedAt`);
  }
  const { version, artifacts, publishedAt } = doc as Record<string, unknown>;
  if (typeof version !== "string" || semver.valid(version) === null) {
    throw new ContractError(`${source}: version ${JSON.stringify(version)} is not a semantic version (e.g. 1.0.274)`);
  }
  if (typeof artifacts !== "object" || artifacts === null || Array.isArray(artifacts)) {
    throw new ContractError(`${source}: artifacts must be an object of tier to object key`);
  }
  const entries = Object.entries(artifacts as Record<string, unknown>);
  if (entries.length === 0) {
    throw new ContractError(`${source}: artifacts is empty; every tier needs an artifact`);
  }
  for (const [tier, key] of entries) {
    if (typeof key !== "string" || key.length === 0) {
      throw new ContractError(`${source}: artifacts.${tier} must be an object key string`);
    }
  }
  if (typeof publishedAt !== "string" || Number.isNaN(Date.parse(publishedAt))) {
    throw new ContractError(`${source}: publishedAt ${JSON.stringify(publishedAt)} is not an ISO-8601 time`);
  }
  return { version, artifacts: artifacts as Record<string, string>, publishedAt };
}
