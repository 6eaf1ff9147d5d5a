// `promote` over two S3 release buckets through the real S3ObjectStore and S3ServerSideCopy, the SDK mocked with
// aws-sdk-client-mock and answering like S3 (emulateBuckets): which calls reach S3 on the way through the gate, the
// copy, the checksum verification and the publish, and which never do when a promotion is refused.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CopyObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { S3ServerSideCopy } from "../../../runtime/aws/s3-copy";
import { S3ObjectStore } from "../../../runtime/aws/s3-object-store";
import { MANIFEST_KEY } from "../../../runtime/contract";
import { PreconditionFailedError } from "../../../runtime/core/errors";
import { parseManifest } from "../../../runtime/core/manifest";
import { FleetState } from "../../../runtime/core/types";
import { recordConvergence } from "../../../runtime/ops/convergence";
import { promote, PromoteDeps, PromotionRefusedError } from "../../../runtime/ops/promote";
import { ChecksumMismatchError, publishRelease } from "../../../runtime/ops/releases";
import { emulateBuckets, MemoryFleet, MemoryObjectStore, zipBytes } from "../../support/memory-store";

const TEST_BUCKET = "phoenix-test-releases";
const LIVE_BUCKET = "phoenix-live-releases";
const CONFIG = { region: "eu-west-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } };

function fleet(env: string): FleetState {
  const tg = `arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/${env}-web/1`;
  return {
    environment: env,
    readAt: "2026-01-01T09:00:00.000Z",
    groups: [
      {
        name: `${env}-web`,
        tier: "web",
        desiredCapacity: 1,
        minSize: 1,
        maxSize: 2,
        port: 80,
        targetGroupArns: [tg],
        tags: {},
        instances: [
          {
            id: `${env}-web-0`,
            lifecycleState: "InService",
            asgHealth: "Healthy",
            lbHealth: { [tg]: "healthy" },
            launchTime: "2026-01-01T08:00:00.000Z",
          },
        ],
      },
    ],
  };
}

describe("promote between two S3 release buckets", () => {
  const client = new S3Client(CONFIG);
  const s3 = mockClient(client);
  let buckets: Record<string, MemoryObjectStore>;
  let corrupt: boolean;
  let dir: string;
  const test = () => new S3ObjectStore(client, TEST_BUCKET);
  const live = () => new S3ObjectStore(client, LIVE_BUCKET);

  function deps(serverSide = true): PromoteDeps {
    return {
      source: { environment: "test", store: test(), fleet: new MemoryFleet(fleet("test")) },
      target: { environment: "live", store: live(), fleet: new MemoryFleet(fleet("live")) },
      ...(serverSide && { serverSideCopy: new S3ServerSideCopy(client, TEST_BUCKET, LIVE_BUCKET) }),
      caller: () => Promise.resolve("arn:aws:iam::123456789012:user/ci"),
    };
  }
  const request = { soakMinutes: 30, now: () => new Date("2026-01-01T10:00:00.000Z") };

  async function release(store: S3ObjectStore, version: string) {
    const file = path.join(dir, `web-${version}.zip`);
    fs.writeFileSync(file, zipBytes(`web ${version}`));
    await publishRelease(store, { version, artifacts: { web: file }, tiers: ["web"], now: () => new Date() });
  }

  async function soaked(minutes: number) {
    const snapshot = (at: string) => ({
      ...fleet("test"),
      readAt: at,
      desiredVersion: "1.0.274",
      groups: fleet("test").groups.map((g) => ({
        ...g,
        instances: g.instances.map((i) => ({ ...i, probe: { ok: true as const, version: "1.0.274" } })),
      })),
    });
    const start = Date.parse("2026-01-01T09:00:00.000Z");
    for (const at of [start, start + minutes * 60_000].map((t) => new Date(t).toISOString())) {
      await recordConvergence(test(), snapshot(at), at);
    }
  }

  /** Every write that reached the live bucket. */
  const liveWrites = () =>
    [
      ...s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input),
      ...s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input),
    ]
      .filter((input) => input.Bucket === LIVE_BUCKET)
      .map((input) => input.Key);

  beforeEach(async () => {
    s3.reset();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-s3-promote-"));
    buckets = { [TEST_BUCKET]: new MemoryObjectStore(), [LIVE_BUCKET]: new MemoryObjectStore() };
    corrupt = false;
    emulateBuckets(
      s3,
      (name) => buckets[name],
      (body) => (corrupt ? Buffer.concat([body, Buffer.from("!")]) : body),
    );
    await release(test(), "1.0.266");
    await release(live(), "1.0.266");
    await release(test(), "1.0.274");
    s3.resetHistory();
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  after(() => s3.restore());

  it("copies server-side with If-None-Match and a SHA-256 for S3 to compute, then writes the record and manifest", async () => {
    await soaked(35);
    s3.resetHistory();

    const result = await promote(deps(), request);

    assert.equal(result.status, "published");
    assert.deepEqual(
      s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input),
      [
        {
          Bucket: LIVE_BUCKET,
          Key: "releases/1.0.274/web.zip",
          CopySource: `${TEST_BUCKET}/releases/1.0.274/web.zip`,
          IfNoneMatch: "*",
          ChecksumAlgorithm: "SHA256",
        },
      ],
    );
    assert.deepEqual(
      s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key),
      ["releases/1.0.274/release.json", MANIFEST_KEY],
    );
    assert.equal(parseManifest(buckets[LIVE_BUCKET].text(MANIFEST_KEY)!).version, "1.0.274");
  });

  it("sends no write to the live bucket when the gate refuses (before the soak)", async () => {
    await soaked(10);
    s3.resetHistory();

    await assert.rejects(promote(deps(), request), PromotionRefusedError);
    assert.deepEqual(liveWrites(), []);
  });

  it("catches a copy S3 stored with other bytes, and never writes the record or the manifest", async () => {
    await soaked(35);
    corrupt = true;

    await assert.rejects(
      promote(deps(), request),
      (err: Error) =>
        err instanceof ChecksumMismatchError &&
        /^releases\/1\.0\.274\/web\.zip was stored with sha256 \S+, not the \S+ of test's releases\/1\.0\.274\/web\.zip; releases\/current\.json was not changed/.test(
          err.message,
        ),
    );
    assert.deepEqual(liveWrites(), ["releases/1.0.274/web.zip"]);
    assert.equal(parseManifest(buckets[LIVE_BUCKET].text(MANIFEST_KEY)!).version, "1.0.266");
  });

  it("downloads, verifies and uploads when no identity reaches both buckets; repeated, it writes nothing", async () => {
    await soaked(35);
    s3.resetHistory();

    await promote(deps(false), request);
    const first = liveWrites();
    s3.resetHistory();
    const again = await promote(deps(false), request);

    assert.deepEqual(first, ["releases/1.0.274/web.zip", "releases/1.0.274/release.json", MANIFEST_KEY]);
    assert.equal(s3.commandCalls(CopyObjectCommand).length, 0);
    assert.equal(again.status, "unchanged");
    assert.deepEqual(liveWrites(), []);
  });

  it("fails as AWS does when the source bucket cannot be read, naming the side and S3's error", async () => {
    delete buckets[TEST_BUCKET];

    await assert.rejects(promote(deps(), request), /^Error: --from test: cannot read its release store: /);
    assert.deepEqual(liveWrites(), []);
  });

  describe("S3ServerSideCopy", () => {
    it("says a target key that exists already as a lost condition, which the publish path checks", async () => {
      s3.on(CopyObjectCommand).rejects(
        Object.assign(new Error("At least one of the pre-conditions you specified did not hold"), {
          name: "PreconditionFailed",
          $metadata: { httpStatusCode: 412 },
        }),
      );

      await assert.rejects(
        new S3ServerSideCopy(client, TEST_BUCKET, LIVE_BUCKET).copy(
          "releases/1.0.274/web.zip",
          "releases/1.0.274/web.zip",
        ),
        PreconditionFailedError,
      );
    });

    it("names both objects and S3's error when the copy is denied", async () => {
      s3.on(CopyObjectCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));

      await assert.rejects(
        new S3ServerSideCopy(client, TEST_BUCKET, LIVE_BUCKET).copy(
          "releases/1.0.274/web.zip",
          "releases/1.0.274/web.zip",
        ),
        {
          message:
            `cannot copy s3://${TEST_BUCKET}/releases/1.0.274/web.zip to s3://${LIVE_BUCKET}/releases/1.0.274/web.zip: ` +
            "AccessDenied: Access Denied",
        },
      );
    });

    it("says which setting is missing when there are no credentials, as every other S3 failure does", async () => {
      s3.on(CopyObjectCommand).rejects(
        Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }),
      );

      await assert.rejects(
        new S3ServerSideCopy(client, TEST_BUCKET, LIVE_BUCKET).copy(
          "releases/1.0.274/web.zip",
          "releases/1.0.274/web.zip",
        ),
        /web\.zip: no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/,
      );
    });
  });
});
