// Property tests of the planner over desired states that are missing or not verified, under both strategies: a group
// whose store, image, artifact or version cannot be trusted is never touched (no termination, no capacity, tag or
// process change, surge in progress or not); the others are planned exactly as if the bad tier were not there; and
// a target version is only ever one a manifest names, or (highest-observed) one at least two instances answer and no
// published release is below.
import * as assert from "node:assert/strict";
import fc from "fast-check";
import * as semver from "semver";
import { SURGE_TAGS } from "../../../../runtime/contract";
import { plan } from "../../../../runtime/core/planner";
import { FleetSnapshot, GroupPlan, Policy } from "../../../../runtime/core/types";
import { fleetSnapshotArb, policyArb, VERIFICATION_PROBLEMS } from "../../../support/arbitraries";

const RUNS = { numRuns: 400 };

/** The few versions instances answer here, so that two or more often agree (and a lone liar is common too). */
const POOL = ["1.0.266", "1.0.274", "1.0.274", "999999999.0.0"];

/** Random fleets whose instances answer versions from POOL, under either strategy, some with a surge in progress. */
const fleets = fc
  .tuple(
    fleetSnapshotArb({ maxInstances: 5 }),
    policyArb(),
    fc.constantFrom("surge" as const, "replace" as const),
    fc.infiniteStream(fc.constantFrom(...POOL)),
    fc.boolean(),
  )
  .map(([snapshot, policy, strategy, versions, surging]) => {
    const s: FleetSnapshot = structuredClone(snapshot);
    for (const g of s.groups) {
      for (const i of g.instances) if (i.probe.ok) i.probe = { ok: true, version: versions.next().value };
      if (surging) {
        g.desiredCapacity = g.instances.length;
        g.tags[SURGE_TAGS.baseline] = String(Math.max(0, g.instances.length - 1));
        g.tags[SURGE_TAGS.startedAt] = s.readAt;
      }
    }
    return { snapshot: s, policy: { ...policy, strategy } };
  });

/** True when the plan changes nothing at all about its group. */
function untouched(g: GroupPlan): boolean {
  return (
    g.terminate.length === 0 &&
    g.setDesired === undefined &&
    g.tags === undefined &&
    g.suspend === undefined &&
    g.resume === undefined &&
    g.decrement === undefined
  );
}

describe("planner properties over missing and unverified desired states", () => {
  it("never touches a group whose desired state is not verified, under either strategy, surging or not", () => {
    fc.assert(
      fc.property(fleets, ({ snapshot, policy }) => {
        for (const g of plan(snapshot, policy).groups) {
          const v = snapshot.verification;
          const problems = [v?.store, v?.image, v?.tiers?.[g.tier]].filter((p) => p !== undefined);
          if (problems.length > 0) assert.notEqual(g.unverified, undefined, `${g.name} was planned: ${g.reason}`);
          if (g.unverified === undefined) continue;
          assert.ok(untouched(g), `${g.name} is unverified but its plan acts: ${JSON.stringify(g)}`);
          for (const p of problems) assert.ok(g.reason.includes(p), g.reason);
          assert.equal(g.surge, undefined);
        }
      }),
      RUNS,
    );
  });

  it("plans every other group exactly as if the unverified tier's problem were not there", () => {
    fc.assert(
      fc.property(fleets, ({ snapshot, policy }) => {
        const mine = snapshot.verification?.tiers ?? {};
        fc.pre(Object.keys(mine).length > 0);
        const cleared: FleetSnapshot = { ...snapshot, verification: { ...snapshot.verification, tiers: {} } };
        const withProblem = plan(snapshot, policy).groups;
        const without = plan(cleared, policy).groups;
        for (const g of withProblem) {
          if (g.tier in mine) continue;
          assert.deepEqual(
            g,
            without.find((x) => x.name === g.name),
          );
        }
      }),
      RUNS,
    );
  });

  it("without a manifest, never replaces for a version under the default policy", () => {
    fc.assert(
      fc.property(fleets, ({ snapshot, policy }) => {
        const bare: FleetSnapshot = { ...snapshot };
        delete bare.desiredVersion;
        const manifestOnly: Policy = { ...policy, desiredVersion: "manifest" };
        if (manifestOnly.tiers) {
          manifestOnly.tiers = Object.fromEntries(
            Object.entries(manifestOnly.tiers).map(([t, p]) => [t, { ...p, desiredVersion: "manifest" as const }]),
          );
        }
        for (const g of plan(bare, manifestOnly).groups) {
          assert.equal(g.desiredVersion, undefined);
          assert.equal(g.versionSource, "none");
          for (const d of g.instances) assert.ok(!d.reasons.includes("version"), `${d.id} is stale by version`);
        }
      }),
      RUNS,
    );
  });

  it("takes the highest observed version only when two instances answer it and no published release is below it", () => {
    fc.assert(
      fc.property(fleets, ({ snapshot, policy }) => {
        const bare: FleetSnapshot = { ...snapshot };
        delete bare.desiredVersion;
        const highest: Policy = { ...policy, desiredVersion: "highest-observed" };
        delete highest.tiers;
        const groups = plan(bare, highest).groups;
        for (const g of groups) {
          if (g.versionSource !== "highest-observed") continue;
          const answered = g.instances.flatMap((d) => (d.version && semver.valid(d.version) ? [d.version] : []));
          const onTarget = answered.filter((v) => v === g.desiredVersion).length;
          const agreed = new Set(answered).size === 1;
          assert.ok(agreed || onTarget >= 2, `${g.desiredVersion} set by ${onTarget} instance(s): ${g.reason}`);
          const newest = [...(bare.publishedVersions ?? [])].sort(semver.compareBuild).pop();
          if (!agreed && newest !== undefined) assert.ok(semver.compareBuild(g.desiredVersion!, newest) <= 0);
        }
        for (const g of groups.filter((x) => x.unverified?.startsWith("one instance cannot set the target"))) {
          assert.ok(untouched(g));
          assert.match(g.reason, /only i-\w+ answers \d+\.\d+\.\d+/);
        }
      }),
      RUNS,
    );
  });

  it("names the problem in each unverified group's reason once, whatever mix of problems", () => {
    fc.assert(
      fc.property(fleets, ({ snapshot, policy }) => {
        for (const g of plan(snapshot, policy).groups) {
          if (g.unverified === undefined) continue;
          for (const p of Object.values(VERIFICATION_PROBLEMS)) {
            assert.ok(g.reason.split(p).length <= 2, `${p} named twice: ${g.reason}`);
          }
        }
      }),
      RUNS,
    );
  });
});
