// Where a launch template takes its image from: the pipeline's parameter, another environment's, a pinned AMI or
// AWS's public alias.
import * as assert from "node:assert/strict";
import {
  ImageSourceError,
  platformImageParameterName,
  PUBLIC_IMAGE_ALIASES,
  resolveImageSource,
} from "../../ami/image-source";
import { baseImageParameterName } from "../../runtime/contract";

describe("the image source of a launch template", () => {
  it("uses the environment's own parameter when the pipeline is on", () => {
    const source = resolveImageSource({ environment: "live", platform: "linux", pipelineEnabled: true });

    assert.deepEqual(source, {
      kind: "pipeline",
      imageId: "resolve:ssm:/phoenix/live/base-image",
      parameterName: "/phoenix/live/base-image",
    });
  });

  it("follows another environment's parameter for a disposable copy", () => {
    const source = resolveImageSource({
      environment: "pr-42",
      platform: "linux",
      pipelineEnabled: false,
      baseImageParameter: "/phoenix/test/base-image",
    });

    assert.equal(source.kind, "parameter");
    assert.equal(source.imageId, "resolve:ssm:/phoenix/test/base-image");
  });

  it("uses a configured AMI id as it is", () => {
    const source = resolveImageSource({
      environment: "test",
      platform: "linux",
      pipelineEnabled: false,
      amiId: "ami-0123456789abcdef0",
    });

    assert.deepEqual(source, { kind: "ami", imageId: "ami-0123456789abcdef0" });
  });

  it("falls back to the platform's public SSM alias", () => {
    const linux = resolveImageSource({ environment: "test", platform: "linux", pipelineEnabled: false });
    const windows = resolveImageSource({ environment: "test", platform: "windows", pipelineEnabled: false });

    assert.equal(linux.imageId, `resolve:ssm:${PUBLIC_IMAGE_ALIASES.linux}`);
    assert.equal(windows.imageId, `resolve:ssm:${PUBLIC_IMAGE_ALIASES.windows}`);
  });

  it("boots a Windows tier from the base-image parameter too when the pipeline builds Windows for it", () => {
    const source = resolveImageSource({ environment: "live", platform: "windows", pipelineEnabled: true });

    assert.equal(source.imageId, "resolve:ssm:/phoenix/live/base-image");
  });

  it("gives a secondary platform its own parameter so two platforms never overwrite each other", () => {
    assert.equal(platformImageParameterName("live", "linux", "linux"), baseImageParameterName("live"));
    assert.equal(platformImageParameterName("live", "windows", "windows"), "/phoenix/live/base-image");
    assert.equal(platformImageParameterName("live", "windows", "linux"), "/phoenix/live/base-image-windows");
  });

  it("rejects contradictory or malformed settings, naming the key", () => {
    const base = { environment: "test", platform: "linux" as const };
    assert.throws(
      () => resolveImageSource({ ...base, pipelineEnabled: true, baseImageParameter: "/phoenix/test/base-image" }),
      /imagePipeline is on/,
    );
    assert.throws(
      () =>
        resolveImageSource({
          ...base,
          pipelineEnabled: false,
          baseImageParameter: "/phoenix/test/base-image",
          amiId: "ami-0123456789abcdef0",
        }),
      /keep one of them/,
    );
    assert.throws(() => resolveImageSource({ ...base, pipelineEnabled: false, amiId: "ami-xyz" }), ImageSourceError);
    assert.throws(
      () => resolveImageSource({ ...base, pipelineEnabled: false, baseImageParameter: "phoenix/test" }),
      /baseImageParameter "phoenix\/test"/,
    );
  });
});
