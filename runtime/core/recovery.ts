// Where a recovery environment starts from, decided from what its region holds: the replica of the lost environment's
// release store (required: without it there is nothing to serve) and the copy of its base image (preferred: without
// it the recovery starts from AWS's public image, with a warning). Pure, so the Pulumi program (components/recovery.ts)
// and the rehearsal's region-loss drill decide, and word their refusal and warning, the same way.
import { baseImageParameterName, releaseReplicaParameterName } from "../contract";
import { UsageError } from "./errors";

/** What the recovery region was found to hold for the lost environment. */
export interface RecoveryRegionState {
  /** The environment being recovered (the recovery stack's `recoverFrom`). */
  recoverFrom: string;
  /** The recovery stack's region. */
  region: string;
  /** The replica bucket named by `/phoenix/<recoverFrom>/release-replica`, or why it could not be read. */
  replica: { bucketName: string } | { missing: string };
  /** The AMI id at `/phoenix/<recoverFrom>/base-image`, or why it could not be read. */
  baseImage: { imageId: string } | { missing: string };
}

/** Where the recovery environment starts: its release store, its first base image, and what to warn about. */
export interface RecoverySource {
  recoverFrom: string;
  /** The replica bucket the recovery environment serves releases from. */
  releaseBucketName: string;
  /** The copied base image; undefined when the region has none and the public image must stand in. */
  baseImageId?: string;
  /** Lines to show the operator (the public-image fallback). Empty when everything was there. */
  warnings: string[];
}

/**
 * The recovery environment's sources. Throws UsageError, naming the key (`phoenix:recoverFrom`), the region and what
 * to do, when the region holds no replica of the lost environment's releases.
 */
export function recoverySource(state: RecoveryRegionState): RecoverySource {
  const { recoverFrom: from, region } = state;
  if ("missing" in state.replica) {
    throw new UsageError(
      `phoenix:recoverFrom = ${JSON.stringify(from)}: ${region} holds no replica of ${from}'s release store ` +
        `(SSM parameter ${releaseReplicaParameterName(from)} in ${region}: ${state.replica.missing}). ${from}'s stack ` +
        `creates it when ${region} is in its recoveryRegions: add it there and run \`pulumi up --stack ${from}\` ` +
        `while ${from}'s region still answers, or recover in a region that has one; nothing was created`,
    );
  }
  const warnings: string[] = [];
  if ("missing" in state.baseImage) {
    warnings.push(
      `recoverFrom = ${from}: ${region} holds no copy of ${from}'s base image (SSM parameter ` +
        `${baseImageParameterName(from)} in ${region}: ${state.baseImage.missing}); the recovery starts from AWS's ` +
        "public image instead, and its own image pipeline's first build replaces it (start one by hand: " +
        "docs/image-pipeline.md, Build by hand)",
    );
  }
  return {
    recoverFrom: from,
    releaseBucketName: state.replica.bucketName,
    ...("imageId" in state.baseImage && { baseImageId: state.baseImage.imageId }),
    warnings,
  };
}
