// What becomes of a built image: the parameters it is published to (seeded before the first build), its copies in
// the DR regions, and the lifecycle policy that retires old images.
import * as assert from "node:assert/strict";
import { regionDistributions } from "../../ami/distribution";
import { PUBLIC_IMAGE_ALIASES } from "../../ami/image-source";
import type { PulumiMocks } from "../support/pulumi-mocks";
import { BuiltPipelines, buildPipelines } from "./fixture";

/** A parameter value as the program passed it: Pulumi may carry it as a secret envelope `{ ..., value }`. */
const plain = (v: unknown): unknown => (v !== null && typeof v === "object" && "value" in v ? v.value : v);

describe("the pipeline's distribution and lifecycle under mocks", () => {
  let mocks: PulumiMocks;
  let region: string;
  let drRegion: string;
  let byName: BuiltPipelines["byName"];

  before(async () => {
    ({ mocks, region, drRegion, byName } = await buildPipelines());
  });

  it("writes the AMI id to /phoenix/<env>/base-image as aws:ec2:image here and in each DR region", () => {
    const linux = byName("aws:imagebuilder/distributionConfiguration:DistributionConfiguration", "base-image-linux");
    const { distributions } = linux.inputs;

    assert.deepEqual(
      distributions.map((d: { region: string }) => d.region),
      [region, drRegion],
    );
    for (const d of distributions) {
      assert.deepEqual(d.ssmParameterConfigurations, [
        { parameterName: "/phoenix/test/base-image", dataType: "aws:ec2:image" },
      ]);
      assert.match(d.amiDistributionConfiguration.name, /\{\{ imagebuilder:buildDate \}\}/);
    }
  });

  it("writes the parameter once when the home region is also listed for disaster recovery", () => {
    const custom = byName("aws:imagebuilder/distributionConfiguration:DistributionConfiguration", "custom-linux");

    assert.deepEqual(
      custom.inputs.distributions.map((d: { region: string }) => d.region),
      [region],
    );
  });

  it("writes a secondary platform's AMI id to its own parameter", () => {
    const windows = byName(
      "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      "base-image-windows",
    ).inputs;

    assert.equal(
      windows.distributions[0].ssmParameterConfigurations[0].parameterName,
      "/phoenix/test/base-image-windows",
    );
  });

  it("writes the primary platform's AMI id to the base-image parameter, Windows included", () => {
    const windowsOnly = byName(
      "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      "windows-only-windows",
    ).inputs;

    assert.equal(windowsOnly.distributions[0].ssmParameterConfigurations[0].parameterName, "/phoenix/win/base-image");
  });

  it("creates the base-image parameter before the first build, seeded with AWS's newest image", () => {
    const parameter = byName("aws:ssm/parameter:Parameter", "base-image-base-image").inputs;
    const lookups = mocks.calls.filter((c) => c.token === "aws:ssm/getParameter:getParameter");

    assert.equal(parameter.name, "/phoenix/test/base-image");
    assert.equal(parameter.dataType, "aws:ec2:image");
    assert.equal(plain(parameter.value), "ami-0linux0000000000a");
    assert.equal(parameter.overwrite, false);
    assert.ok(lookups.some((c) => c.inputs.name === PUBLIC_IMAGE_ALIASES.linux));
  });

  it("seeds the parameter with a given image instead of looking one up", () => {
    const parameter = byName("aws:ssm/parameter:Parameter", "windows-only-base-image").inputs;

    assert.equal(plain(parameter.value), "ami-0123456789abcdef0");
    assert.ok(!mocks.calls.some((c) => c.inputs.name === PUBLIC_IMAGE_ALIASES.windows));
  });

  it("retires old images: deprecate beyond the newest 3, delete beyond 6 with snapshots, sparing recent launches", () => {
    const policy = byName("aws:imagebuilder/lifecyclePolicy:LifecyclePolicy", "base-image-lifecycle").inputs;
    const inUse = { amis: { lastLaunched: { unit: "DAYS", value: 45 } } };

    assert.equal(policy.resourceType, "AMI_IMAGE");
    assert.deepEqual(policy.resourceSelection.recipes, [
      { name: "phoenix-test-linux", semanticVersion: "x.x.x" },
      { name: "phoenix-test-windows", semanticVersion: "x.x.x" },
    ]);
    assert.deepEqual(policy.policyDetails, [
      {
        action: { type: "DEPRECATE", includeResources: { amis: true } },
        filter: { type: "COUNT", value: 3 },
        exclusionRules: inUse,
      },
      {
        action: { type: "DELETE", includeResources: { amis: true, snapshots: true } },
        filter: { type: "COUNT", value: 6 },
        exclusionRules: inUse,
      },
    ]);
  });

  it("selects the recipes the pipelines actually build", () => {
    const recipeNames = mocks
      .ofType("aws:imagebuilder/imageRecipe:ImageRecipe")
      .filter((r) => r.name.startsWith("base-image-"))
      .map((r) => r.inputs.name);
    const policy = byName("aws:imagebuilder/lifecyclePolicy:LifecyclePolicy", "base-image-lifecycle").inputs;

    assert.deepEqual(
      policy.resourceSelection.recipes.map((r: { name: string }) => r.name),
      recipeNames,
    );
  });

  it("takes configured retention counts and in-use window", () => {
    const policy = byName("aws:imagebuilder/lifecyclePolicy:LifecyclePolicy", "custom-lifecycle").inputs;

    assert.deepEqual(
      policy.policyDetails.map((d: { filter: { value: number } }) => d.filter.value),
      [2, 5],
    );
    assert.equal(policy.policyDetails[0].exclusionRules.amis.lastLaunched.value, 90);
  });
});

describe("region distributions", () => {
  const distributions = (home: string, drRegions: string[]) =>
    regionDistributions({
      environment: "live",
      platform: "linux",
      home,
      drRegions,
      parameterName: "/phoenix/live/base-image",
      kmsKeyId: "key-home",
      tags: { team: "a" },
    });

  it("encrypts the home region's copy with the given key and leaves each DR copy to its region's default", () => {
    const [home, dr] = distributions("eu-west-1", ["eu-central-1"]);

    assert.equal(home.amiDistributionConfiguration.kmsKeyId, "key-home");
    assert.equal(dr.amiDistributionConfiguration.kmsKeyId, undefined);
  });

  it("tags every copy as a base image of its platform", () => {
    for (const d of distributions("eu-west-1", ["eu-central-1", "us-east-1"])) {
      assert.deepEqual(d.amiDistributionConfiguration.amiTags, {
        team: "a",
        "phoenix:platform": "linux",
        "phoenix:base-image": "true",
      });
    }
  });
});
