// Automatic rollback over a release store: the previous release written back through the conditional write, the
// record that marks the bad version, nothing written when a newer release was published meanwhile, a warning when
// nothing older is published; and the mark held by `phoenix release`, `phoenix rollback` and every sweep's
// verification until a newer version is published.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MANIFEST_KEY, releaseRecordKey, ROLLBACK_RECORD_KEY } from "../../../runtime/contract";
import { UsageError } from "../../../runtime/core/errors";
import { parseRollbackRecord } from "../../../runtime/core/rollback";
import { FleetState, GroupPlan, Plan } from "../../../runtime/core/types";
import { rollBackOnAlarm } from "../../../runtime/ops/auto-rollback";
import { publishRelease, rollback } from "../../../runtime/ops/releases";
import { DesiredStateVerifier } from "../../../runtime/ops/verify";
import { MemoryFleet, MemoryObjectStore, seedRelease, zipBytes } from "../../support/memory-store";

const AT = new Date("2026-11-26T04:00:00.000Z");
const ALARM = "phoenix-live-web-5xx";

/** A store where 1.0.1, 1.0.2 and 1.0.3 were published in turn; 1.0.3 is current. */
function storeWith(versions = ["1.0.1", "1.0.2", "1.0.3"]): MemoryObjectStore {
  const store = new MemoryObjectStore();
  for (const v of versions) {
    seedRelease(store, v);
    store.seed(releaseRecordKey(v), JSON.stringify(recordOf(v)));
  }
  return store;
}

/** The release record of version `v` with both tiers' artifacts. */
function recordOf(v: string) {
  const artifacts = { api: `releases/${v}/api.zip`, web: `releases/${v}/web.zip` };
  return { version: v, artifacts, checksums: { api: "x", web: "y" }, publishedAt: AT.toISOString() };
}

/** A plan whose web group was stopped by its alarm at checkpoint 2 of 3, asking (or not) for a rollback of 1.0.3. */
function stopped(rollbackAsked = true, version = "1.0.3"): Plan {
  const g = {
    name: "live-web",
    tier: "web",
    alarmStop: { alarm: ALARM, checkpoint: "2 of 3", version, remaining: 5, rollback: rollbackAsked },
  } as GroupPlan;
  return { environment: "live", readAt: AT.toISOString(), groups: [g] };
}

describe("automatic rollback", () => {
  it("writes the previous release back as current, conditionally, then records what was rolled back and why", async () => {
    const store = storeWith();
    const etag = (await store.get(MANIFEST_KEY))!.etag;
    const puts: { key: string; ifMatch?: string }[] = [];
    const put = store.put.bind(store);
    store.put = (key, body, options) => {
      puts.push({ key, ...(options?.ifMatch !== undefined && { ifMatch: options.ifMatch }) });
      return put(key, body, options);
    };

    const outcome = await rollBackOnAlarm(store, stopped(), () => AT);

    assert.equal(outcome?.status, "done");
    assert.equal(outcome?.to, "1.0.2");
    assert.equal(
      outcome?.message,
      `rolled back automatically: ${ALARM} in ALARM at checkpoint 2 of 3 (web); 1.0.2 is current again (was 1.0.3)`,
    );
    assert.deepEqual(puts, [{ key: MANIFEST_KEY, ifMatch: etag }, { key: ROLLBACK_RECORD_KEY }]);
    assert.deepEqual(JSON.parse(store.text(MANIFEST_KEY)!), {
      version: "1.0.2",
      artifacts: { api: "releases/1.0.2/api.zip", web: "releases/1.0.2/web.zip" },
      publishedAt: AT.toISOString(),
    });
    const record = parseRollbackRecord(store.text(ROLLBACK_RECORD_KEY)!);
    assert.deepEqual(record && [record.from, record.to, record.tier, record.alarm, record.checkpoint, record.at], [
      "1.0.3",
      "1.0.2",
      "web",
      ALARM,
      "2 of 3",
      AT.toISOString(),
    ]);
  });

  it("skips a published version that lacks a tier's artifact", async () => {
    const store = storeWith();
    store.objects.delete("releases/1.0.2/api.zip");

    const outcome = await rollBackOnAlarm(store, stopped(), () => AT);

    assert.equal(outcome?.to, "1.0.1");
  });

  it("does nothing when the plan asks for no rollback", async () => {
    const store = storeWith();

    assert.equal(await rollBackOnAlarm(store, stopped(false), () => AT), undefined);
    assert.deepEqual(store.writes, []);
  });

  it("writes nothing when a newer release was published since the sweep read the manifest", async () => {
    const store = storeWith();
    seedRelease(store, "1.0.4");

    const outcome = await rollBackOnAlarm(store, stopped(), () => AT);

    assert.equal(outcome?.status, "superseded");
    assert.match(outcome.message, /^not rolled back: the manifest names 1\.0\.4, no longer 1\.0\.3/);
    assert.deepEqual(store.writes, []);
  });

  it("loses the race cleanly: a release published between its read and its write wins, and nothing is recorded", async () => {
    const store = storeWith();
    store.hold(MANIFEST_KEY, () => Promise.resolve(seedRelease(store, "1.0.4")));

    const outcome = await rollBackOnAlarm(store, stopped(), () => AT);

    assert.equal(outcome?.status, "superseded");
    assert.equal(JSON.parse(store.text(MANIFEST_KEY)!).version, "1.0.4");
    assert.equal(store.text(ROLLBACK_RECORD_KEY), undefined);
  });

  it("with no older release published, warns and leaves the rollout stopped", async () => {
    const store = storeWith(["1.0.3"]);

    const outcome = await rollBackOnAlarm(store, stopped(), () => AT);

    assert.equal(outcome?.status, "no-previous");
    assert.match(outcome.message, /^warning: .* no published version before 1\.0\.3 .*the rollout stops/);
    assert.deepEqual(store.writes, []);
  });

  it("reports a failed write as failed, for the next sweep to decide again", async () => {
    const store = storeWith();
    store.put = () => Promise.reject(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));

    const outcome = await rollBackOnAlarm(store, stopped(), () => AT);

    assert.equal(outcome?.status, "failed");
    assert.match(outcome.message, /AccessDenied/);
  });

  describe("the mark on the version rolled back from", () => {
    let tmp: string;
    before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-mark-"))));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    async function markedStore(): Promise<MemoryObjectStore> {
      const store = storeWith();
      await rollBackOnAlarm(store, stopped(), () => AT);
      return store;
    }

    function artifacts(): Record<string, string> {
      const files: Record<string, string> = {};
      for (const tier of ["api", "web"]) {
        files[tier] = path.join(tmp, `${tier}.zip`);
        fs.writeFileSync(files[tier], zipBytes(`${tier} 1.0.3`));
      }
      return files;
    }

    it("refuses to publish the bad version again, naming the rollback, and publishes a newer one", async () => {
      const store = await markedStore();
      const request = { artifacts: artifacts(), tiers: ["api", "web"], now: () => AT };

      await assert.rejects(
        publishRelease(store, { ...request, version: "1.0.3" }),
        (err: Error) =>
          err instanceof UsageError &&
          /^version 1\.0\.3 was rolled back automatically at .* \(phoenix-live-web-5xx in ALARM at checkpoint 2 of 3, web; rollbacks\/latest\.json\): publish a newer version$/.test(
            err.message,
          ),
      );
      assert.equal((await publishRelease(store, { ...request, version: "1.0.4" })).status, "published");
    });

    it("passes over the marked version when a later release is rolled back, automatically or by hand", async () => {
      // 1.0.3 was rolled back to 1.0.2; 1.0.4 is published and fails too: back to 1.0.2, never to 1.0.3.
      const auto = await markedStore();
      seedRelease(auto, "1.0.4");
      const byHand = await markedStore();
      seedRelease(byHand, "1.0.4");
      byHand.seed(releaseRecordKey("1.0.4"), JSON.stringify(recordOf("1.0.4")));

      const outcome = await rollBackOnAlarm(auto, stopped(true, "1.0.4"), () => AT);
      const result = await rollback(byHand, { now: () => AT });

      assert.deepEqual([outcome?.status, outcome?.to], ["done", "1.0.2"]);
      assert.equal(result.manifest.version, "1.0.2");
    });

    it("refuses `phoenix rollback --to` the bad version", async () => {
      const store = await markedStore();

      await assert.rejects(rollback(store, { to: "1.0.3", now: () => AT }), /1\.0\.3 was rolled back automatically/);
    });

    it("leaves every tier alone when the manifest names the bad version again", async () => {
      const store = await markedStore();
      const record = parseRollbackRecord(store.text(ROLLBACK_RECORD_KEY)!)!;
      const state: FleetState = {
        environment: "live",
        readAt: AT.toISOString(),
        desiredVersion: "1.0.3",
        desiredArtifacts: { web: "releases/1.0.3/web.zip" },
        releaseStore: "bucket",
        rollback: record,
        groups: [],
      };
      const verifier = new DesiredStateVerifier(new MemoryFleet(state).checks);

      const marked = await verifier.verify(state, { minHealthy: 1, minHealthyPercent: 0 });
      const newer = await verifier.verify(
        { ...state, desiredVersion: "1.0.4" },
        { minHealthy: 1, minHealthyPercent: 0 },
      );

      assert.match(marked.verification.release ?? "", /^version 1\.0\.3 was rolled back automatically/);
      assert.equal(newer.verification.release, undefined);
    });
  });
});
