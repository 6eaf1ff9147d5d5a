// The release store's replication, built directly: the role S3 replicates as may read the store's release versions
// and write replicas, nothing else; one rule per recovery region, releases/ only, delete markers kept home; a store
// that does not own its bucket refuses to replicate it.
import * as assert from "node:assert/strict";
import {
  REPLICATION_TRUST_POLICY,
  replicateReleaseStore,
  replicationPolicyDocument,
  replicationRules,
} from "../../components/release-replica";
import { ReleaseStore } from "../../components/release-store";
import { PulumiMocks, settle, setupMocks } from "../support/pulumi-mocks";

describe("the release store's replication", () => {
  it("lets S3 alone assume the replication role", () => {
    assert.deepEqual(JSON.parse(REPLICATION_TRUST_POLICY).Statement, [
      { Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });

  it("reads the store's releases/ versions and writes replicas of them, statement by statement, nothing broader", () => {
    const doc = replicationPolicyDocument({
      sourceBucketArn: "arn:aws:s3:::store",
      replicaBucketArns: ["arn:aws:s3:::replica-a", "arn:aws:s3:::replica-b"],
    });

    assert.deepEqual(doc.Statement, [
      {
        Sid: "ReadReplicationConfiguration",
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        Resource: "arn:aws:s3:::store",
      },
      {
        Sid: "ReadReleaseVersions",
        Effect: "Allow",
        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
        Resource: "arn:aws:s3:::store/releases/*",
      },
      {
        Sid: "WriteReplicas",
        Effect: "Allow",
        Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        Resource: ["arn:aws:s3:::replica-a/releases/*", "arn:aws:s3:::replica-b/releases/*"],
      },
    ]);
  });

  it("writes one rule per recovery region, in order, for releases/ only, keeping delete markers at home", () => {
    const rules = replicationRules([
      { region: "eu-central-1", bucketArn: "arn:aws:s3:::a" },
      { region: "eu-north-1", bucketArn: "arn:aws:s3:::b" },
    ]);

    assert.deepEqual(
      rules.map((r) => [r.id, r.priority, r.filter.prefix, r.deleteMarkerReplication.status, r.destination.bucket]),
      [
        ["releases-to-eu-central-1", 0, "releases/", "Disabled", "arn:aws:s3:::a"],
        ["releases-to-eu-north-1", 1, "releases/", "Disabled", "arn:aws:s3:::b"],
      ],
    );
  });

  describe("built on a store", () => {
    let mocks: PulumiMocks;
    before(async () => {
      mocks = await setupMocks("test");
    });

    it("creates nothing without recovery regions", async () => {
      const store = new ReleaseStore("none", { environment: "qa", noncurrentVersionExpirationDays: 7 });

      assert.deepEqual(
        replicateReleaseStore("none", store, { environment: "qa", regions: [], noncurrentVersionExpirationDays: 7 }),
        [],
      );
      await settle();
      assert.deepEqual(mocks.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig"), []);
    });

    it("refuses a store that serves from another environment's replica", () => {
      const store = new ReleaseStore("borrowed", {
        environment: "qa-dr",
        noncurrentVersionExpirationDays: 7,
        recovery: { recoverFrom: "qa", bucketName: "qa-releases-eu-central-1-bucket" },
      });

      assert.throws(
        () =>
          replicateReleaseStore("borrowed", store, {
            environment: "qa-dr",
            regions: ["eu-north-1"],
            noncurrentVersionExpirationDays: 7,
          }),
        /a release store that does not own its bucket cannot replicate it/,
      );
    });
  });
});
