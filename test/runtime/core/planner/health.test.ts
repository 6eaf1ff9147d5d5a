// Example tests of what the planner makes of one instance: healthy or why not, the version its group must run, its
// age, and whether it is stale (rules 2 and 3), with the reasons an operator reads.
import * as assert from "node:assert/strict";
import { desiredVersionFor, instanceAgeHours, isHealthy, unhealthyWhy } from "../../../../runtime/core/planner";
import { DEFAULT_POLICY, Policy } from "../../../../runtime/core/types";
import { aGroup, anInstance, aSnapshot, IMAGES, READ_AT, TARGET_GROUP_ARNS } from "../../../support/arbitraries";
import { only, planReplacing as plan, SURGE } from "../../../support/plans";
import { plan as planFleet } from "../../../../runtime/core/planner";
import { UNRELEASED_VERSION } from "../../../../runtime/contract";

const [OLD_AMI, NEW_AMI] = IMAGES;
const HIGHEST = { desiredVersion: "highest-observed" as const };
const [WEB_TG, API_TG] = TARGET_GROUP_ARNS;

describe("planner health", () => {
  describe("desiredVersionFor", () => {
    it("takes the manifest's version when there is one", () => {
      const group = aGroup("live-web", [anInstance("i-1", "1.0.280")]);

      assert.deepEqual(desiredVersionFor(group, { desiredVersion: "1.0.274" }), {
        version: "1.0.274",
        source: "manifest",
      });
    });

    it("under highest-observed, falls back to the highest version observed, comparing prereleases per semver", () => {
      const group = aGroup("live-web", [
        anInstance("i-1", "1.0.274"),
        anInstance("i-2", "1.0.274-rc.1"),
        anInstance("i-3", "1.0.99"),
        anInstance("i-4", "1.0.275-rc.1", { probe: { ok: false, error: "timeout" } }),
        anInstance("i-5", "1.0.274"),
      ]);

      assert.deepEqual(desiredVersionFor(group, {}, HIGHEST), { version: "1.0.274", source: "highest-observed" });
    });

    it("says none when no manifest exists and no instance answered", () => {
      const group = aGroup("live-web", [anInstance("i-1", "x", { probe: { ok: false, error: "timeout" } })]);

      assert.deepEqual(desiredVersionFor(group, {}), { source: "none" });
      assert.deepEqual(desiredVersionFor(group, {}, HIGHEST), { source: "none" });
    });

    it("takes no version from the instances without a manifest under the default policy (manifest)", () => {
      const agreeing = aGroup("live-web", [anInstance("i-1", "1.0.274"), anInstance("i-2", "1.0.274")]);
      const disagreeing = aGroup("live-web", [anInstance("i-1", "1.0.274"), anInstance("i-2", "999999999.0.0")]);

      assert.deepEqual(desiredVersionFor(agreeing, {}), { source: "none" });
      assert.deepEqual(desiredVersionFor(disagreeing, {}), {
        source: "none",
        untrusted:
          "no release manifest names the version and the instances answer 1.0.274, 999999999.0.0 (policy " +
          "desiredVersion: manifest): publish a release, or set desiredVersion to highest-observed",
      });
    });

    it("under highest-observed, lets no single instance set the target: one instance cannot", () => {
      const group = aGroup("live-web", [
        anInstance("i-1", "1.0.274"),
        anInstance("i-2", "1.0.274"),
        anInstance("i-liar", "999999999.0.0"),
      ]);

      assert.deepEqual(desiredVersionFor(group, {}, HIGHEST), {
        source: "none",
        untrusted:
          "one instance cannot set the target: only i-liar answers 999999999.0.0, the highest observed (at least 2 must)",
      });
    });

    it("under highest-observed, trusts no version above every published release", () => {
      const group = aGroup("live-web", [
        anInstance("i-1", "1.0.274"),
        anInstance("i-2", "2.0.0"),
        anInstance("i-3", "2.0.0"),
      ]);

      assert.match(
        desiredVersionFor(group, { publishedVersions: ["1.0.266", "1.0.274"] }, HIGHEST).untrusted ?? "",
        /^2\.0\.0, the highest observed \(on i-2, i-3\), is above every published release \(the newest is 1\.0\.274\)/,
      );
      assert.deepEqual(desiredVersionFor(group, { publishedVersions: ["1.0.274", "2.0.0"] }, HIGHEST), {
        version: "2.0.0",
        source: "highest-observed",
      });
    });

    it("under highest-observed, takes the one version every instance agrees on, however few they are", () => {
      const group = aGroup("live-web", [anInstance("i-1", "1.0.274")]);

      assert.deepEqual(desiredVersionFor(group, {}, HIGHEST), { version: "1.0.274", source: "highest-observed" });
    });
  });

  describe("isHealthy and unhealthyWhy", () => {
    it("counts an InService, Healthy instance, healthy in its target groups, that answered a version", () => {
      const instance = anInstance("i-1", "1.0.274");

      assert.equal(unhealthyWhy(instance, [WEB_TG]), undefined);
      assert.equal(isHealthy(instance, [WEB_TG]), true);
    });

    for (const [what, overrides, why] of [
      ["a Pending instance", { lifecycleState: "Pending" }, "is Pending"],
      ["an instance the ASG marks Unhealthy", { asgHealth: "Unhealthy" }, "is Unhealthy in the Auto Scaling group"],
      [
        "an instance draining from a target group",
        { lbHealth: { [WEB_TG]: "draining" } },
        "is draining in target group live-web",
      ],
      ["an instance missing from a target group", { lbHealth: {} }, "is not registered in target group live-web"],
      ["an instance whose probe failed", { probe: { ok: false, error: "timeout" } }, "answered no version (timeout)"],
      [
        "an instance that answered a non-version",
        { probe: { ok: true, version: "1.0" } },
        'answered "1.0", which is not a semantic version',
      ],
    ] as const) {
      it(`does not count ${what}, and says why`, () => {
        const instance = anInstance("i-1", "1.0.274", overrides);

        assert.equal(unhealthyWhy(instance, [WEB_TG]), why);
        assert.equal(isHealthy(instance, [WEB_TG]), false);
      });
    }

    it("lists every problem of one instance", () => {
      const instance = anInstance("i-1", "1.0.274", {
        lifecycleState: "Pending",
        probe: { ok: false, error: "connection refused" },
      });

      assert.equal(unhealthyWhy(instance, [WEB_TG]), "is Pending, answered no version (connection refused)");
    });

    it("checks every target group the instance has health for when no list is given", () => {
      const instance = anInstance("i-1", "1.0.274", { lbHealth: { [WEB_TG]: "healthy", [API_TG]: "initial" } });

      assert.equal(unhealthyWhy(instance), "is initial in target group live-api");
    });
  });

  describe("instanceAgeHours", () => {
    it("measures age from launch to the snapshot's read time, not the clock", () => {
      assert.equal(instanceAgeHours(anInstance("i-1", "1.0.0", { ageDays: 2 }), READ_AT), 48);
    });
  });

  describe("staleness (rules 2 and 3)", () => {
    it("replaces older versions than the highest observed when there is no manifest, under highest-observed", () => {
      const snapshot = aSnapshot([
        aGroup("live-web", [
          anInstance("i-1", "1.0.266"),
          anInstance("i-2", "1.0.270"),
          anInstance("i-3", "1.0.274"),
          anInstance("i-4", "1.0.274"),
        ]),
      ]);

      const g = only(plan(snapshot, { ...DEFAULT_POLICY, ...HIGHEST }));

      assert.equal(g.versionSource, "highest-observed");
      assert.deepEqual(g.terminate, ["i-1", "i-2"]);
      assert.equal(g.log, "live-web => lowest version 1.0.266, highest version 1.0.274, 2 instances to terminate");
      assert.equal(
        g.reason,
        "2 stale: terminating i-1, i-2. Stale: 2 version. Target: version 1.0.274 (highest observed).",
      );
    });

    it("rolls back: instances newer than the manifest are stale too", () => {
      const snapshot = aSnapshot(
        [
          aGroup("live-web", [
            anInstance("i-1", "1.0.274"),
            anInstance("i-2", "1.0.273"),
            anInstance("i-3", "1.0.273"),
          ]),
        ],
        { version: "1.0.273" },
      );

      const g = only(plan(snapshot, DEFAULT_POLICY));

      assert.deepEqual(g.terminate, ["i-1"]);
      assert.deepEqual(g.instances.find((d) => d.id === "i-1")?.reasons, ["version"]);
    });

    it("treats a prerelease of the desired version as a different, stale version", () => {
      const snapshot = aSnapshot(
        [aGroup("live-web", [anInstance("i-1", "1.0.274-rc.1"), anInstance("i-2", "1.0.274")])],
        { version: "1.0.274" },
      );

      assert.deepEqual(only(plan(snapshot, DEFAULT_POLICY)).terminate, ["i-1"]);
    });

    it("treats another build of the desired version as stale, since it is another artifact", () => {
      const snapshot = aSnapshot(
        [aGroup("live-web", [anInstance("i-1", "1.0.274+build.7"), anInstance("i-2", "1.0.274+build.8")])],
        { version: "1.0.274+build.8" },
      );

      assert.deepEqual(only(plan(snapshot, DEFAULT_POLICY)).terminate, ["i-1"]);
    });

    it("accepts an answered v-prefixed version as the same version", () => {
      const snapshot = aSnapshot([aGroup("live-web", [anInstance("i-1", "v1.0.274"), anInstance("i-2", "1.0.274")])], {
        version: "1.0.274",
      });

      assert.deepEqual(only(plan(snapshot, DEFAULT_POLICY)).terminate, []);
    });

    it("replaces instances on another image than the base-image parameter, and says image drift", () => {
      const snapshot = aSnapshot(
        [
          aGroup("live-web", [
            anInstance("i-1", "1.0.274", { imageId: OLD_AMI }),
            anInstance("i-2", "1.0.274", { imageId: NEW_AMI }),
          ]),
        ],
        { version: "1.0.274", imageId: NEW_AMI },
      );

      const g = only(plan(snapshot, DEFAULT_POLICY));

      assert.deepEqual(g.terminate, ["i-1"]);
      assert.deepEqual(g.instances.find((d) => d.id === "i-1")?.reasons, ["image"]);
      assert.equal(
        g.reason,
        "1 stale: terminating i-1. Stale: 1 image drift. Target: version 1.0.274 (manifest) on image ami-0bbb2222.",
      );
    });

    it("moves the whole fleet to a new image when the parameter moves, within the floor", () => {
      const fleet = [1, 2, 3, 4].map((n) => anInstance(`i-${n}`, "1.0.274", { imageId: OLD_AMI, ageDays: n }));
      const group = aGroup("live-web", fleet);
      const policy: Policy = { minHealthy: 1, minHealthyPercent: 75 };

      const before = only(plan(aSnapshot([group], { version: "1.0.274", imageId: OLD_AMI }), policy));
      const after = only(plan(aSnapshot([group], { version: "1.0.274", imageId: NEW_AMI }), policy));

      assert.deepEqual(before.terminate, []);
      assert.deepEqual(after.terminate, ["i-4"]);
      assert.match(after.reason, /^4 stale but only 1 above the floor of 3: terminating i-4\. Stale: 4 image drift\./);
    });

    it("replaces instances older than maxInstanceAgeHours with reason age", () => {
      const snapshot = aSnapshot(
        [
          aGroup("live-web", [
            anInstance("i-1", "1.0.274", { ageDays: 15 }),
            anInstance("i-2", "1.0.274", { ageDays: 1 }),
          ]),
        ],
        { version: "1.0.274" },
      );

      const g = only(plan(snapshot, { ...DEFAULT_POLICY, maxInstanceAgeHours: 14 * 24 }));

      assert.deepEqual(g.terminate, ["i-1"]);
      assert.deepEqual(g.instances.find((d) => d.id === "i-1")?.reasons, ["age"]);
      assert.equal(
        g.reason,
        "1 stale: terminating i-1. Stale: 1 age (older than 336h). Target: version 1.0.274 (manifest).",
      );
    });

    it("does not age instances out when maxInstanceAgeHours is unset", () => {
      const snapshot = aSnapshot([
        aGroup("live-web", [anInstance("i-1", "1.0.274", { ageDays: 900 }), anInstance("i-2", "1.0.274")]),
      ]);

      assert.deepEqual(only(plan(snapshot, DEFAULT_POLICY)).terminate, []);
    });

    it("applies a tier's own age limit", () => {
      const snapshot = aSnapshot([
        aGroup("live-web", [anInstance("i-1", "1.0.274", { ageDays: 3 }), anInstance("i-2", "1.0.274")]),
        aGroup("live-api", [anInstance("i-3", "1.0.274", { ageDays: 3 }), anInstance("i-4", "1.0.274")]),
      ]);

      const result = plan(snapshot, { ...DEFAULT_POLICY, tiers: { web: { maxInstanceAgeHours: 48 } } });

      assert.deepEqual(
        result.groups.map((g) => [g.name, g.terminate]),
        [
          ["live-api", []],
          ["live-web", ["i-1"]],
        ],
      );
    });
  });

  describe("an environment with no release yet (instances serving the placeholder)", () => {
    const placeholders = () => [1, 2, 3].map((n) => anInstance(`i-${n}`, UNRELEASED_VERSION));

    it("counts a placeholder instance healthy: it answered a semantic version", () => {
      assert.equal(unhealthyWhy(anInstance("i-1", UNRELEASED_VERSION), [WEB_TG]), undefined);
    });

    it("never takes the placeholder as the target, nor counts it as a disagreeing version, when no manifest exists", () => {
      const mixed = aGroup("live-web", [...placeholders(), anInstance("i-4", "1.0.274"), anInstance("i-5", "1.0.274")]);
      const highestObserved = { desiredVersion: "highest-observed" as const };

      assert.deepEqual(desiredVersionFor(aGroup("live-web", placeholders()), {}), { source: "none" });
      assert.deepEqual(desiredVersionFor(aGroup("live-web", placeholders()), {}, highestObserved), { source: "none" });
      assert.deepEqual(desiredVersionFor(mixed, {}), { source: "none" });
      assert.deepEqual(desiredVersionFor(mixed, {}, highestObserved), {
        version: "1.0.274",
        source: "highest-observed",
      });
    });

    for (const strategy of ["replace", "surge"] as const) {
      it(`leaves placeholders alone without a manifest, under ${strategy}, and says so`, () => {
        const snapshot = aSnapshot([aGroup("live-web", placeholders(), { maxSize: 6 })]);

        const group = only(planFleet(snapshot, { ...DEFAULT_POLICY, strategy }));

        assert.deepEqual(group.terminate, []);
        assert.equal(group.setDesired, undefined);
        assert.ok(group.instances.every((d) => !d.stale));
        assert.equal(
          group.reason,
          "no release yet: 3 instances serving the placeholder (0.0.0-unreleased) until the first `npx phoenix release`",
        );
      });
    }

    it("does not replace a placeholder against a version only observed: its replacement would find no release either", () => {
      const snapshot = aSnapshot([
        aGroup("live-web", [
          anInstance("i-1", UNRELEASED_VERSION),
          anInstance("i-2", "1.0.274"),
          anInstance("i-3", "1.0.274"),
        ]),
      ]);

      const group = only(plan(snapshot, { ...DEFAULT_POLICY, desiredVersion: "highest-observed" }));

      assert.equal(group.versionSource, "highest-observed");
      assert.deepEqual(group.terminate, []);
      assert.equal(group.instances.find((d) => d.id === "i-1")!.stale, false);
    });

    it("makes every placeholder stale by version once a manifest names a version, oldest first under replace", () => {
      const snapshot = aSnapshot([aGroup("live-web", placeholders())], { version: "1.0.0" });

      const group = only(plan(snapshot, { ...DEFAULT_POLICY, minHealthy: 2 }));

      assert.deepEqual(
        group.instances.map((d) => d.reasons),
        [["version"], ["version"], ["version"]],
      );
      assert.deepEqual(group.terminate, ["i-1"]);
    });

    it("surges the whole fleet up at the first release: replacements launch before any placeholder goes", () => {
      const snapshot = aSnapshot([aGroup("live-web", placeholders(), { maxSize: 6 })], { version: "1.0.0" });

      const group = only(planFleet(snapshot, SURGE));

      assert.equal(group.surge?.phase, "start");
      assert.equal(group.setDesired, 6);
      assert.deepEqual(group.terminate, []);
    });
  });
});
