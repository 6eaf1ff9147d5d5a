// Server-side copy between two release buckets (`phoenix promote`): S3's CopyObject, so an artifact never passes
// through the promoting machine. Possible when one identity may read the source bucket and write the target's (one
// account, or a bucket policy granting it); the CLI uses it only when both sides run with the same credentials.
import { CopyObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PreconditionFailedError } from "../core/errors";
import type { ServerSideCopy } from "../core/promotion";
import { awsErrorText } from "./errors";
import { isConditionFailure } from "./s3-object-store";

export class S3ServerSideCopy implements ServerSideCopy {
  /** `s3` is the target side's client: a copy is a request to the bucket it writes. */
  constructor(
    private readonly s3: S3Client,
    readonly sourceBucket: string,
    readonly targetBucket: string,
  ) {}

  /**
   * Copies one object, only if the target key is free (If-None-Match), and has S3 compute the copy's SHA-256 so that
   * the publish path can read it back and compare it with the source's record before anything names the copy.
   */
  async copy(sourceKey: string, targetKey: string): Promise<void> {
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.targetBucket,
          Key: targetKey,
          CopySource: `${this.sourceBucket}/${sourceKey.split("/").map(encodeURIComponent).join("/")}`,
          IfNoneMatch: "*",
          ChecksumAlgorithm: "SHA256",
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        throw new PreconditionFailedError(
          `s3://${this.targetBucket}/${targetKey} was not copied: it exists already (written meanwhile)`,
          { cause: err },
        );
      }
      throw new Error(
        `cannot copy s3://${this.sourceBucket}/${sourceKey} to s3://${this.targetBucket}/${targetKey}: ` +
          awsErrorText(err),
        { cause: err },
      );
    }
  }
}
