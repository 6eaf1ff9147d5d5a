// A recovery stack's starting point, read from its own region before anything is created: the lost environment's
// release replica (required) and its copied base image (or, with a warning, AWS's public image). The decision and its
// words are runtime/core/recovery.ts; this file only asks SSM, through the stack's provider, and reports.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { baseImageParameterName, releaseReplicaParameterName } from "../runtime/contract";
import { UsageError } from "../runtime/core/errors";
import { RecoverySource, recoverySource } from "../runtime/core/recovery";

export type { RecoverySource } from "../runtime/core/recovery";

/** The first line of an invoke's failure, short enough for one line of the refusal. */
function why(error: unknown): string {
  const lines = (error instanceof Error ? error.message : String(error)).split("\n").map((l) => l.trim());
  const text = lines.find((l) => l !== "") ?? "not found, or not readable";
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/**
 * Reads `/phoenix/<recoverFrom>/release-replica` and `/phoenix/<recoverFrom>/base-image` in the stack's region and
 * decides where the recovery starts. Rejects with a clean Pulumi error (no stack trace), naming the key and the
 * region, when the replica is missing; warns when the copied image is.
 */
export async function lookUpRecoverySource(
  recoverFrom: string,
  region: string,
  provider: aws.Provider,
): Promise<RecoverySource> {
  const read = (name: string): Promise<{ value: string } | { missing: string }> =>
    aws.ssm.getParameter({ name }, { provider }).then(
      (p) => ({ value: p.value }),
      (error: unknown) => ({ missing: why(error) }),
    );
  const [replica, image] = await Promise.all([
    read(releaseReplicaParameterName(recoverFrom)),
    read(baseImageParameterName(recoverFrom)),
  ]);
  let source: RecoverySource;
  try {
    source = recoverySource({
      recoverFrom,
      region,
      replica: "value" in replica ? { bucketName: replica.value } : replica,
      baseImage: "value" in image ? { imageId: image.value } : image,
    });
  } catch (error) {
    if (error instanceof UsageError) throw new pulumi.RunError(error.message);
    throw error;
  }
  for (const warning of source.warnings) void pulumi.log.warn(warning);
  return source;
}
