// Renders the boot script (EC2 user data) of one tier: the Linux bash or Windows PowerShell template with the
// environment's values filled in. Values are checked against strict character sets first, so nothing rendered can
// break out of its quotes in either language.
import * as fs from "node:fs";
import * as path from "node:path";
import { MANIFEST_KEY, Platform, TIER_NAME_PATTERN, UNRELEASED_VERSION } from "../runtime/contract";

export interface BootScriptArgs {
  platform: Platform;
  /** Environment (stack) name. */
  environment: string;
  /** Tier name: which artifact of the manifest to install. */
  tier: string;
  /** Port the app serves on; the script checks /version there before declaring the boot complete. */
  port: number;
  /** Release bucket name. */
  releaseBucket: string;
  /** CloudWatch Logs group the boot log is shipped to. */
  logGroupName: string;
  /** Manifest object key. @default "releases/current.json" */
  manifestKey?: string;
}

const TEMPLATES: Record<Platform, string> = { linux: "linux.sh", windows: "windows.ps1" };

const SAFE: { field: keyof BootScriptArgs; pattern: RegExp; allowed: string }[] = [
  { field: "environment", pattern: /^[a-z][a-z0-9-]{0,31}$/, allowed: "lowercase letters, digits and hyphens" },
  { field: "tier", pattern: TIER_NAME_PATTERN, allowed: "lowercase letters, digits and hyphens" },
  { field: "releaseBucket", pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, allowed: "an S3 bucket name" },
  { field: "logGroupName", pattern: /^[A-Za-z0-9/_.#-]{1,512}$/, allowed: "a CloudWatch Logs group name" },
  { field: "manifestKey", pattern: /^[A-Za-z0-9/_.-]{1,1024}$/, allowed: "an S3 key of letters, digits, / _ . -" },
];

/** Checks the values that go into a script; throws naming the field, the value and what is allowed. */
export function validateBootScriptArgs(args: BootScriptArgs): void {
  if (args.platform !== "linux" && args.platform !== "windows") {
    throw new Error(`boot script: platform ${JSON.stringify(args.platform)} is not linux or windows`);
  }
  for (const { field, pattern, allowed } of SAFE) {
    const value = field === "manifestKey" ? (args.manifestKey ?? MANIFEST_KEY) : args[field];
    if (typeof value !== "string" || !pattern.test(value)) {
      throw new Error(`boot script: ${field} ${JSON.stringify(value)} is not usable; it must be ${allowed}`);
    }
  }
  if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535) {
    throw new Error(`boot script: port ${args.port} must be a whole number from 1 to 65535`);
  }
}

/** The boot script text for a tier, ready for a launch template's user data (base64-encode it there). */
export function renderBootScript(args: BootScriptArgs): string {
  validateBootScriptArgs(args);
  const template = fs.readFileSync(path.join(__dirname, TEMPLATES[args.platform]), "utf8");
  const values: Record<string, string> = {
    __PHOENIX_ENVIRONMENT__: args.environment,
    __PHOENIX_TIER__: args.tier,
    __PHOENIX_PORT__: String(args.port),
    __PHOENIX_BUCKET__: args.releaseBucket,
    __PHOENIX_MANIFEST_KEY__: args.manifestKey ?? MANIFEST_KEY,
    __PHOENIX_LOG_GROUP__: args.logGroupName,
    __PHOENIX_PLACEHOLDER_VERSION__: UNRELEASED_VERSION,
  };
  const rendered = template.replace(/__PHOENIX_[A-Z_]+__/g, (token) => {
    const value = values[token];
    if (value === undefined)
      throw new Error(`boot script template ${TEMPLATES[args.platform]} has an unknown placeholder ${token}`);
    return value;
  });
  return rendered;
}
