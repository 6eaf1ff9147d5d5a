// Example tests of the planner: one behaviour each, with the exact reason and log texts an operator reads.
import * as assert from "node:assert/strict";
import { formatPlan } from "../../../../runtime/cli/plan-text";
import { ContractError, UsageError } from "../../../../runtime/core/errors";
import {
  desiredVersionFor,
  effectivePolicy,
  floorFor,
  instanceAgeHours,
  isHealthy,
  plan as planWith,
  unhealthyWhy,
  validatePolicy,
} from "../../../../runtime/core/planner";
import { DEFAULT_POLICY, FleetSnapshot, GroupPlan, Policy } from "../../../../runtime/core/types";
import { aGroup, anInstance, aSnapshot, IMAGES, READ_AT, TARGET_GROUP_ARNS } from "../../../support/arbitraries";

const [OLD_AMI, NEW_AMI] = IMAGES;
const [WEB_TG, API_TG] = TARGET_GROUP_ARNS;

/** The replace strategy's rules (issues 2 and 8) are what these examples pin; surge has planner.surge.test.ts. */
function plan(snapshot: FleetSnapshot, policy: Policy) {
  return planWith(snapshot, { strategy: "replace", ...policy });
}

function only(p: ReturnType<typeof plan>): GroupPlan {
  assert.equal(p.groups.length, 1);
  return p.groups[0];
}

describe("planner", () => {
  describe("effectivePolicy", () => {
    it("applies a tier's overrides on top of the fleet-wide policy", () => {
      const policy: Policy = { minHealthy: 1, minHealthyPercent: 0, maxPerSweep: 2, tiers: { web: { minHealthy: 3 } } };

      assert.deepEqual(effectivePolicy(policy, "web"), {
        minHealthy: 3,
        minHealthyPercent: 0,
        maxPerSweep: 2,
        maxInstanceAgeHours: undefined,
      });
      assert.equal(effectivePolicy(policy, "api").minHealthy, 1);
    });

    it("ignores an override whose value is undefined, as a JSON round trip would", () => {
      const policy: Policy = { ...DEFAULT_POLICY, maxPerSweep: 2, tiers: { web: { maxPerSweep: undefined } } };

      assert.equal(effectivePolicy(policy, "web").maxPerSweep, 2);
    });
  });

  describe("validatePolicy", () => {
    for (const [what, policy, message] of [
      ["a negative minHealthy", { minHealthy: -1, minHealthyPercent: 0 }, /minHealthy is -1; it must be a whole/],
      ["a percent over 100", { minHealthy: 1, minHealthyPercent: 150 }, /minHealthyPercent is 150; .* 0 to 100/],
      ["a fractional maxPerSweep", { minHealthy: 1, minHealthyPercent: 0, maxPerSweep: 1.5 }, /maxPerSweep is 1.5/],
      ["a zero age limit", { minHealthy: 1, minHealthyPercent: 0, maxInstanceAgeHours: 0 }, /positive number of hours/],
      ["a bad tier override", { ...DEFAULT_POLICY, tiers: { web: { minHealthy: -2 } } }, /tier web: minHealthy is -2/],
    ] as const) {
      it(`rejects ${what} with a UsageError naming it`, () => {
        assert.throws(
          () => validatePolicy(policy),
          (e: unknown) => {
            assert.ok(e instanceof UsageError);
            assert.match(e.message, message);
            return true;
          },
        );
      });
    }

    it("is applied by plan, so a bad policy never drives a sweep", () => {
      assert.throws(() => plan(aSnapshot([]), { minHealthy: 1, minHealthyPercent: -5 }), UsageError);
    });
  });

  describe("floorFor", () => {
    it("is minHealthy by default (the original behaviour)", () => {
      assert.equal(floorFor(10, DEFAULT_POLICY), 1);
    });

    it("rounds the percentage of desired capacity up", () => {
      assert.equal(floorFor(3, { minHealthy: 1, minHealthyPercent: 50 }), 2);
      assert.equal(floorFor(4, { minHealthy: 1, minHealthyPercent: 75 }), 3);
    });

    it("takes minHealthy when it is the larger", () => {
      assert.equal(floorFor(2, { minHealthy: 2, minHealthyPercent: 10 }), 2);
    });
  });

  describe("desiredVersionFor", () => {
    it("takes the manifest's version when there is one", () => {
      const group = aGroup("live-web", [anInstance("i-1", "1.0.280")]);

      assert.deepEqual(desiredVersionFor(group, { desiredVersion: "1.0.274" }), {
        version: "1.0.274",
        source: "manifest",
      });
    });

    it("falls back to the highest version observed, comparing prereleases per semver", () => {
      const group = aGroup("live-web", [
        anInstance("i-1", "1.0.274"),
        anInstance("i-2", "1.0.274-rc.1"),
        anInstance("i-3", "1.0.99"),
        anInstance("i-4", "1.0.275-rc.1", { probe: { ok: false, error: "timeout" } }),
      ]);

      assert.deepEqual(desiredVersionFor(group, {}), { version: "1.0.274", source: "highest-observed" });
    });

    it("says none when no manifest exists and no instance answered", () => {
      const group = aGroup("live-web", [anInstance("i-1", "x", { probe: { ok: false, error: "timeout" } })]);

      assert.deepEqual(desiredVersionFor(group, {}), { source: "none" });
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

  describe("plan", () => {
    it("copies the environment and read time, and orders groups by name whatever the listing order", () => {
      const snapshot = aSnapshot([
        aGroup("live-web", [anInstance("i-1", "1.0.274")]),
        aGroup("live-api", [anInstance("i-2", "1.0.274")]),
      ]);

      const result = plan(snapshot, DEFAULT_POLICY);

      assert.equal(result.environment, "live");
      assert.equal(result.readAt, READ_AT);
      assert.deepEqual(
        result.groups.map((g) => g.name),
        ["live-api", "live-web"],
      );
    });

    it("refuses a desired version that is not semver, rather than finding every instance stale", () => {
      const snapshot = aSnapshot([aGroup("live-web", [anInstance("i-1", "1.0.274")])], { version: "latest" });

      assert.throws(
        () => plan(snapshot, DEFAULT_POLICY),
        (e: unknown) => {
          assert.ok(e instanceof ContractError);
          assert.match(e.message, /desired version "latest" is not a semantic version/);
          return true;
        },
      );
    });

    it("refuses an empty desired image, rather than finding every instance drifted", () => {
      const snapshot = aSnapshot([aGroup("live-web", [anInstance("i-1", "1.0.274")])], { imageId: "" });

      assert.throws(() => plan(snapshot, DEFAULT_POLICY), /desired image "" is not an image id/);
    });

    it("matches a manifest's v-prefixed version to the plain version instances answer", () => {
      const snapshot = aSnapshot([aGroup("live-web", [anInstance("i-1", "1.0.274"), anInstance("i-2", "1.0.273")])], {
        version: "v1.0.274",
      });

      assert.deepEqual(only(plan(snapshot, DEFAULT_POLICY)).terminate, ["i-2"]);
    });

    it("fills every field of a converged group and says converged", () => {
      const snapshot = aSnapshot([aGroup("live-web", [anInstance("i-2", "1.0.274"), anInstance("i-1", "1.0.274")])], {
        version: "1.0.274",
        imageId: OLD_AMI,
      });

      const g = only(plan(snapshot, DEFAULT_POLICY));

      assert.deepEqual(g, {
        name: "live-web",
        tier: "web",
        desiredVersion: "1.0.274",
        versionSource: "manifest",
        desiredImageId: OLD_AMI,
        floor: 1,
        healthy: 2,
        stable: true,
        unstable: [],
        instances: [
          { id: "i-1", version: "1.0.274", imageId: OLD_AMI, stale: false, reasons: [], terminate: false },
          { id: "i-2", version: "1.0.274", imageId: OLD_AMI, stale: false, reasons: [], terminate: false },
        ],
        terminate: [],
        reason: "converged: all 2 instances run version 1.0.274 (manifest) on image ami-0aaa1111",
        log: "live-web => lowest version 1.0.274, highest version 1.0.274, 0 instances to terminate",
      });
    });

    it("treats a group scaled to zero as converged, not as an error", () => {
      const snapshot = aSnapshot([aGroup("test-web", [], { desiredCapacity: 0 })], { version: "1.0.274" });

      const g = only(plan(snapshot, DEFAULT_POLICY));

      assert.equal(g.stable, true);
      assert.deepEqual(g.terminate, []);
      assert.equal(g.reason, "converged: scaled to zero (desired capacity 0, no instances); nothing to do");
      assert.equal(g.log, "test-web => scaled to zero, 0 instances to terminate");
    });

    describe("stability (rule 1)", () => {
      it("terminates nothing while an instance is unhealthy, and names each instance and why", () => {
        const snapshot = aSnapshot(
          [
            aGroup("live-web", [
              anInstance("i-abc", "1.0.274", { lifecycleState: "Pending" }),
              anInstance("i-def", "1.0.266", { probe: { ok: false, error: "timeout" } }),
              anInstance("i-old", "1.0.266"),
            ]),
          ],
          { version: "1.0.274" },
        );

        const g = only(plan(snapshot, DEFAULT_POLICY));

        assert.equal(g.stable, false);
        assert.deepEqual(g.terminate, []);
        assert.deepEqual(g.unstable, [
          { id: "i-abc", why: "is Pending" },
          { id: "i-def", why: "answered no version (timeout)" },
        ]);
        assert.equal(
          g.reason,
          "unstable: i-abc is Pending; i-def answered no version (timeout); " +
            "no terminations until every instance is healthy and the group settles",
        );
        assert.equal(
          g.log,
          "live-web => lowest version 1.0.266, highest version 1.0.274, unstable, 0 instances to terminate",
        );
        assert.equal(g.instances.find((d) => d.id === "i-old")?.stale, true);
      });

      it("terminates nothing while a scaling activity is in progress", () => {
        const snapshot = aSnapshot(
          [
            aGroup("live-web", [anInstance("i-1", "1.0.266"), anInstance("i-2", "1.0.266")], {
              activityInProgress: true,
            }),
          ],
          { version: "1.0.274" },
        );

        const g = only(plan(snapshot, DEFAULT_POLICY));

        assert.equal(g.stable, false);
        assert.deepEqual(g.terminate, []);
        assert.deepEqual(g.unstable, []);
        assert.match(g.reason, /^unstable: a scaling activity is in progress; no terminations/);
      });

      it("terminates nothing while the instance count differs from desired capacity", () => {
        const snapshot = aSnapshot(
          [aGroup("live-web", [anInstance("i-1", "1.0.266"), anInstance("i-2", "1.0.266")], { desiredCapacity: 4 })],
          { version: "1.0.274" },
        );

        const g = only(plan(snapshot, DEFAULT_POLICY));

        assert.equal(g.stable, false);
        assert.deepEqual(g.terminate, []);
        assert.match(g.reason, /^unstable: 2 instances but desired capacity 4; no terminations/);
      });

      it("ignores health in a target group the group no longer lists", () => {
        const detached = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/old/ffff";
        const snapshot = aSnapshot([
          aGroup("live-web", [
            anInstance("i-1", "1.0.274", { lbHealth: { [WEB_TG]: "healthy", [detached]: "draining" } }),
          ]),
        ]);

        assert.equal(only(plan(snapshot, DEFAULT_POLICY)).stable, true);
      });
    });

    describe("staleness (rules 2 and 3)", () => {
      it("replaces older versions than the highest observed when there is no manifest", () => {
        const snapshot = aSnapshot([
          aGroup("live-web", [
            anInstance("i-1", "1.0.266"),
            anInstance("i-2", "1.0.270"),
            anInstance("i-3", "1.0.274"),
            anInstance("i-4", "1.0.274"),
          ]),
        ]);

        const g = only(plan(snapshot, DEFAULT_POLICY));

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
        const snapshot = aSnapshot(
          [aGroup("live-web", [anInstance("i-1", "v1.0.274"), anInstance("i-2", "1.0.274")])],
          {
            version: "1.0.274",
          },
        );

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
        assert.match(
          after.reason,
          /^4 stale but only 1 above the floor of 3: terminating i-4\. Stale: 4 image drift\./,
        );
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

    describe("how many and which (rule 4)", () => {
      it("terminates the most stale first: both wrong, then oldest version, then oldest launch, then id", () => {
        const snapshot = aSnapshot(
          [
            aGroup("live-web", [
              anInstance("i-age", "1.0.274", { imageId: NEW_AMI, ageDays: 40 }),
              anInstance("i-b-270", "1.0.270", { imageId: NEW_AMI, ageDays: 2 }),
              anInstance("i-a-270", "1.0.270", { imageId: NEW_AMI, ageDays: 2 }),
              anInstance("i-old-270", "1.0.270", { imageId: NEW_AMI, ageDays: 3 }),
              anInstance("i-268", "1.0.268", { imageId: NEW_AMI, ageDays: 1 }),
              anInstance("i-image", "1.0.274", { imageId: OLD_AMI, ageDays: 1 }),
              anInstance("i-both", "1.0.272", { imageId: OLD_AMI, ageDays: 1 }),
              anInstance("i-ok", "1.0.274", { imageId: NEW_AMI, ageDays: 1 }),
            ]),
          ],
          { version: "1.0.274", imageId: NEW_AMI },
        );

        const g = only(plan(snapshot, { minHealthy: 1, minHealthyPercent: 0, maxInstanceAgeHours: 24 * 30 }));

        assert.deepEqual(g.terminate, ["i-both", "i-268", "i-old-270", "i-a-270", "i-b-270", "i-image", "i-age"]);
        assert.match(
          g.reason,
          /^7 stale: terminating .*\. Stale: 5 version, 2 image drift, 1 age \(older than 720h\)\./,
        );
      });

      it("stops at the floor and says how many fit above it", () => {
        const snapshot = aSnapshot(
          [
            aGroup("live-web", [
              anInstance("i-1", "1.0.266"),
              anInstance("i-2", "1.0.266"),
              anInstance("i-3", "1.0.274"),
            ]),
          ],
          { version: "1.0.274" },
        );

        const g = only(plan(snapshot, { minHealthy: 2, minHealthyPercent: 0 }));

        assert.deepEqual(g.terminate, ["i-1"]);
        assert.equal(g.floor, 2);
        assert.equal(
          g.reason,
          "2 stale but only 1 above the floor of 2: terminating i-1. Stale: 2 version. Target: version 1.0.274 (manifest).",
        );
      });

      it("waits when no instance is above the floor, and says how to make room", () => {
        const snapshot = aSnapshot([aGroup("live-web", [anInstance("i-1", "1.0.266")])], { version: "1.0.274" });

        const g = only(plan(snapshot, DEFAULT_POLICY));

        assert.deepEqual(g.terminate, []);
        assert.equal(
          g.reason,
          "1 stale but none above the floor of 1: waiting for capacity above the floor " +
            "(surge, or raise desired capacity, to make room). Stale: 1 version. Target: version 1.0.274 (manifest).",
        );
      });

      it("terminates at most maxPerSweep per group", () => {
        const snapshot = aSnapshot(
          [
            aGroup(
              "live-web",
              ["i-1", "i-2", "i-3", "i-4"].map((id) => anInstance(id, "1.0.266")),
            ),
          ],
          { version: "1.0.274" },
        );

        const g = only(plan(snapshot, { ...DEFAULT_POLICY, maxPerSweep: 1 }));

        assert.deepEqual(g.terminate, ["i-1"]);
        assert.equal(
          g.reason,
          "4 stale, at most 1 per sweep: terminating i-1. Stale: 4 version. Target: version 1.0.274 (manifest).",
        );
      });

      it("terminates nothing with maxPerSweep 0", () => {
        const snapshot = aSnapshot([aGroup("live-web", [anInstance("i-1", "1.0.266"), anInstance("i-2", "1.0.266")])], {
          version: "1.0.274",
        });

        assert.deepEqual(only(plan(snapshot, { ...DEFAULT_POLICY, maxPerSweep: 0 })).terminate, []);
      });

      it("computes the floor from desired capacity at sweep time, so a scale-out raises it", () => {
        const stale = ["i-1", "i-2", "i-3", "i-4"].map((id) => anInstance(id, "1.0.266"));
        const fresh = ["i-5", "i-6", "i-7", "i-8"].map((id) => anInstance(id, "1.0.274"));
        const policy: Policy = { minHealthy: 1, minHealthyPercent: 50 };

        const before = only(plan(aSnapshot([aGroup("live-web", stale)], { version: "1.0.274" }), policy));
        const after = only(plan(aSnapshot([aGroup("live-web", [...stale, ...fresh])], { version: "1.0.274" }), policy));

        assert.equal(before.floor, 2);
        assert.deepEqual(before.terminate, ["i-1", "i-2"]);
        assert.equal(after.floor, 4);
        assert.deepEqual(after.terminate, ["i-1", "i-2", "i-3", "i-4"]);
      });
    });
  });

  describe("formatPlan", () => {
    it("prints each group's log line, each termination with why, and the reason", () => {
      const snapshot = aSnapshot(
        [
          aGroup("live-web", [
            anInstance("i-1", "1.0.266", { imageId: OLD_AMI }),
            anInstance("i-2", "1.0.274", { imageId: NEW_AMI, ageDays: 30 }),
            anInstance("i-3", "1.0.274", { imageId: NEW_AMI }),
          ]),
          aGroup("live-api", [anInstance("i-4", "1.0.274", { imageId: NEW_AMI, lifecycleState: "Pending" })]),
        ],
        { version: "1.0.274", imageId: NEW_AMI },
      );

      const lines = formatPlan(plan(snapshot, { ...DEFAULT_POLICY, maxInstanceAgeHours: 24 * 14 }));

      assert.deepEqual(lines, [
        "live-api => lowest version 1.0.274, highest version 1.0.274, unstable, 0 instances to terminate",
        "  unstable: i-4 is Pending; no terminations until every instance is healthy and the group settles",
        "live-web => lowest version 1.0.266, highest version 1.0.274, 2 instances to terminate",
        "  terminate i-1: version 1.0.266 (want 1.0.274), image drift ami-0aaa1111 (want ami-0bbb2222)",
        "  terminate i-2: age over the limit",
        "  2 stale: terminating i-1, i-2. Stale: 1 version, 1 image drift, 1 age (older than 336h). " +
          "Target: version 1.0.274 (manifest) on image ami-0bbb2222.",
      ]);
    });
  });
});
