// Buckets built directly: a private bucket's lifecycle and policy as its args shape them, and the release store's
// parameter naming its bucket.
import * as assert from "node:assert/strict";
import { PrivateBucket, ReleaseStore } from "../../components/release-store";
import { PulumiMocks, RecordedResource, settle, setupMocks, unwrap } from "../support/pulumi-mocks";

describe("private buckets and the release store", () => {
  let mocks: PulumiMocks;
  let store: ReleaseStore;
  const of = (type: string, name: string): RecordedResource => mocks.one(type, name);

  before(async () => {
    mocks = await setupMocks("test");
    new PrivateBucket("plain", { noncurrentVersionExpirationDays: 3 });
    new PrivateBucket("logs", {
      noncurrentVersionExpirationDays: 1,
      currentVersionExpirationDays: 30,
      forceDestroy: true,
      statements: (arn) => [
        {
          Sid: "Delivery",
          Effect: "Allow",
          Principal: { Service: "x.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: arn,
        },
      ],
    });
    store = new ReleaseStore("rs", { environment: "qa", noncurrentVersionExpirationDays: 14 });
    await settle();
  });

  it("keeps current objects and removes only expired delete markers, unless told to expire them", () => {
    const plain = of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "plain-lifecycle").inputs;
    const logs = of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "logs-lifecycle").inputs;

    assert.deepEqual(plain.rules[0].expiration, { expiredObjectDeleteMarker: true });
    assert.equal(plain.rules[0].noncurrentVersionExpiration.noncurrentDays, 3);
    assert.deepEqual(logs.rules[0].expiration, { days: 30 });
    assert.deepEqual(logs.rules[0].abortIncompleteMultipartUpload, { daysAfterInitiation: 7 });
  });

  it("refuses to delete a non-empty bucket unless told to", () => {
    assert.equal(of("aws:s3/bucket:Bucket", "plain").inputs.forceDestroy, false);
    assert.equal(of("aws:s3/bucket:Bucket", "logs").inputs.forceDestroy, true);
  });

  it("puts the TLS-only denial first and the caller's statements after it", () => {
    const policy = JSON.parse(of("aws:s3/bucketPolicy:BucketPolicy", "logs-policy").inputs.policy);

    assert.deepEqual(
      policy.Statement.map((s: { Sid: string }) => s.Sid),
      ["DenyInsecureTransport", "Delivery"],
    );
    assert.equal(policy.Statement[1].Resource, of("aws:s3/bucket:Bucket", "logs").state.arn);
  });

  it("publishes the release bucket's name at /phoenix/<env>/release-bucket", async () => {
    const parameter = of("aws:ssm/parameter:Parameter", "rs-parameter").inputs;

    assert.equal(await unwrap(store.parameterName), "/phoenix/qa/release-bucket");
    assert.equal(parameter.value, await unwrap(store.bucketName));
    assert.equal(
      of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "rs-bucket-lifecycle").inputs.rules[0]
        .noncurrentVersionExpiration.noncurrentDays,
      14,
    );
  });
});
