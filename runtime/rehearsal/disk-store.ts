// The rehearsal's release bucket: an ObjectStore on local disk with S3's layout and semantics (entity tags,
// conditional writes, sha256 verification), so the real publish and rollback code writes to it unchanged.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ContractError, PreconditionFailedError } from "../core/errors";
import { ObjectStore, StoredObject } from "../core/types";

/** What the store remembers about an object beside its bytes (S3 keeps this as object metadata). */
interface ObjectMeta {
  etag: string;
  sha256?: string;
  contentType?: string;
  /** ISO-8601 time of the write by the store's clock (S3's Last-Modified). */
  lastModified?: string;
}

/** Receives every successful write, as S3 event notifications would. */
export type PutListener = (key: string, etag: string) => void;

/**
 * Objects live at `<root>/<key>` (so `releases/1.0.274/web.zip` is a real file you can open) and their metadata at
 * `<root>/.meta/<key>.json`. Every operation is synchronous under an async signature, so a conditional check and its
 * write cannot interleave with another write in this process: the same atomicity S3 gives conditional puts.
 */
export class DiskObjectStore implements ObjectStore {
  private readonly listeners: PutListener[] = [];

  /**
   * @param now the store's own clock (ms): what it stamps writes with and answers reads at, as S3's Last-Modified
   * and Date do. The rehearsal passes its simulated clock, so leases lapse in simulated time. @default Date.now
   */
  constructor(
    readonly root: string,
    private readonly now: () => number = Date.now,
  ) {
    fs.mkdirSync(root, { recursive: true });
  }

  /** Calls `listener` after every successful put (the rehearsal's stand-in for the S3 ObjectCreated notification). */
  onPut(listener: PutListener): void {
    this.listeners.push(listener);
  }

  get(key: string): Promise<StoredObject | undefined> {
    const file = this.objectPath(key);
    const meta = this.readMeta(key);
    if (meta === undefined || !fs.existsSync(file)) return Promise.resolve(undefined);
    return Promise.resolve({
      body: fs.readFileSync(file),
      etag: meta.etag,
      ...(meta.lastModified !== undefined && { lastModified: meta.lastModified }),
      readAt: new Date(this.now()).toISOString(),
    });
  }

  put(
    key: string,
    body: Buffer,
    options: { ifMatch?: string; ifNoneMatch?: "*"; sha256?: string; contentType?: string } = {},
  ): Promise<{ etag: string }> {
    return Promise.resolve().then(() => this.putSync(key, body, options));
  }

  head(key: string): Promise<{ etag: string; size: number; sha256?: string } | undefined> {
    const file = this.objectPath(key);
    const meta = this.readMeta(key);
    if (meta === undefined || !fs.existsSync(file)) return Promise.resolve(undefined);
    const head: { etag: string; size: number; sha256?: string } = { etag: meta.etag, size: fs.statSync(file).size };
    if (meta.sha256 !== undefined) head.sha256 = meta.sha256;
    return Promise.resolve(head);
  }

  list(prefix: string): Promise<string[]> {
    const metaRoot = path.join(this.root, ".meta");
    const keys: string[] = [];
    const walk = (dir: string) => {
      if (!fs.existsSync(dir)) return;
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith(".json")) keys.push(path.relative(metaRoot, full).split(path.sep).join("/"));
      }
    };
    walk(metaRoot);
    const found = keys
      .map((k) => k.slice(0, -".json".length))
      .filter((k) => k.startsWith(prefix) && fs.existsSync(this.objectPath(k)));
    // S3 lists in UTF-8 binary order; plain string comparison matches it for the ASCII keys releases use.
    return Promise.resolve(found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  private putSync(
    key: string,
    body: Buffer,
    options: { ifMatch?: string; ifNoneMatch?: "*"; sha256?: string; contentType?: string },
  ): { etag: string } {
    const current = this.readMeta(key);
    if (options.ifNoneMatch === "*" && current !== undefined) {
      throw new PreconditionFailedError(`${key} already exists; it was written by someone else meanwhile`);
    }
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
      throw new PreconditionFailedError(
        `${key} changed since it was read (expected entity tag ${options.ifMatch}, found ${current?.etag ?? "none"})`,
      );
    }
    const sha256 = createHash("sha256").update(body).digest("base64");
    if (options.sha256 !== undefined && options.sha256 !== sha256) {
      throw new ContractError(
        `${key}: the body's sha256 ${sha256} does not match the declared ${options.sha256}; nothing was written, upload again`,
      );
    }
    const etag = `"${createHash("md5").update(body).digest("hex")}"`;
    const meta: ObjectMeta = { etag, lastModified: new Date(this.now()).toISOString() };
    if (options.sha256 !== undefined) meta.sha256 = options.sha256;
    if (options.contentType !== undefined) meta.contentType = options.contentType;
    writeAtomically(this.objectPath(key), body);
    writeAtomically(this.metaPath(key), Buffer.from(JSON.stringify(meta)));
    for (const listener of this.listeners) listener(key, etag);
    return { etag };
  }

  private readMeta(key: string): ObjectMeta | undefined {
    const file = this.metaPath(key);
    if (!fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, "utf8")) as ObjectMeta;
  }

  private objectPath(key: string): string {
    return path.join(this.root, checkedKey(key));
  }

  private metaPath(key: string): string {
    return path.join(this.root, ".meta", `${checkedKey(key)}.json`);
  }
}

/** Rejects keys that would escape the store's directory or collide with its metadata. */
function checkedKey(key: string): string {
  const parts = key.split("/");
  if (key.length === 0 || key.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new ContractError(
      `object key ${JSON.stringify(key)} is not a plain relative key like releases/1.0.0/web.zip`,
    );
  }
  if (parts[0] === ".meta") {
    throw new ContractError(`object key ${JSON.stringify(key)} uses the store's reserved .meta/ prefix`);
  }
  return path.join(...parts);
}

/** Write-then-rename, so a reader never sees half an object. */
function writeAtomically(file: string, body: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, body);
  fs.renameSync(tmp, file);
}
