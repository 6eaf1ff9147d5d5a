// The release bucket over S3: what each ObjectStore call sends (conditions, checksums), how S3's answers map back,
// and — through the SDK's real serializer on a fake transport — which headers actually reach S3.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { S3ObjectStore } from "../../../runtime/aws/s3-object-store";
import { PreconditionFailedError } from "../../../runtime/core/errors";
import { FakeAws } from "../../support/fake-aws";

const BUCKET = "phoenix-live-releases";
const TEST_CONFIG = { region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } };

function sha256(body: Buffer): string {
  return createHash("sha256").update(body).digest("base64");
}

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from S3`), { name, $metadata: { httpStatusCode: status } });
}

describe("S3 object store", () => {
  const client = new S3Client(TEST_CONFIG);
  const s3 = mockClient(client);
  const store = new S3ObjectStore(client, BUCKET);

  beforeEach(() => {
    s3.reset();
  });

  after(() => {
    s3.restore();
  });

  describe("get", () => {
    it("returns the object's bytes and entity tag", async () => {
      s3.on(GetObjectCommand, { Bucket: BUCKET, Key: "releases/current.json" }).resolves({
        Body: { transformToByteArray: () => Promise.resolve(new Uint8Array(Buffer.from("{}"))) } as never,
        ETag: '"etag-1"',
      });

      const object = await store.get("releases/current.json");

      assert.deepEqual(object, { body: Buffer.from("{}"), etag: '"etag-1"' });
    });

    it("returns undefined for a key that does not exist", async () => {
      s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }));

      assert.equal(await store.get("releases/current.json"), undefined);
    });

    it("fails when the bucket itself does not exist, rather than reading it as an absent key", async () => {
      s3.on(GetObjectCommand).rejects(
        new NoSuchBucket({ message: "The specified bucket does not exist", $metadata: {} }),
      );

      await assert.rejects(store.get("releases/current.json"), (err: Error) => {
        assert.equal(
          err.message,
          `cannot read s3://${BUCKET}/releases/current.json: NoSuchBucket: The specified bucket does not exist`,
        );
        assert.equal((err.cause as Error).name, "NoSuchBucket");
        return true;
      });
    });
  });

  describe("put", () => {
    it("sends the body with the caller's SHA-256 for S3 to verify and a create-only condition", async () => {
      const body = Buffer.from("zip bytes");
      s3.on(PutObjectCommand).resolves({ ETag: '"etag-2"' });

      const result = await store.put("releases/1.0.274/web.zip", body, {
        ifNoneMatch: "*",
        sha256: sha256(body),
        contentType: "application/zip",
      });

      assert.deepEqual(result, { etag: '"etag-2"' });
      assert.deepEqual(s3.commandCalls(PutObjectCommand)[0].args[0].input, {
        Bucket: BUCKET,
        Key: "releases/1.0.274/web.zip",
        Body: body,
        IfNoneMatch: "*",
        ChecksumSHA256: sha256(body),
        ContentType: "application/zip",
      });
    });

    it("writes conditionally on the entity tag the caller read", async () => {
      s3.on(PutObjectCommand).resolves({ ETag: '"etag-3"' });

      await store.put("releases/current.json", Buffer.from("{}"), { ifMatch: '"etag-1"' });

      assert.deepEqual(s3.commandCalls(PutObjectCommand)[0].args[0].input, {
        Bucket: BUCKET,
        Key: "releases/current.json",
        Body: Buffer.from("{}"),
        IfMatch: '"etag-1"',
      });
    });

    for (const [name, status] of [
      ["PreconditionFailed", 412],
      ["ConditionalRequestConflict", 409],
    ] as const) {
      it(`turns ${name} (${status}) into PreconditionFailedError telling the caller to re-read`, async () => {
        s3.on(PutObjectCommand).rejects(s3Error(name, status));

        await assert.rejects(store.put("releases/current.json", Buffer.from("{}"), { ifMatch: '"etag-1"' }), (err) => {
          assert.ok(err instanceof PreconditionFailedError);
          assert.match(
            err.message,
            /s3:\/\/phoenix-live-releases\/releases\/current.json was not written.*read it again/,
          );
          return true;
        });
      });
    }

    it("passes a checksum mismatch through unchanged: it is not a lost race", async () => {
      s3.on(PutObjectCommand).rejects(s3Error("BadDigest", 400));

      await assert.rejects(
        store.put("releases/1.0.274/web.zip", Buffer.from("x"), { sha256: "AAAA" }),
        (err: Error) => {
          assert.ok(!(err instanceof PreconditionFailedError));
          assert.equal(
            err.message,
            `cannot write s3://${BUCKET}/releases/1.0.274/web.zip: BadDigest: BadDigest from S3`,
          );
          return true;
        },
      );
    });
  });

  describe("head", () => {
    it("asks for the stored checksum and returns entity tag, size and SHA-256", async () => {
      s3.on(HeadObjectCommand).resolves({ ETag: '"etag-4"', ContentLength: 9, ChecksumSHA256: "c2hh" });

      const meta = await store.head("releases/1.0.274/web.zip");

      assert.deepEqual(meta, { etag: '"etag-4"', size: 9, sha256: "c2hh" });
      assert.deepEqual(s3.commandCalls(HeadObjectCommand)[0].args[0].input, {
        Bucket: BUCKET,
        Key: "releases/1.0.274/web.zip",
        ChecksumMode: "ENABLED",
      });
    });

    it("leaves out sha256 when S3 recorded none", async () => {
      s3.on(HeadObjectCommand).resolves({ ETag: '"etag-5"', ContentLength: 2 });

      assert.deepEqual(await store.head("releases/current.json"), { etag: '"etag-5"', size: 2 });
    });

    it("returns undefined for a key that does not exist", async () => {
      s3.on(HeadObjectCommand).rejects(new NotFound({ message: "Not Found", $metadata: { httpStatusCode: 404 } }));

      assert.equal(await store.head("releases/9.9.9/web.zip"), undefined);
    });
  });

  describe("list", () => {
    it("follows every page and returns the keys in lexical order", async () => {
      const sent: object[] = [];
      s3.on(ListObjectsV2Command).callsFake((input: { ContinuationToken?: string }) => {
        sent.push({ ...input });
        return input.ContinuationToken === "next"
          ? { Contents: [{ Key: "releases/1.0.10/web.zip" }], IsTruncated: false }
          : { Contents: [{ Key: "releases/1.0.9/web.zip" }], IsTruncated: true, NextContinuationToken: "next" };
      });

      const keys = await store.list("releases/");

      assert.deepEqual(keys, ["releases/1.0.10/web.zip", "releases/1.0.9/web.zip"]);
      assert.deepEqual(sent, [
        { Bucket: BUCKET, Prefix: "releases/", MaxKeys: 1000, ContinuationToken: undefined },
        { Bucket: BUCKET, Prefix: "releases/", MaxKeys: 1000, ContinuationToken: "next" },
      ]);
    });

    it("says what it could not list and why in one line, not the SDK's bare text", async () => {
      s3.on(ListObjectsV2Command).rejects(s3Error("AccessDenied", 403));

      await assert.rejects(store.list("releases/"), {
        message: `cannot list s3://${BUCKET}/releases/: AccessDenied: AccessDenied from S3`,
      });
    });

    it("names the missing region as a setting, not as the SDK's 'Region is missing'", async () => {
      s3.on(ListObjectsV2Command).rejects(new Error("Region is missing"));

      await assert.rejects(store.list("releases/"), {
        message: `cannot list s3://${BUCKET}/releases/: no AWS region configured: set AWS_REGION (or a region in your AWS_PROFILE)`,
      });
    });
  });
});

describe("S3 object store on the wire", () => {
  /** A transport that records each request and answers with the given status, headers and XML body. */
  function transport(status: number, headers: Record<string, string>, body = "") {
    const requests: { method: string; headers: Record<string, string> }[] = [];
    const requestHandler = {
      handle: (request: { method: string; headers: Record<string, string> }) => {
        requests.push({ method: request.method, headers: { ...request.headers } });
        return Promise.resolve({
          response: {
            statusCode: status,
            headers: { "content-type": "application/xml", ...headers },
            body: Buffer.from(body),
          },
        });
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
    };
    return { requests, client: new S3Client({ ...TEST_CONFIG, requestHandler: requestHandler as never }) };
  }

  it("sends the caller's SHA-256 as the only checksum, with the condition header", async () => {
    const body = Buffer.from("zip bytes");
    const { requests, client } = transport(200, { etag: '"etag-6"' });

    const result = await new S3ObjectStore(client, BUCKET).put("releases/1.0.274/web.zip", body, {
      ifNoneMatch: "*",
      sha256: sha256(body),
    });

    assert.deepEqual(result, { etag: '"etag-6"' });
    const headers = requests[0].headers;
    assert.equal(headers["x-amz-checksum-sha256"], sha256(body));
    assert.equal(headers["if-none-match"], "*");
    assert.deepEqual(
      Object.keys(headers).filter((h) => h.startsWith("x-amz-checksum-")),
      ["x-amz-checksum-sha256"],
    );
  });

  it("reads S3's 412 answer as a lost race", async () => {
    const { client } = transport(
      412,
      {},
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
        "<Message>At least one of the pre-conditions you specified did not hold</Message>" +
        "<Condition>If-Match</Condition><RequestId>r1</RequestId></Error>",
    );

    await assert.rejects(
      new S3ObjectStore(client, BUCKET).put("releases/current.json", Buffer.from("{}"), { ifMatch: '"etag-1"' }),
      PreconditionFailedError,
    );
  });
});

describe("S3 object store over HTTP", () => {
  it("reports when an object was written and when S3 answered, both by S3's clock", async () => {
    const aws = await FakeAws.start("127.66.0.1", { parameters: {}, objects: {}, groups: [] });
    try {
      const client = new S3Client({ ...TEST_CONFIG, endpoint: aws.url, forcePathStyle: true });
      const store = new S3ObjectStore(client, BUCKET);
      const before = Date.now();

      await store.put("leases/sweep.json", Buffer.from("{}"), { ifNoneMatch: "*" });
      const got = await store.get("leases/sweep.json");

      // HTTP dates are whole seconds.
      const second = (ms: number) => Math.floor(ms / 1000) * 1000;
      assert.ok(got?.lastModified !== undefined && got.readAt !== undefined, JSON.stringify(got));
      assert.ok(Date.parse(got.lastModified) >= second(before));
      assert.ok(Date.parse(got.readAt) >= Date.parse(got.lastModified));
      assert.ok(Date.parse(got.readAt) <= Date.now());
      await assert.rejects(
        store.put("leases/sweep.json", Buffer.from("{}"), { ifNoneMatch: "*" }),
        PreconditionFailedError,
      );
    } finally {
      await aws.close();
    }
  });
});
