// Where a recovery starts: the lost environment's replica in its region (required, or a refusal naming the key and the
// region) and its copied image (or, with a warning, AWS's public image).
import * as assert from "node:assert/strict";
import { UsageError } from "../../../runtime/core/errors";
import { recoverySource } from "../../../runtime/core/recovery";

describe("a recovery's sources", () => {
  const found = {
    recoverFrom: "live",
    region: "eu-central-1",
    replica: { bucketName: "live-releases-eu-central-1" },
    baseImage: { imageId: "ami-0b1b2c3d4e5f60001" },
  };

  it("serves from the replica and starts from the copied image, with nothing to warn about", () => {
    assert.deepEqual(recoverySource(found), {
      recoverFrom: "live",
      releaseBucketName: "live-releases-eu-central-1",
      baseImageId: "ami-0b1b2c3d4e5f60001",
      warnings: [],
    });
  });

  it("starts from AWS's public image, with a warning naming the parameter and the region, when no copy is there", () => {
    const source = recoverySource({ ...found, baseImage: { missing: "ParameterNotFound" } });

    assert.equal(source.baseImageId, undefined);
    assert.deepEqual(source.warnings, [
      "recoverFrom = live: eu-central-1 holds no copy of live's base image (SSM parameter /phoenix/live/base-image in " +
        "eu-central-1: ParameterNotFound); the recovery starts from AWS's public image instead, and its own image " +
        "pipeline's first build replaces it (start one by hand: docs/image-pipeline.md, Build by hand)",
    ]);
  });

  it("refuses a region without the replica, naming phoenix:recoverFrom, the region and what to do", () => {
    assert.throws(
      () => recoverySource({ ...found, replica: { missing: "ParameterNotFound" } }),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message ===
          'phoenix:recoverFrom = "live": eu-central-1 holds no replica of live\'s release store (SSM parameter ' +
            "/phoenix/live/release-replica in eu-central-1: ParameterNotFound). live's stack creates it when " +
            "eu-central-1 is in its recoveryRegions: add it there and run `pulumi up --stack live` while live's " +
            "region still answers, or recover in a region that has one; nothing was created",
    );
  });
});
