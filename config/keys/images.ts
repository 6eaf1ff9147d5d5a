// Base images and disaster recovery: the monthly image pipeline, the images the tiers boot when it is off, and the
// regions an environment can be rebuilt in.
import { PUBLIC_IMAGE_ALIASES } from "../../ami/image-source";
import { DEFAULT_SCHEDULE_EXPRESSION, DEFAULT_START_CONDITION, START_CONDITIONS } from "../../ami/schedule";
import { ConfigKey } from "../declared-key";
import { limit } from "./limit";

/** The "Base images" section, in Pulumi.yaml's order. */
export const IMAGES: ConfigKey[] = [
  {
    key: "imagePipeline",
    type: "boolean",
    default: false,
    description:
      "Run this stack's monthly image pipeline; both tiers (one platform) then boot the image it writes to /phoenix/<env>/base-image, and linuxImage/windowsImage must stay at their defaults.",
  },
  {
    key: "linuxImage",
    type: "string",
    default: PUBLIC_IMAGE_ALIASES.linux,
    description:
      "Linux image when the pipeline is off: an AMI id (ami-...) or an SSM parameter name resolved at every launch (/..., e.g. /phoenix/test/base-image to follow test's images).",
  },
  {
    key: "windowsImage",
    type: "string",
    default: PUBLIC_IMAGE_ALIASES.windows,
    description:
      "Windows image when the pipeline is off: an AMI id (ami-...) or an SSM parameter name resolved at launch (/...).",
  },
  {
    key: "imageSchedule",
    type: "string",
    default: DEFAULT_SCHEDULE_EXPRESSION,
    description:
      "When the image pipeline checks for a build: AWS cron in UTC on an nth weekday of every month; the third Wednesday (wed#3) is always 1 to 8 days after Patch Tuesday.",
  },
  {
    key: "imageStartCondition",
    type: "string",
    default: DEFAULT_START_CONDITION,
    choices: START_CONDITIONS,
    description:
      "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE builds only when AWS's parent image or a component has a newer version; EXPRESSION_MATCH_ONLY builds at every match.",
  },
  {
    key: "imageKeepCount",
    ...limit("imageKeepCount"),
    description: "Newest base images kept active; older ones are deprecated.",
  },
  {
    key: "imageRetainCount",
    ...limit("imageRetainCount"),
    description: "Base images kept at all, deprecated ones included; older ones are deleted with their snapshots.",
    rule: "more than imageKeepCount",
  },
  {
    key: "imageInUseDays",
    ...limit("imageInUseDays"),
    description: "A base image that launched an instance within this many days is never deprecated or deleted.",
  },
];

/** The "Disaster recovery" section, in Pulumi.yaml's order. */
export const RECOVERY: ConfigKey[] = [
  {
    key: "recoveryRegions",
    type: "array",
    default: [],
    description:
      "Regions this environment can be rebuilt in after losing its own: the release store replicates releases/ to a bucket there (named at /phoenix/<env>/release-replica in that region) and each new base image is copied there (/phoenix/<env>/base-image).",
  },
  {
    key: "recoverFrom",
    type: "string",
    default: "",
    description:
      "On a recovery stack: the environment it rebuilds (live for live-dr). Its release store is that environment's replica in this region, and its image pipeline starts from that environment's copied base image. Empty on every other stack.",
  },
];
