// parseConfig: every key of a stack read and checked at once, pure (no Pulumi, no AWS). The environment-wide keys
// (stack name, region, network, buckets, logs) are read here; tiers, images and the rollout have files of their own.
import { environmentNameProblem, REGION_PATTERN } from "../runtime/contract";
import { UsageError } from "../runtime/core/errors";
import { parseImages, readImageKeys } from "./image";
import { CONFIG_KEYS, RENAMED_KEYS, VPC_PREFIX } from "./keys";
import { Problems, RawConfig, readBoolean, readChoice, readInteger, readString } from "./readers";
import { parseRecovery } from "./recovery";
import { policyTagProblem, tierPolicy } from "./policy";
import { parseRollout } from "./rollout";
import { parseSecurity } from "./security";
import { parseTier } from "./tier";
import { NatStrategy, PhoenixConfig } from "./types";

/** Why a CIDR is unusable for the VPC, or undefined when it is fine. */
export function cidrProblem(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return "is not an IPv4 CIDR (a.b.c.d/n)";
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  const prefix = Number(m[5]);
  if (prefix < VPC_PREFIX.min || prefix > VPC_PREFIX.max)
    return `must have a prefix from /${VPC_PREFIX.min} to /${VPC_PREFIX.max} (AWS VPC limits, room for subnets)`;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 32 - prefix;
  if (address % 2 ** hostBits !== 0) return `has host bits set: the network address for /${prefix} is different`;
  return undefined;
}

/**
 * Validates raw config for an environment. Pure: no Pulumi, no AWS. Throws one UsageError listing every problem,
 * each naming the key, the value given and what is allowed.
 */
export function parseConfig(raw: RawConfig, environment: string, region: string | undefined): PhoenixConfig {
  const problems = new Problems();
  const envIssue = environmentNameProblem(environment);
  if (envIssue) problems.list.push(`stack name ${JSON.stringify(environment)} ${envIssue}`);
  if (!region)
    problems.list.push("aws:region is not set: run `pulumi config set aws:region <region>` (e.g. eu-west-1)");
  else if (!REGION_PATTERN.test(region))
    problems.list.push(`aws:region = ${JSON.stringify(region)}: is not an AWS region such as eu-west-1`);

  for (const key of Object.keys(raw)) {
    const renamed = RENAMED_KEYS[key];
    if (renamed !== undefined) {
      problems.add(
        key,
        raw[key],
        `was renamed ${renamed}: run \`pulumi config rm ${key}\` and set the same list as ${renamed}`,
      );
    } else if (!CONFIG_KEYS.some((c) => c.key === key)) {
      problems.add(
        key,
        raw[key],
        `is not a phoenix config key; known keys: ${CONFIG_KEYS.map((c) => c.key).join(", ")}`,
      );
    }
  }
  const vpcCidr = readString(raw, "vpcCidr");
  const cidrIssue = cidrProblem(vpcCidr);
  if (cidrIssue) problems.add("vpcCidr", vpcCidr, cidrIssue);
  const availabilityZones = readInteger(raw, "availabilityZones", problems);
  const natGateways = readChoice<NatStrategy>(raw, "natGateways", problems);
  const releaseNoncurrentVersionDays = readInteger(raw, "releaseNoncurrentVersionDays", problems);
  const security = parseSecurity(raw, environment, region, problems);
  const forceDestroyBuckets = readBoolean(raw, "forceDestroyBuckets", problems);
  const accessLogs = readBoolean(raw, "accessLogs", problems);
  const accessLogRetentionDays = readInteger(raw, "accessLogRetentionDays", problems);
  const bootLogRetentionDays = readInteger(raw, "bootLogRetentionDays", problems);
  const imageKeys = readImageKeys(raw, problems);
  const stack = region !== undefined ? { region } : {};
  const tiers = { web: parseTier(raw, "web", problems, stack), api: parseTier(raw, "api", problems, stack) };
  const recovery = parseRecovery(raw, environment, region, problems);
  const image = parseImages(raw, environment, imageKeys, Object.values(tiers), problems, recovery.regions);
  const rollout = parseRollout(raw, problems);
  for (const tier of Object.values(tiers)) {
    // The group's phoenix:policy tag carries the alarm names (for `phoenix sweep` from a laptop): it must fit.
    const issue = policyTagProblem(tierPolicy(tier, environment, rollout.desiredVersion));
    const key = tier.rolloutAlarms.length > 0 ? `${tier.name}RolloutAlarms` : `${tier.name}Checkpoints`;
    if (issue !== undefined) problems.add(key, raw[key] ?? null, issue);
  }
  if (problems.list.length > 0) {
    throw new UsageError(
      `The ${environment} stack's config has ${problems.list.length} problem(s); nothing was created:\n  - ${problems.list.join("\n  - ")}`,
    );
  }
  return {
    environment,
    region: region!,
    vpcCidr,
    availabilityZones,
    natGateways,
    releaseNoncurrentVersionDays,
    ...security,
    forceDestroyBuckets,
    accessLogs,
    accessLogRetentionDays,
    bootLogRetentionDays,
    ...imageKeys,
    image,
    tiers,
    rollout,
    recovery,
  };
}
