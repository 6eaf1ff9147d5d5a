// The image keys: where each tier's image comes from (the stack's pipeline, a pinned AMI, a parameter, AWS's public
// alias), and the monthly pipeline's settings, checked whether or not the pipeline is on.
import * as assert from "node:assert/strict";
import { imageSourceFor } from "../../config";
import { loadStackConfig } from "../support/pulumi-mocks";
import { assertRejected, parseStack, parseWith, problemsOf } from "../support/stack-config";

describe("images", () => {
  it("boot live from its own pipeline's parameter", () => {
    const live = parseStack("live");

    assert.equal(live.tiers.web.image.imageId, "resolve:ssm:/phoenix/live/base-image");
    assert.equal(live.tiers.web.image.kind, "pipeline");
  });

  it("boot a stack without the pipeline from AWS's public Amazon Linux 2023 alias", () => {
    const config = parseWith({ imagePipeline: "false" });

    assert.equal(
      config.tiers.api.image.imageId,
      "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    );
  });

  it("let a disposable copy follow test's images through test's parameter", () => {
    const source = imageSourceFor("pr-42", "linux", false, "/phoenix/test/base-image");

    assert.deepEqual(source, {
      kind: "parameter",
      imageId: "resolve:ssm:/phoenix/test/base-image",
      parameterName: "/phoenix/test/base-image",
    });
  });

  it("keep a pinned AMI id as it is", () => {
    assert.equal(imageSourceFor("test", "linux", false, "ami-0123456789abcdef0").imageId, "ami-0123456789abcdef0");
  });

  it("give a Windows tier the Windows image", () => {
    const config = parseWith({ apiPlatform: "windows", apiRootVolumeSizeGiB: "30", imagePipeline: "false" });

    assert.equal(
      config.tiers.api.image.imageId,
      "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
    );
  });

  it("reject a pinned image while the pipeline is on", () => {
    const text = problemsOf(() => parseWith({ imagePipeline: "true", linuxImage: "ami-0123456789abcdef0" }));

    assert.match(text, /phoenix:linuxImage = "ami-0123456789abcdef0": web tier: imagePipeline is on/);
  });

  it("reject an image that is neither an AMI nor a parameter", () => {
    assertRejected(
      { linuxImage: "ubuntu" },
      /phoenix:linuxImage = "ubuntu": must be an AMI id .* or an SSM parameter name/,
    );
  });
});

describe("the image pipeline's stack config", () => {
  const problems = (overrides: Parameters<typeof parseWith>[0]) => problemsOf(() => parseWith(overrides));

  it("reads the defaults: third Wednesday, dependency updates only, keep 3, retain 6, spare 45 days", () => {
    assert.deepEqual(parseWith({}).image, {
      schedule: "cron(0 0 ? * wed#3 *)",
      startCondition: "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE",
      drRegions: [],
      keepCount: 3,
      retainCount: 6,
      inUseDays: 45,
    });
  });

  it("copies live's images to its recovery region", () => {
    const live = loadStackConfig("live");

    assert.deepEqual(JSON.parse(live["phoenix:recoveryRegions"]), ["eu-central-1"]);
    assert.equal(live["phoenix:imagePipeline"], "true");
    assert.deepEqual(parseStack("live").image.drRegions, ["eu-central-1"]);
  });

  it("rejects a schedule outside the monthly subset, naming the key", () => {
    assert.match(problems({ imageSchedule: "cron(0 0 * * ? *)" }), /phoenix:imageSchedule = "cron\(0 0 \* \* \? \*\)"/);
  });

  it("rejects an unknown start condition and a retain count not above the keep count", () => {
    const text = problems({
      imageStartCondition: "ALWAYS",
      imageKeepCount: "4",
      imageRetainCount: "4",
    });

    assert.match(text, /phoenix:imageStartCondition = "ALWAYS": must be one of/);
    assert.match(text, /phoenix:imageRetainCount = 4: must be more than imageKeepCount \(4\)/);
  });

  it("rejects the pipeline with tiers on two platforms, which the terminator would replace forever", () => {
    assert.match(
      problems({ imagePipeline: "true", apiPlatform: "windows", apiRootVolumeSizeGiB: "30" }),
      /phoenix:imagePipeline = true: needs both tiers on one platform/,
    );
  });

  it("allows two platforms when the pipeline is off", () => {
    const config = parseWith({ imagePipeline: "false", apiPlatform: "windows", apiRootVolumeSizeGiB: "30" });

    assert.equal(config.tiers.api.image.kind, "public-alias");
  });
});
