// What a release reads from this machine, checked before anything is uploaded: the version's form, the tier names,
// and each artifact file (present, readable, a zip). The CLI runs checkLocalRelease before it talks to AWS at all;
// publishRelease reads the artifacts whole through readArtifacts.
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { artifactKey, tierNameProblem } from "../contract";
import { UsageError } from "../core/errors";
import { normalizeVersion } from "../core/version";

/** One tier's artifact as read from disk, with the key it is stored under and its SHA-256 (base64). */
export interface LocalArtifact {
  tier: string;
  path: string;
  key: string;
  body: Buffer;
  sha256: string;
}

/**
 * Everything about a release this machine can check before any AWS call: the version's form, each artifact's tier
 * name, and that each file exists and is a zip (its first bytes; publishRelease reads it whole). Throws one
 * UsageError naming every problem.
 */
export async function checkLocalRelease(version: string, paths: Record<string, string>): Promise<void> {
  const problems: string[] = [];
  const versionIssue = versionProblem(version, "--version");
  if (versionIssue !== undefined) problems.push(versionIssue);
  for (const [tier, path] of Object.entries(paths).sort()) {
    const tierIssue = tierNameProblem(tier);
    if (tierIssue !== undefined) problems.push(`--artifact ${tier}=${path}: the tier name ${tierIssue}`);
    let head: Buffer;
    try {
      head = await readHead(path);
    } catch (err) {
      problems.push(`artifact for ${tier}: ${path} ${unreadable(err)}`);
      continue;
    }
    if (!isZip(head)) problems.push(notZip(tier, path));
  }
  if (problems.length > 0) throw new UsageError(`${problems.join("; ")}; nothing was published`);
}

/** A strict semantic version exactly as it will appear in object keys; anything else is refused with a hint. */
export function requireVersion(text: string, flag: string): string {
  const problem = versionProblem(text, flag);
  if (problem !== undefined) throw new UsageError(problem);
  return text;
}

function versionProblem(text: string, flag: string): string | undefined {
  const normalized = normalizeVersion(text);
  if (normalized === undefined)
    return `${flag} ${JSON.stringify(text)} is not a semantic version; use one like 1.0.274`;
  if (normalized !== text) return `${flag} ${JSON.stringify(text)} is not in canonical form; use ${normalized}`;
  return undefined;
}

/** The first bytes of a file: enough to tell a zip. */
async function readHead(path: string): Promise<Buffer> {
  const file = await fs.open(path, "r");
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

function unreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : `cannot be read (${code})`;
}

function notZip(tier: string, path: string): string {
  return `artifact for ${tier}: ${path} is not a zip file (it does not start with PK\\x03\\x04)`;
}

/** Every tier's artifact, read whole: each tier of the environment needs one, and no other is accepted. */
export async function readArtifacts(
  version: string,
  paths: Record<string, string>,
  tiers: string[],
): Promise<LocalArtifact[]> {
  if (tiers.length === 0) {
    throw new UsageError("the environment has no tiers (no Auto Scaling groups tagged phoenix:tier); check --env");
  }
  const missing = tiers.filter((t) => !(t in paths));
  const unknown = Object.keys(paths).filter((t) => !tiers.includes(t));
  if (missing.length > 0 || unknown.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [`no artifact for ${missing.join(", ")}`] : []),
      ...(unknown.length > 0 ? [`no tier named ${unknown.join(", ")}`] : []),
    ];
    throw new UsageError(
      `${problems.join("; ")}: the environment's tiers are ${tiers.join(", ")}; pass --artifact <tier>=<zip> for each`,
    );
  }
  const artifacts: LocalArtifact[] = [];
  for (const tier of [...tiers].sort()) {
    const path = paths[tier];
    let body: Buffer;
    try {
      body = await fs.readFile(path);
    } catch (err) {
      throw new UsageError(`artifact for ${tier}: ${path} ${unreadable(err)}`);
    }
    if (!isZip(body)) throw new UsageError(notZip(tier, path));
    artifacts.push({ tier, path, key: artifactKey(version, tier), body, sha256: sha256(body) });
  }
  return artifacts;
}

/** A zip starts with a local file header, or is empty and starts with the end-of-central-directory record. */
export function isZip(body: Buffer): boolean {
  const magic = body.subarray(0, 4).toString("latin1");
  return magic === "PK\x03\x04" || magic === "PK\x05\x06";
}

/** SHA-256 of a body, base64, as S3 checksums are written. */
export function sha256(body: Buffer): string {
  return createHash("sha256").update(body).digest("base64");
}
