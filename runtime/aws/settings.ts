// The AWS settings a CLI command runs with, checked before its first AWS call. The SDK reports a profile that does
// not exist and a region that is not set as something else ("Region is missing", "Could not load credentials from
// any providers"), so an operator with a typo in AWS_PROFILE is told to set a region. The Lambda never needs this:
// its runtime sets the region and the role.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UsageError } from "../core/errors";
import type { AwsClients } from "./clients";

/** The shared config and credentials files the SDK reads, and the profiles each defines. */
export interface SharedProfiles {
  files: string[];
  profiles: Set<string>;
}

/** The files the SDK reads (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/) and their profiles. */
export function sharedProfiles(env: NodeJS.ProcessEnv, home = os.homedir()): SharedProfiles {
  const expand = (file: string) => (file.startsWith("~/") ? path.join(home, file.slice(2)) : file);
  const config = expand(env.AWS_CONFIG_FILE ?? path.join(home, ".aws", "config"));
  const credentials = expand(env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, ".aws", "credentials"));
  const profiles = new Set<string>();
  for (const file of [config, credentials]) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue; // A missing file defines no profile, as it does for the SDK.
    }
    // `[default]`, `[profile name]` in config, `[name]` in credentials; `[sso-session x]` and `[services x]`, two
    // words that are not `profile x`, do not match.
    for (const m of text.matchAll(/^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/gm)) profiles.add(m[1]);
  }
  return { files: [config, credentials], profiles };
}

/** Why AWS_PROFILE cannot be used, or undefined when it is unset or names a profile the shared files define. */
export function profileProblem(env: NodeJS.ProcessEnv, home = os.homedir()): string | undefined {
  const profile = env.AWS_PROFILE;
  if (profile === undefined || profile === "") return undefined;
  const shared = sharedProfiles(env, home);
  if (shared.profiles.has(profile)) return undefined;
  const known = [...shared.profiles].sort();
  return (
    `AWS_PROFILE=${profile} is not a profile in ${shared.files.join(" or ")}` +
    (known.length > 0 ? ` (they define ${known.join(", ")})` : " (they define none)") +
    ": set AWS_PROFILE to one of them, or unset it"
  );
}

/**
 * Throws UsageError, before any AWS call, when AWS_PROFILE names no profile or no region can be found. The region is
 * asked of the SDK's own chain (AWS_REGION, the profile's region, the instance metadata on EC2), so whatever the
 * SDK would accept is accepted.
 */
export async function checkAwsSettings(clients: AwsClients, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const problem = profileProblem(env);
  if (problem !== undefined) throw new UsageError(problem);
  try {
    await clients.ssm.config.region();
  } catch (cause) {
    const profile = env.AWS_PROFILE ? `profile ${env.AWS_PROFILE}` : "your profile";
    throw new UsageError(`no AWS region configured: set AWS_REGION, or a region for ${profile} in ~/.aws/config`, {
      cause,
    });
  }
}
