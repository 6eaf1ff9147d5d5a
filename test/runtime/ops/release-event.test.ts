import * as assert from "node:assert/strict";
import {
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { GetParameterCommand, ParameterNotFound } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { createClients } from "../../../runtime/aws/clients";
import { AwsFleet } from "../../../runtime/aws/fleet";
import { S3ObjectStore } from "../../../runtime/aws/s3-object-store";
import { ContractError } from "../../../runtime/core/errors";
import { decodeS3Key, handleReleaseEvent, S3NotificationEvent } from "../../../runtime/ops/release-event";
import { DEFAULT_POLICY, GroupState, InstanceState, Policy } from "../../../runtime/core/types";
import { Loopback } from "../../support/loopback";
import { emulateS3, MemoryFleet, MemoryObjectStore, seedRelease } from "../../support/memory-store";
import { MANIFEST_KEY } from "../../../runtime/contract";

const loopback = new Loopback("127.31");

/** An instance whose /version is served for real on its own loopback address; no version: nothing listens. */
async function instance(id: string, version: string | undefined, launchTime: string): Promise<InstanceState> {
  const ip = version === undefined ? loopback.address() : (await loopback.serve({ kind: "answer", body: version })).ip;
  return { id, lifecycleState: "InService", asgHealth: "Healthy", lbHealth: {}, launchTime, privateIp: ip };
}

function group(name: string, tier: string, instances: InstanceState[]): GroupState {
  return {
    name,
    tier,
    desiredCapacity: instances.length,
    minSize: 1,
    maxSize: 10,
    port: loopback.port,
    targetGroupArns: [],
    tags: { "phoenix:environment": "test", "phoenix:tier": tier },
    instances,
  };
}

function s3Event(key: string, eventName = "ObjectCreated:Put"): S3NotificationEvent {
  return { Records: [{ eventName, s3: { bucket: { name: "test-releases" }, object: { key } } }] };
}

describe("the release handler", () => {
  let store: MemoryObjectStore;
  let fleet: MemoryFleet;
  let logs: string[];

  function run(event: S3NotificationEvent, policy: Policy = DEFAULT_POLICY) {
    return handleReleaseEvent(event, {
      fleet,
      store,
      environment: "test",
      policy,
      probe: { timeoutMs: 1000 },
      log: (line) => logs.push(line),
    });
  }

  /** web: three instances on 1.0.1 (w-old launched first); api: two on 1.0.1 (a-old first). */
  async function fleetOnOldVersion(): Promise<MemoryFleet> {
    return new MemoryFleet({
      environment: "test",
      readAt: "2026-11-26T03:01:00.000Z",
      groups: [
        group("test-web", "web", [
          await instance("i-web-new", "1.0.1", "2026-11-20T00:00:00Z"),
          await instance("i-web-old", "1.0.1", "2026-11-01T00:00:00Z"),
          await instance("i-web-mid", "1.0.1", "2026-11-10T00:00:00Z"),
        ]),
        group("test-api", "api", [
          await instance("i-api-new", "1.0.1", "2026-11-20T00:00:00Z"),
          await instance("i-api-old", "1.0.1", "2026-11-02T00:00:00Z"),
        ]),
      ],
    });
  }

  beforeEach(async () => {
    store = new MemoryObjectStore();
    fleet = await fleetOnOldVersion();
    logs = [];
  });

  after(() => loopback.close());

  it("terminates exactly the oldest stale instance in each tier when current.json is written", async () => {
    seedRelease(store, "1.0.2");

    const result = await run(s3Event(MANIFEST_KEY));

    assert.deepEqual(result.acted, [
      { group: "test-api", instanceId: "i-api-old" },
      { group: "test-web", instanceId: "i-web-old" },
    ]);
    assert.deepEqual(fleet.terminated, result.acted);
  });

  for (const key of ["releases/1.0.2/web.zip", "releases/1.0.2/release.json", "releases/current.json.tmp"]) {
    it(`ignores an event for ${key}`, async () => {
      seedRelease(store, "1.0.2");

      const result = await run(s3Event(key));

      assert.match(result.ignored ?? "", /no ObjectCreated event for releases\/current\.json/);
      assert.deepEqual(result.acted, []);
      assert.equal(fleet.reads, 0);
    });
  }

  it("ignores the deletion of current.json", async () => {
    const result = await run(s3Event(MANIFEST_KEY, "ObjectRemoved:Delete"));

    assert.ok(result.ignored);
    assert.equal(fleet.reads, 0);
  });

  it("ignores S3's test event, which has no records", async () => {
    const result = await run({ Service: "Amazon S3", Event: "s3:TestEvent" } as S3NotificationEvent);

    assert.match(result.ignored ?? "", /no S3 records/);
  });

  it("decodes keys the way S3 encodes them", () => {
    assert.equal(decodeS3Key("releases/1.0.2%2Bbuild.7/web+app.zip"), "releases/1.0.2+build.7/web app.zip");
  });

  it("does not terminate a second instance when the same event is delivered twice", async () => {
    seedRelease(store, "1.0.2");
    await run(s3Event(MANIFEST_KEY));

    const replay = await run(s3Event(MANIFEST_KEY));

    assert.deepEqual(replay.acted, []);
    assert.equal(fleet.terminated.length, 2);
  });

  it("does not terminate again once a replacement runs the release, even in a settled group", async () => {
    seedRelease(store, "1.0.2");
    await run(s3Event(MANIFEST_KEY));
    // The Auto Scaling groups replaced both instances, and the replacements are healthy on 1.0.2.
    fleet.state.groups[0].instances.push(await instance("i-web-repl", "1.0.2", "2026-11-26T03:05:00Z"));
    fleet.state.groups[1].instances.push(await instance("i-api-repl", "1.0.2", "2026-11-26T03:05:00Z"));

    const replay = await run(s3Event(MANIFEST_KEY));

    assert.deepEqual(replay.acted, []);
    assert.match(replay.skipped?.[0].why ?? "", /i-api-repl already runs 1\.0\.2/);
    assert.equal(fleet.terminated.length, 2);
  });

  it("leaves an unstable group alone and still acts on the stable one", async () => {
    seedRelease(store, "1.0.2");
    fleet.state.groups[1].instances[0] = await instance("i-api-new", undefined, "2026-11-20T00:00:00Z");

    const result = await run(s3Event(MANIFEST_KEY));

    assert.deepEqual(result.acted, [{ group: "test-web", instanceId: "i-web-old" }]);
    assert.match(result.skipped?.[0].why ?? "", /unstable: i-api-new answered no version/);
  });

  it("never takes a group to its floor", async () => {
    seedRelease(store, "1.0.2");

    const result = await run(s3Event(MANIFEST_KEY), { minHealthy: 2, minHealthyPercent: 0 });

    assert.deepEqual(result.acted, [{ group: "test-web", instanceId: "i-web-old" }]);
  });

  it("terminates one per tier even when the policy allows more per sweep", async () => {
    seedRelease(store, "1.0.2");

    const result = await run(s3Event(MANIFEST_KEY), {
      minHealthy: 0,
      minHealthyPercent: 0,
      maxPerSweep: 5,
      tiers: { web: { maxPerSweep: 3 } },
    });

    assert.equal(result.acted.length, 2);
  });

  it("logs the snapshot and plan as sweep records so `phoenix explain` can replay the decision", async () => {
    seedRelease(store, "1.0.2");

    await run(s3Event(MANIFEST_KEY));

    const types = logs.map((l) => (JSON.parse(l) as { type: string }).type);
    assert.deepEqual(types, ["release.manifest", "sweep.snapshot", "sweep.plan", "sweep.terminated"]);
  });

  for (const [what, prepare, message] of [
    ["a manifest that is not JSON", (s: MemoryObjectStore) => s.seed(MANIFEST_KEY, "{"), /is not JSON/],
    [
      "a version that is not semver",
      (s: MemoryObjectStore) => {
        seedRelease(s, "1.0.2");
        const doc = JSON.parse(s.text(MANIFEST_KEY)!);
        s.seed(MANIFEST_KEY, JSON.stringify({ ...doc, version: "latest" }));
      },
      /"latest" is not a semantic version/,
    ],
    [
      "an artifact that does not exist",
      (s: MemoryObjectStore) => {
        seedRelease(s, "1.0.2");
        s.objects.delete("releases/1.0.2/web.zip");
      },
      /artifact for web \(releases\/1\.0\.2\/web\.zip\) does not exist; nothing was terminated/,
    ],
  ] as const) {
    it(`fails on ${what}: one error logged, nothing terminated`, async () => {
      prepare(store);

      await assert.rejects(run(s3Event(MANIFEST_KEY)), (err: Error) => err instanceof ContractError);

      assert.equal(logs.length, 1);
      assert.match(JSON.parse(logs[0]).error, message);
      assert.deepEqual(fleet.terminated, []);
    });
  }

  describe("through the AWS fleet adapter and S3", () => {
    const clients = createClients({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    });
    const asg = mockClient(clients.autoScaling);
    const ec2 = mockClient(clients.ec2);
    const s3 = mockClient(clients.s3);
    const ssm = mockClient(clients.ssm);

    beforeEach(async () => {
      for (const m of [asg, ec2, s3, ssm]) m.reset();
      emulateS3(s3, store);
      // The provider's default tags put the environment on its release bucket.
      store.bucketTags = { "phoenix:environment": "test" };
      ssm.on(GetParameterCommand, { Name: "/phoenix/test/release-bucket" }).resolves({
        Parameter: { Value: "test-releases" },
      });
      ssm
        .on(GetParameterCommand, { Name: "/phoenix/test/base-image" })
        .rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
      // Two web instances on 1.0.1, answering /version for real on loopback; i-web-a is the older.
      const a = await instance("i-web-a", "1.0.1", "2026-11-01T00:00:00Z");
      const b = await instance("i-web-b", "1.0.1", "2026-11-20T00:00:00Z");
      asg.on(DescribeAutoScalingGroupsCommand).resolves({
        AutoScalingGroups: [
          {
            AutoScalingGroupName: "test-web",
            DesiredCapacity: 2,
            MinSize: 1,
            MaxSize: 4,
            DefaultCooldown: 300,
            AvailabilityZones: ["us-east-1a"],
            HealthCheckType: "EC2",
            CreatedTime: new Date("2026-11-01T00:00:00Z"),
            Tags: [
              { Key: "phoenix:environment", Value: "test" },
              { Key: "phoenix:tier", Value: "web" },
              { Key: "phoenix:port", Value: String(loopback.port) },
              { Key: "phoenix:strategy", Value: "replace" },
            ],
            Instances: [a, b].map((i) => ({
              InstanceId: i.id,
              LifecycleState: "InService",
              HealthStatus: "Healthy",
              AvailabilityZone: "us-east-1a",
              ProtectedFromScaleIn: false,
            })),
          },
        ],
      });
      ec2.on(DescribeInstancesCommand).resolves({
        Reservations: [
          {
            Instances: [a, b].map((i) => ({
              InstanceId: i.id,
              PrivateIpAddress: i.privateIp,
              LaunchTime: new Date(i.launchTime),
            })),
          },
        ],
      });
      asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});
    });

    after(() => {
      for (const m of [asg, ec2, s3, ssm]) m.restore();
    });

    it("terminates the oldest web instance with TerminateInstanceInAutoScalingGroup, keeping desired capacity", async () => {
      seedRelease(store, "1.0.2", ["web"]);

      const result = await handleReleaseEvent(s3Event(MANIFEST_KEY), {
        fleet: new AwsFleet(clients),
        store: new S3ObjectStore(clients.s3, "test-releases"),
        environment: "test",
        policy: DEFAULT_POLICY,
        probe: { timeoutMs: 1000 },
        log: (line) => logs.push(line),
      });

      assert.deepEqual(result.outcomes, [{ group: "test-web", instanceId: "i-web-a", status: "terminated" }]);
      assert.deepEqual(
        asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input),
        [{ InstanceId: "i-web-a", ShouldDecrementDesiredCapacity: false }],
      );
    });

    it("terminates nothing when the manifest names an artifact S3 does not have", async () => {
      seedRelease(store, "1.0.2", ["web"]);
      store.objects.delete("releases/1.0.2/web.zip");

      await assert.rejects(
        handleReleaseEvent(s3Event(MANIFEST_KEY), {
          fleet: new AwsFleet(clients),
          store: new S3ObjectStore(clients.s3, "test-releases"),
          environment: "test",
          policy: DEFAULT_POLICY,
          log: (line) => logs.push(line),
        }),
        ContractError,
      );
      assert.equal(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).length, 0);
    });
  });
});
