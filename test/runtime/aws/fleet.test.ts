// The AWS fleet adapter against aws-sdk-client-mock: the calls it makes (and how few), how it maps AWS's answers onto
// a FleetState, and that any failed read aborts before anything can be terminated.
import * as assert from "node:assert/strict";
import {
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, Instance as Ec2Instance } from "@aws-sdk/client-ec2";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetObjectCommand, NoSuchKey } from "@aws-sdk/client-s3";
import { GetParameterCommand, ParameterNotFound } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { AwsClients, createClients } from "../../../runtime/aws/clients";
import { AwsFleet, readCurrentManifest } from "../../../runtime/aws/fleet";
import { readReleaseBucket } from "../../../runtime/aws/parameters";
import { FleetReadError } from "../../../runtime/core/errors";
import { baseImageParameterName, releaseBucketParameterName, ROLLBACK_RECORD_KEY } from "../../../runtime/contract";

const ENV = "live";
const BUCKET = "phoenix-live-releases";
const READ_AT = new Date("2026-11-26T04:00:00.000Z");
const TEST_CONFIG = { region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } };
const GROUP_FILTERS = [
  { Name: "tag:phoenix:environment", Values: [ENV] },
  { Name: "tag-key", Values: ["phoenix:tier"] },
];
const INSTANCE_FILTERS = [
  { Name: "tag:phoenix:environment", Values: [ENV] },
  { Name: "instance-state-name", Values: ["pending", "running", "shutting-down", "stopping", "stopped"] },
];
const MANIFEST = {
  version: "1.0.274",
  artifacts: { web: "releases/1.0.274/web.zip" },
  publishedAt: "2026-11-26T03:00:00.000Z",
};

function group(name: string, tier: string, ids: string[], extra: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    AutoScalingGroupName: name,
    DesiredCapacity: ids.length,
    MinSize: 1,
    MaxSize: 6,
    Tags: [
      { Key: "phoenix:environment", Value: ENV },
      { Key: "phoenix:tier", Value: tier },
    ],
    Instances: ids.map((id) => ({
      InstanceId: id,
      LifecycleState: "InService",
      HealthStatus: "Healthy",
      AvailabilityZone: "us-east-1a",
      ProtectedFromScaleIn: false,
    })),
    ...extra,
  } as AutoScalingGroup;
}

function ec2Instance(id: string, n = 1): Ec2Instance {
  return {
    InstanceId: id,
    ImageId: `ami-${n}`,
    PrivateIpAddress: `10.0.0.${n}`,
    LaunchTime: new Date(`2026-11-2${n % 6}T00:00:00.000Z`),
  };
}

/** A body as GetObject returns it: a stream with the SDK's transform helpers. */
function body(text: string) {
  const bytes = Buffer.from(text);
  return {
    transformToString: () => Promise.resolve(text),
    transformToByteArray: () => Promise.resolve(new Uint8Array(bytes)),
  } as never;
}

function error(name: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { name, $metadata: {}, ...extra });
}

describe("AWS fleet adapter", () => {
  const clients: AwsClients = createClients(TEST_CONFIG);
  const asg = mockClient(clients.autoScaling);
  const ec2 = mockClient(clients.ec2);
  const elb = mockClient(clients.elbv2);
  const s3 = mockClient(clients.s3);
  const ssm = mockClient(clients.ssm);
  const fleet = () => new AwsFleet(clients, { now: () => READ_AT });

  /** An environment with a published manifest and a base image, whose groups and instances each test supplies. */
  function deployed(groups: AutoScalingGroup[], instances: Ec2Instance[] = []) {
    ssm.on(GetParameterCommand, { Name: releaseBucketParameterName(ENV) }).resolves({ Parameter: { Value: BUCKET } });
    ssm.on(GetParameterCommand, { Name: baseImageParameterName(ENV) }).resolves({ Parameter: { Value: "ami-1" } });
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: "releases/current.json" }).resolves({
      Body: body(JSON.stringify(MANIFEST)),
    });
    // No automatic rollback has happened: its record does not exist.
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: ROLLBACK_RECORD_KEY }).rejects(
      new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }),
    );
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: groups });
    asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: instances }] });
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
  }

  /**
   * Answers a paginated command page by page, keyed by the NextToken it is sent ("" for the first page), and returns
   * a copy of every input as it was sent: the SDK's paginators reuse one input object, so recorded calls would all
   * show the last page's token.
   */
  type Fake = (input: { NextToken?: string }) => object;
  function pages(
    mock: { on: (command: never) => { callsFake: (fn: Fake) => unknown } },
    command: unknown,
    byToken: Record<string, object>,
  ): object[] {
    const sent: object[] = [];
    mock.on(command as never).callsFake((input) => {
      sent.push({ ...input });
      const page = byToken[input.NextToken ?? ""];
      if (!page) throw new Error(`unexpected NextToken ${input.NextToken}`);
      return page;
    });
    return sent;
  }

  /** The inputs of every call of one command (for commands that are not paginated). */
  function inputs(
    mock: { commandCalls: (c: never) => { args: [{ input: object }] }[] },
    command: unknown,
  ): Record<string, unknown>[] {
    return mock.commandCalls(command as never).map((c) => c.args[0].input as Record<string, unknown>);
  }

  beforeEach(() => {
    asg.reset();
    ec2.reset();
    elb.reset();
    s3.reset();
    ssm.reset();
  });

  after(() => {
    for (const m of [asg, ec2, elb, s3, ssm]) m.restore();
  });

  describe("reading groups", () => {
    it("finds groups by environment and tier tags, following every page 100 at a time", async () => {
      deployed([]);
      const sent = pages(asg, DescribeAutoScalingGroupsCommand, {
        "": { AutoScalingGroups: [group("live-web", "web", [])], NextToken: "page-2" },
        "page-2": { AutoScalingGroups: [group("live-api", "api", [])] },
      });

      const state = await fleet().readFleet(ENV);

      assert.deepEqual(
        state.groups.map((g) => [g.name, g.tier]),
        [
          ["live-api", "api"],
          ["live-web", "web"],
        ],
      );
      assert.deepEqual(sent, [
        { Filters: GROUP_FILTERS, MaxRecords: 100, NextToken: undefined },
        { Filters: GROUP_FILTERS, MaxRecords: 100, NextToken: "page-2" },
      ]);
    });

    it("maps capacity, port, target groups, tags and suspended processes", async () => {
      deployed(
        [
          group("live-api", "api", [], {
            DesiredCapacity: 3,
            MinSize: 2,
            MaxSize: 9,
            TargetGroupARNs: ["arn:tg/api"],
            SuspendedProcesses: [{ ProcessName: "ScheduledActions" }, { ProcessName: "AlarmNotification" }],
            Tags: [
              { Key: "phoenix:environment", Value: ENV },
              { Key: "phoenix:tier", Value: "api" },
              { Key: "phoenix:port", Value: "8080" },
            ],
          }),
        ],
        [],
      );

      const [api] = (await fleet().readFleet(ENV)).groups;

      assert.deepEqual(api, {
        name: "live-api",
        tier: "api",
        desiredCapacity: 3,
        minSize: 2,
        maxSize: 9,
        port: 8080,
        targetGroupArns: ["arn:tg/api"],
        tags: { "phoenix:environment": ENV, "phoenix:tier": "api", "phoenix:port": "8080" },
        activityInProgress: false,
        suspendedProcesses: ["AlarmNotification", "ScheduledActions"],
        capacityHistory: [],
        instances: [],
      });
    });

    it("reads the scaling history of a group that may be wedged, and of no other", async () => {
      deployed([
        group("live-api", "api", [], { SuspendedProcesses: [{ ProcessName: "AlarmNotification" }] }),
        group("live-web", "web", []),
      ]);
      asg.on(DescribeScalingActivitiesCommand).resolves({
        Activities: [
          {
            ActivityId: "a-2",
            AutoScalingGroupName: "live-api",
            StartTime: READ_AT,
            StatusCode: "Successful",
            Cause:
              "At 2026-11-26T03:40:00Z a user request explicitly set group desired capacity changing the desired " +
              "capacity from 3 to 6.  At 2026-11-26T03:40:05Z an instance was started in response to a difference " +
              "between desired and actual capacity, increasing the capacity from 3 to 6.",
          },
          {
            ActivityId: "a-1",
            AutoScalingGroupName: "live-api",
            StartTime: READ_AT,
            StatusCode: "Successful",
            Cause:
              "At 2026-11-26T03:00:00Z a monitor alarm TargetTracking-live-api-AlarmHigh in state ALARM triggered " +
              "policy cpu changing the desired capacity from 2 to 3.",
          },
        ],
      });

      const [api, web] = (await fleet().readFleet(ENV)).groups;

      assert.deepEqual(inputs(asg, DescribeScalingActivitiesCommand), [
        { AutoScalingGroupName: "live-api", MaxRecords: 20 },
      ]);
      assert.deepEqual(api.capacityHistory, [
        { at: "2026-11-26T03:40:00.000Z", from: 3, to: 6, by: "request" },
        { at: "2026-11-26T03:00:00.000Z", from: 2, to: 3, by: "alarm" },
      ]);
      assert.equal(web.capacityHistory, undefined);
    });

    it("serves /version on port 80 when the group has no port tag", async () => {
      deployed([group("live-web", "web", [])]);

      const [web] = (await fleet().readFleet(ENV)).groups;

      assert.equal(web.port, 80);
    });

    for (const bad of ["http", "0", "65536", "80.5", ""]) {
      it(`fails the read naming the group when its port tag is ${JSON.stringify(bad)}`, async () => {
        const tags = [
          { Key: "phoenix:tier", Value: "web" },
          { Key: "phoenix:port", Value: bad },
        ];
        deployed([group("live-web", "web", [], { Tags: tags })]);

        await assert.rejects(fleet().readFleet(ENV), (err: Error) => {
          assert.ok(err instanceof FleetReadError);
          assert.match(err.message, /group live-web: tag phoenix:port=".*" is not a port/);
          return true;
        });
      });
    }

    it("marks a group with an instance launching or terminating as having an activity in progress", async () => {
      const launching = group("live-web", "web", ["i-1", "i-2"]);
      launching.Instances![1].LifecycleState = "Pending:Wait";
      deployed([launching, group("live-api", "api", ["i-3"])], [ec2Instance("i-1"), ec2Instance("i-2")]);

      const state = await fleet().readFleet(ENV);

      assert.deepEqual(
        state.groups.map((g) => [g.name, g.activityInProgress]),
        [
          ["live-api", false],
          ["live-web", true],
        ],
      );
    });

    it("returns no groups, and reads no instances or target health, for an environment without groups", async () => {
      deployed([]);

      const state = await fleet().readFleet(ENV);

      assert.deepEqual(state.groups, []);
      assert.equal(ec2.commandCalls(DescribeInstancesCommand).length, 0);
      assert.equal(elb.commandCalls(DescribeTargetHealthCommand).length, 0);
    });
  });

  describe("reading instances", () => {
    it("reads every group's instances with one tag-filtered DescribeInstances, following its pages", async () => {
      deployed([group("live-web", "web", ["i-1", "i-2"]), group("live-api", "api", ["i-3"])]);
      const sent = pages(ec2, DescribeInstancesCommand, {
        "": {
          Reservations: [{ Instances: [ec2Instance("i-1", 1)] }, { Instances: [ec2Instance("i-3", 3)] }],
          NextToken: "more",
        },
        more: { Reservations: [{ Instances: [ec2Instance("i-2", 2)] }] },
      });

      const state = await fleet().readFleet(ENV);

      assert.deepEqual(sent, [
        { Filters: INSTANCE_FILTERS, MaxResults: 1000, NextToken: undefined },
        { Filters: INSTANCE_FILTERS, MaxResults: 1000, NextToken: "more" },
      ]);
      const web = state.groups.find((g) => g.name === "live-web")!;
      assert.deepEqual(web.instances[1], {
        id: "i-2",
        lifecycleState: "InService",
        asgHealth: "Healthy",
        lbHealth: {},
        launchTime: "2026-11-22T00:00:00.000Z",
        imageId: "ami-2",
        privateIp: "10.0.0.2",
      });
      assert.deepEqual(
        state.groups.find((g) => g.name === "live-api")!.instances.map((i) => [i.id, i.privateIp]),
        [["i-3", "10.0.0.3"]],
      );
    });

    it("looks up members the tag filter missed by instance id, in batches of 200", async () => {
      const ids = Array.from({ length: 450 }, (_, n) => `i-${String(n).padStart(4, "0")}`);
      deployed([group("live-web", "web", ids)]);
      // The tag filter finds none of them (say, tags not yet propagated); the instance-id filter finds them all.
      ec2.on(DescribeInstancesCommand).callsFake((input: { Filters: { Name: string; Values: string[] }[] }) => {
        const byId = input.Filters.find((f) => f.Name === "instance-id");
        return { Reservations: byId ? [{ Instances: byId.Values.map((id) => ec2Instance(id, 7)) }] : [] };
      });

      const state = await fleet().readFleet(ENV);

      const batches = inputs(ec2, DescribeInstancesCommand)
        .slice(1)
        .map((i) => (i.Filters as { Values: string[] }[])[0].Values.length);
      assert.deepEqual(batches, [200, 200, 50]);
      assert.ok(state.groups[0].instances.every((i) => i.imageId === "ami-7"));
    });

    it("keeps a member EC2 no longer lists, without image or address, launched as of the read", async () => {
      deployed([group("live-web", "web", ["i-gone"])]);
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

      const [web] = (await fleet().readFleet(ENV)).groups;

      assert.deepEqual(web.instances, [
        {
          id: "i-gone",
          lifecycleState: "InService",
          asgHealth: "Healthy",
          lbHealth: {},
          launchTime: READ_AT.toISOString(),
        },
      ]);
    });
  });

  describe("reading target health", () => {
    it("asks each attached target group once and maps each instance's state, unregistered as unused", async () => {
      const shared = { TargetGroupARNs: ["arn:tg/web", "arn:tg/shared"] };
      deployed(
        [
          group("live-web", "web", ["i-1", "i-2"], shared),
          group("live-api", "api", ["i-3"], { TargetGroupARNs: ["arn:tg/shared"] }),
        ],
        [ec2Instance("i-1"), ec2Instance("i-2"), ec2Instance("i-3")],
      );
      elb.on(DescribeTargetHealthCommand, { TargetGroupArn: "arn:tg/web" }).resolves({
        TargetHealthDescriptions: [
          { Target: { Id: "i-1", Port: 80 }, TargetHealth: { State: "healthy" } },
          { Target: { Id: "i-2", Port: 80 }, TargetHealth: { State: "unhealthy" } },
        ],
      });
      elb.on(DescribeTargetHealthCommand, { TargetGroupArn: "arn:tg/shared" }).resolves({
        TargetHealthDescriptions: [
          { Target: { Id: "i-1", Port: 80 }, TargetHealth: { State: "healthy" } },
          { Target: { Id: "i-3", Port: 80 }, TargetHealth: { State: "draining" } },
        ],
      });

      const state = await fleet().readFleet(ENV);

      assert.deepEqual(
        inputs(elb, DescribeTargetHealthCommand).map((i) => i.TargetGroupArn),
        ["arn:tg/shared", "arn:tg/web"],
      );
      const health = Object.fromEntries(state.groups.flatMap((g) => g.instances.map((i) => [i.id, i.lbHealth])));
      assert.deepEqual(health, {
        "i-1": { "arn:tg/web": "healthy", "arn:tg/shared": "healthy" },
        "i-2": { "arn:tg/web": "unhealthy", "arn:tg/shared": "unused" },
        "i-3": { "arn:tg/shared": "draining" },
      });
    });
  });

  describe("reading the desired state", () => {
    it("takes the desired version from the manifest in the bucket the SSM parameter names", async () => {
      deployed([]);

      const state = await fleet().readFleet(ENV);

      assert.equal(state.desiredVersion, "1.0.274");
      // What verification checks before anything acts on it: each tier's artifact, in the bucket it was read from.
      assert.deepEqual(state.desiredArtifacts, { web: "releases/1.0.274/web.zip" });
      assert.equal(state.releaseStore, BUCKET);
      assert.deepEqual(
        inputs(ssm, GetParameterCommand)
          .map((i) => i.Name)
          .sort(),
        ["/phoenix/live/base-image", "/phoenix/live/release-bucket"],
      );
      assert.deepEqual(inputs(s3, GetObjectCommand), [
        { Bucket: BUCKET, Key: "releases/current.json" },
        { Bucket: BUCKET, Key: ROLLBACK_RECORD_KEY },
      ]);
    });

    it("reads a bucket without a manifest as no desired version, not as an error", async () => {
      deployed([]);
      s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }));

      const state = await fleet().readFleet(ENV);

      assert.equal("desiredVersion" in state, false);
      assert.equal("desiredArtifacts" in state, false);
      assert.equal(state.releaseStore, BUCKET, "the bucket is still named, so that it can be checked");
    });

    it("fails the read on a malformed manifest rather than treating it as unpublished", async () => {
      deployed([]);
      s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify({ ...MANIFEST, version: "1.0" })) });

      await assert.rejects(fleet().readFleet(ENV), (err: Error) => {
        assert.ok(err instanceof FleetReadError);
        assert.match(
          err.message,
          /s3:\/\/phoenix-live-releases\/releases\/current.json: version "1.0" is not a semantic/,
        );
        return true;
      });
    });

    it("takes the desired image from the base-image parameter", async () => {
      deployed([]);

      const state = await fleet().readFleet(ENV);

      assert.equal(state.desiredImageId, "ami-1");
    });

    it("reads a missing base-image parameter as no desired image", async () => {
      deployed([]);
      ssm
        .on(GetParameterCommand, { Name: baseImageParameterName(ENV) })
        .rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));

      const state = await fleet().readFleet(ENV);

      assert.equal("desiredImageId" in state, false);
    });

    it("fails the read when the base-image parameter exists but cannot be read", async () => {
      deployed([]);
      ssm
        .on(GetParameterCommand, { Name: baseImageParameterName(ENV) })
        .rejects(error("AccessDeniedException", "not authorized to perform: ssm:GetParameter"));

      await assert.rejects(
        fleet().readFleet(ENV),
        /read the base-image parameter failed for environment "live": AccessDeniedException/,
      );
    });

    it("fails the read when a parameter is empty, saying the deploy writes it", async () => {
      deployed([]);
      ssm.on(GetParameterCommand, { Name: baseImageParameterName(ENV) }).resolves({ Parameter: { Value: " " } });

      await assert.rejects(fleet().readFleet(ENV), /SSM parameter \/phoenix\/live\/base-image is empty/);
    });

    it("fails the read when the release-bucket parameter is missing, saying the environment is not deployed", async () => {
      deployed([]);
      ssm
        .on(GetParameterCommand, { Name: releaseBucketParameterName(ENV) })
        .rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));

      await assert.rejects(fleet().readFleet(ENV), (err: Error) => {
        assert.ok(err instanceof FleetReadError);
        assert.match(err.message, /\/phoenix\/live\/release-bucket does not exist: environment "live" is not deployed/);
        return true;
      });
    });

    it("exposes the manifest read on its own, undefined when none is published", async () => {
      s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "missing", $metadata: {} }));

      assert.equal(await readCurrentManifest(clients.s3, BUCKET), undefined);
    });
  });

  describe("failed reads", () => {
    it("aborts on a persistent throttle, naming the operation, and terminates nothing", async () => {
      deployed([group("live-web", "web", ["i-1"])], [ec2Instance("i-1")]);
      asg.on(DescribeAutoScalingGroupsCommand).rejects(error("Throttling", "Rate exceeded"));

      await assert.rejects(fleet().readFleet(ENV), (err: Error) => {
        assert.ok(err instanceof FleetReadError);
        assert.match(err.message, /DescribeAutoScalingGroups failed for environment "live": Throttling: Rate exceeded/);
        return true;
      });
      assert.equal(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).length, 0);
    });

    it("aborts when a target group cannot be read", async () => {
      deployed([group("live-web", "web", ["i-1"], { TargetGroupARNs: ["arn:tg/web"] })], [ec2Instance("i-1")]);
      elb.on(DescribeTargetHealthCommand).rejects(error("TargetGroupNotFound", "One or more target groups not found"));

      await assert.rejects(fleet().readFleet(ENV), /DescribeTargetHealth failed .*TargetGroupNotFound/);
    });

    it("explains that AccessDenied on the manifest may mean a missing object read without s3:ListBucket", async () => {
      deployed([]);
      s3.on(GetObjectCommand).rejects(error("AccessDenied", "Access Denied"));

      await assert.rejects(
        fleet().readFleet(ENV),
        /read the release manifest failed for environment "live": AccessDenied: Access Denied \(if no release is published yet, the caller also needs s3:ListBucket/,
      );
    });

    it("reports an AWS call that timed out like any other failed read, in one line", async () => {
      deployed([]);
      asg
        .on(DescribeAutoScalingGroupsCommand)
        .rejects(
          error(
            "TimeoutError",
            "@smithy/node-http-handler - [ERROR] a request has exceeded the configured 5000 ms requestTimeout.",
          ),
        );

      await assert.rejects(
        fleet().readFleet(ENV),
        /^FleetReadError: DescribeAutoScalingGroups timed out for environment "live": AWS did not answer \(@smithy\/node-http-handler - \[ERROR\] a request has exceeded the configured 5000 ms requestTimeout\.\)$/,
      );
    });

    it("says in one line how to set a region when none is configured", async () => {
      deployed([]);
      asg.on(DescribeAutoScalingGroupsCommand).rejects(new Error("Region is missing"));

      await assert.rejects(fleet().readFleet(ENV), /^FleetReadError: no AWS region configured: set AWS_REGION/);
    });

    it("says in one line how to provide credentials when none are found", async () => {
      deployed([]);
      asg
        .on(DescribeAutoScalingGroupsCommand)
        .rejects(error("CredentialsProviderError", "Could not load credentials from any providers"));

      await assert.rejects(fleet().readFleet(ENV), (err: Error) => {
        assert.ok(err instanceof FleetReadError);
        assert.match(err.message, /^no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    });
  });

  describe("call budget", () => {
    it("reads 3 groups of 3 with 2 target groups in 1 + 1 + 2 + 4 calls", async () => {
      const ids = (g: number) => [1, 2, 3].map((n) => `i-${g}${n}`);
      deployed(
        [
          group("live-web", "web", ids(1), { TargetGroupARNs: ["arn:tg/web"] }),
          group("live-api", "api", ids(2), { TargetGroupARNs: ["arn:tg/api"] }),
          group("live-worker", "worker", ids(3)),
        ],
        [1, 2, 3].flatMap((g) => ids(g).map((id) => ec2Instance(id))),
      );

      await fleet().readFleet(ENV);

      const calls = [asg, ec2, elb, s3, ssm].map((m) => m.calls().length);
      // The desired state: two parameters, the manifest and the last automatic rollback's record.
      assert.deepEqual(calls, [1, 1, 2, 2, 2]);
    });
  });

  describe("terminating", () => {
    it("terminates each instance with its own call, never decrementing desired capacity", async () => {
      asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});

      const outcomes = await fleet().terminate([
        { group: "live-web", instanceId: "i-1" },
        { group: "live-api", instanceId: "i-2" },
      ]);

      assert.deepEqual(inputs(asg, TerminateInstanceInAutoScalingGroupCommand), [
        { InstanceId: "i-1", ShouldDecrementDesiredCapacity: false },
        { InstanceId: "i-2", ShouldDecrementDesiredCapacity: false },
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ["terminated", "terminated"],
      );
    });

    for (const message of [
      "Instance Id not found - No managed instance found for instance ID: i-gone",
      "The instance i-gone is not part of Auto Scaling group live-web.",
      "The instance i-gone is not in InService or Standby.",
    ]) {
      it(`reports "${message}" as already gone`, async () => {
        asg.on(TerminateInstanceInAutoScalingGroupCommand).rejects(error("ValidationError", message));

        const [outcome] = await fleet().terminate([{ group: "live-web", instanceId: "i-gone" }]);

        assert.equal(outcome.status, "already-gone");
      });
    }

    it("reports a validation error that is not about membership as a failure", async () => {
      const message = "Terminating instance without replacement will violate group's min size constraint.";
      asg.on(TerminateInstanceInAutoScalingGroupCommand).rejects(error("ValidationError", message));

      const [outcome] = await fleet().terminate([{ group: "live-web", instanceId: "i-1" }]);

      assert.deepEqual(outcome, {
        group: "live-web",
        instanceId: "i-1",
        status: "failed",
        error: `ValidationError: ${message}`,
      });
    });

    it("reports an instance already gone and one that failed, and still terminates the rest", async () => {
      asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});
      asg
        .on(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: "i-gone" })
        .rejects(error("ValidationError", "Instance Id not found - No managed instance found for instance ID: i-gone"));
      asg
        .on(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: "i-busy" })
        .rejects(error("ScalingActivityInProgress", "Scaling activity in progress"));
      const requests = ["i-1", "i-gone", "i-busy", "i-4"].map((instanceId) => ({ group: "live-web", instanceId }));

      const outcomes = await fleet().terminate(requests);

      assert.deepEqual(
        outcomes.map((o) => [o.instanceId, o.status]),
        [
          ["i-1", "terminated"],
          ["i-gone", "already-gone"],
          ["i-busy", "failed"],
          ["i-4", "terminated"],
        ],
      );
      assert.match(outcomes[2].error!, /ScalingActivityInProgress: Scaling activity in progress/);
      assert.equal(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).length, 4);
    });
  });
});

describe("AWS clients with the SDK's own retries", () => {
  const THROTTLED = "/phoenix/live/release-bucket";

  /** A transport that answers SSM's JSON protocol: the first `throttles` reads of the bucket parameter are throttled. */
  function ssmTransport(throttles: number) {
    const seen: string[] = [];
    const handler = {
      handle: (request: { body?: Uint8Array }) => {
        const name = (JSON.parse(new TextDecoder().decode(request.body)) as { Name: string }).Name;
        seen.push(name);
        const throttled = name === THROTTLED && seen.filter((n) => n === THROTTLED).length <= throttles;
        const payload = throttled
          ? { __type: "ThrottlingException", message: "Rate exceeded" }
          : { Parameter: { Name: name, Value: "phoenix-live-releases", Type: "String" } };
        return Promise.resolve({
          response: {
            statusCode: throttled ? 400 : 200,
            headers: {
              "content-type": "application/x-amz-json-1.1",
              ...(throttled ? { "x-amzn-errortype": "ThrottlingException" } : {}),
            },
            body: Buffer.from(JSON.stringify(payload)),
          },
        });
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
    };
    return { handler, seen };
  }

  it("retries a throttled read and succeeds", async () => {
    const { handler, seen } = ssmTransport(1);
    const clients = createClients({ ...TEST_CONFIG, requestHandler: handler as never });

    const bucket = await readReleaseBucket(clients.ssm, ENV);

    assert.equal(bucket, "phoenix-live-releases");
    assert.deepEqual(seen, ["/phoenix/live/release-bucket", "/phoenix/live/release-bucket"]);
  });

  it("gives up after the SDK's attempts and the fleet read fails without terminating", async () => {
    const { handler, seen } = ssmTransport(Infinity);
    const clients = createClients({ ...TEST_CONFIG, requestHandler: handler as never, maxAttempts: 2 });
    const asg = mockClient(clients.autoScaling);
    const s3 = mockClient(clients.s3);
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    try {
      await assert.rejects(new AwsFleet(clients).readFleet(ENV), (err: Error) => {
        assert.ok(err instanceof FleetReadError);
        assert.match(err.message, /ThrottlingException: Rate exceeded/);
        return true;
      });
      assert.equal(seen.filter((n) => n === "/phoenix/live/release-bucket").length, 2);
      assert.equal(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).length, 0);
    } finally {
      asg.restore();
      s3.restore();
    }
  });
});

describe("AWS clients", () => {
  it("builds each client once and hands out the same one on every access", () => {
    const clients = createClients(TEST_CONFIG);

    const first = [clients.autoScaling, clients.ec2, clients.elbv2, clients.s3, clients.ssm];

    assert.deepEqual(
      first.map(
        (client, n) => client === [clients.autoScaling, clients.ec2, clients.elbv2, clients.s3, clients.ssm][n],
      ),
      [true, true, true, true, true],
    );
    assert.deepEqual(
      first.map((c) => c.constructor.name),
      ["AutoScalingClient", "EC2Client", "ElasticLoadBalancingV2Client", "S3Client", "SSMClient"],
    );
  });
});

describe("AWS clients and AWS_ENDPOINT_URL", () => {
  it("sends every client to the endpoint AWS_ENDPOINT_URL names, as an emulator needs", async () => {
    // A transport that records where each request was addressed and fails it: nothing leaves the process, so a
    // regression cannot reach real AWS from a test.
    const addressed: string[] = [];
    const requestHandler = {
      handle: (request: { hostname: string; port?: number }) => {
        addressed.push(`${request.hostname}:${request.port}`);
        return Promise.reject(new Error("emulator unavailable"));
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
    };
    const previous = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:4566";
    try {
      const clients = createClients({ ...TEST_CONFIG, maxAttempts: 1, requestHandler: requestHandler as never });

      await Promise.allSettled([
        clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({})),
        clients.ec2.send(new DescribeInstancesCommand({})),
        clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: "arn:tg/web" })),
        clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "releases/current.json" })),
        clients.ssm.send(new GetParameterCommand({ Name: releaseBucketParameterName(ENV) })),
      ]);

      assert.deepEqual(addressed, Array(5).fill("127.0.0.1:4566"));
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previous;
    }
  });
});
