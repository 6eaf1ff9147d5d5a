// Example tests of plan() as a whole: what it copies from the snapshot, the order of groups, the desired versions and
// images it refuses, and every field of a group's plan.
import * as assert from "node:assert/strict";
import { ContractError } from "../../../../runtime/core/errors";
import { DEFAULT_POLICY } from "../../../../runtime/core/types";
import { aGroup, anInstance, aSnapshot, IMAGES, READ_AT } from "../../../support/arbitraries";
import { only, planReplacing as plan } from "../../../support/plans";

const [OLD_AMI] = IMAGES;

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
});
