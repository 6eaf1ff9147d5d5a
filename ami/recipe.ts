// What a base image is made of, per platform: AWS's newest patched image as the parent, the component document
// shipped beside this file (OS updates and the slow prerequisites, validated and tested), and versions derived from
// content, because Image Builder components and recipes are immutable.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../runtime/contract";

/** Root device of the AWS images per platform: a mapping on any other name would add a second volume. */
export const ROOT_DEVICE: Record<Platform, string> = { linux: "/dev/xvda", windows: "/dev/sda1" };

/** Per platform: Image Builder's platform name and the AWS-managed parent image. */
const PLATFORM_IMAGES: Record<Platform, { imageBuilderPlatform: "Linux" | "Windows"; awsImageName: string }> = {
  linux: { imageBuilderPlatform: "Linux", awsImageName: "amazon-linux-2023-x86" },
  windows: { imageBuilderPlatform: "Windows", awsImageName: "windows-server-2022-english-full-base-x86" },
};

const DOCUMENTS: Record<Platform, string> = {
  linux: "linux-component.yaml",
  windows: "windows-component.yaml",
};

/** The component document shipped in ami/ for a platform, as Image Builder receives it. */
export function componentDocument(platform: Platform): string {
  return fs.readFileSync(path.join(__dirname, DOCUMENTS[platform]), "utf8");
}

/**
 * The ARN of an AWS-managed parent image by semantic-version wildcard, so that every build starts from the newest
 * patched image AWS published, in whatever partition and region the stack runs.
 */
export function awsManagedImageArn(partition: string, region: string, platform: Platform): string {
  return `arn:${partition}:imagebuilder:${region}:aws:image/${PLATFORM_IMAGES[platform].awsImageName}/x.x.x`;
}

/**
 * An Image Builder semantic version derived from content: Image Builder components and recipes are immutable, so a
 * changed document needs a new version, and the same document must keep its version so Pulumi replaces nothing.
 * Each part may be at most 2^30 - 1; 28 bits of the hash fit.
 */
export function contentVersion(...parts: string[]): string {
  const hash = crypto.createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `1.0.${parseInt(hash.slice(0, 7), 16)}`;
}

/** The name a platform's recipe, infrastructure, distribution and pipeline share: `phoenix-<env>-<platform>`. */
export function recipeName(environment: string, platform: Platform): string {
  return `phoenix-${environment}-${platform}`;
}

/** One platform's recipe, resolved: what baseImageRecipe builds. */
export interface RecipeInput {
  environment: string;
  platform: Platform;
  /** Root volume of the build instance and of every instance the image launches, in GiB. */
  rootVolumeSizeGiB: number;
  /** KMS key of the root volume. @default the account's default EBS key */
  kmsKeyId?: pulumi.Input<string>;
  /** The stack's partition and region: where the AWS-managed parent image is looked up. */
  partition: pulumi.Input<string>;
  region: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** The platform's component (its document, versioned by content) and the recipe that applies it to AWS's image. */
export function baseImageRecipe(name: string, r: RecipeInput, parent: pulumi.Resource): aws.imagebuilder.ImageRecipe {
  const env = r.environment;
  const platform = r.platform;
  const image = PLATFORM_IMAGES[platform];
  const document = componentDocument(platform);
  const componentVersion = contentVersion(document);
  const component = new aws.imagebuilder.Component(
    `${name}-${platform}`,
    {
      name: `${recipeName(env, platform)}-base`,
      platform: image.imageBuilderPlatform,
      version: componentVersion,
      data: document,
      description: `phoenix ${env}: OS updates and prerequisites for ${platform} instances, checked before use`,
      changeDescription: `document ${componentVersion}`,
      tags: r.tags,
    },
    { parent },
  );

  const recipeVersion = contentVersion(
    componentVersion,
    image.awsImageName,
    ROOT_DEVICE[platform],
    String(r.rootVolumeSizeGiB),
    // The KMS key is an Input; a changed key shows as a recipe diff Pulumi resolves by replacement anyway.
    r.kmsKeyId === undefined ? "default-key" : "custom-key",
  );
  return new aws.imagebuilder.ImageRecipe(
    `${name}-${platform}`,
    {
      name: recipeName(env, platform),
      version: recipeVersion,
      parentImage: pulumi.all([r.partition, r.region]).apply(([p, reg]) => awsManagedImageArn(p, reg, platform)),
      components: [{ componentArn: component.arn }],
      blockDeviceMappings: [
        {
          deviceName: ROOT_DEVICE[platform],
          ebs: {
            encrypted: "true",
            kmsKeyId: r.kmsKeyId,
            volumeType: "gp3",
            volumeSize: r.rootVolumeSizeGiB,
            deleteOnTermination: "true",
          },
        },
      ],
      description: `phoenix ${env}: newest AWS ${platform} image plus phoenix prerequisites`,
      tags: r.tags,
    },
    { parent },
  );
}
