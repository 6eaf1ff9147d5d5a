// The AWS side of a surge against aws-sdk-client-mock: each Auto Scaling call it makes, how refusals are reported,
// and whole surges over an emulated group where the process "crashes" between sweeps (every sweep gets a new
// AwsFleet): the group's tags alone carry the surge to its end.
import * as assert from "node:assert/strict";
import {
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  ResumeProcessesCommand,
  SetDesiredCapacityCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { GetObjectCommand, NoSuchKey } from "@aws-sdk/client-s3";
import { GetParameterCommand, ParameterNotFound } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { AwsClients, createClients } from "../../../runtime/aws/clients";
import { AwsFleet } from "../../../runtime/aws/fleet";
import { AwsSurge, SurgeStepError } from "../../../runtime/aws/surge";
import { plan } from "../../../runtime/core/planner";
import { executePlan } from "../../../runtime/ops/sweep";
import { FleetSnapshot, FleetState, GroupPlan, Policy } from "../../../runtime/core/types";
import {
  SURGE_TAGS,
  baseImageParameterName,
  releaseBucketParameterName,
  ROLLBACK_RECORD_KEY,
} from "../../../runtime/contract";

const ENV = "live";
const GROUP = "live-web";
const BUCKET = "phoenix-live-releases";
const TEST_CONFIG = { region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } };
const SURGE: Policy = { minHealthy: 1, minHealthyPercent: 0, strategy: "surge" };

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

describe("AWS surge operations", () => {
  const clients: AwsClients = createClients(TEST_CONFIG);
  const asg = mockClient(clients.autoScaling);
  const ec2 = mockClient(clients.ec2);
  const s3 = mockClient(clients.s3);
  const ssm = mockClient(clients.ssm);
  const surge = new AwsSurge(clients);

  beforeEach(() => {
    asg.reset();
    ec2.reset();
    s3.reset();
    ssm.reset();
  });

  after(() => {
    asg.restore();
    ec2.restore();
    s3.restore();
    ssm.restore();
  });

  describe("each call", () => {
    it("reads a group back by name: desired capacity, tags and suspended processes, what a step checks", async () => {
      asg.on(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: [GROUP] }).resolves({
        AutoScalingGroups: [
          {
            AutoScalingGroupName: GROUP,
            DesiredCapacity: 6,
            MinSize: 1,
            MaxSize: 6,
            AvailabilityZones: [],
            HealthCheckType: "EC2",
            DefaultCooldown: 300,
            CreatedTime: new Date(0),
            Tags: [{ Key: SURGE_TAGS.baseline, Value: "3" }],
            SuspendedProcesses: [{ ProcessName: "ScheduledActions" }, { ProcessName: "AlarmNotification" }],
          },
        ],
      });

      asg.on(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: ["live-gone"] }).resolves({
        AutoScalingGroups: [],
      });

      assert.deepEqual(await surge.readGroup(GROUP), {
        desiredCapacity: 6,
        tags: { [SURGE_TAGS.baseline]: "3" },
        suspendedProcesses: ["AlarmNotification", "ScheduledActions"],
      });
      await assert.rejects(
        surge.readGroup("live-gone"),
        /DescribeAutoScalingGroups on group live-gone failed: ValidationError: group live-gone does not exist/,
      );
    });

    it("sets desired capacity without honouring a cooldown", async () => {
      asg.on(SetDesiredCapacityCommand).resolves({});

      await surge.setDesiredCapacity(GROUP, 6);

      assert.deepEqual(asg.commandCalls(SetDesiredCapacityCommand)[0].args[0].input, {
        AutoScalingGroupName: GROUP,
        DesiredCapacity: 6,
        HonorCooldown: false,
      });
    });

    it("writes group tags that are not propagated to instances", async () => {
      asg.on(CreateOrUpdateTagsCommand).resolves({});

      await surge.setTags(GROUP, { [SURGE_TAGS.baseline]: "3", [SURGE_TAGS.version]: "1.0.2" });

      assert.deepEqual(asg.commandCalls(CreateOrUpdateTagsCommand)[0].args[0].input, {
        Tags: [
          {
            ResourceId: GROUP,
            ResourceType: "auto-scaling-group",
            Key: SURGE_TAGS.baseline,
            Value: "3",
            PropagateAtLaunch: false,
          },
          {
            ResourceId: GROUP,
            ResourceType: "auto-scaling-group",
            Key: SURGE_TAGS.version,
            Value: "1.0.2",
            PropagateAtLaunch: false,
          },
        ],
      });
    });

    it("deletes group tags by key", async () => {
      asg.on(DeleteTagsCommand).resolves({});

      await surge.removeTags(GROUP, [SURGE_TAGS.baseline]);

      assert.deepEqual(asg.commandCalls(DeleteTagsCommand)[0].args[0].input, {
        Tags: [{ ResourceId: GROUP, ResourceType: "auto-scaling-group", Key: SURGE_TAGS.baseline }],
      });
    });

    it("suspends and resumes the named scaling processes", async () => {
      asg.on(SuspendProcessesCommand).resolves({});
      asg.on(ResumeProcessesCommand).resolves({});

      await surge.suspendProcesses(GROUP, ["AlarmNotification", "ScheduledActions"]);
      await surge.resumeProcesses(GROUP, ["AlarmNotification", "ScheduledActions"]);

      const expected = { AutoScalingGroupName: GROUP, ScalingProcesses: ["AlarmNotification", "ScheduledActions"] };
      assert.deepEqual(asg.commandCalls(SuspendProcessesCommand)[0].args[0].input, expected);
      assert.deepEqual(asg.commandCalls(ResumeProcessesCommand)[0].args[0].input, expected);
    });

    it("terminates with decrement, reporting an instance already gone and a refusal apart", async () => {
      asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});
      asg
        .on(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: "i-gone" })
        .rejects(
          awsError("ValidationError", "Instance Id not found - No managed instance found for instance ID i-gone"),
        );
      asg
        .on(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: "i-min" })
        .rejects(awsError("ValidationError", "Currently, desiredSize equals minSize (1). Terminating instance..."));

      const outcomes = await surge.terminateAndDecrement([
        { group: GROUP, instanceId: "i-1" },
        { group: GROUP, instanceId: "i-gone" },
        { group: GROUP, instanceId: "i-min" },
      ]);

      assert.deepEqual(
        outcomes.map((o) => o.status),
        ["terminated", "already-gone", "failed"],
      );
      assert.ok(
        asg
          .commandCalls(TerminateInstanceInAutoScalingGroupCommand)
          .every((c) => c.args[0].input.ShouldDecrementDesiredCapacity === true),
      );
    });

    it("names the missing permission when the rollout role may not make the call", async () => {
      asg.on(SuspendProcessesCommand).rejects(awsError("AccessDenied", "User is not authorized"));

      await assert.rejects(
        surge.suspendProcesses(GROUP, ["AlarmNotification"]),
        (err: Error) =>
          err instanceof SurgeStepError &&
          /SuspendProcesses on group live-web failed: AccessDenied/.test(err.message) &&
          /needs autoscaling:SuspendProcesses/.test(err.message),
      );
    });

    it("is what AwsFleet exposes as its surge operations", () => {
      assert.ok(new AwsFleet(clients).surge instanceof AwsSurge);
    });
  });

  describe("a whole surge over an emulated group, a new process every sweep", () => {
    interface EmuInstance {
      id: string;
      launch: Date;
      version: string;
    }
    let now: Date;
    let desired: number;
    let tags: Record<string, string>;
    let suspended: string[];
    let instances: EmuInstance[];
    let launched: number;
    let failSetDesired: boolean;
    let badRelease: boolean;

    beforeEach(() => {
      now = new Date("2026-11-26T04:00:00.000Z");
      desired = 3;
      tags = { "phoenix:environment": ENV, "phoenix:tier": "web", "phoenix:strategy": "surge" };
      suspended = [];
      launched = 0;
      failSetDesired = false;
      badRelease = false;
      instances = [1, 2, 3].map((n) => ({
        id: `i-old-${n}`,
        launch: new Date(Date.parse("2026-11-20T00:00:00.000Z") + n * 60_000),
        version: "1.0.1",
      }));
      ssm.on(GetParameterCommand, { Name: releaseBucketParameterName(ENV) }).resolves({ Parameter: { Value: BUCKET } });
      ssm
        .on(GetParameterCommand, { Name: baseImageParameterName(ENV) })
        .rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
      const manifest = {
        version: "1.0.2",
        artifacts: { web: "releases/1.0.2/web.zip" },
        publishedAt: "2026-11-26T03:00:00.000Z",
      };
      s3.on(GetObjectCommand).resolves({
        Body: { transformToString: () => Promise.resolve(JSON.stringify(manifest)) } as never,
      });
      // No automatic rollback has happened: its record does not exist.
      s3.on(GetObjectCommand, { Key: ROLLBACK_RECORD_KEY }).rejects(
        new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }),
      );
      asg.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({
        AutoScalingGroups: [
          {
            AutoScalingGroupName: GROUP,
            DesiredCapacity: desired,
            MinSize: 1,
            MaxSize: 6,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            SuspendedProcesses: suspended.map((ProcessName) => ({ ProcessName })),
            Instances: instances.map((i) => ({
              InstanceId: i.id,
              LifecycleState: "InService",
              HealthStatus: badRelease && i.version === "1.0.2" ? "Unhealthy" : "Healthy",
            })),
          },
        ],
      }));
      ec2.on(DescribeInstancesCommand).callsFake(() => ({
        Reservations: [
          {
            Instances: instances.map((i) => ({
              InstanceId: i.id,
              ImageId: "ami-1",
              PrivateIpAddress: "10.0.0.1",
              LaunchTime: i.launch,
            })),
          },
        ],
      }));
      asg.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
        if (failSetDesired) throw awsError("ServiceUnavailable", "crash before the capacity was raised");
        desired = input.DesiredCapacity;
        return {};
      });
      asg.on(CreateOrUpdateTagsCommand).callsFake((input: { Tags: { Key: string; Value: string }[] }) => {
        for (const t of input.Tags) tags[t.Key] = t.Value;
        return {};
      });
      asg.on(DeleteTagsCommand).callsFake((input: { Tags: { Key: string }[] }) => {
        for (const t of input.Tags) delete tags[t.Key];
        return {};
      });
      asg.on(SuspendProcessesCommand).callsFake((input: { ScalingProcesses: string[] }) => {
        suspended = [...new Set([...suspended, ...input.ScalingProcesses])];
        return {};
      });
      asg.on(ResumeProcessesCommand).callsFake((input: { ScalingProcesses: string[] }) => {
        suspended = suspended.filter((p) => !input.ScalingProcesses.includes(p));
        return {};
      });
      asg
        .on(TerminateInstanceInAutoScalingGroupCommand)
        .callsFake((input: { InstanceId: string; ShouldDecrementDesiredCapacity: boolean }) => {
          instances = instances.filter((i) => i.id !== input.InstanceId);
          if (input.ShouldDecrementDesiredCapacity) desired -= 1;
          return {};
        });
    });

    /** Auto Scaling brings the instance count to desired capacity; new instances boot on the manifest's version. */
    function autoScale(): void {
      while (instances.length < desired) {
        launched += 1;
        instances.push({ id: `i-new-${launched}`, launch: new Date(now), version: "1.0.2" });
      }
    }

    /** One sweep by a fresh process: read through AwsFleet, probe from the emulation, plan, execute. */
    async function sweepOnce(): Promise<GroupPlan> {
      now = new Date(now.getTime() + 5 * 60_000);
      const fleet = new AwsFleet(clients, { now: () => now });
      const state: FleetState = await fleet.readFleet(ENV);
      const versions = new Map(instances.map((i) => [i.id, i.version]));
      const snapshot: FleetSnapshot = {
        ...state,
        groups: state.groups.map((g) => ({
          ...g,
          instances: g.instances.map((i) => ({ ...i, probe: { ok: true, version: versions.get(i.id)! } })),
        })),
      };
      const p = plan(snapshot, SURGE);
      // With the snapshot, each step reads the group again (DescribeAutoScalingGroups by name) before it acts.
      await executePlan(fleet, p.groups, { snapshot });
      return p.groups[0];
    }

    it("starts, then finishes from the group's tags alone, back at the baseline on the new version", async () => {
      const start = await sweepOnce();
      assert.equal(start.surge?.phase, "start");
      assert.equal(desired, 6);
      assert.deepEqual(suspended, ["AlarmNotification", "ScheduledActions"]);
      autoScale();

      const finish = await sweepOnce();

      assert.equal(finish.surge?.phase, "finish");
      assert.deepEqual(
        instances.map((i) => i.id),
        ["i-new-1", "i-new-2", "i-new-3"],
      );
      assert.equal(desired, 3);
      assert.deepEqual(suspended, []);
      assert.deepEqual(Object.keys(tags).sort(), [
        "phoenix:environment",
        "phoenix:strategy",
        SURGE_TAGS.ended,
        "phoenix:tier",
      ]);
      assert.match(tags[SURGE_TAGS.ended], /^3 2026-/, "the end leaves its baseline and start behind");
      assert.ok(
        asg
          .commandCalls(DescribeAutoScalingGroupsCommand)
          .some((c) => c.args[0].input.AutoScalingGroupNames?.[0] === GROUP),
        "the steps read the group by name before acting",
      );
      const terminations = asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input);
      assert.deepEqual(
        terminations.map((t) => [t.InstanceId, t.ShouldDecrementDesiredCapacity]),
        [
          ["i-old-1", true],
          ["i-old-2", true],
          ["i-old-3", true],
        ],
      );
      assert.match((await sweepOnce()).reason, /^converged/);
    });

    it("recovers from a crash after the tags were written but before the capacity was raised", async () => {
      failSetDesired = true;
      await sweepOnce();
      assert.deepEqual([desired, tags[SURGE_TAGS.baseline]], [3, "3"]);
      failSetDesired = false;

      const phases: string[] = [];
      for (let i = 0; i < 6 && phases[phases.length - 1] !== "converged"; i++) {
        const g = await sweepOnce();
        phases.push(g.surge?.phase ?? g.reason.split(":")[0]);
        autoScale();
      }

      assert.deepEqual(phases, ["finish", "start", "finish", "converged"]);
      assert.equal(desired, 3);
      assert.ok(instances.every((i) => i.version === "1.0.2"));
      assert.deepEqual(suspended, []);
    });

    it("aborts a release whose new instances stay unhealthy: only they go, with decrement, and the target is marked", async () => {
      badRelease = true;
      await sweepOnce();
      autoScale();

      const phases: string[] = [];
      for (let i = 0; i < 8 && tags[SURGE_TAGS.failed] === undefined; i++) {
        phases.push((await sweepOnce()).surge?.phase ?? "none");
      }

      assert.deepEqual(phases, ["waiting", "waiting", "waiting", "waiting", "abort"]);
      assert.deepEqual(
        instances.map((i) => i.id),
        ["i-old-1", "i-old-2", "i-old-3"],
      );
      assert.equal(desired, 3);
      assert.equal(tags[SURGE_TAGS.failed], "1.0.2");
      assert.equal(tags[SURGE_TAGS.baseline], undefined);
      assert.deepEqual(suspended, []);
      const terminated = asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input);
      assert.ok(terminated.every((t) => t.InstanceId!.startsWith("i-new-") && t.ShouldDecrementDesiredCapacity));
      assert.equal((await sweepOnce()).surge?.phase, "blocked", "the failed version is not surged again");
    });

    it("never surges twice when the start is replayed", async () => {
      await sweepOnce();
      const replay = await sweepOnce();

      assert.equal(replay.surge?.phase, "waiting");
      assert.equal(asg.commandCalls(SetDesiredCapacityCommand).length, 1);
      assert.equal(desired, 6);
    });
  });
});
