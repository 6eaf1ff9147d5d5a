// The image keys: where each tier's image comes from (this stack's pipeline, a pinned AMI, a parameter, or AWS's
// public alias) and the monthly pipeline's own settings, checked whether or not the pipeline is on.
import { ImageSource, ImageSourceError, PUBLIC_IMAGE_ALIASES, resolveImageSource } from "../ami/image-source";
import { parseMonthlyCron, ScheduleExpressionError, StartCondition } from "../ami/schedule";
import { Platform } from "../runtime/contract";
import { Problems, RawConfig, readBoolean, readChoice, readInteger, readString } from "./readers";
import { ImagePipelineConfig, TierConfig } from "./types";

/** Why an image setting is unusable, or undefined when it is an AMI id or an SSM parameter name. */
export function imageProblem(image: string): string | undefined {
  if (/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(image)) return undefined;
  if (/^\/[A-Za-z0-9_./-]+$/.test(image)) return undefined;
  return "must be an AMI id (ami-0123456789abcdef0) or an SSM parameter name (/aws/service/...)";
}

/**
 * A tier's image source from the config: the pipeline's parameter when it is on, otherwise the configured AMI id or
 * parameter, with the platform's public alias (the default) meaning "no override". Throws ImageSourceError.
 */
export function imageSourceFor(
  environment: string,
  platform: Platform,
  imagePipeline: boolean,
  configured: string,
): ImageSource {
  const isDefault = configured === PUBLIC_IMAGE_ALIASES[platform];
  const isAmi = configured.startsWith("ami-");
  return resolveImageSource({
    environment,
    platform,
    pipelineEnabled: imagePipeline,
    amiId: !isDefault && isAmi ? configured : undefined,
    baseImageParameter: !isDefault && !isAmi ? configured : undefined,
  });
}

/** The keys that say where tiers take their images from. */
export interface ImageKeys {
  imagePipeline: boolean;
  linuxImage: string;
  windowsImage: string;
}

const IMAGE_KEY: Record<Platform, "linuxImage" | "windowsImage"> = { linux: "linuxImage", windows: "windowsImage" };

/** Reads imagePipeline, linuxImage and windowsImage, each image checked for its form. */
export function readImageKeys(raw: RawConfig, problems: Problems): ImageKeys {
  const keys: ImageKeys = {
    imagePipeline: readBoolean(raw, "imagePipeline", problems),
    linuxImage: readString(raw, "linuxImage"),
    windowsImage: readString(raw, "windowsImage"),
  };
  for (const key of Object.values(IMAGE_KEY)) {
    const issue = imageProblem(keys[key]);
    if (issue) problems.add(key, keys[key], issue);
  }
  return keys;
}

/**
 * Decides each tier's image (the tiers are updated in place) and reads the pipeline's own keys, with the rule between
 * them: the pipeline publishes one base image, so both tiers must share a platform while it is on. Each new image is
 * copied to the recovery regions (config/recovery.ts reads them).
 */
export function parseImages(
  raw: RawConfig,
  environment: string,
  keys: ImageKeys,
  tiers: TierConfig[],
  problems: Problems,
  recoveryRegions: string[] = [],
): ImagePipelineConfig {
  for (const tier of tiers) {
    const key = IMAGE_KEY[tier.platform];
    if (imageProblem(keys[key]) !== undefined) continue;
    try {
      tier.image = imageSourceFor(environment, tier.platform, keys.imagePipeline, keys[key]);
    } catch (error) {
      if (!(error instanceof ImageSourceError)) throw error;
      problems.add(key, keys[key], `${tier.name} tier: ${error.message}`);
    }
  }
  const image = parseImagePipeline(raw, problems, recoveryRegions);
  if (keys.imagePipeline && new Set(tiers.map((t) => t.platform)).size > 1) {
    // The terminator holds every instance of the environment to the one /phoenix/<env>/base-image.
    problems.add(
      "imagePipeline",
      keys.imagePipeline,
      "needs both tiers on one platform (webPlatform and apiPlatform differ): the terminator compares every " +
        "instance with the one base-image parameter, so a tier on the other platform would be replaced forever; " +
        "use one platform, or turn imagePipeline off",
    );
  }
  return image;
}

/** The image pipeline's keys, checked whether or not the pipeline is on (a stack file is right or wrong). */
function parseImagePipeline(raw: RawConfig, problems: Problems, drRegions: string[]): ImagePipelineConfig {
  const schedule = readString(raw, "imageSchedule");
  try {
    parseMonthlyCron(schedule);
  } catch (error) {
    if (!(error instanceof ScheduleExpressionError)) throw error;
    problems.add("imageSchedule", schedule, error.message);
  }
  const startCondition = readChoice<StartCondition>(raw, "imageStartCondition", problems);
  const keepCount = readInteger(raw, "imageKeepCount", problems);
  const retainCount = readInteger(raw, "imageRetainCount", problems);
  if (retainCount <= keepCount) {
    problems.add("imageRetainCount", retainCount, `must be more than imageKeepCount (${keepCount})`);
  }
  const inUseDays = readInteger(raw, "imageInUseDays", problems);
  return { schedule, startCondition, drRegions, keepCount, retainCount, inUseDays };
}
