// `promote` over both kinds of store the runtime has besides S3: the tests' memory store and the rehearsal's disk
// store. The gate, checksum verification, idempotence and every refusal path, each asserting what the target holds
// afterwards (nothing new, for every refusal).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { encodePolicyTag, MANIFEST_KEY, releaseRecordKey, TAGS } from "../../../runtime/contract";
import { ContractError, UsageError } from "../../../runtime/core/errors";
import { parseManifest } from "../../../runtime/core/manifest";
import { AlarmState, ObjectStore } from "../../../runtime/core/types";
import { recordConvergence } from "../../../runtime/ops/convergence";
import { promote, PromoteDeps, PromotionRefusedError, ServerSideCopy } from "../../../runtime/ops/promote";
import { ChecksumMismatchError, readRecord } from "../../../runtime/ops/releases";
import { DiskObjectStore } from "../../../runtime/rehearsal/disk-store";
import { MemoryFleet, MemoryObjectStore, sha256Of } from "../../support/memory-store";
import {
  answeringSnapshot,
  promotionFleet,
  releaseInto,
  storeContents,
  targetGroup,
  wrapStore,
} from "../../support/promotion";

const CALLER = "arn:aws:sts::123456789012:assumed-role/ci/build-42";
const TG = targetGroup;

const kinds: { name: string; make: (dir: string, env: string) => ObjectStore }[] = [
  { name: "memory stores", make: () => new MemoryObjectStore() },
  { name: "the rehearsal's disk stores", make: (dir, env) => new DiskObjectStore(path.join(dir, env)) },
];

for (const kind of kinds) {
  describe(`promote, between ${kind.name}`, () => {
    let dir: string;
    let test: { store: ObjectStore; fleet: MemoryFleet };
    let live: { store: ObjectStore; fleet: MemoryFleet };
    let copies: string[];

    const release = (store: ObjectStore, version: string, at: string) => releaseInto(store, dir, version, at);

    /** The rollout Lambda's sweeps of test at these times, each seeing it converged on `version`. */
    async function sweeps(version: string, ...times: string[]) {
      for (const at of times) await recordConvergence(test.store, answeringSnapshot(test.fleet.state, version, at), at);
    }

    function deps(extra: Partial<PromoteDeps> = {}): PromoteDeps {
      return {
        source: { environment: "test", ...test },
        target: { environment: "live", ...live },
        caller: () => Promise.resolve(CALLER),
        ...extra,
      };
    }

    const request = { soakMinutes: 30, now: () => new Date("2026-01-01T10:00:00.000Z") };

    async function liveVersion(): Promise<string | undefined> {
      const object = await live.store.get(MANIFEST_KEY);
      return object && parseManifest(object.body.toString("utf8")).version;
    }

    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-promote-"));
      test = { store: kind.make(dir, "test"), fleet: new MemoryFleet(promotionFleet("test")) };
      live = { store: kind.make(dir, "live"), fleet: new MemoryFleet(promotionFleet("live")) };
      copies = [];
      await release(test.store, "1.0.266", "2026-01-01T07:00:00.000Z");
      await release(live.store, "1.0.266", "2026-01-01T07:30:00.000Z");
      await release(test.store, "1.0.274", "2026-01-01T08:50:00.000Z");
    });

    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("copies test's current version to live byte for byte once it soaked, and records where it came from", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");

      const result = await promote(deps(), request);

      assert.equal(result.status, "published");
      assert.equal(await liveVersion(), "1.0.274");
      for (const tier of ["api", "web"]) {
        const key = `releases/1.0.274/${tier}.zip`;
        assert.deepEqual((await live.store.get(key))!.body, (await test.store.get(key))!.body);
      }
      assert.deepEqual(
        result.copied.map((c) => c.method),
        ["download and upload", "download and upload"],
      );
      const record = await readRecord(live.store, "1.0.274");
      assert.equal(record?.promotion?.from, "test");
      assert.equal(record?.promotion?.at, "2026-01-01T10:00:00.000Z");
      assert.deepEqual(record?.promotion?.evidence, {
        publishedAt: "2026-01-01T08:50:00.000Z",
        convergedAt: "2026-01-01T09:00:00.000Z",
        checkedAt: "2026-01-01T09:35:00.000Z",
        instances: { api: ["test-api-0"], web: ["test-web-0", "test-web-1"] },
      });
      assert.equal(record?.promotion?.gate.result, "passed");
      assert.deepEqual(record?.checksums, (await readRecord(test.store, "1.0.274"))?.checksums);
    });

    it("refuses before the soak, with the reason, and writes nothing to live", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:12:00.000Z");
      const before = await storeContents(live.store);

      const refused = await promote(deps(), request).catch((err: unknown) => err);

      assert.ok(refused instanceof PromotionRefusedError, String(refused));
      const soak = refused.gate.checks.find((c) => c.name === "soak")!;
      assert.equal(soak.ok, false);
      assert.match(soak.detail, /^12m of the 30m soak/);
      assert.match(refused.message, /the gate refused to promote 1\.0\.274 from test to live \(soak: see above\)/);
      assert.deepEqual(await storeContents(live.store), before);
    });

    it("refuses while test is not converged now, though its sweeps last saw it converged", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");
      test.fleet.state.groups[0].instances[1].lbHealth = { [TG("test", "web")]: "unhealthy" };
      const before = await storeContents(live.store);

      const refused = await promote(deps(), request).catch((err: unknown) => err);

      assert.ok(refused instanceof PromotionRefusedError);
      assert.deepEqual(
        refused.gate.checks.filter((c) => !c.ok).map((c) => c.detail),
        ["test is not converged on 1.0.274 now: web test-web-1 is unhealthy in its target group"],
      );
      assert.deepEqual(await storeContents(live.store), before);
    });

    it("refuses while no sweep of test has recorded convergence", async () => {
      const refused = await promote(deps(), request).catch((err: unknown) => err);

      assert.ok(refused instanceof PromotionRefusedError);
      assert.deepEqual(
        refused.gate.checks.filter((c) => !c.ok).map((c) => c.name),
        ["converged", "soak"],
      );
    });

    it("refuses a version test published but does not run now", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");

      const refused = await promote(deps(), { ...request, version: "1.0.266" }).catch((err: unknown) => err);

      assert.ok(refused instanceof PromotionRefusedError);
      assert.equal(refused.gate.checks.find((c) => !c.ok)?.name, "current");
    });

    it("refuses, as bad input, a version test never ran, writing nothing", async () => {
      const before = await storeContents(live.store);

      await assert.rejects(
        promote(deps(), { ...request, version: "1.0.273" }),
        (err: Error) =>
          err instanceof UsageError &&
          err.message ===
            "test never ran 1.0.273: its store has no releases/1.0.273/release.json (test's current release is " +
              "1.0.274); promote a version test ran",
      );
      assert.deepEqual(await storeContents(live.store), before);
    });

    it("refuses the same environment on both sides", async () => {
      await assert.rejects(
        promote({ ...deps(), target: { environment: "test", ...test } }, request),
        (err: Error) => err instanceof UsageError && /--from and --to are both test/.test(err.message),
      );
    });

    it("fails, as AWS does, when test's store cannot be read, naming the side; nothing is written", async () => {
      const denied = Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
      const unreadable = wrapStore(test.store, { get: () => Promise.reject(denied) });
      const before = await storeContents(live.store);

      await assert.rejects(
        promote({ ...deps(), source: { environment: "test", store: unreadable, fleet: test.fleet } }, request),
        (err: Error) =>
          !(err instanceof UsageError) && err.message === "--from test: cannot read its release store: Access Denied",
      );
      assert.deepEqual(await storeContents(live.store), before);
    });

    it("refuses to take live back from a newer version unless allowed to", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");
      await release(live.store, "1.0.280", "2026-01-01T09:50:00.000Z");
      const before = await storeContents(live.store);

      await assert.rejects(
        promote(deps(), request),
        (err: Error) =>
          err instanceof UsageError && /1\.0\.274 is older than the current release 1\.0\.280/.test(err.message),
      );
      assert.deepEqual(await storeContents(live.store), before);

      const allowed = await promote(deps(), { ...request, allowDowngrade: true });
      assert.equal(allowed.previousVersion, "1.0.280");
      assert.equal(await liveVersion(), "1.0.274");
    });

    it("catches an artifact corrupted in transit by its checksum; live's manifest is untouched", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");
      const flaky = wrapStore(test.store, {
        get: async (key) => {
          const object = await test.store.get(key);
          if (object === undefined || !key.endsWith("web.zip")) return object;
          const body = Buffer.from(object.body);
          body[body.length - 1] ^= 0xff;
          return { ...object, body };
        },
      });
      const before = await storeContents(live.store);

      const err = await promote(
        { ...deps(), source: { environment: "test", store: flaky, fleet: test.fleet } },
        request,
      ).catch((e: unknown) => e);

      assert.ok(err instanceof ChecksumMismatchError, String(err));
      assert.match(
        err.message,
        /^test's releases\/1\.0\.274\/web\.zip arrived with sha256 \S+, but test's record of 1\.0\.274 says /,
      );
      assert.match(err.message, /nothing was written to live, and its releases\/current\.json is untouched/);
      assert.deepEqual(await storeContents(live.store), before);
      assert.equal(await liveVersion(), "1.0.266");
    });

    it("writes nothing when repeated: the version is already live with the same bytes", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");
      await promote(deps(), request);
      const after = await storeContents(live.store);

      const again = await promote(deps(), request);

      assert.equal(again.status, "unchanged");
      assert.deepEqual(
        again.copied.map((c) => c.method),
        ["already there", "already there"],
      );
      assert.deepEqual(await storeContents(live.store), after);
    });

    it("skips the gate with force, and the record says so and by whom", async () => {
      const result = await promote(deps(), { ...request, force: true });

      assert.deepEqual(result.gate, { skipped: true, by: CALLER });
      const record = await readRecord(live.store, "1.0.274");
      assert.deepEqual(record?.promotion?.gate, { result: "skipped", by: CALLER });
      assert.equal(record?.promotion?.evidence.convergedAt, null);
      assert.equal(await liveVersion(), "1.0.274");
    });

    /** test's groups tagged as the stack tags them, each naming its rollout alarms; the fleet answers `states`. */
    function alarmedSource(states: AlarmState[] | Error): string[] {
      const asked: string[] = [];
      for (const g of test.fleet.state.groups) {
        g.tags = {
          ...g.tags,
          [TAGS.policy]: encodePolicyTag({ rolloutAlarms: [`test-${g.tier}-5xx`, "apm-checkout"] }),
        };
      }
      test.fleet.alarms = {
        read: (names) => {
          asked.push(names.join(","));
          return states instanceof Error ? Promise.reject(states) : Promise.resolve(states);
        },
      };
      return asked;
    }

    it("refuses while one of test's rollout alarms is in ALARM, reading them all in one call", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");
      const asked = alarmedSource([
        { name: "apm-checkout", state: "OK" },
        { name: "test-api-5xx", state: "OK" },
        { name: "test-web-5xx", state: "ALARM", reason: "Threshold Crossed" },
      ]);
      const before = await storeContents(live.store);

      const refused = await promote(deps(), request).catch((err: unknown) => err);

      assert.ok(refused instanceof PromotionRefusedError);
      assert.deepEqual(asked, ["apm-checkout,test-api-5xx,test-web-5xx"]);
      assert.equal(
        refused.gate.checks.find((c) => !c.ok)?.detail,
        "test's rollout alarms in ALARM: test-web-5xx (Threshold Crossed)",
      );
      assert.deepEqual(await storeContents(live.store), before);
    });

    it("refuses when test's alarms cannot be read, rather than take them for quiet", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");
      alarmedSource(new Error("AccessDenied: not authorized to perform cloudwatch:DescribeAlarms"));

      const refused = await promote(deps(), request).catch((err: unknown) => err);

      assert.ok(refused instanceof PromotionRefusedError);
      assert.match(
        refused.gate.checks.find((c) => !c.ok)?.detail ?? "",
        /^not read, so not known quiet: apm-checkout \(Error: AccessDenied: not authorized .*\); test-api-5xx/,
      );
    });

    it("promotes once test's rollout alarms are quiet, and says how many it read", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");
      alarmedSource([
        { name: "apm-checkout", state: "INSUFFICIENT_DATA" },
        { name: "test-api-5xx", state: "OK" },
        { name: "test-web-5xx", state: "OK" },
      ]);

      const result = await promote(deps(), request);

      assert.equal(await liveVersion(), "1.0.274");
      assert.ok(!("skipped" in result.gate));
      assert.equal(
        result.gate.checks.find((c) => c.name === "alarms")?.detail,
        "none of test's 3 rollout alarms is in ALARM",
      );
    });

    it("refuses environments that do not run the same tiers", async () => {
      live.fleet.state = promotionFleet("live", ["web", "api", "worker"]);

      await assert.rejects(
        promote(deps(), { ...request, force: true }),
        (err: Error) =>
          err instanceof UsageError &&
          err.message.startsWith("test's 1.0.274 has no artifact for worker: live runs api, web, worker"),
      );
    });

    it("copies server-side when one identity reaches both stores, after checking test's objects against its record", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");
      const serverSideCopy: ServerSideCopy = {
        copy: async (from, to) => {
          copies.push(`${from} -> ${to}`);
          const object = (await test.store.get(from))!;
          await live.store.put(to, object.body, { ifNoneMatch: "*", sha256: sha256Of(object.body) });
        },
      };

      const result = await promote(deps({ serverSideCopy }), request);

      assert.deepEqual(copies, [
        "releases/1.0.274/api.zip -> releases/1.0.274/api.zip",
        "releases/1.0.274/web.zip -> releases/1.0.274/web.zip",
      ]);
      assert.deepEqual(
        result.copied.map((c) => c.method),
        ["server-side copy", "server-side copy"],
      );
      assert.equal(await liveVersion(), "1.0.274");
    });

    it("copies nothing server-side when test's object no longer matches its record", async () => {
      await sweeps("1.0.274", "2026-01-01T09:00:00.000Z", "2026-01-01T09:35:00.000Z");
      const changed = wrapStore(test.store, {
        head: async (key) => {
          const head = await test.store.head(key);
          return head && key.endsWith("api.zip") ? { ...head, sha256: sha256Of(Buffer.from("other")) } : head;
        },
      });
      const serverSideCopy: ServerSideCopy = { copy: (from) => Promise.resolve(void copies.push(from)) };
      const before = await storeContents(live.store);

      await assert.rejects(
        promote(
          { ...deps({ serverSideCopy }), source: { environment: "test", store: changed, fleet: test.fleet } },
          request,
        ),
        (err: Error) =>
          err instanceof ChecksumMismatchError &&
          /^test's releases\/1\.0\.274\/api\.zip is stored with/.test(err.message),
      );
      assert.deepEqual(copies, []);
      assert.deepEqual(await storeContents(live.store), before);
    });

    it("refuses test's record without a checksum to verify against", async () => {
      const key = releaseRecordKey("1.0.274");
      const record = JSON.parse((await test.store.get(key))!.body.toString("utf8")) as {
        checksums: Record<string, string>;
      };
      delete record.checksums.web;
      await test.store.put(key, Buffer.from(JSON.stringify(record)), { ifMatch: (await test.store.head(key))!.etag });

      const before = await storeContents(live.store);

      await assert.rejects(
        promote(deps(), { ...request, force: true }),
        (err: Error) => err instanceof ContractError && /has no checksum for web/.test(err.message),
      );
      assert.deepEqual(await storeContents(live.store), before);
    });
  });
}
