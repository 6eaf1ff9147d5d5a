import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { createClients } from "../../../runtime/aws/clients";
import { S3ObjectStore } from "../../../runtime/aws/s3-object-store";
import { PreconditionFailedError, UsageError } from "../../../runtime/core/errors";
import { parseManifest } from "../../../runtime/core/manifest";
import { ReleaseConflictError, isZip, listReleases, publishRelease, rollback } from "../../../runtime/ops/releases";
import { emulateS3, MemoryObjectStore, sha256Of, zipBytes } from "../../support/memory-store";
import { MANIFEST_KEY, releaseRecordKey } from "../../../runtime/contract";

const TIERS = ["api", "web"];
const at = (iso: string) => () => new Date(iso);

describe("releases over an object store", () => {
  let dir: string;
  let store: MemoryObjectStore;

  /** Writes one zip per tier for a version into the temp dir and returns the tier → path map. */
  function artifacts(version: string, flavour = ""): Record<string, string> {
    return Object.fromEntries(
      TIERS.map((tier) => {
        const file = path.join(dir, `${tier}-${version}${flavour}.zip`);
        fs.writeFileSync(file, zipBytes(`${tier} ${version}${flavour}`));
        return [tier, file];
      }),
    );
  }

  async function publish(version: string, extra: { allowDowngrade?: boolean; flavour?: string } = {}) {
    return publishRelease(store, {
      version,
      artifacts: artifacts(version, extra.flavour),
      tiers: TIERS,
      allowDowngrade: extra.allowDowngrade,
      now: at("2026-11-26T03:00:00.000Z"),
    });
  }

  function current() {
    return parseManifest(store.text(MANIFEST_KEY)!);
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-release-"));
    store = new MemoryObjectStore();
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("publishing", () => {
    it("uploads each artifact with its sha256, records the version, and writes current.json last", async () => {
      const result = await publish("1.0.274");

      assert.equal(result.status, "published");
      assert.deepEqual(store.writes, [
        "releases/1.0.274/api.zip",
        "releases/1.0.274/web.zip",
        releaseRecordKey("1.0.274"),
        MANIFEST_KEY,
      ]);
      assert.equal((await store.head("releases/1.0.274/web.zip"))?.sha256, sha256Of(zipBytes("web 1.0.274")));
      assert.deepEqual(current(), {
        version: "1.0.274",
        artifacts: { api: "releases/1.0.274/api.zip", web: "releases/1.0.274/web.zip" },
        publishedAt: "2026-11-26T03:00:00.000Z",
      });
    });

    it("lets exactly one of two concurrent releases win, and the loser gets a conflict naming the race", async () => {
      await publish("1.0.1");
      let arrived = 0;
      let release!: () => void;
      const bothArrived = new Promise<void>((resolve) => (release = resolve));
      store.hold(MANIFEST_KEY, async () => {
        arrived += 1;
        if (arrived === 2) release();
        await bothArrived;
      });

      const results = await Promise.allSettled([publish("1.0.2"), publish("1.0.3")]);

      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(lost[0].reason instanceof ReleaseConflictError);
      assert.match(lost[0].reason.message, /another release was published meanwhile/);
      assert.ok(lost[0].reason.cause instanceof PreconditionFailedError);
      assert.equal(current().version, won[0].value.manifest.version);
    });

    it("loses cleanly when the first ever manifest appears while it runs", async () => {
      store.hold(MANIFEST_KEY, () => {
        store.seed(
          MANIFEST_KEY,
          JSON.stringify({ version: "9.9.9", artifacts: { web: "x" }, publishedAt: "2026-01-01T00:00:00Z" }),
        );
        return Promise.resolve();
      });

      await assert.rejects(publish("1.0.0"), ReleaseConflictError);
      assert.equal(current().version, "9.9.9");
    });

    it("refuses an artifact path that does not exist, before writing anything", async () => {
      const paths = { ...artifacts("1.0.0"), web: path.join(dir, "missing.zip") };

      await assert.rejects(
        publishRelease(store, { version: "1.0.0", artifacts: paths, tiers: TIERS, now: at("2026-11-26T03:00:00Z") }),
        (err: Error) =>
          err instanceof UsageError && /artifact for web: .*missing\.zip does not exist/.test(err.message),
      );
      assert.deepEqual(store.writes, []);
    });

    it("refuses a file that is not a zip, before writing anything", async () => {
      const paths = artifacts("1.0.0");
      fs.writeFileSync(paths.api, "#!/bin/sh\necho not a zip\n");

      await assert.rejects(
        publishRelease(store, { version: "1.0.0", artifacts: paths, tiers: TIERS, now: at("2026-11-26T03:00:00Z") }),
        /artifact for api: .* is not a zip file/,
      );
      assert.deepEqual(store.writes, []);
    });

    it("accepts an empty zip", () => {
      assert.equal(isZip(Buffer.from("PK\x05\x06" + "\0".repeat(18), "latin1")), true);
    });

    it("refuses a tier without an artifact and an artifact for an unknown tier", async () => {
      const paths = artifacts("1.0.0");

      await assert.rejects(
        publishRelease(store, {
          version: "1.0.0",
          artifacts: { web: paths.web, worker: paths.api },
          tiers: TIERS,
          now: at("2026-11-26T03:00:00Z"),
        }),
        /no artifact for api; no tier named worker: the environment's tiers are api, web/,
      );
      assert.deepEqual(store.writes, []);
    });

    for (const [version, message] of [
      ["1.0", /"1.0" is not a semantic version/],
      ["v1.0.0", /not in canonical form; use 1.0.0/],
    ] as const) {
      it(`refuses the version ${version}`, async () => {
        await assert.rejects(publish(version), message);
        assert.deepEqual(store.writes, []);
      });
    }

    it("succeeds without writing when the same version is re-published with the same content", async () => {
      await publish("1.0.0");
      const before = store.writes.length;

      const result = await publish("1.0.0");

      assert.equal(result.status, "unchanged");
      assert.equal(store.writes.length, before);
    });

    it("refuses the same version with different content, naming the tier and both checksums", async () => {
      await publish("1.0.0");
      const before = store.writes.length;

      await assert.rejects(publish("1.0.0", { flavour: "-rebuilt" }), (err: Error) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /version 1\.0\.0 is already published with different content: api/);
        assert.ok(err.message.includes(sha256Of(zipBytes("api 1.0.0"))));
        assert.ok(err.message.includes(sha256Of(zipBytes("api 1.0.0-rebuilt"))));
        return true;
      });
      assert.equal(store.writes.length, before);
    });

    it("refuses a version older than the current one", async () => {
      await publish("1.0.5");

      await assert.rejects(publish("1.0.4"), /1\.0\.4 is older than the current release 1\.0\.5.*--allow-downgrade/);
      assert.equal(current().version, "1.0.5");
    });

    it("publishes an older version when downgrades are allowed", async () => {
      await publish("1.0.5");

      const result = await publish("1.0.4", { allowDowngrade: true });

      assert.equal(result.previousVersion, "1.0.5");
      assert.equal(current().version, "1.0.4");
    });

    it("repairs a malformed current.json", async () => {
      store.seed(MANIFEST_KEY, "{");

      await publish("1.0.0");

      assert.equal(current().version, "1.0.0");
    });
  });

  describe("rolling back", () => {
    it("repoints to the version before the current one by default, uploading nothing", async () => {
      await publish("1.0.2");
      await publish("1.0.10");
      await publish("1.0.3", { allowDowngrade: true });
      await publish("1.0.11");
      const before = store.writes.length;

      const result = await rollback(store, { now: at("2026-11-26T04:00:00.000Z") });

      assert.equal(result.previousVersion, "1.0.11");
      assert.deepEqual(current(), {
        version: "1.0.10",
        artifacts: { api: "releases/1.0.10/api.zip", web: "releases/1.0.10/web.zip" },
        publishedAt: "2026-11-26T04:00:00.000Z",
      });
      assert.deepEqual(store.writes.slice(before), [MANIFEST_KEY]);
    });

    it("repoints to the version named by --to", async () => {
      await publish("1.0.1");
      await publish("1.0.2");
      await publish("1.0.3");

      await rollback(store, { to: "1.0.1", now: at("2026-11-26T04:00:00Z") });

      assert.equal(current().version, "1.0.1");
    });

    it("refuses a version that was never published", async () => {
      await publish("1.0.1");

      await assert.rejects(
        rollback(store, { to: "0.9.0", now: at("2026-11-26T04:00:00Z") }),
        /version 0\.9\.0 is not published \(published: 1\.0\.1\)/,
      );
    });

    it("refuses when no older version is published", async () => {
      await publish("1.0.1");

      await assert.rejects(rollback(store, { now: at("2026-11-26T04:00:00Z") }), /no published version is older/);
    });

    it("refuses a version whose artifact has gone missing", async () => {
      await publish("1.0.1");
      await publish("1.0.2");
      store.objects.delete("releases/1.0.1/web.zip");

      await assert.rejects(rollback(store, { now: at("2026-11-26T04:00:00Z") }), /web artifact .* is missing/);
      assert.equal(current().version, "1.0.2");
    });

    it("loses to a release published meanwhile", async () => {
      await publish("1.0.1");
      await publish("1.0.2");
      store.hold(MANIFEST_KEY, async () => {
        store.hold(MANIFEST_KEY, () => Promise.resolve());
        await publish("1.0.3");
      });

      await assert.rejects(rollback(store, { now: at("2026-11-26T04:00:00Z") }), ReleaseConflictError);
      assert.equal(current().version, "1.0.3");
    });
  });

  describe("listing", () => {
    it("lists published versions newest first, with when each was published and which is current", async () => {
      await publishRelease(store, {
        version: "1.0.9",
        artifacts: artifacts("1.0.9"),
        tiers: TIERS,
        now: at("2026-11-20T00:00:00.000Z"),
      });
      await publishRelease(store, {
        version: "1.0.10",
        artifacts: artifacts("1.0.10"),
        tiers: TIERS,
        now: at("2026-11-21T00:00:00.000Z"),
      });
      await rollback(store, { now: at("2026-11-22T00:00:00.000Z") });

      assert.deepEqual(await listReleases(store), [
        { version: "1.0.10", publishedAt: "2026-11-21T00:00:00.000Z", current: false },
        { version: "1.0.9", publishedAt: "2026-11-20T00:00:00.000Z", current: true },
      ]);
    });

    it("lists nothing for an empty store", async () => {
      assert.deepEqual(await listReleases(store), []);
    });
  });

  describe("through S3ObjectStore and the S3 API", () => {
    const clients = createClients({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    });
    const s3 = mockClient(clients.s3);
    let bucket: S3ObjectStore;

    beforeEach(() => {
      s3.reset();
      emulateS3(s3, store);
      bucket = new S3ObjectStore(clients.s3, "test-releases");
    });

    after(() => s3.restore());

    function puts() {
      return s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    }

    it("sends each artifact with its SHA-256 for S3 to verify, write-once, and the manifest last", async () => {
      await publishRelease(bucket, {
        version: "1.0.1",
        artifacts: artifacts("1.0.1"),
        tiers: TIERS,
        now: at("2026-11-26T03:00:00Z"),
      });

      const sent = puts();
      assert.deepEqual(
        sent.map((p) => [p.Key, p.IfNoneMatch, p.IfMatch]),
        [
          ["releases/1.0.1/api.zip", "*", undefined],
          ["releases/1.0.1/web.zip", "*", undefined],
          ["releases/1.0.1/release.json", "*", undefined],
          [MANIFEST_KEY, "*", undefined],
        ],
      );
      assert.equal(sent[0].ChecksumSHA256, sha256Of(zipBytes("api 1.0.1")));
      assert.equal(sent[0].ContentType, "application/zip");
    });

    it("repoints the manifest only if its entity tag is still the one read at the start", async () => {
      await publish("1.0.1");
      const etag = (await store.head(MANIFEST_KEY))!.etag;

      await publishRelease(bucket, {
        version: "1.0.2",
        artifacts: artifacts("1.0.2"),
        tiers: TIERS,
        now: at("2026-11-26T03:00:00Z"),
      });

      assert.equal(puts().at(-1)!.IfMatch, etag);
      assert.equal(current().version, "1.0.2");
    });

    it("turns S3's 412 on the manifest into a conflict, leaving the winner current", async () => {
      await publish("1.0.1");
      store.hold(MANIFEST_KEY, async () => {
        store.hold(MANIFEST_KEY, () => Promise.resolve());
        await publish("1.0.3");
      });

      await assert.rejects(
        publishRelease(bucket, {
          version: "1.0.2",
          artifacts: artifacts("1.0.2"),
          tiers: TIERS,
          now: at("2026-11-26T03:00:00Z"),
        }),
        (err: Error) =>
          err instanceof ReleaseConflictError && /another release was published meanwhile/.test(err.message),
      );
      assert.equal(current().version, "1.0.3");
    });

    it("recognises the same content already in S3 by its stored checksum", async () => {
      await publish("1.0.1");

      const result = await publishRelease(bucket, {
        version: "1.0.1",
        artifacts: artifacts("1.0.1"),
        tiers: TIERS,
        now: at("2026-11-26T03:00:00Z"),
      });

      assert.equal(result.status, "unchanged");
      assert.deepEqual(puts(), []);
    });
  });
});
