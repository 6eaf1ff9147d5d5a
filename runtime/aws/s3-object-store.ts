// The release bucket as an ObjectStore: S3 with conditional writes (IfMatch / IfNoneMatch) and SHA-256 checksums that
// S3 verifies, so that publish and rollback can be written once over the interface and lose races cleanly.
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  PutObjectCommandInput,
  S3Client,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { PreconditionFailedError } from "../core/errors";
import { ObjectStore, StoredObject } from "../core/types";
import { awsErrorText } from "./errors";

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const command = new GetObjectCommand({ Bucket: this.bucket, Key: key });
      // S3's own clock, from the answer's Date header (the SDK keeps no copy of it): with Last-Modified, also S3's, it
      // gives an object's age with no reader's clock involved, which is how the sweep lease is timed.
      const answered: { date?: string } = {};
      command.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          const headers = (result.response as { headers?: Record<string, string> } | undefined)?.headers;
          answered.date = headers?.date ?? headers?.Date;
          return result;
        },
        { step: "deserialize", name: "phoenixStoreClock" },
      );
      const out = await this.s3.send(command);
      const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      const readAt = answered.date !== undefined ? Date.parse(answered.date) : NaN;
      return {
        body: Buffer.from(bytes),
        etag: out.ETag ?? "",
        ...(out.LastModified !== undefined && { lastModified: out.LastModified.toISOString() }),
        ...(!Number.isNaN(readAt) && { readAt: new Date(readAt).toISOString() }),
      };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.failure("read", key, err);
    }
  }

  async put(
    key: string,
    body: Buffer,
    options: { ifMatch?: string; ifNoneMatch?: "*"; sha256?: string; contentType?: string } = {},
  ): Promise<{ etag: string }> {
    const input: PutObjectCommandInput = {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ...(options.ifMatch !== undefined ? { IfMatch: options.ifMatch } : {}),
      ...(options.ifNoneMatch !== undefined ? { IfNoneMatch: options.ifNoneMatch } : {}),
      // With the checksum header present the SDK computes none of its own; S3 recomputes it and rejects a mismatch.
      ...(options.sha256 !== undefined ? { ChecksumSHA256: options.sha256 } : {}),
      ...(options.contentType !== undefined ? { ContentType: options.contentType } : {}),
    };
    try {
      const out = await this.s3.send(new PutObjectCommand(input));
      return { etag: out.ETag ?? "" };
    } catch (err) {
      if (isConditionFailure(err)) {
        const condition =
          options.ifNoneMatch !== undefined ? "no object exists yet" : `its entity tag is still ${options.ifMatch}`;
        throw new PreconditionFailedError(
          `s3://${this.bucket}/${key} was not written: the write required that ${condition}, and another writer ` +
            `changed it first; read it again and retry`,
          { cause: err },
        );
      }
      throw this.failure("write", key, err);
    }
  }

  async head(key: string): Promise<{ etag: string; size: number; sha256?: string } | undefined> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: "ENABLED" }));
      return {
        etag: out.ETag ?? "",
        size: out.ContentLength ?? 0,
        ...(out.ChecksumSHA256 !== undefined ? { sha256: out.ChecksumSHA256 } : {}),
      };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.failure("check", key, err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const pages = paginateListObjectsV2({ client: this.s3, pageSize: 1000 }, { Bucket: this.bucket, Prefix: prefix });
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) keys.push(object.Key);
        }
      }
    } catch (err) {
      throw this.failure("list", prefix, err);
    }
    return keys.sort();
  }

  /** An S3 failure as one line: what was being done to which object, and the SDK's error said plainly. */
  private failure(verb: "read" | "write" | "check" | "list", key: string, err: unknown): Error {
    return new Error(`cannot ${verb} s3://${this.bucket}/${key}: ${awsErrorText(err)}`, { cause: err });
  }
}

/**
 * GetObject says NoSuchKey; HeadObject has no body to say it in, so it is NotFound. A bare 404 is not enough: a
 * missing bucket is a 404 too (NoSuchBucket), and that must fail loudly rather than read as "no object".
 */
function isMissing(err: unknown): boolean {
  if (err instanceof NoSuchKey || err instanceof NotFound) return true;
  const name = err instanceof Error ? err.name : "";
  return name === "NoSuchKey" || name === "NotFound";
}

/** 412: the condition did not hold. 409: a concurrent conditional write to the same key won the race. */
export function isConditionFailure(err: unknown): boolean {
  const name = err instanceof Error ? err.name : "";
  const status = httpStatus(err);
  return name === "PreconditionFailed" || name === "ConditionalRequestConflict" || status === 412;
}

function httpStatus(err: unknown): number | undefined {
  const metadata = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return metadata?.httpStatusCode;
}
