// Example tests of plan() as a whole: what it copies from the snapshot, the order of groups, the desired versions and
// images it refuses, and every field of a group's plan.
import * as assert from "node:assert/strict";
import { ContractError } from "../../../../runtime/core/errors";
import { DEFAULT_POLICY } from "../../../../runtime/core/types";
import { aGroup, anInstance, aSnapshot, IMAGES, READ_AT } from "../../../support/arbitraries";
import { oldOnes, newOnes, only, planReplacing as plan, SURGE, surging } from "../../../support/plans";

const [OLD_AMI, NEW_AMI] = IMAGES;
const MISSING_WEB =
  "the manifest names version 1.0.274, whose web artifact releases/1.0.274/web.zip does not exist in live-releases: " +
  "re-run `phoenix release` for 1.0.274, or roll back";

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

  describe("a desired state that is not verified", () => {
    it("leaves alone the tier whose artifact is missing, and plans the others as usual", () => {
      const snapshot = aSnapshot(
        [
          aGroup("live-web", [anInstance("i-1", "1.0.266"), anInstance("i-2", "1.0.274")]),
          aGroup("live-api", [anInstance("i-3", "1.0.266"), anInstance("i-4", "1.0.274")]),
        ],
        { version: "1.0.274" },
      );
      snapshot.verification = { tiers: { web: MISSING_WEB } };

      const [api, web] = plan(snapshot, DEFAULT_POLICY).groups;

      assert.deepEqual(api.terminate, ["i-3"]);
      assert.equal(api.unverified, undefined);
      assert.deepEqual(web.terminate, []);
      assert.equal(web.unverified, MISSING_WEB);
      assert.equal(
        web.reason,
        `left alone, desired state not verified: ${MISSING_WEB}. Nothing is terminated and desired capacity is not ` +
          "changed here until it is",
      );
      assert.equal(
        web.log,
        "live-web => lowest version 1.0.266, highest version 1.0.274, unverified, 0 instances to terminate",
      );
      // Still shown stale, so the operator sees what the release would replace.
      assert.deepEqual(web.instances[0].reasons, ["version"]);
    });

    it("leaves every group alone when the release store is not the environment's", () => {
      const store =
        'release bucket other-releases, named by /phoenix/live/release-bucket, is not environment "live"\'s';
      const snapshot = aSnapshot(
        [aGroup("live-web", [anInstance("i-1", "1.0.266")]), aGroup("live-api", [anInstance("i-2", "1.0.266")])],
        { imageId: NEW_AMI },
      );
      snapshot.verification = { store };

      const groups = plan(snapshot, DEFAULT_POLICY).groups;

      assert.deepEqual(
        groups.map((g) => [g.name, g.terminate, g.unverified]),
        [
          ["live-api", [], store],
          ["live-web", [], store],
        ],
      );
    });

    it("marks no instance drifted against an image that is not verified, and leaves every group alone", () => {
      const image = '/phoenix/live/base-image holds "garbage", which is not an AMI id (ami- and 8 or 17 hex digits)';
      const snapshot = aSnapshot([aGroup("live-web", [anInstance("i-1", "1.0.274"), anInstance("i-2", "1.0.274")])], {
        version: "1.0.274",
        imageId: "garbage",
      });
      snapshot.verification = { image };

      const g = only(plan(snapshot, DEFAULT_POLICY));

      assert.deepEqual(g.terminate, []);
      assert.equal(g.desiredImageId, "garbage", "the plan still shows what the parameter holds");
      assert.deepEqual(
        g.instances.map((d) => d.stale),
        [false, false],
      );
      assert.match(g.reason, /^left alone, desired state not verified: \/phoenix\/live\/base-image holds "garbage"/);
    });

    it("lets a surge in progress wait: no termination, no capacity, tag or process change", () => {
      const group = surging([...oldOnes(), ...newOnes(8)], 8);
      const snapshot = aSnapshot([group], { version: "1.0.2" });
      snapshot.verification = { tiers: { web: "the manifest (version 1.0.2) names no artifact for tier web" } };

      const g = only(plan(snapshot, SURGE));

      assert.deepEqual(
        [g.terminate, g.setDesired, g.tags, g.suspend, g.resume, g.surge],
        [[], undefined, undefined, undefined, undefined, undefined],
      );
      assert.match(g.reason, /; the surge in progress \(baseline 3\) waits too$/);
    });

    it("decides as before verification existed for a snapshot logged without one", () => {
      const snapshot = aSnapshot([aGroup("live-web", [anInstance("i-1", "1.0.266"), anInstance("i-2", "1.0.274")])], {
        version: "1.0.274",
      });

      assert.deepEqual(only(plan(snapshot, DEFAULT_POLICY)).terminate, ["i-1"]);
    });
  });
});
