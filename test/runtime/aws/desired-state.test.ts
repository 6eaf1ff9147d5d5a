// The AWS side of verifying a desired state, against aws-sdk-client-mock: the bucket's environment tag (a bucket of
// another environment, or one nobody tagged, is foreign), HeadObject for an artifact, DescribeImages for an image's
// state here, and the published versions; a call AWS refuses is one FleetReadError line naming it.
import * as assert from "node:assert/strict";
import { DescribeImagesCommand } from "@aws-sdk/client-ec2";
import { GetBucketTaggingCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetParameterCommand, ParameterNotFound } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { createClients } from "../../../runtime/aws/clients";
import { AwsDesiredStateChecks } from "../../../runtime/aws/desired-state";
import { FleetReadError } from "../../../runtime/core/errors";

const TEST_CONFIG = { region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } };
const BUCKET = "phoenix-live-releases";

function error(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe("AWS desired-state checks", () => {
  const clients = createClients(TEST_CONFIG);
  const ec2 = mockClient(clients.ec2);
  const s3 = mockClient(clients.s3);
  const ssm = mockClient(clients.ssm);
  const checks = new AwsDesiredStateChecks(clients);

  beforeEach(() => {
    ec2.reset();
    s3.reset();
    ssm.reset();
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
  });
  after(() => {
    ec2.restore();
    s3.restore();
    ssm.restore();
  });

  describe("the release bucket", () => {
    it("is the environment's own when its phoenix:environment tag names the environment", async () => {
      s3.on(GetBucketTaggingCommand, { Bucket: BUCKET }).resolves({
        TagSet: [
          { Key: "managed-by", Value: "phoenix" },
          { Key: "phoenix:environment", Value: "live" },
        ],
      });

      assert.equal(await checks.storeProblem("live", BUCKET), undefined);
    });

    it("is another environment's when the tag names another, and the line says which bucket and parameter", async () => {
      s3.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: "phoenix:environment", Value: "test" }] });

      assert.equal(
        await checks.storeProblem("live", BUCKET),
        `release bucket ${BUCKET}, named by /phoenix/live/release-bucket, is not environment "live"'s: its tag ` +
          'phoenix:environment is "test"; point the parameter at the environment\'s own bucket (pulumi up rewrites it)',
      );
    });

    it("is a recovery stack's own when it recovers the environment the replica is tagged with", async () => {
      s3.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: "phoenix:environment", Value: "live" }] });
      ssm.on(GetParameterCommand, { Name: "/phoenix/live-dr/recovery-of" }).resolves({ Parameter: { Value: "live" } });
      ssm.on(GetParameterCommand, { Name: "/phoenix/test-dr/recovery-of" }).resolves({ Parameter: { Value: "test" } });

      assert.equal(await checks.storeProblem("live-dr", BUCKET), undefined);
      assert.match((await checks.storeProblem("test-dr", BUCKET)) ?? "", /its tag phoenix:environment is "live"/);
    });

    it("is foreign when it has no tags at all (S3's NoSuchTagSet)", async () => {
      s3.on(GetBucketTaggingCommand).rejects(error("NoSuchTagSet", "The TagSet does not exist", 404));

      assert.match((await checks.storeProblem("live", BUCKET)) ?? "", /its tag phoenix:environment is missing/);
    });

    it("fails the read in one line when the tags cannot be read", async () => {
      s3.on(GetBucketTaggingCommand).rejects(error("AccessDenied", "Access Denied", 403));

      await assert.rejects(
        checks.storeProblem("live", BUCKET),
        (err: Error) =>
          err instanceof FleetReadError &&
          /^GetBucketTagging \(is the release bucket this environment's\?\) failed for environment "live": AccessDenied: Access Denied$/.test(
            err.message,
          ),
      );
    });
  });

  describe("artifacts", () => {
    it("asks S3 for the object's head in the bucket named, and says whether it exists", async () => {
      s3.on(HeadObjectCommand, { Bucket: BUCKET, Key: "releases/1.0.274/web.zip" }).resolves({ ContentLength: 2 });
      s3.on(HeadObjectCommand, { Bucket: BUCKET, Key: "releases/1.0.999/web.zip" }).rejects(
        error("NotFound", "Not Found", 404),
      );

      assert.equal(await checks.artifactExists(BUCKET, "releases/1.0.274/web.zip"), true);
      assert.equal(await checks.artifactExists(BUCKET, "releases/1.0.999/web.zip"), false);
    });

    it("fails rather than reads a missing bucket as a missing artifact", async () => {
      s3.on(HeadObjectCommand).rejects(error("NoSuchBucket", "The specified bucket does not exist", 404));

      await assert.rejects(checks.artifactExists(BUCKET, "releases/1.0.274/web.zip"), /HeadObject .* NoSuchBucket/);
    });
  });

  describe("images", () => {
    it("answers the image's state as DescribeImages reports it in this region", async () => {
      ec2.on(DescribeImagesCommand, { ImageIds: ["ami-0a1b2c3d"] }).resolves({
        Images: [{ ImageId: "ami-0a1b2c3d", State: "available" }],
      });
      ec2.on(DescribeImagesCommand, { ImageIds: ["ami-0b2c3d4e"] }).resolves({
        Images: [{ ImageId: "ami-0b2c3d4e", State: "pending" }],
      });

      assert.equal(await checks.imageState("ami-0a1b2c3d"), "available");
      assert.equal(await checks.imageState("ami-0b2c3d4e"), "pending");
    });

    it("answers no state for an id EC2 does not know here", async () => {
      ec2
        .on(DescribeImagesCommand)
        .rejects(error("InvalidAMIID.NotFound", "The image id '[ami-0c3d4e5f]' does not exist"));

      assert.equal(await checks.imageState("ami-0c3d4e5f"), undefined);
    });

    it("fails the read in one line when EC2 refuses the call", async () => {
      ec2.on(DescribeImagesCommand).rejects(error("UnauthorizedOperation", "You are not authorized"));

      await assert.rejects(
        checks.imageState("ami-0c3d4e5f"),
        /^FleetReadError: DescribeImages ami-0c3d4e5f failed: UnauthorizedOperation: You are not authorized$/,
      );
    });
  });

  it("lists the published versions from the release records' keys, reading no record", async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: "releases/1.0.266/release.json" },
        { Key: "releases/1.0.266/web.zip" },
        { Key: "releases/1.0.274/release.json" },
        { Key: "releases/current.json" },
      ],
    });

    assert.deepEqual(await checks.publishedVersions(BUCKET), ["1.0.266", "1.0.274"]);
    const { Bucket, Prefix } = s3.commandCalls(ListObjectsV2Command)[0].args[0].input;
    assert.deepEqual({ Bucket, Prefix }, { Bucket: BUCKET, Prefix: "releases/" });
    assert.equal(s3.commandCalls(GetObjectCommand).length, 0);
  });
});
