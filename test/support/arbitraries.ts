// fast-check arbitraries for random fleets (snapshots and policies) and small builders for hand-written fleets, so
// every spec that reasons about plans draws from the same, realistic distribution: mostly healthy, often not.
import fc from "fast-check";
import { DESIRED_VERSION_SOURCES } from "../../runtime/contract";
import {
  FleetSnapshot,
  GroupSnapshot,
  InstanceSnapshot,
  Policy,
  ProbeResult,
  Verification,
} from "../../runtime/core/types";

/** The "now" of generated snapshots. Launch times fall up to 1200 hours before it. */
export const READ_AT = "2026-11-26T04:00:00.000Z";
export const IMAGES = ["ami-0aaa1111", "ami-0bbb2222", "ami-0ccc3333"];
export const TARGET_GROUP_ARNS = [
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/live-web/0a1b2c3d",
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/live-api/4e5f6a7b",
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/live-admin/8c9d0e1f",
];
export const TIERS = ["web", "api", "worker", "admin"];
export const PROBE_ERRORS = [
  "timeout after 2000 ms",
  "connection refused",
  "HTTP 503",
  'body is not a version: "<html>"',
  "body larger than 1024 bytes",
];

/** Semantic versions around 1.0.270, including prereleases and build metadata, as instances might answer. */
export function versionArb(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(0, 1, 1, 1, 2),
      fc.integer({ min: 0, max: 1 }),
      fc.integer({ min: 264, max: 276 }),
      fc.oneof(
        { arbitrary: fc.constant(""), weight: 6 },
        { arbitrary: fc.constantFrom("-rc.1", "-rc.2", "-beta.1", "-alpha"), weight: 2 },
      ),
      fc.oneof(
        { arbitrary: fc.constant(""), weight: 8 },
        { arbitrary: fc.constantFrom("+build.7", "+build.8"), weight: 1 },
      ),
    )
    .map(([major, minor, patch, pre, build]) => `${major}.${minor}.${patch}${pre}${build}`);
}

/** Launch times from just now to 1200 hours before `readAt`, to the second. */
export function launchTimeArb(readAt = READ_AT): fc.Arbitrary<string> {
  const now = Date.parse(readAt);
  return fc.integer({ min: 0, max: 1200 * 3600 }).map((s) => new Date(now - s * 1000).toISOString());
}

export function probeArb(): fc.Arbitrary<ProbeResult> {
  return fc.oneof(
    { arbitrary: versionArb().map((version): ProbeResult => ({ ok: true, version })), weight: 9 },
    { arbitrary: fc.constantFrom(...PROBE_ERRORS).map((error): ProbeResult => ({ ok: false, error })), weight: 1 },
    // A probe that "answered" something the planner must not take for a version.
    { arbitrary: fc.constantFrom("1.0", "latest").map((version): ProbeResult => ({ ok: true, version })), weight: 1 },
  );
}

export type InstanceWithoutId = Omit<InstanceSnapshot, "id">;

/**
 * One instance of a group attached to `targetGroupArns`, without its id (fleet arbitraries assign unique ids).
 * Mostly healthy everywhere; otherwise every field is drawn on its own, so any mix of problems appears.
 */
export function instanceArb(targetGroupArns: string[], readAt = READ_AT): fc.Arbitrary<InstanceWithoutId> {
  const common = {
    launchTime: launchTimeArb(readAt),
    imageId: fc.option(fc.constantFrom(...IMAGES), { nil: undefined, freq: 10 }),
    privateIp: fc.integer({ min: 1, max: 250 }).map((n) => `10.0.1.${n}`),
  };
  const healthy = fc.record({
    lifecycleState: fc.constant("InService"),
    asgHealth: fc.constant("Healthy"),
    lbHealth: fc.constant(Object.fromEntries(targetGroupArns.map((arn) => [arn, "healthy"]))),
    probe: versionArb().map((version): ProbeResult => ({ ok: true, version })),
    ...common,
  });
  const lbState = fc.constantFrom("healthy", "healthy", "unhealthy", "initial", "draining", "unused");
  const anything = fc.record({
    lifecycleState: fc.constantFrom("InService", "InService", "Pending", "Pending:Wait", "Terminating", "Standby"),
    asgHealth: fc.constantFrom("Healthy", "Healthy", "Unhealthy"),
    lbHealth: fc
      .tuple(
        // Missing from a target group is possible (deregistered, not yet registered).
        fc.tuple(...targetGroupArns.map(() => fc.option(lbState, { nil: undefined, freq: 5 }))),
        // Health for a target group the group no longer lists must not count.
        fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: lbState, weight: 1 }),
      )
      .map(([states, detached]) => {
        const health: Record<string, string> = {};
        targetGroupArns.forEach((arn, i) => {
          if (states[i] !== undefined) health[arn] = states[i];
        });
        if (detached !== undefined) health["arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/old/ffff"] = detached;
        return health;
      }),
    probe: probeArb(),
    ...common,
  });
  return fc.oneof({ arbitrary: healthy, weight: 6 }, { arbitrary: anything, weight: 1 });
}

export type GroupWithoutIds = Omit<GroupSnapshot, "instances"> & { instances: InstanceWithoutId[] };

/**
 * One group of a tier. Usually its instance count equals its desired capacity and no activity is in progress;
 * sometimes not (scale-out launching, scale-in terminating, or an activity still running).
 */
export function groupArb(tier: string, options: { maxInstances?: number; readAt?: string } = {}) {
  const maxInstances = options.maxInstances ?? 8;
  return fc.subarray(TARGET_GROUP_ARNS, { maxLength: 2 }).chain((targetGroupArns) =>
    fc
      .record({
        instances: fc.array(instanceArb(targetGroupArns, options.readAt), { maxLength: maxInstances }),
        desiredOverride: fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 4 },
          { arbitrary: fc.integer({ min: 0, max: maxInstances }), weight: 1 },
        ),
        activity: fc.constantFrom<(boolean | undefined)[]>(undefined, undefined, undefined, undefined, false, true),
        port: fc.constantFrom(80, 8080),
      })
      .map(({ instances, desiredOverride, activity, port }): GroupWithoutIds => {
        const group: GroupWithoutIds = {
          name: `live-${tier}`,
          tier,
          desiredCapacity: desiredOverride ?? instances.length,
          minSize: 0,
          maxSize: maxInstances,
          port,
          targetGroupArns,
          tags: { "phoenix:environment": "live", "phoenix:tier": tier },
          instances,
        };
        if (activity !== undefined) group.activityInProgress = activity;
        return group;
      }),
  );
}

/** Unique instance ids in EC2's shape (`i-0` and 16 hex digits). */
export function instanceIdsArb(n: number): fc.Arbitrary<string[]> {
  const id = fc
    .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }))
    .map(([a, b]) => `i-0${a.toString(16).padStart(8, "0")}${b.toString(16).padStart(8, "0")}`);
  return fc.uniqueArray(id, { minLength: n, maxLength: n });
}

/** Lines a verification step might write: what is wrong with a store, an image, or one tier's artifact. */
export const VERIFICATION_PROBLEMS = {
  store: 'release bucket other-releases, named by /phoenix/live/release-bucket, is not environment "live"\'s',
  image: "/phoenix/live/base-image names ami-0ddd4444, which is no image in this region",
  tier: "the manifest names version 1.0.274, whose web artifact releases/1.0.274/web.zip does not exist",
};

/**
 * What verifying a desired state found: absent (a snapshot logged before verification existed), all verified, or
 * a bad store, a bad image, or some tiers' artifacts missing, in any mix.
 */
export function verificationArb(tiers: string[]): fc.Arbitrary<Verification | undefined> {
  const found = fc
    .record({
      store: fc.option(fc.constant(VERIFICATION_PROBLEMS.store), { nil: undefined, freq: 6 }),
      image: fc.option(fc.constant(VERIFICATION_PROBLEMS.image), { nil: undefined, freq: 5 }),
      tiers: fc.subarray(tiers),
    })
    .map(({ store, image, tiers: missing }): Verification => {
      const v: Verification = {};
      if (store !== undefined) v.store = store;
      if (image !== undefined) v.image = image;
      if (missing.length > 0) v.tiers = Object.fromEntries(missing.map((t) => [t, VERIFICATION_PROBLEMS.tier]));
      return v;
    });
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 2 },
    { arbitrary: fc.constant({}), weight: 3 },
    { arbitrary: found, weight: 3 },
  );
}

/**
 * A whole environment: 0 to `maxGroups` groups of distinct tiers, a manifest version and a base image each present
 * or absent, a verification of any outcome (or none), sometimes the published versions, every instance with a
 * unique id.
 */
export function fleetSnapshotArb(
  options: { maxGroups?: number; maxInstances?: number; readAt?: string } = {},
): fc.Arbitrary<FleetSnapshot> {
  const readAt = options.readAt ?? READ_AT;
  return fc
    .uniqueArray(fc.constantFrom(...TIERS), { maxLength: options.maxGroups ?? 3 })
    .chain((tiers) =>
      fc.record({
        groups: fc.tuple(...tiers.map((t) => groupArb(t, { maxInstances: options.maxInstances, readAt }))),
        desiredVersion: fc.option(versionArb(), { nil: undefined, freq: 2 }),
        desiredImageId: fc.option(fc.constantFrom(...IMAGES), { nil: undefined, freq: 2 }),
        verification: verificationArb(tiers),
        publishedVersions: fc.option(fc.array(versionArb(), { minLength: 1, maxLength: 3 }), { nil: undefined }),
      }),
    )
    .chain(({ groups, desiredVersion, desiredImageId, verification, publishedVersions }) => {
      const total = groups.reduce((n, g) => n + g.instances.length, 0);
      return instanceIdsArb(total).map((ids): FleetSnapshot => {
        let next = 0;
        const snapshot: FleetSnapshot = {
          environment: "live",
          readAt,
          groups: groups.map((g) => ({ ...g, instances: g.instances.map((i) => ({ id: ids[next++], ...i })) })),
        };
        if (desiredVersion !== undefined) snapshot.desiredVersion = desiredVersion;
        if (desiredImageId !== undefined) snapshot.desiredImageId = desiredImageId;
        if (verification !== undefined) snapshot.verification = verification;
        if (publishedVersions !== undefined) snapshot.publishedVersions = publishedVersions;
        return snapshot;
      });
    });
}

function groupPolicyFields() {
  return {
    minHealthy: fc.integer({ min: 0, max: 4 }),
    minHealthyPercent: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 })),
    maxPerSweep: fc.integer({ min: 0, max: 4 }),
    maxInstanceAgeHours: fc.integer({ min: 24, max: 1000 }),
  };
}

/**
 * Policies the CLI could be given: any floor, percent, per-sweep cap, age limit and version source, and per-tier
 * overrides.
 */
export function policyArb(): fc.Arbitrary<Policy> {
  const { minHealthy, minHealthyPercent, maxPerSweep, maxInstanceAgeHours } = groupPolicyFields();
  return fc
    .record({
      minHealthy,
      minHealthyPercent,
      maxPerSweep: fc.option(maxPerSweep, { nil: undefined }),
      maxInstanceAgeHours: fc.option(maxInstanceAgeHours, { nil: undefined }),
      desiredVersion: fc.option(fc.constantFrom(...DESIRED_VERSION_SOURCES), { nil: undefined }),
      tiers: fc.option(
        fc.dictionary(fc.constantFrom(...TIERS), fc.record(groupPolicyFields(), { requiredKeys: [] }), {
          maxKeys: 2,
        }),
        { nil: undefined },
      ),
    })
    .map((p) => {
      // Absent, not undefined: the shape a policy has after JSON, so round-trip comparisons are exact.
      const policy: Policy = { minHealthy: p.minHealthy, minHealthyPercent: p.minHealthyPercent };
      if (p.maxPerSweep !== undefined) policy.maxPerSweep = p.maxPerSweep;
      if (p.maxInstanceAgeHours !== undefined) policy.maxInstanceAgeHours = p.maxInstanceAgeHours;
      if (p.desiredVersion !== undefined) policy.desiredVersion = p.desiredVersion;
      if (p.tiers !== undefined) policy.tiers = p.tiers;
      return policy;
    });
}

// Builders for hand-written fleets.

const DAY_MS = 86_400_000;

/** A healthy InService instance answering `version` on `imageId`, launched `ageDays` before READ_AT. */
export function anInstance(
  id: string,
  version: string,
  overrides: Partial<InstanceSnapshot> & { ageDays?: number } = {},
): InstanceSnapshot {
  const { ageDays = 1, ...rest } = overrides;
  return {
    id,
    lifecycleState: "InService",
    asgHealth: "Healthy",
    lbHealth: { [TARGET_GROUP_ARNS[0]]: "healthy" },
    launchTime: new Date(Date.parse(READ_AT) - ageDays * DAY_MS).toISOString(),
    imageId: IMAGES[0],
    privateIp: "10.0.1.10",
    probe: { ok: true, version },
    ...rest,
  };
}

/** A group attached to the first target group whose desired capacity equals its instance count. */
export function aGroup(
  name: string,
  instances: InstanceSnapshot[],
  overrides: Partial<GroupSnapshot> = {},
): GroupSnapshot {
  const tier = name.replace(/^[^-]*-/, "");
  return {
    name,
    tier,
    desiredCapacity: instances.length,
    minSize: 0,
    maxSize: 10,
    port: 80,
    targetGroupArns: [TARGET_GROUP_ARNS[0]],
    tags: { "phoenix:environment": "live", "phoenix:tier": tier },
    instances,
    ...overrides,
  };
}

/** A snapshot of `groups` read at READ_AT, with the manifest version and base image given (or absent). */
export function aSnapshot(
  groups: GroupSnapshot[],
  desired: { version?: string; imageId?: string } = {},
): FleetSnapshot {
  const snapshot: FleetSnapshot = { environment: "live", readAt: READ_AT, groups };
  if (desired.version !== undefined) snapshot.desiredVersion = desired.version;
  if (desired.imageId !== undefined) snapshot.desiredImageId = desired.imageId;
  return snapshot;
}
