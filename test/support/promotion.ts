// Two environments for the promotion tests (test and live): fleets whose instances are all InService and healthy,
// releases published into any ObjectStore, the snapshot a sweep of the source takes when it sees every instance
// answer a version, a store wrapped to misbehave on one call, and what a store holds (to assert nothing was written).
import * as fs from "node:fs";
import * as path from "node:path";
import { FleetSnapshot, FleetState, GroupState, ObjectStore } from "../../runtime/core/types";
import { publishRelease } from "../../runtime/ops/releases";
import { zipBytes } from "./memory-store";

/** The target group of an environment's tier. */
export const targetGroup = (env: string, tier: string) =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${env}-${tier}/1`;

/** web (2 instances) and api (1), or the tiers named; instance ids are `<env>-<tier>-<n>`. */
export function promotionFleet(env: string, tiers = ["web", "api"], privateIp?: (id: string) => string): FleetState {
  const groups: GroupState[] = tiers.map((tier) => {
    const n = tier === "web" ? 2 : 1;
    return {
      name: `${env}-${tier}`,
      tier,
      desiredCapacity: n,
      minSize: 1,
      maxSize: 2 * n,
      port: 80,
      targetGroupArns: [targetGroup(env, tier)],
      tags: {},
      instances: Array.from({ length: n }, (_, i) => {
        const id = `${env}-${tier}-${i}`;
        return {
          id,
          lifecycleState: "InService",
          asgHealth: "Healthy",
          lbHealth: { [targetGroup(env, tier)]: "healthy" },
          launchTime: "2026-01-01T08:00:00.000Z",
          ...(privateIp !== undefined && { privateIp: privateIp(id) }),
        };
      }),
    };
  });
  return { environment: env, readAt: "2026-01-01T09:00:00.000Z", groups };
}

/** What a sweep of `state` at `readAt` saw: every instance answering `version`, the manifest naming it. */
export function answeringSnapshot(state: FleetState, version: string, readAt: string): FleetSnapshot {
  return {
    ...state,
    readAt,
    desiredVersion: version,
    groups: state.groups.map((g) => ({
      ...g,
      instances: g.instances.map((i) => ({ ...i, probe: { ok: true, version } })),
    })),
  };
}

/** `phoenix release` of one zip per tier into `store`, the zips written in `dir`. */
export async function releaseInto(
  store: ObjectStore,
  dir: string,
  version: string,
  at: string,
  tiers = ["api", "web"],
): Promise<void> {
  const artifacts: Record<string, string> = {};
  for (const tier of tiers) {
    artifacts[tier] = path.join(dir, `${tier}-${version}.zip`);
    fs.writeFileSync(artifacts[tier], zipBytes(`${tier} ${version}`));
  }
  await publishRelease(store, { version, artifacts, tiers, now: () => new Date(at) });
}

/** A store that behaves like `store` but for the calls overridden: a network that flips bits, a denied read. */
export function wrapStore(store: ObjectStore, overrides: Partial<ObjectStore>): ObjectStore {
  return {
    get: (key) => store.get(key),
    put: (key, body, options) => store.put(key, body, options),
    head: (key) => store.head(key),
    list: (prefix) => store.list(prefix),
    ...overrides,
  };
}

/** Every key and entity tag in a store: what "nothing was written" is asserted against. */
export async function storeContents(store: ObjectStore): Promise<Record<string, string>> {
  const keys = await store.list("");
  return Object.fromEntries(await Promise.all(keys.map(async (k) => [k, (await store.head(k))!.etag])));
}
