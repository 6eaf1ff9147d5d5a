// What becomes of a built image: its AMI id published to SSM (seeded before the first build so tiers can launch),
// copied to the disaster-recovery regions, and retired by a lifecycle policy that deprecates all but the newest
// images and deletes the oldest, sparing any image launched recently.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_TAGS, Platform } from "../runtime/contract";
import { PUBLIC_IMAGE_ALIASES } from "./image-source";
import { recipeName } from "./recipe";

/**
 * The primary platform's parameter (`/phoenix/<env>/base-image`), created once with the seed image; from then on the
 * pipeline owns its value.
 */
export function seedBaseImageParameter(
  name: string,
  c: {
    environment: string;
    primary: Platform;
    parameterName: string;
    seedImageId?: pulumi.Input<string>;
    tags: Record<string, string>;
  },
  parent: pulumi.Resource,
): aws.ssm.Parameter {
  // Launch templates resolve the parameter at every launch, so it must exist before the first build finishes
  // (a fresh environment, or one rebuilt elsewhere). Creation fails if the parameter already exists (a DR region the
  // pipeline already publishes to): import it instead, keeping the patched image it names (docs/operating.md,
  // disaster recovery).
  // Under Pulumi mocks this lookup is the invoke `aws:ssm/getParameter:getParameter`: a harness that does not
  // answer it leaves the parameter, and every tier that depends on it, unregistered (a hang, not an error).
  const seedImageId =
    c.seedImageId ?? aws.ssm.getParameterOutput({ name: PUBLIC_IMAGE_ALIASES[c.primary] }, { parent }).value;
  return new aws.ssm.Parameter(
    `${name}-base-image`,
    {
      name: c.parameterName,
      type: "String",
      dataType: "aws:ec2:image",
      value: seedImageId,
      overwrite: false,
      description: `phoenix ${c.environment}: the AMI every instance must run; written by the ${c.primary} image pipeline`,
      tags: c.tags,
    },
    { parent, ignoreChanges: ["value"] },
  );
}

/** One region's distribution: the AMI's name, tags and key, and the parameter its id is written to. */
export interface RegionDistribution {
  region: string;
  amiDistributionConfiguration: {
    name: string;
    description: string;
    kmsKeyId?: pulumi.Input<string>;
    amiTags: Record<string, string>;
  };
  ssmParameterConfigurations: { parameterName: string; dataType: "aws:ec2:image" }[];
}

/** The home region first, then each DR region once (the home region listed again is not written twice). */
export function regionDistributions(d: {
  environment: string;
  platform: Platform;
  home: string;
  drRegions: string[];
  parameterName: string;
  kmsKeyId?: pulumi.Input<string>;
  tags: Record<string, string>;
}): RegionDistribution[] {
  const amiTags = { ...d.tags, [IMAGE_TAGS.platform]: d.platform, [IMAGE_TAGS.baseImage]: "true" };
  return [d.home, ...d.drRegions.filter((r) => r !== d.home)].map((r) => ({
    region: r,
    amiDistributionConfiguration: {
      name: `${recipeName(d.environment, d.platform)}-{{ imagebuilder:buildDate }}`,
      description: `phoenix ${d.environment} ${d.platform} base image`,
      kmsKeyId: r === d.home ? d.kmsKeyId : undefined,
      amiTags,
    },
    ssmParameterConfigurations: [{ parameterName: d.parameterName, dataType: "aws:ec2:image" }],
  }));
}

/** One platform's distribution configuration: the AMI id to its parameter here and in every DR region. */
export function buildDistribution(
  name: string,
  c: {
    environment: string;
    platform: Platform;
    region: pulumi.Input<string>;
    drRegions: string[];
    parameterName: string;
    kmsKeyId?: pulumi.Input<string>;
    tags: Record<string, string>;
  },
  parent: pulumi.Resource,
): aws.imagebuilder.DistributionConfiguration {
  return new aws.imagebuilder.DistributionConfiguration(
    `${name}-${c.platform}`,
    {
      name: recipeName(c.environment, c.platform),
      description: `phoenix ${c.environment}: publish the ${c.platform} AMI id to ${c.parameterName} here and in DR regions`,
      distributions: pulumi.output(c.region).apply((home) => regionDistributions({ ...c, home })),
      tags: c.tags,
    },
    { parent },
  );
}

/** Deprecate beyond the newest `keep`, delete (with snapshots) beyond `retain`; an image launched lately is spared. */
export function retirementRules(keep: number, retain: number, inUseWithinDays: number) {
  const inUse = { amis: { lastLaunched: { unit: "DAYS", value: inUseWithinDays } } };
  return [
    {
      action: { type: "DEPRECATE", includeResources: { amis: true } },
      filter: { type: "COUNT", value: keep },
      exclusionRules: inUse,
    },
    {
      action: { type: "DELETE", includeResources: { amis: true, snapshots: true } },
      filter: { type: "COUNT", value: retain },
      exclusionRules: inUse,
    },
  ];
}

/** The environment's lifecycle policy over every platform's recipe, run as `role` once `dependsOn` exist. */
export function buildLifecyclePolicy(
  name: string,
  c: {
    environment: string;
    platforms: Platform[];
    keepImageCount: number;
    retainImageCount: number;
    inUseWithinDays: number;
    role: aws.iam.Role;
    tags: Record<string, string>;
  },
  parent: pulumi.Resource,
  dependsOn: pulumi.Resource[],
): aws.imagebuilder.LifecyclePolicy {
  return new aws.imagebuilder.LifecyclePolicy(
    `${name}-lifecycle`,
    {
      name: `phoenix-${c.environment}-base-images`,
      description: `phoenix ${c.environment}: deprecate all but the newest images, delete the oldest, spare recently launched`,
      executionRole: c.role.arn,
      resourceType: "AMI_IMAGE",
      status: "ENABLED",
      resourceSelection: {
        recipes: c.platforms.map((platform) => ({
          name: recipeName(c.environment, platform),
          semanticVersion: "x.x.x",
        })),
      },
      policyDetails: retirementRules(c.keepImageCount, c.retainImageCount, c.inUseWithinDays),
      tags: c.tags,
    },
    // Its selection names the recipes: they exist first, and the role can act before the first run.
    { parent, dependsOn },
  );
}
