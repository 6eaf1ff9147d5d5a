// The names the contract checks once for every layer: an AWS region (the stack's, its recovery regions, the image
// pipeline's distribution regions) and an alert email address (the stack config and the Alerts component).
import * as assert from "node:assert/strict";
import {
  EMAIL_PATTERN,
  recordKeyVersion,
  REGION_PATTERN,
  releaseRecordKey,
  replicationRuleId,
  replicationRuleRegion,
} from "../../../runtime/contract";

describe("the contract's name checks", () => {
  it("take AWS region names, partitions and two-digit numbers included, and nothing else", () => {
    const taken = ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-10"].filter((r) => REGION_PATTERN.test(r));
    const refused = ["eu-west", "EU-WEST-1", "eu_west_1", "e-west-1", "eu-west-1a", ""].filter((r) =>
      REGION_PATTERN.test(r),
    );

    assert.deepEqual(taken, ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-10"]);
    assert.deepEqual(refused, []);
  });

  it("read back the region of a replication rule they named, and only of one", () => {
    assert.equal(replicationRuleRegion(replicationRuleId("ap-southeast-10")), "ap-southeast-10");
    assert.equal(replicationRuleRegion("releases-to-nowhere"), undefined);
    assert.equal(replicationRuleRegion("other-rule"), undefined);
  });

  it("take an email address an SNS subscription would, and refuse one without a domain or with a space", () => {
    assert.ok(EMAIL_PATTERN.test("ops@example.com"));
    assert.deepEqual(
      ["ops", "ops@example", "ops @example.com", "@example.com"].filter((e) => EMAIL_PATTERN.test(e)),
      [],
    );
  });

  it("read back the version of a release record's key, and of no other key", () => {
    assert.equal(recordKeyVersion(releaseRecordKey("1.0.274")), "1.0.274");
    assert.deepEqual(
      ["releases/current.json", "releases/1.0.274/web.zip", "releases//release.json", "other/1.0.274/release.json"].map(
        recordKeyVersion,
      ),
      [undefined, undefined, undefined, undefined],
    );
  });
});
