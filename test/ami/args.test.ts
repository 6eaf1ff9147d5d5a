// The pipeline's arguments: defaults resolved once, and every unusable value refused before anything is created.
import * as assert from "node:assert/strict";
import {
  BaseImagePipelineArgs,
  BaseImagePipelineArgsError,
  resolveBaseImagePipelineArgs,
  validateBaseImagePipelineArgs,
} from "../../ami/args";

describe("pipeline argument checks", () => {
  const valid: BaseImagePipelineArgs = { environment: "test", subnetId: "subnet-1", securityGroupId: "sg-1" };

  it("accepts the defaults", () => {
    assert.doesNotThrow(() => validateBaseImagePipelineArgs(valid));
  });

  it("rejects a delete threshold that does not exceed the deprecate threshold", () => {
    assert.throws(
      () => validateBaseImagePipelineArgs({ ...valid, keepImageCount: 4, retainImageCount: 4 }),
      /retainImageCount 4 must be a whole number greater than keepImageCount \(4\)/,
    );
  });

  it("rejects a schedule outside the monthly subset, an unknown platform and a malformed DR region", () => {
    assert.throws(
      () => validateBaseImagePipelineArgs({ ...valid, scheduleExpression: "cron(0 0 1 * ? *)" }),
      /scheduleExpression/,
    );
    assert.throws(
      () => validateBaseImagePipelineArgs({ ...valid, platforms: ["macos" as "linux"] }),
      BaseImagePipelineArgsError,
    );
    assert.throws(() => validateBaseImagePipelineArgs({ ...valid, drRegions: ["Frankfurt"] }), /drRegions entry/);
  });

  it("rejects an environment name the stack config would refuse, with the contract's reason", () => {
    assert.throws(
      () => validateBaseImagePipelineArgs({ ...valid, environment: "a-very-long-environment" }),
      /environment "a-very-long-environment" must be at most 16 characters/,
    );
    assert.throws(() => validateBaseImagePipelineArgs({ ...valid, environment: "Test" }), /lowercase letter/);
  });

  it("fills in every default in one place", () => {
    const resolved = resolveBaseImagePipelineArgs(valid);

    assert.deepEqual(
      {
        platforms: resolved.platforms,
        drRegions: resolved.drRegions,
        scheduleExpression: resolved.scheduleExpression,
        startCondition: resolved.startCondition,
        keep: resolved.keepImageCount,
        retain: resolved.retainImageCount,
        inUse: resolved.inUseWithinDays,
        logs: resolved.logRetentionDays,
        tests: resolved.testTimeoutMinutes,
        tags: resolved.tags,
        kmsKeyId: resolved.kmsKeyId,
        seedImageId: resolved.seedImageId,
      },
      {
        platforms: ["linux"],
        drRegions: [],
        scheduleExpression: "cron(0 0 ? * wed#3 *)",
        startCondition: "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE",
        keep: 3,
        retain: 6,
        inUse: 45,
        logs: 90,
        tests: 90,
        tags: {},
        kmsKeyId: undefined,
        seedImageId: undefined,
      },
    );
  });

  it("overrides one platform's instance types and root volume, keeping the other platform's defaults", () => {
    const resolved = resolveBaseImagePipelineArgs({
      ...valid,
      instanceTypes: { windows: ["m5.large"] },
      rootVolumeSizeGiB: { linux: 30 },
    });

    assert.deepEqual(resolved.instanceTypes, { linux: ["t3.medium"], windows: ["m5.large"] });
    assert.deepEqual(resolved.rootVolumeSizeGiB, { linux: 30, windows: 50 });
  });

  it("returns the resolved args it checked", () => {
    assert.deepEqual(validateBaseImagePipelineArgs(valid), resolveBaseImagePipelineArgs(valid));
  });
});
