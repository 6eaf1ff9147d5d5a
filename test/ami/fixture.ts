// The base-image pipelines the ami specs build under mocks, so that each spec (recipe, infrastructure, distribution,
// pipeline) asserts its own part of the same resources: two platforms with a DR region, a customised Linux-only one
// whose home region is also listed for DR, and a Windows-only one seeded with a given image.
import { BaseImagePipeline } from "../../ami/pipeline";
import { PulumiMocks, RecordedResource, settle, setupMocks } from "../support/pulumi-mocks";

/** Answers the lookup of AWS's public image aliases, which seeds the base-image parameter. */
export const PUBLIC_ALIAS_LOOKUP = {
  "aws:ssm/getParameter:getParameter": (inputs: Record<string, string>) => ({
    id: inputs.name,
    name: inputs.name,
    arn: `arn:aws:ssm:eu-west-1::parameter${inputs.name}`,
    type: "String",
    value: inputs.name.includes("windows") ? "ami-0windows000000000" : "ami-0linux0000000000a",
    insecureValue: "",
    version: 1,
    region: "eu-west-1",
  }),
};

/** What buildPipelines recorded, and the regions it chose. */
export interface BuiltPipelines {
  mocks: PulumiMocks;
  /** The test stack's region: every pipeline's home. */
  region: string;
  /** The `base-image` pipeline's one DR region. */
  drRegion: string;
  /** The one resource of a type by logical name. */
  byName: (type: string, name: string) => RecordedResource;
}

/** Sets the mocks and builds the three pipelines (`base-image`, `custom`, `windows-only`); call it in `before`. */
export async function buildPipelines(): Promise<BuiltPipelines> {
  const mocks = await setupMocks("test", { calls: PUBLIC_ALIAS_LOOKUP });
  const region = mocks.region;
  const drRegion = region === "eu-central-1" ? "eu-west-1" : "eu-central-1";
  new BaseImagePipeline("base-image", {
    environment: "test",
    platforms: ["linux", "windows"],
    subnetId: "subnet-private-a",
    securityGroupId: "sg-image-builds",
    drRegions: [drRegion],
  });
  new BaseImagePipeline("custom", {
    environment: "custom",
    subnetId: "subnet-private-b",
    securityGroupId: "sg-custom",
    // The home region listed as a DR region too: written once, not twice.
    drRegions: [region],
    scheduleExpression: "cron(30 6 ? * thu#3 *)",
    startCondition: "EXPRESSION_MATCH_ONLY",
    keepImageCount: 2,
    retainImageCount: 5,
    inUseWithinDays: 90,
  });
  new BaseImagePipeline("windows-only", {
    environment: "win",
    platforms: ["windows"],
    subnetId: "subnet-private-c",
    securityGroupId: "sg-win",
    seedImageId: "ami-0123456789abcdef0",
  });
  await settle();
  return { mocks, region, drRegion, byName: (type, name) => mocks.one(type, name) };
}
