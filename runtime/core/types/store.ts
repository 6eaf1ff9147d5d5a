// The release store as releases need it: the manifest that says what the fleet must run, and the object store it
// lives in (S3 in runtime/aws, a directory in the rehearsal).

/** `releases/current.json`: the only pointer to what the fleet must run. */
export interface ReleaseManifest {
  version: string;
  /** Object key of each tier's artifact, e.g. `{ web: "releases/1.0.274/web.zip" }`. */
  artifacts: Record<string, string>;
  /** ISO-8601 time the manifest was written. */
  publishedAt: string;
}

/** An object as a store returns it. */
export interface StoredObject {
  body: Buffer;
  etag: string;
  lastModified?: string;
  readAt?: string;
}

/**
 * The release bucket, as far as releases need it. S3 implements it in `runtime/aws/`; the local rehearsal
 * implements it on disk. Release logic (publish, rollback, list, read the manifest) is written once over this.
 */
export interface ObjectStore {
  /**
   * The object and its entity tag, or undefined when the key does not exist. `lastModified` (when it was written) and
   * `readAt` (when the store answered), both ISO-8601 by the store's own clock, when the store reports them: a lease's
   * age is measured with them, free of any reader's clock.
   */
  get(key: string): Promise<StoredObject | undefined>;
  /**
   * Writes an object. `ifMatch`: only if the current object has this entity tag; `ifNoneMatch: "*"`: only if no
   * object exists. A failed condition throws PreconditionFailedError and writes nothing. `sha256` (base64) is
   * verified by the store: a body that does not match is rejected.
   */
  put(
    key: string,
    body: Buffer,
    options?: { ifMatch?: string; ifNoneMatch?: "*"; sha256?: string; contentType?: string },
  ): Promise<{ etag: string }>;
  /** Metadata of an object (its sha256 in base64 when the store recorded one), or undefined when absent. */
  head(key: string): Promise<{ etag: string; size: number; sha256?: string } | undefined>;
  /** Every key under a prefix, in lexical order. */
  list(prefix: string): Promise<string[]>;
}
