// Property tests of the planner over random fleets: the safety rules hold for every fleet and policy, checked against
// a small independent restatement of the rules (the oracle below), not against the planner's own helpers.
import * as assert from "node:assert/strict";
import fc from "fast-check";
import * as semver from "semver";
import { floorFor, plan as planWith } from "../../../../runtime/core/planner";
import {
  FleetSnapshot,
  GroupPlan,
  GroupPolicy,
  GroupSnapshot,
  InstanceSnapshot,
  Policy,
} from "../../../../runtime/core/types";
import { fleetSnapshotArb, IMAGES, policyArb } from "../../../support/arbitraries";

const RUNS = { numRuns: 500 };

/** These are the replace strategy's rules, so every plan pins it; surge has surge.property.test.ts. */
function plan(snapshot: FleetSnapshot, policy: Policy) {
  return planWith(snapshot, { ...policy, strategy: "replace" });
}

// The oracle: the rules of issues 2 and 8, restated as plainly as possible.

function policyFor(policy: Policy, tier: string): GroupPolicy {
  const o = policy.tiers?.[tier] ?? {};
  return {
    minHealthy: o.minHealthy ?? policy.minHealthy,
    minHealthyPercent: o.minHealthyPercent ?? policy.minHealthyPercent,
    maxPerSweep: o.maxPerSweep ?? policy.maxPerSweep,
    maxInstanceAgeHours: o.maxInstanceAgeHours ?? policy.maxInstanceAgeHours,
    desiredVersion: o.desiredVersion ?? policy.desiredVersion,
  };
}

function floorOf(group: GroupSnapshot, p: GroupPolicy): number {
  return Math.max(p.minHealthy, Math.ceil((group.desiredCapacity * p.minHealthyPercent) / 100));
}

function versionOf(i: InstanceSnapshot): string | undefined {
  return i.probe.ok && semver.valid(i.probe.version) !== null ? i.probe.version : undefined;
}

function healthy(i: InstanceSnapshot, group: GroupSnapshot): boolean {
  return (
    i.lifecycleState === "InService" &&
    i.asgHealth === "Healthy" &&
    group.targetGroupArns.every((arn) => i.lbHealth[arn] === "healthy") &&
    versionOf(i) !== undefined
  );
}

function groupIsStable(group: GroupSnapshot): boolean {
  return (
    group.instances.every((i) => healthy(i, group)) &&
    group.activityInProgress !== true &&
    group.instances.length === group.desiredCapacity
  );
}

/**
 * The version a group must run and whether it can be trusted: the manifest's; without one, under highest-observed,
 * the highest answered when every instance agrees, or when two or more answer it and no published release is below
 * it. Instances that disagree with no trusted target leave the group unverified.
 */
function desiredVersion(
  group: GroupSnapshot,
  snapshot: FleetSnapshot,
  p: GroupPolicy,
): { version?: string; trusted: boolean } {
  if (snapshot.desiredVersion !== undefined) return { version: snapshot.desiredVersion, trusted: true };
  const versions = group.instances.map(versionOf).filter((v): v is string => v !== undefined);
  const distinct = new Set(versions);
  if (distinct.size === 0) return { trusted: true };
  const highest = [...versions].sort(semver.compareBuild).pop()!;
  if ((p.desiredVersion ?? "manifest") === "manifest") return { trusted: distinct.size === 1 };
  if (distinct.size === 1) return { version: highest, trusted: true };
  const onHighest = versions.filter((v) => v === highest).length;
  const newest = [...(snapshot.publishedVersions ?? [])].sort(semver.compareBuild).pop();
  const aboveReleases = newest !== undefined && semver.compareBuild(highest, newest) > 0;
  return onHighest >= 2 && !aboveReleases ? { version: highest, trusted: true } : { trusted: false };
}

/** A group whose desired state is not verified: its store, its image, its tier's artifact, or its version. */
function unverified(group: GroupSnapshot, snapshot: FleetSnapshot, p: GroupPolicy): boolean {
  const v = snapshot.verification;
  return (
    v?.store !== undefined ||
    v?.image !== undefined ||
    v?.tiers?.[group.tier] !== undefined ||
    !desiredVersion(group, snapshot, p).trusted
  );
}

type Staleness = { version: boolean; image: boolean; age: boolean };

function staleness(i: InstanceSnapshot, group: GroupSnapshot, snapshot: FleetSnapshot, p: GroupPolicy): Staleness {
  const want = desiredVersion(group, snapshot, p).version;
  const have = versionOf(i);
  const ageHours = (Date.parse(snapshot.readAt) - Date.parse(i.launchTime)) / 3_600_000;
  // An image that failed verification is no yardstick.
  const image = snapshot.verification?.image === undefined ? snapshot.desiredImageId : undefined;
  return {
    version: want !== undefined && have !== undefined && semver.compareBuild(have, want) !== 0,
    image: image !== undefined && i.imageId !== image,
    age: p.maxInstanceAgeHours !== undefined && ageHours > p.maxInstanceAgeHours,
  };
}

const isStale = (s: Staleness) => s.version || s.image || s.age;

/** Negative when a must go before b: both wrong, then one wrong (older version, then older), then age only. */
function moreStale(a: InstanceSnapshot, sa: Staleness, b: InstanceSnapshot, sb: Staleness): number {
  const rank = (s: Staleness) => (s.version && s.image ? 0 : s.version || s.image ? 1 : 2);
  if (rank(sa) !== rank(sb)) return rank(sa) - rank(sb);
  if (rank(sa) < 2) {
    const byVersion = semver.compareBuild(versionOf(a)!, versionOf(b)!);
    if (byVersion !== 0) return byVersion;
  }
  return Date.parse(a.launchTime) - Date.parse(b.launchTime) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Every group of the snapshot with its plan, its effective policy and the oracle's view. */
function eachGroup(snapshot: FleetSnapshot, policy: Policy) {
  const result = plan(snapshot, policy);
  return snapshot.groups.map((group) => {
    const decided = result.groups.find((g) => g.name === group.name);
    assert.ok(decided, `${group.name} has no decision`);
    const p = policyFor(policy, group.tier);
    return { group, decided, p, byId: new Map(group.instances.map((i) => [i.id, i])) };
  });
}

const fleets = fc.tuple(fleetSnapshotArb(), policyArb());

describe("planner properties over random fleets", () => {
  it("never takes a group below its healthy floor", () => {
    fc.assert(
      fc.property(fleets, ([snapshot, policy]) => {
        for (const { group, decided, p } of eachGroup(snapshot, policy)) {
          const healthyCount = group.instances.filter((i) => healthy(i, group)).length;
          assert.equal(decided.floor, floorOf(group, p));
          assert.equal(decided.healthy, healthyCount);
          if (decided.terminate.length > 0) {
            assert.ok(healthyCount - decided.terminate.length >= decided.floor);
          }
        }
      }),
      RUNS,
    );
  });

  it("never terminates an instance that is not stale", () => {
    fc.assert(
      fc.property(fleets, ([snapshot, policy]) => {
        for (const { group, decided, p, byId } of eachGroup(snapshot, policy)) {
          for (const id of decided.terminate) {
            assert.ok(isStale(staleness(byId.get(id)!, group, snapshot, p)), `${id} is not stale`);
          }
          for (const d of decided.instances) {
            const s = staleness(byId.get(d.id)!, group, snapshot, p);
            assert.equal(d.stale, isStale(s));
            assert.equal(d.terminate, decided.terminate.includes(d.id));
          }
        }
      }),
      RUNS,
    );
  });

  it("never terminates anything in a group whose desired state is not verified, and says why", () => {
    fc.assert(
      fc.property(fleets, ([snapshot, policy]) => {
        for (const { group, decided, p } of eachGroup(snapshot, policy)) {
          assert.equal(decided.unverified !== undefined, unverified(group, snapshot, p), decided.reason);
          if (decided.unverified === undefined) continue;
          assert.deepEqual(decided.terminate, []);
          assert.equal(decided.setDesired, undefined);
          assert.equal(decided.tags, undefined);
          assert.match(decided.reason, /^left alone, desired state not verified: /);
          for (const problem of [snapshot.verification?.store, snapshot.verification?.image]) {
            if (problem !== undefined) assert.ok(decided.reason.includes(problem), decided.reason);
          }
          assert.match(decided.log, /, unverified, 0 instances to terminate$/);
        }
      }),
      RUNS,
    );
  });

  it("never terminates anything in an unstable group, whatever made it unstable", () => {
    fc.assert(
      fc.property(fleets, ([snapshot, policy]) => {
        for (const { group, decided, p } of eachGroup(snapshot, policy)) {
          assert.equal(decided.stable, groupIsStable(group));
          if (!groupIsStable(group)) {
            assert.deepEqual(decided.terminate, []);
            assert.match(decided.reason, unverified(group, snapshot, p) ? /^left alone, / : /^unstable: /);
          }
          const unhealthyIds = group.instances.filter((i) => !healthy(i, group)).map((i) => i.id);
          assert.deepEqual(decided.unstable.map((u) => u.id).sort(), unhealthyIds.sort());
        }
      }),
      RUNS,
    );
  });

  it("terminates exactly min(stale, healthy − floor, maxPerSweep) in a stable group", () => {
    fc.assert(
      fc.property(fleets, ([snapshot, policy]) => {
        for (const { group, decided, p } of eachGroup(snapshot, policy)) {
          if (!groupIsStable(group) || unverified(group, snapshot, p)) continue;
          const stale = group.instances.filter((i) => isStale(staleness(i, group, snapshot, p))).length;
          const expected = Math.max(
            0,
            Math.min(stale, group.instances.length - floorOf(group, p), p.maxPerSweep ?? Infinity),
          );
          assert.equal(decided.terminate.length, expected);
          if (p.maxPerSweep !== undefined) assert.ok(decided.terminate.length <= p.maxPerSweep);
        }
      }),
      RUNS,
    );
  });

  it("terminates the most stale instances first", () => {
    fc.assert(
      fc.property(fleets, ([snapshot, policy]) => {
        for (const { group, decided, p, byId } of eachGroup(snapshot, policy)) {
          const st = (id: string) => staleness(byId.get(id)!, group, snapshot, p);
          const chosen = decided.terminate;
          for (let k = 1; k < chosen.length; k++) {
            const [a, b] = [chosen[k - 1], chosen[k]];
            assert.ok(moreStale(byId.get(a)!, st(a), byId.get(b)!, st(b)) < 0, `${a} before ${b}`);
          }
          const left = group.instances.filter((i) => isStale(st(i.id)) && !chosen.includes(i.id));
          for (const t of chosen) {
            for (const s of left) {
              assert.ok(moreStale(byId.get(t)!, st(t), s, st(s.id)) < 0, `${t} chosen over more stale ${s.id}`);
            }
          }
        }
      }),
      RUNS,
    );
  });

  it("gives the same plan for the same input, after a JSON round trip, and in any listing order", () => {
    const shuffled = fleets.chain(([snapshot, policy]) =>
      fc
        .tuple(
          fc.shuffledSubarray(snapshot.groups, { minLength: snapshot.groups.length }),
          fc.tuple(...snapshot.groups.map((g) => fc.shuffledSubarray(g.instances, { minLength: g.instances.length }))),
        )
        .map(([groups, instanceLists]) => {
          const order = new Map(snapshot.groups.map((g, k) => [g.name, instanceLists[k]]));
          const reordered: FleetSnapshot = {
            ...snapshot,
            groups: groups.map((g) => ({ ...g, instances: order.get(g.name)! })),
          };
          return [snapshot, policy, reordered] as const;
        }),
    );
    fc.assert(
      fc.property(shuffled, ([snapshot, policy, reordered]) => {
        const first = plan(snapshot, policy);
        assert.deepEqual(plan(snapshot, policy), first);
        const replayed = plan(JSON.parse(JSON.stringify(snapshot)), JSON.parse(JSON.stringify(policy)));
        assert.deepEqual(replayed, first);
        assert.deepEqual(plan(reordered, policy), first);
      }),
      RUNS,
    );
  });

  it("raises the floor with a scale-out during a rollout, and still never goes below it", () => {
    const scaleOut = fc.tuple(fleets, fc.integer({ min: 1, max: 6 }));
    fc.assert(
      fc.property(scaleOut, ([[snapshot, policy], k]) => {
        const before = plan(snapshot, policy);
        const grown: FleetSnapshot = {
          ...snapshot,
          groups: snapshot.groups.map((g) => {
            const decided = before.groups.find((d) => d.name === g.name)!;
            const fresh = Array.from({ length: decided.desiredVersion === undefined ? 0 : k }, (_, n) =>
              newInstance(`i-new${n}-${g.tier}`, g, decided, snapshot),
            );
            return { ...g, desiredCapacity: g.desiredCapacity + fresh.length, instances: [...g.instances, ...fresh] };
          }),
        };
        const after = plan(grown, policy);
        for (const g of grown.groups) {
          const was = before.groups.find((d) => d.name === g.name)!;
          const now = after.groups.find((d) => d.name === g.name)!;
          const p = policyFor(policy, g.tier);
          assert.equal(now.floor, floorFor(g.desiredCapacity, p));
          assert.ok(now.floor >= was.floor);
          assert.equal(now.stable, was.stable);
          if (now.terminate.length > 0) assert.ok(now.healthy - now.terminate.length >= now.floor);
        }
      }),
      RUNS,
    );
  });

  it("gives every group a reason and a log line, naming image drift and age when they apply", () => {
    fc.assert(
      fc.property(fleets, ([snapshot, policy]) => {
        const result = plan(snapshot, policy);
        assert.equal(result.groups.length, snapshot.groups.length);
        for (const g of result.groups) {
          assert.ok(g.reason.length > 0);
          assert.ok(g.log.startsWith(`${g.name} => `));
          const n = g.terminate.length;
          assert.ok(g.log.endsWith(`, ${n} ${n === 1 ? "instance" : "instances"} to terminate`), g.log);
          if (g.unverified !== undefined) continue;
          for (const u of g.unstable) assert.ok(g.reason.includes(`${u.id} ${u.why}`), g.reason);
          const stale = g.instances.filter((d) => d.stale);
          if (g.stable && stale.some((d) => d.reasons.includes("image"))) assert.match(g.reason, /image drift/);
          if (g.stable && stale.some((d) => d.reasons.includes("age"))) assert.match(g.reason, /\bage\b/);
        }
      }),
      RUNS,
    );
  });
});

/** A replacement launched at readAt: healthy, on the desired version and image. */
function newInstance(id: string, group: GroupSnapshot, decided: GroupPlan, snapshot: FleetSnapshot): InstanceSnapshot {
  return {
    id,
    lifecycleState: "InService",
    asgHealth: "Healthy",
    lbHealth: Object.fromEntries(group.targetGroupArns.map((arn) => [arn, "healthy"])),
    launchTime: snapshot.readAt,
    imageId: snapshot.desiredImageId ?? IMAGES[0],
    privateIp: "10.0.9.9",
    probe: { ok: true, version: decided.desiredVersion! },
  };
}
