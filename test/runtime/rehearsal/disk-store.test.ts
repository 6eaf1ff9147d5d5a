// The rehearsal's disk release store behaves like S3 where the release code relies on it: entity tags, checksums,
// conditional writes, listing, and keys that stay inside its directory.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { PreconditionFailedError } from "../../../runtime/core/errors";
import { DiskObjectStore } from "../../../runtime/rehearsal/disk-store";
import { MANIFEST_KEY } from "../../../runtime/contract";
import { scratchDir } from "../../support/scratch-dir";

describe("the rehearsal's disk release store", () => {
  const workDir = scratchDir("phoenix-disk-store-test-");

  it("returns what was put, with an S3-style entity tag, the sha256 it verified, and its clock's times", async () => {
    let now = Date.parse("2026-01-01T09:00:00.000Z");
    const store = new DiskObjectStore(workDir("store-basic"), () => now);
    const body = Buffer.from("hello");
    const sha256 = createHash("sha256").update(body).digest("base64");

    const { etag } = await store.put("releases/1.0.0/web.zip", body, { sha256 });
    now += 90_000;

    assert.deepEqual(await store.get("releases/1.0.0/web.zip"), {
      body,
      etag,
      lastModified: "2026-01-01T09:00:00.000Z",
      readAt: "2026-01-01T09:01:30.000Z",
    });
    assert.deepEqual(await store.head("releases/1.0.0/web.zip"), { etag, size: 5, sha256 });
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.equal(await store.get("releases/9.9.9/web.zip"), undefined);
  });

  it("refuses a body whose sha256 does not match and writes nothing", async () => {
    const store = new DiskObjectStore(workDir("store-sha"));

    await assert.rejects(store.put("a/b.zip", Buffer.from("x"), { sha256: "AAAA" }), /does not match/);

    assert.equal(await store.head("a/b.zip"), undefined);
  });

  it("loses conditional writes cleanly: ifNoneMatch on an existing key, ifMatch on a changed one", async () => {
    const store = new DiskObjectStore(workDir("store-conditions"));
    const first = await store.put(MANIFEST_KEY, Buffer.from("1"), { ifNoneMatch: "*" });
    await store.put(MANIFEST_KEY, Buffer.from("2"), { ifMatch: first.etag });

    await assert.rejects(store.put(MANIFEST_KEY, Buffer.from("3"), { ifNoneMatch: "*" }), PreconditionFailedError);
    await assert.rejects(store.put(MANIFEST_KEY, Buffer.from("3"), { ifMatch: first.etag }), PreconditionFailedError);

    assert.equal((await store.get(MANIFEST_KEY))?.body.toString(), "2");
  });

  it("lists keys under a prefix in lexical order, never its own metadata", async () => {
    const store = new DiskObjectStore(workDir("store-list"));
    for (const key of ["releases/1.0.10/web.zip", "releases/1.0.9/web.zip", "releases/current.json", "other/x"]) {
      await store.put(key, Buffer.from(key));
    }

    const keys = await store.list("releases/");

    assert.deepEqual(keys, ["releases/1.0.10/web.zip", "releases/1.0.9/web.zip", "releases/current.json"]);
  });

  it("rejects keys that would escape its directory", async () => {
    const store = new DiskObjectStore(workDir("store-keys"));

    await assert.rejects(store.put("../escape", Buffer.from("x")), /not a plain relative key/);
  });
});
