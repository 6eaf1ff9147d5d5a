// Where a launch template takes its image from: the environment's own pipeline, another environment's parameter, a
// pinned AMI, or AWS's public "latest" alias. A pure decision so that components and tests share one rule.
import { baseImageParameterName, Platform } from "../runtime/contract";

/** An image-source configuration that cannot be used; the message names the key, the value and what to change. */
export class ImageSourceError extends Error {
  override name = "ImageSourceError";
}

/** Public SSM aliases AWS keeps pointing at the newest patched image of each platform. */
export const PUBLIC_IMAGE_ALIASES: Record<Platform, string> = {
  linux: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
  windows: "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
};

/**
 * The parameter a pipeline platform publishes to. The primary platform (the one the environment's tiers run) writes
 * the base-image parameter; any other platform built alongside gets its own `/phoenix/<env>/base-image-<platform>`,
 * so two platforms never overwrite each other and the terminator never compares an instance with the wrong OS.
 */
export function platformImageParameterName(environment: string, platform: Platform, primary: Platform): string {
  return platform === primary
    ? baseImageParameterName(environment)
    : `${baseImageParameterName(environment)}-${platform}`;
}

export interface ImageSourceConfig {
  /** The stack's environment name (`live`, `test`, ...). */
  environment: string;
  /** The tier's platform. */
  platform: Platform;
  /** This stack runs its own Image Builder pipeline. */
  pipelineEnabled: boolean;
  /** Another environment's base-image parameter to follow, e.g. `/phoenix/test/base-image` (pipeline off only). */
  baseImageParameter?: string;
  /** A fixed AMI id, used when neither a pipeline nor a parameter is configured. */
  amiId?: string;
}

export type ImageSourceKind = "pipeline" | "parameter" | "ami" | "public-alias";

export interface ImageSource {
  kind: ImageSourceKind;
  /** The launch template's `imageId`: `resolve:ssm:<parameter>` or an AMI id. */
  imageId: string;
  /** The parameter resolved at launch, when the image comes from one. */
  parameterName?: string;
}

const AMI_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;
const PARAMETER_NAME = /^\/[A-Za-z0-9_.\-/]+$/;

/**
 * Decides a tier's image source, first match wins:
 * 1. pipeline on: `resolve:ssm:/phoenix/<env>/base-image`;
 * 2. a configured parameter: `resolve:ssm:<parameter>` (a disposable copy following `test`'s images);
 * 3. a configured AMI id, as is;
 * 4. the platform's public SSM alias.
 * A parameter resolved at launch means a new image reaches new instances without a `pulumi up`, and Pulumi sees no
 * drift when the pipeline publishes.
 */
export function resolveImageSource(config: ImageSourceConfig): ImageSource {
  const { environment, platform, pipelineEnabled, baseImageParameter, amiId } = config;
  if (baseImageParameter !== undefined && !PARAMETER_NAME.test(baseImageParameter)) {
    throw new ImageSourceError(
      `baseImageParameter "${baseImageParameter}" is not an SSM parameter name; ` +
        `give a full path such as "/phoenix/test/base-image".`,
    );
  }
  if (amiId !== undefined && !AMI_ID.test(amiId)) {
    throw new ImageSourceError(
      `amiId "${amiId}" is not an AMI id; give one like "ami-0123456789abcdef0", or leave it unset.`,
    );
  }
  if (pipelineEnabled) {
    if (baseImageParameter !== undefined || amiId !== undefined) {
      throw new ImageSourceError(
        `imagePipeline is on, so instances use this environment's own images; ` +
          `remove baseImageParameter/amiId, or turn imagePipeline off to follow them.`,
      );
    }
    // The pipeline builds the tiers' platform as its primary one; config rejects tiers on two platforms with the
    // pipeline on, because the terminator holds every instance to this one parameter.
    const parameterName = baseImageParameterName(environment);
    return { kind: "pipeline", imageId: `resolve:ssm:${parameterName}`, parameterName };
  }
  if (baseImageParameter !== undefined && amiId !== undefined) {
    throw new ImageSourceError(
      `both baseImageParameter "${baseImageParameter}" and amiId "${amiId}" are set; keep one of them.`,
    );
  }
  if (baseImageParameter !== undefined) {
    return { kind: "parameter", imageId: `resolve:ssm:${baseImageParameter}`, parameterName: baseImageParameter };
  }
  if (amiId !== undefined) {
    return { kind: "ami", imageId: amiId };
  }
  const parameterName = PUBLIC_IMAGE_ALIASES[platform];
  return { kind: "public-alias", imageId: `resolve:ssm:${parameterName}`, parameterName };
}
