// Example tests of the original rules (the replace strategy): nothing goes while a group is unsettled (rule 1), and
// the most stale go first, never below the healthy floor nor past maxPerSweep (rule 4).
import * as assert from "node:assert/strict";
import { DEFAULT_POLICY, Policy } from "../../../../runtime/core/types";
import { aGroup, anInstance, aSnapshot, IMAGES, TARGET_GROUP_ARNS } from "../../../support/arbitraries";
import { only, planReplacing as plan } from "../../../support/plans";

const [OLD_AMI, NEW_AMI] = IMAGES;
const [WEB_TG] = TARGET_GROUP_ARNS;

describe("planner with the replace strategy", () => {
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
      assert.match(g.reason, /^7 stale: terminating .*\. Stale: 5 version, 2 image drift, 1 age \(older than 720h\)\./);
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
