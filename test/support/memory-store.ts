// In-memory stand-ins for the release tests. MemoryObjectStore keeps S3's promises: entity tags are the MD5 of the
// body (quoted), conditional writes (ifMatch / ifNoneMatch "*") are checked atomically at the write, and a sha256
// that does not match the body is rejected; `hold` lets a test stop writers at a key to stage a race. MemoryFleet is
// a FleetAdapter whose terminations behave like an Auto Scaling group's (the instance leaves, desired stays); built
// with `{ surge: true }` it also changes desired capacity, tags and suspended processes like a group does, and
// `failOn` makes any one of those calls fail, to stage a crash between two steps of a surge.
// emulateS3 answers an aws-sdk-client-mock S3 stub from a MemoryObjectStore (and its bucket's tags), with S3's error
// names and statuses, so the real S3ObjectStore can be tested end to end; emulateBuckets does it for several buckets,
// with CopyObject between them.
import {
  CopyObjectCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { zipSync } from "fflate";
import { createHash } from "node:crypto";
import { ContractError, PreconditionFailedError } from "../../runtime/core/errors";
import { needsCapacityHistory } from "../../runtime/core/capacity-history";
import {
  AlarmReader,
  CapacityChange,
  DesiredStateChecks,
  FleetAdapter,
  FleetState,
  GroupState,
  ObjectStore,
  SurgeOperations,
  TerminationOutcome,
} from "../../runtime/core/types";
import { artifactKey, MANIFEST_KEY } from "../../runtime/contract";

interface StoredObject {
  body: Buffer;
  etag: string;
  sha256?: string;
  contentType?: string;
  lastModified: string;
}

export type PutOptions = Parameters<ObjectStore["put"]>[2];

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, StoredObject>();
  /** Every successful write, in order: what a test asserts "nothing was written" against. */
  readonly writes: string[] = [];
  /** The bucket's own tags (GetBucketTagging through emulateS3); none, as a bucket nobody tagged. */
  bucketTags: Record<string, string> = {};
  private readonly gates = new Map<string, (key: string) => Promise<void>>();
  /** The store's own clock (ms), as S3's Last-Modified and Date report it. @default Date.now */
  clock: () => number = Date.now;
  /**
   * Awaited around every get and put (`get <key>`, `put <key>`), "before" it acts and "after": a slow or randomly
   * delayed S3, or, never settling "after" a put, a writer killed right after its write landed.
   */
  gate?: (call: string, when: "before" | "after") => Promise<void> | undefined;
  /** Called after every successful put (a test counting the writes a crash could follow). */
  onPut?: (key: string) => void;

  /** Seeds an object as if some earlier writer had stored it (no conditions, recorded sha256). */
  seed(key: string, body: Buffer | string): void {
    const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body);
    this.objects.set(key, {
      body: buffer,
      etag: etagOf(buffer),
      sha256: sha256Of(buffer),
      lastModified: new Date(this.clock()).toISOString(),
    });
  }

  /** Makes every put to `key` wait for `gate` before its condition is checked: the way to line two writers up. */
  hold(key: string, gate: (key: string) => Promise<void>): void {
    this.gates.set(key, gate);
  }

  text(key: string): string | undefined {
    return this.objects.get(key)?.body.toString("utf8");
  }

  async get(key: string): Promise<{ body: Buffer; etag: string; lastModified: string; readAt: string } | undefined> {
    await this.gate?.(`get ${key}`, "before");
    const object = this.objects.get(key);
    const found = object && {
      body: Buffer.from(object.body),
      etag: object.etag,
      lastModified: object.lastModified,
      readAt: new Date(this.clock()).toISOString(),
    };
    await this.gate?.(`get ${key}`, "after");
    return found;
  }

  async put(key: string, body: Buffer, options: PutOptions = {}): Promise<{ etag: string }> {
    await this.gate?.(`put ${key}`, "before");
    const gate = this.gates.get(key);
    if (gate) await gate(key);
    if (options.sha256 !== undefined && options.sha256 !== sha256Of(body)) {
      throw new ContractError(`sha256 ${options.sha256} does not match the body of ${key} (S3 BadDigest)`);
    }
    const existing = this.objects.get(key);
    if (options.ifNoneMatch === "*" && existing) {
      throw new PreconditionFailedError(`${key} already exists`);
    }
    if (options.ifMatch !== undefined && existing?.etag !== options.ifMatch) {
      throw new PreconditionFailedError(`${key} no longer has entity tag ${options.ifMatch}`);
    }
    // S3's entity tag of a simple upload is the body's MD5, so a rewrite of the same bytes keeps it: a lease that
    // could be rewritten byte for byte would make If-Match useless. Every lease write differs (times, holder).
    const etag = etagOf(body);
    this.objects.set(key, {
      body: Buffer.from(body),
      etag,
      sha256: options.sha256,
      contentType: options.contentType,
      lastModified: new Date(this.clock()).toISOString(),
    });
    this.writes.push(key);
    this.onPut?.(key);
    await this.gate?.(`put ${key}`, "after");
    return { etag };
  }

  head(key: string): Promise<{ etag: string; size: number; sha256?: string } | undefined> {
    const object = this.objects.get(key);
    return Promise.resolve(
      object && {
        etag: object.etag,
        size: object.body.length,
        ...(object.sha256 !== undefined && { sha256: object.sha256 }),
      },
    );
  }

  list(prefix: string): Promise<string[]> {
    return Promise.resolve([...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort());
  }
}

export function sha256Of(body: Buffer): string {
  return createHash("sha256").update(body).digest("base64");
}

function etagOf(body: Buffer): string {
  return `"${createHash("md5").update(body).digest("hex")}"`;
}

/** Seeds a published release, as `phoenix release` leaves it: each tier's zip, then `releases/current.json`. */
export function seedRelease(store: MemoryObjectStore, version: string, tiers = ["api", "web"]): void {
  const artifacts: Record<string, string> = {};
  for (const tier of tiers) {
    artifacts[tier] = `releases/${version}/${tier}.zip`;
    store.seed(artifacts[tier], zipBytes(`${tier} ${version}`));
  }
  store.seed(MANIFEST_KEY, JSON.stringify({ version, artifacts, publishedAt: "2026-11-26T03:00:00.000Z" }));
}

/** A valid zip (one file) whose bytes vary with `text` and nothing else: what release tests upload. */
export function zipBytes(text: string): Buffer {
  return Buffer.from(zipSync({ "index.txt": Buffer.from(text) }, { mtime: new Date("2000-01-01T00:00:00Z") }));
}

/** A fleet held in memory; `onRead` lets a test change it between reads (replacements launching, getting healthy). */
export class MemoryFleet implements FleetAdapter {
  readonly terminated: { group: string; instanceId: string }[] = [];
  /** Every surge call, in order: `set-desired live-web 6`, `set-tags live-web k=v,...`, `terminate-decrement ...`. */
  readonly calls: string[] = [];
  reads = 0;
  /** Re-reads of one group (a surge step's check before it acts). */
  groupReads = 0;
  onRead?: (state: FleetState, reads: number) => void;
  /** Return an error to make that call fail before it changes anything (a crash or an AWS refusal). */
  failOn?: (call: string) => Error | undefined;
  /**
   * Awaited around every call (`read-fleet`, `read-group <g>`, `terminate <g> <i>`, and the surge calls as `calls`
   * names them), "before" it acts and "after": a slow call, a random delay, or, never settling "after", a process
   * killed right after the call took effect.
   */
  gate?: (call: string, when: "before" | "after") => Promise<void> | undefined;
  /** Called after every change the fleet makes (a test's invariant checks). */
  onChange?: (call: string) => void;
  /** Each group's desired-capacity changes, newest first, as its scaling activities record them. */
  readonly history = new Map<string, CapacityChange[]>();
  readonly surge?: SurgeOperations;
  /** The rollout alarms' reader, when a test gives the fleet one. */
  alarms?: AlarmReader;
  /** Artifact keys that do not exist; every other key does (a test names what is missing). */
  readonly missingArtifacts = new Set<string>();
  /** Image states by id; an id not listed is available. */
  readonly imageStates: Record<string, string | undefined> = {};
  /** What the store check answers: undefined, the store is the environment's own. */
  storeProblem?: string;
  /** Versions the store has published (highest-observed asks). */
  published: string[] = [];
  /** Every verification question asked, in order: `artifact <key>`, `image <id>`, `store <name>`, `published`. */
  readonly asked: string[] = [];
  readonly checks: DesiredStateChecks = {
    storeProblem: (_environment, store) => {
      this.asked.push(`store ${store}`);
      return Promise.resolve(this.storeProblem);
    },
    artifactExists: (_store, key) => {
      this.asked.push(`artifact ${key}`);
      return Promise.resolve(!this.missingArtifacts.has(key));
    },
    imageState: (id) => {
      this.asked.push(`image ${id}`);
      return Promise.resolve(id in this.imageStates ? this.imageStates[id] : "available");
    },
    publishedVersions: () => {
      this.asked.push("published");
      return Promise.resolve([...this.published]);
    },
  };

  constructor(
    public state: FleetState,
    options: { surge?: boolean } = {},
  ) {
    if (options.surge === true) this.surge = this.surgeOperations();
  }

  /**
   * The state as read. A state with a desired version but no artifacts reads as a manifest naming each group's
   * tier's artifact at its usual key (a real manifest always names some): tests of a missing tier set them.
   */
  async readFleet(environment: string): Promise<FleetState> {
    return this.around("read-fleet", () => {
      this.reads += 1;
      this.onRead?.(this.state, this.reads);
      const state = { ...structuredClone(this.state), environment };
      if (state.desiredVersion !== undefined && state.desiredArtifacts === undefined) {
        const version = state.desiredVersion;
        state.desiredArtifacts = Object.fromEntries(state.groups.map((g) => [g.tier, artifactKey(version, g.tier)]));
      }
      for (const g of state.groups) {
        if (needsCapacityHistory(g)) g.capacityHistory = [...(this.history.get(g.name) ?? [])];
      }
      return state;
    });
  }

  /** Like TerminateInstanceInAutoScalingGroup without decrementing: the instance goes, desired capacity stays. */
  async terminate(requests: { group: string; instanceId: string }[]): Promise<TerminationOutcome[]> {
    const outcomes: TerminationOutcome[] = [];
    for (const { group, instanceId } of requests) {
      outcomes.push(
        await this.around(
          `terminate ${group} ${instanceId}`,
          (): TerminationOutcome => {
            const g = this.state.groups.find((x) => x.name === group);
            const before = g?.instances.length ?? 0;
            if (g) g.instances = g.instances.filter((i) => i.id !== instanceId);
            this.terminated.push({ group, instanceId });
            return { group, instanceId, status: g && g.instances.length < before ? "terminated" : "already-gone" };
          },
          true,
        ),
      );
    }
    return outcomes;
  }

  /** Records a desired-capacity change as a scaling activity would (`by` request unless a test says scaling did it). */
  recordChange(group: string, from: number, to: number, by: CapacityChange["by"] = "request", at?: string): void {
    if (from === to) return;
    const list = this.history.get(group) ?? [];
    list.unshift({ at: at ?? this.state.readAt, from, to, by });
    this.history.set(group, list);
  }

  private group(name: string): GroupState {
    const g = this.state.groups.find((x) => x.name === name);
    if (!g) throw Object.assign(new Error(`Group ${name} not found`), { name: "ValidationError" });
    return g;
  }

  /** The gates around one call, and its effect in between; a change is reported to onChange. */
  private async around<T>(call: string, act: () => T, changes = false): Promise<T> {
    await this.gate?.(call, "before");
    const result = act();
    if (changes) this.onChange?.(call);
    await this.gate?.(call, "after");
    return result;
  }

  private call(text: string): void {
    const err = this.failOn?.(text);
    if (err) throw err;
    this.calls.push(text);
  }

  private surgeOperations(): SurgeOperations {
    const change = <T>(text: string, act: () => T) =>
      this.around(
        text,
        () => {
          this.call(text);
          return act();
        },
        true,
      );
    return {
      readGroup: (group) =>
        this.around(`read-group ${group}`, () => {
          this.groupReads += 1;
          const g = this.group(group);
          return {
            desiredCapacity: g.desiredCapacity,
            tags: { ...g.tags },
            suspendedProcesses: [...(g.suspendedProcesses ?? [])],
          };
        }),
      setDesiredCapacity: (group, n) =>
        change(`set-desired ${group} ${n}`, () => {
          const g = this.group(group);
          if (n < g.minSize || n > g.maxSize) {
            throw Object.assign(new Error(`New SetDesiredCapacity value ${n} is outside min/max`), {
              name: "ValidationError",
            });
          }
          this.recordChange(group, g.desiredCapacity, n);
          g.desiredCapacity = n;
        }),
      setTags: (group, tags) =>
        change(
          `set-tags ${group} ${Object.entries(tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(",")}`,
          () => {
            Object.assign(this.group(group).tags, tags);
          },
        ),
      removeTags: (group, keys) =>
        change(`remove-tags ${group} ${keys.join(",")}`, () => {
          const g = this.group(group);
          for (const k of keys) delete g.tags[k];
        }),
      suspendProcesses: (group, processes) =>
        change(`suspend ${group} ${processes.join(",")}`, () => {
          const g = this.group(group);
          g.suspendedProcesses = [...new Set([...(g.suspendedProcesses ?? []), ...processes])].sort();
        }),
      resumeProcesses: (group, processes) =>
        change(`resume ${group} ${processes.join(",")}`, () => {
          const g = this.group(group);
          g.suspendedProcesses = (g.suspendedProcesses ?? []).filter((p) => !processes.includes(p));
        }),
      terminateAndDecrement: async (requests) => {
        const outcomes: TerminationOutcome[] = [];
        for (const { group, instanceId } of requests) {
          const text = `terminate-decrement ${group} ${instanceId}`;
          outcomes.push(
            await this.around(
              text,
              (): TerminationOutcome => {
                const err = this.failOn?.(text);
                if (err) return { group, instanceId, status: "failed", error: err.message };
                this.calls.push(text);
                const g = this.state.groups.find((x) => x.name === group);
                if (!g || !g.instances.some((i) => i.id === instanceId)) {
                  return { group, instanceId, status: "already-gone" };
                }
                if (g.desiredCapacity - 1 < g.minSize) {
                  return { group, instanceId, status: "failed", error: "ValidationError: below the group's min size" };
                }
                g.instances = g.instances.filter((i) => i.id !== instanceId);
                this.recordChange(group, g.desiredCapacity, g.desiredCapacity - 1);
                g.desiredCapacity -= 1;
                this.terminated.push({ group, instanceId });
                return { group, instanceId, status: "terminated" };
              },
              true,
            ),
          );
        }
        return outcomes;
      },
    };
  }
}

function s3Error(name: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

/** Makes a mocked S3 client behave like a bucket holding `backing`: conditional writes, checksums, 404s, listing. */
export function emulateS3(mock: AwsClientStub<S3Client>, backing: MemoryObjectStore): void {
  emulateBuckets(mock, () => backing);
}

/**
 * Makes a mocked S3 client behave like several buckets, each request going to the store `bucket` names (a bucket
 * that does not exist answers NoSuchBucket), with CopyObject between them: conditional on the target key, and with a
 * SHA-256 computed for the copy when asked for one. `copy` may change the bytes in flight, to stage a bad copy.
 */
export function emulateBuckets(
  mock: AwsClientStub<S3Client>,
  bucket: (name: string) => MemoryObjectStore | undefined,
  copy: (body: Buffer) => Buffer = (body) => body,
): void {
  const named = (name: string | undefined) => {
    const backing = bucket(name ?? "");
    if (backing === undefined) throw s3Error("NoSuchBucket", 404, "The specified bucket does not exist");
    return backing;
  };
  mock.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommand["input"]) => {
    const [from, ...key] = String(input.CopySource).split("/");
    const source = await named(from).get(key.map(decodeURIComponent).join("/"));
    if (!source) throw s3Error("NoSuchKey", 404, "The specified key does not exist.");
    const body = copy(source.body);
    const target = named(input.Bucket);
    try {
      const { etag } = await target.put(input.Key!, body, {
        ...(input.IfNoneMatch === "*" && { ifNoneMatch: "*" as const }),
        ...(input.ChecksumAlgorithm === "SHA256" && { sha256: sha256Of(body) }),
      });
      return {
        CopyObjectResult: {
          ETag: etag,
          ...(input.ChecksumAlgorithm === "SHA256" && { ChecksumSHA256: sha256Of(body) }),
        },
      };
    } catch (err) {
      if (err instanceof PreconditionFailedError) {
        throw s3Error("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold");
      }
      throw err;
    }
  });
  mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommand["input"]) => {
    const backing = named(input.Bucket);
    try {
      const { etag } = await backing.put(input.Key!, Buffer.from(input.Body as Uint8Array), {
        ...(input.IfMatch !== undefined && { ifMatch: input.IfMatch }),
        ...(input.IfNoneMatch === "*" && { ifNoneMatch: "*" as const }),
        ...(input.ChecksumSHA256 !== undefined && { sha256: input.ChecksumSHA256 }),
        ...(input.ContentType !== undefined && { contentType: input.ContentType }),
      });
      return { ETag: etag };
    } catch (err) {
      if (err instanceof PreconditionFailedError) {
        throw s3Error("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold");
      }
      if (err instanceof ContractError) throw s3Error("BadDigest", 400, "The SHA256 you specified did not match");
      throw err;
    }
  });
  mock.on(GetObjectCommand).callsFake(async (input: GetObjectCommand["input"]) => {
    const object = await named(input.Bucket).get(input.Key!);
    if (!object) throw s3Error("NoSuchKey", 404, "The specified key does not exist.");
    const bytes = object.body;
    return {
      ETag: object.etag,
      Body: {
        transformToString: () => Promise.resolve(bytes.toString("utf8")),
        transformToByteArray: () => Promise.resolve(new Uint8Array(bytes)),
      },
    };
  });
  mock.on(HeadObjectCommand).callsFake(async (input: HeadObjectCommand["input"]) => {
    const head = await named(input.Bucket).head(input.Key!);
    if (!head) throw s3Error("NotFound", 404, "Not Found");
    return {
      ETag: head.etag,
      ContentLength: head.size,
      ...(input.ChecksumMode === "ENABLED" && head.sha256 !== undefined && { ChecksumSHA256: head.sha256 }),
    };
  });
  mock.on(GetBucketTaggingCommand).callsFake((input: GetBucketTaggingCommand["input"]) => {
    const tags = Object.entries(named(input.Bucket).bucketTags);
    if (tags.length === 0) throw s3Error("NoSuchTagSet", 404, "The TagSet does not exist");
    return { TagSet: tags.map(([Key, Value]) => ({ Key, Value })) };
  });
  mock.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2Command["input"]) => ({
    Contents: (await named(input.Bucket).list(input.Prefix ?? "")).map((Key) => ({ Key })),
    IsTruncated: false,
  }));
}
