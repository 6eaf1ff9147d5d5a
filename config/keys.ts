// The stack's config keys, each written once: its type, default, bounds and description (a row's shape is
// config/declared-key.ts). The readers take bounds and defaults from here, and `npm run docs:config` renders
// Pulumi.yaml's `config:` block and docs/configuration.md from here. Knobs the runtime also enforces take their
// bounds and default from LIMITS in runtime/contract/limits.ts. The rows live by topic in config/keys/; this file puts
// the topics in order, which is the order of Pulumi.yaml and docs/configuration.md.
import { ConfigKey, KeySection } from "./declared-key";
import { IMAGES, RECOVERY } from "./keys/images";
import { NETWORK_AND_BUCKETS } from "./keys/network";
import { ROLLOUT } from "./keys/rollout";
import { SECURITY } from "./keys/security";
import { tierKeys } from "./keys/tier";
import { TIERS } from "./types";

export type { ConfigKey, IntegerKey, KeySection } from "./declared-key";
export { describeKey, rangeText } from "./declared-key";
export { LOG_RETENTION_DAYS, VPC_PREFIX } from "./keys/network";
export { FORBIDDEN_PORTS, WINDOWS_MIN_ROOT_VOLUME_GIB } from "./keys/tier";

/** Keys that were renamed: a stack file that still sets the old name is told the new one. */
export const RENAMED_KEYS: Record<string, string> = { imageDrRegions: "recoveryRegions" };

/** The keys by topic, in Pulumi.yaml's order. */
export const KEY_SECTIONS: KeySection[] = [
  { title: "Network and buckets", keys: NETWORK_AND_BUCKETS },
  { title: "Security", keys: SECURITY },
  { title: "Base images", keys: IMAGES },
  { title: "Disaster recovery", keys: RECOVERY },
  { title: "Rollout", keys: ROLLOUT },
  ...TIERS.map((tier) => ({ title: `${tier === "web" ? "Web" : "API"} tier`, keys: tierKeys(tier) })),
];

/** Every key the program reads, in the `phoenix` namespace. Pulumi.yaml declares exactly these. */
export const CONFIG_KEYS: ConfigKey[] = KEY_SECTIONS.flatMap((s) => s.keys);

/** The declared key of that name, or a programming error: every key the parser reads must be in the table. */
export function configKey(key: string): ConfigKey {
  const k = CONFIG_KEYS.find((c) => c.key === key);
  if (!k) throw new Error(`config key ${key} is not declared in config/keys.ts`);
  return k;
}
