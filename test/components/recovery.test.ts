// A recovery stack (live-dr in eu-central-1, recoverFrom: live), the whole program under mocks: it serves from live's
// replica there, seeds its own image pipeline with live's copied image, says whom it recovers, and refuses to start,
// naming the key and the region, when the region holds no replica.
import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { lookUpRecoverySource } from "../../components/recovery";
import { loadProgram, MOCK_ACCOUNT_ID, Props, PulumiMocks, settle, setupMocks, unwrap } from "../support/pulumi-mocks";

type Program = typeof import("../..");

const REPLICA = "live-releases-eu-central-1-bucket-0a1b2c3";
const COPIED_IMAGE = "ami-0ccc3333dddd44440";
const RECOVERY = {
  "aws:region": "eu-central-1",
  "phoenix:recoverFrom": "live",
  "phoenix:recoveryRegions": "[]",
};

/** SSM in eu-central-1 as a recovery finds it: `present` parameters answer, every other one is ParameterNotFound. */
function ssmHolding(present: Record<string, string>) {
  return {
    "aws:ssm/getParameter:getParameter": (inputs: Props) => {
      const value = present[inputs.name as string];
      if (value === undefined) throw new Error(`ParameterNotFound: ${inputs.name as string}`);
      return { id: inputs.name, name: inputs.name, type: "String", value, insecureValue: value, version: 1 };
    },
  };
}

describe("a recovery stack built from its region's replica and copied image", () => {
  let mocks: PulumiMocks;
  let program: Program;

  before(async () => {
    mocks = await setupMocks("live-dr", {
      configFrom: "live",
      config: RECOVERY,
      calls: ssmHolding({
        "/phoenix/live/release-replica": REPLICA,
        "/phoenix/live/base-image": COPIED_IMAGE,
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64": "ami-0public000000000",
      }),
    });
    program = loadProgram<Program>();
    await settle();
  });

  it("creates no release bucket of its own and names live's replica as its release bucket", async () => {
    const buckets = mocks.ofType("aws:s3/bucket:Bucket").map((b) => b.name);
    const parameter = mocks.one("aws:ssm/parameter:Parameter", "live-dr-releases-parameter").inputs;

    assert.deepEqual(buckets, ["live-dr-access-logs"]);
    assert.equal(parameter.name, "/phoenix/live-dr/release-bucket");
    assert.equal(parameter.value, REPLICA);
    assert.equal(await unwrap(program.releaseBucketName), REPLICA);
    assert.deepEqual(mocks.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig"), []);
  });

  it("says which environment it recovers, at /phoenix/live-dr/recovery-of", () => {
    const parameter = mocks.one("aws:ssm/parameter:Parameter", "live-dr-releases-recovery-of").inputs;

    assert.deepEqual([parameter.name, parameter.value], ["/phoenix/live-dr/recovery-of", "live"]);
  });

  it("runs its own image pipeline, seeded with live's image copied to this region, and holds instances to it", () => {
    const seed = mocks.one("aws:ssm/parameter:Parameter", "live-dr-image-base-image").inputs;

    assert.deepEqual([seed.name, seed.value], ["/phoenix/live-dr/base-image", COPIED_IMAGE]);
    for (const lt of mocks.ofType("aws:ec2/launchTemplate:LaunchTemplate")) {
      assert.equal(lt.inputs.imageId, "resolve:ssm:/phoenix/live-dr/base-image");
    }
  });

  it("boots instances and points the rollout Lambda at the replica", () => {
    const replicaArn = `arn:aws:s3:::${REPLICA}`;
    const lambda = mocks.one("aws:lambda/function:Function").inputs;
    const instancePolicy = JSON.parse(mocks.one("aws:iam/rolePolicy:RolePolicy", "live-dr-web-policy").inputs.policy);
    const script = Buffer.from(
      mocks.one("aws:ec2/launchTemplate:LaunchTemplate", "live-dr-web-lt").inputs.userData,
      "base64",
    ).toString("utf8");

    assert.equal(lambda.environment.variables.PHOENIX_RELEASE_BUCKET, REPLICA);
    assert.match(script, new RegExp(`^readonly BUCKET="${REPLICA}"$`, "m"));
    assert.ok(instancePolicy.Statement.some((s: { Resource: unknown }) => [s.Resource].flat().includes(replicaArn)));
    assert.equal(
      mocks.one("aws:s3/bucketNotification:BucketNotification").inputs.bucket,
      REPLICA,
      "a release published to the replica triggers the recovery's rollout",
    );
  });

  it("reads both parameters through the stack's own provider, in eu-central-1", () => {
    const reads = mocks.calls.filter((c) => c.token === "aws:ssm/getParameter:getParameter").map((c) => c.inputs.name);

    assert.ok(reads.includes("/phoenix/live/release-replica"));
    assert.ok(reads.includes("/phoenix/live/base-image"));
    assert.equal(mocks.one("pulumi:providers:aws", "live-dr-aws").inputs.region, "eu-central-1");
    assert.equal(MOCK_ACCOUNT_ID.length, 12);
  });
});

describe("looking up a recovery's sources", () => {
  let provider: aws.Provider;
  let recorded: PulumiMocks | undefined;
  const mocks = () => recorded!;
  const lookUp = async (present: Record<string, string>) => {
    recorded = await setupMocks("live-dr", { configFrom: "live", config: RECOVERY, calls: ssmHolding(present) });
    provider = new aws.Provider("live-dr-aws", { region: "eu-central-1" });
    return lookUpRecoverySource("live", "eu-central-1", provider);
  };

  it("refuses a region without live's replica, naming the key and the region, before creating anything", async () => {
    const failure = await lookUp({ "/phoenix/live/base-image": COPIED_IMAGE }).then(
      () => assert.fail("expected the lookup to refuse"),
      (error: unknown) => error,
    );

    assert.ok(failure instanceof pulumi.RunError, String(failure));
    assert.match(
      failure.message,
      /^phoenix:recoverFrom = "live": eu-central-1 holds no replica of live's release store \(SSM parameter \/phoenix\/live\/release-replica in eu-central-1: [^)]+\)\. live's stack creates it when eu-central-1 is in its recoveryRegions/,
    );
    assert.match(failure.message, /add it there and run `pulumi up --stack live`/);
    assert.deepEqual(
      mocks()
        .resources.filter((r) => r.type !== "pulumi:providers:aws")
        .map((r) => r.name),
      [],
      "nothing but the provider it reads through",
    );
  });

  it("falls back to the public image, with a warning, when the region has no copy of live's image", async () => {
    const source = await lookUp({ "/phoenix/live/release-replica": REPLICA });

    assert.equal(source.releaseBucketName, REPLICA);
    assert.equal(source.baseImageId, undefined);
    assert.match(
      source.warnings[0],
      /eu-central-1 holds no copy of live's base image .* starts from AWS's public image/,
    );
  });
});
