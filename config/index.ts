// The stack's configuration, read once and validated before any resource exists. The key table is keys.ts (Pulumi.yaml
// and docs/configuration.md are rendered from it), the readers readers.ts, the rules parse.ts, tier.ts, image.ts,
// rollout.ts and schedule.ts; this file reads Pulumi's config for index.ts and is what the rest of the program imports.
import * as pulumi from "@pulumi/pulumi";
import { UsageError } from "../runtime/core/errors";
import { parseConfig } from "./parse";
import { RawConfig } from "./readers";
import { PhoenixConfig, PROJECT } from "./types";

export * from "./types";
export { CONFIG_KEYS, describeKey, FORBIDDEN_PORTS, KEY_SECTIONS, rangeText } from "./keys";
export type { ConfigKey } from "./keys";
export type { RawConfig } from "./readers";
export { cidrProblem, parseConfig } from "./parse";
export { imageProblem, imageSourceFor } from "./image";
export { cronProblem, isTimeZone, parseSchedule } from "./schedule";
export { HTTPS_REQUIRED_STACKS, inZone } from "./security";
export { rolloutAlarmsOf, rolloutGateWarnings, tierPolicy } from "./policy";

/**
 * Reads the stack's config once (Pulumi config, `aws:region`, the stack name) and validates it. For index.ts. A config
 * mistake is a pulumi.RunError, which `pulumi up` prints as its message alone, without a stack trace.
 */
export function loadConfig(): PhoenixConfig {
  // Every key in the namespace, not only the declared ones, so that a misspelt key fails instead of being ignored.
  const raw: RawConfig = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (fullKey.startsWith(`${PROJECT}:`)) raw[fullKey.slice(PROJECT.length + 1)] = value;
  }
  try {
    return parseConfig(raw, pulumi.getStack(), new pulumi.Config("aws").get("region"));
  } catch (error) {
    if (error instanceof UsageError) throw new pulumi.RunError(error.message);
    throw error;
  }
}
