// The verification step between reading the fleet and planning: what it asks (and remembers), and the line it writes
// for each thing that does not check out: a tier the manifest does not name, an artifact that is missing, an image id
// that is garbage or not available here, a store that is not the environment's own.
import * as assert from "node:assert/strict";
import { FleetReadError } from "../../../runtime/core/errors";
import { FleetState, GroupState, Policy } from "../../../runtime/core/types";
import { DesiredStateVerifier } from "../../../runtime/ops/verify";
import { MemoryFleet } from "../../support/memory-store";

const POLICY: Policy = { minHealthy: 1, minHealthyPercent: 0 };
const IMAGE = "ami-0123456789abcdef0";

function group(tier: string): GroupState {
  return {
    name: `live-${tier}`,
    tier,
    desiredCapacity: 0,
    minSize: 0,
    maxSize: 2,
    port: 80,
    targetGroupArns: [],
    tags: {},
    instances: [],
  };
}

/** live's web and api tiers, the manifest naming 1.0.274 for both, read from the bucket live-releases. */
function state(overrides: Partial<FleetState> = {}): FleetState {
  return {
    environment: "live",
    readAt: "2026-11-26T04:00:00.000Z",
    desiredVersion: "1.0.274",
    desiredArtifacts: { web: "releases/1.0.274/web.zip", api: "releases/1.0.274/api.zip" },
    releaseStore: "live-releases",
    desiredImageId: IMAGE,
    groups: [group("api"), group("web")],
    ...overrides,
  };
}

describe("verifying the desired state", () => {
  it("finds nothing wrong with a manifest whose artifacts exist, an available image and the environment's store", async () => {
    const fleet = new MemoryFleet(state());

    const verified = await new DesiredStateVerifier(fleet.checks).verify(state(), POLICY);

    assert.deepEqual(verified.verification, {});
    assert.deepEqual(fleet.asked.sort(), [
      "artifact releases/1.0.274/api.zip",
      "artifact releases/1.0.274/web.zip",
      `image ${IMAGE}`,
      "store live-releases",
    ]);
  });

  it("names a tier the manifest has no artifact for, and asks nothing about it", async () => {
    const fleet = new MemoryFleet(state());

    const { verification } = await new DesiredStateVerifier(fleet.checks).verify(
      state({ desiredArtifacts: { web: "releases/1.0.274/web.zip" } }),
      POLICY,
    );

    assert.deepEqual(verification.tiers, {
      api:
        "the manifest (version 1.0.274) names no artifact for tier api, so a replacement would install nothing: " +
        "publish a release with --artifact api=<zip>",
    });
    assert.ok(!fleet.asked.some((q) => q.includes("api.zip")));
  });

  it("names an artifact that does not exist, with the store it is missing from", async () => {
    const fleet = new MemoryFleet(state());
    fleet.missingArtifacts.add("releases/1.0.274/web.zip");

    const { verification } = await new DesiredStateVerifier(fleet.checks).verify(state(), POLICY);

    assert.deepEqual(verification.tiers, {
      web:
        "the manifest names version 1.0.274, whose web artifact releases/1.0.274/web.zip does not exist in " +
        "live-releases: re-run `phoenix release` for 1.0.274, or roll back",
    });
  });

  for (const id of ["garbage", "ami-", "ami-0123", "ami-0123456789ABCDEF0", "ami-0123456789abcdef0 ", "i-0123456789"]) {
    it(`refuses ${JSON.stringify(id)} as an image id before asking EC2 anything, naming the parameter`, async () => {
      const fleet = new MemoryFleet(state());

      const { verification } = await new DesiredStateVerifier(fleet.checks).verify(
        state({ desiredImageId: id }),
        POLICY,
      );

      assert.equal(
        verification.image,
        `/phoenix/live/base-image holds ${JSON.stringify(id)}, which is not an AMI id (ami- and 8 or 17 hex ` +
          "digits): write the id of an available image to it",
      );
      assert.ok(!fleet.asked.some((q) => q.startsWith("image")));
    });
  }

  it("takes both lengths of AMI id", async () => {
    const fleet = new MemoryFleet(state());
    const verifier = new DesiredStateVerifier(fleet.checks);

    for (const id of ["ami-0a1b2c3d", "ami-0a1b2c3d4e5f60718"]) {
      assert.equal((await verifier.verify(state({ desiredImageId: id }), POLICY)).verification.image, undefined, id);
    }
  });

  it("says whether an image id names no image here or one that is not available", async () => {
    const fleet = new MemoryFleet(state());
    fleet.imageStates["ami-0aaaaaaa"] = undefined;
    fleet.imageStates["ami-0bbbbbbb"] = "deregistered";
    const verifier = new DesiredStateVerifier(fleet.checks);

    const gone = await verifier.verify(state({ desiredImageId: "ami-0aaaaaaa" }), POLICY);
    const deregistered = await verifier.verify(state({ desiredImageId: "ami-0bbbbbbb" }), POLICY);

    assert.match(
      gone.verification.image ?? "",
      /^\/phoenix\/live\/base-image names ami-0aaaaaaa, which is no image in this region/,
    );
    assert.match(deregistered.verification.image ?? "", /names ami-0bbbbbbb, which is deregistered, not available/);
  });

  it("says when the store is not the environment's, and then checks no artifact in it", async () => {
    const fleet = new MemoryFleet(state());
    fleet.storeProblem = 'release bucket other-releases is not environment "live"\'s';

    const { verification } = await new DesiredStateVerifier(fleet.checks).verify(state(), POLICY);

    assert.equal(verification.store, fleet.storeProblem);
    assert.equal(verification.tiers, undefined);
    assert.ok(!fleet.asked.some((q) => q.startsWith("artifact")));
  });

  it("remembers what cannot change (an artifact of a version, an available image, the store) and asks again about the rest", async () => {
    const fleet = new MemoryFleet(state());
    fleet.missingArtifacts.add("releases/1.0.274/web.zip");
    const verifier = new DesiredStateVerifier(fleet.checks);

    await verifier.verify(state(), POLICY);
    await verifier.verify(state(), POLICY);

    assert.deepEqual(fleet.asked.filter((q) => q.startsWith("artifact")).sort(), [
      "artifact releases/1.0.274/api.zip",
      "artifact releases/1.0.274/web.zip",
      // Missing the first time: asked again, since a release may upload it meanwhile.
      "artifact releases/1.0.274/web.zip",
    ]);
    assert.equal(fleet.asked.filter((q) => q.startsWith("image")).length, 1);
    assert.equal(fleet.asked.filter((q) => q.startsWith("store")).length, 1);
  });

  it("asks for the published versions only when a tier takes the highest observed version without a manifest", async () => {
    const fleet = new MemoryFleet(state());
    fleet.published = ["1.0.266", "1.0.274"];
    const verifier = new DesiredStateVerifier(fleet.checks);
    const bare = state({ desiredVersion: undefined, desiredArtifacts: undefined });

    const byManifest = await verifier.verify(bare, POLICY);
    const byHighest = await verifier.verify(bare, {
      ...POLICY,
      tiers: { web: { desiredVersion: "highest-observed" } },
    });

    assert.equal(byManifest.publishedVersions, undefined);
    assert.deepEqual(byHighest.publishedVersions, ["1.0.266", "1.0.274"]);
    assert.equal(fleet.asked.filter((q) => q === "published").length, 1);
  });

  it("verifies nothing a fleet without checks names: every tier of a manifest, and the image, stay unverified", async () => {
    const { verification } = await new DesiredStateVerifier(undefined).verify(state(), POLICY);

    assert.match(verification.store ?? "", /release store live-releases cannot be checked by this fleet adapter/);
    assert.match(verification.image ?? "", /cannot be checked by this fleet adapter/);
  });

  it("turns a check that cannot be answered into one FleetReadError line: nothing may act on a partial view", async () => {
    const fleet = new MemoryFleet(state());
    fleet.checks.imageState = () => Promise.reject(new Error("UnauthorizedOperation: not allowed to DescribeImages"));

    await assert.rejects(
      new DesiredStateVerifier(fleet.checks).verify(state(), POLICY),
      (err: Error) =>
        err instanceof FleetReadError &&
        err.message ===
          'cannot verify the desired state of environment "live": Error: UnauthorizedOperation: not allowed to ' +
            "DescribeImages; nothing was terminated",
    );
  });
});
