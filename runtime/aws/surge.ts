// The AWS side of a surge: desired capacity, group tags, suspended scaling processes, and terminations that lower
// desired capacity. Each is one Auto Scaling call, idempotent, and throws with the group and what to do when AWS
// refuses. AwsFleet exposes these as its `surge`; the sweep decides when to call them (runtime/ops/sweep.ts).
import {
  AutoScalingGroup,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  ResumeProcessesCommand,
  SetDesiredCapacityCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { errorText } from "../core/errors";
import { GroupControl, SurgeOperations, TerminationOutcome } from "../core/types";
import { errorName, isAlreadyGone } from "./errors";
import { AwsClients } from "./clients";

/** An Auto Scaling call that AWS refused; the message names the group, the call and the cause. */
export class SurgeStepError extends Error {
  // Assigned in the constructor, not as a field: the Lambda's closure serializer drops field initializers.
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SurgeStepError";
    this.message = message;
  }
}

/**
 * A group's capacity, tags and suspended processes (sorted) as Auto Scaling describes them: read the same way by the
 * fleet read the planner decides on and by the check a surge step makes right before it acts.
 */
export function groupControl(g: AutoScalingGroup): GroupControl {
  const tags: Record<string, string> = {};
  for (const t of g.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? "";
  return {
    desiredCapacity: g.DesiredCapacity ?? 0,
    tags,
    suspendedProcesses: (g.SuspendedProcesses ?? []).flatMap((p) => (p.ProcessName ? [p.ProcessName] : [])).sort(),
  };
}

export class AwsSurge implements SurgeOperations {
  constructor(private readonly clients: Pick<AwsClients, "autoScaling">) {}

  /** One DescribeAutoScalingGroups by name: what a surge step checks right before it acts. */
  async readGroup(group: string): Promise<GroupControl> {
    let found: GroupControl | undefined;
    await this.send(group, "DescribeAutoScalingGroups", async () => {
      const out = await this.clients.autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }),
      );
      const g = (out.AutoScalingGroups ?? []).find((x) => x.AutoScalingGroupName === group);
      if (g === undefined) {
        throw Object.assign(new Error(`group ${group} does not exist (any more)`), { name: "ValidationError" });
      }
      found = groupControl(g);
    });
    return found!;
  }

  async setDesiredCapacity(group: string, desiredCapacity: number): Promise<void> {
    // HonorCooldown false: the surge is phoenix's own decision, not a scaling policy's, and must not wait behind one.
    await this.send(group, "SetDesiredCapacity", () =>
      this.clients.autoScaling.send(
        new SetDesiredCapacityCommand({
          AutoScalingGroupName: group,
          DesiredCapacity: desiredCapacity,
          HonorCooldown: false,
        }),
      ),
    );
  }

  async setTags(group: string, tags: Record<string, string>): Promise<void> {
    // Not propagated: the surge state describes the group, and instances launched during it must not carry it.
    const Tags = Object.entries(tags).map(([Key, Value]) => ({
      ResourceId: group,
      ResourceType: "auto-scaling-group",
      Key,
      Value,
      PropagateAtLaunch: false,
    }));
    await this.send(group, "CreateOrUpdateTags", () =>
      this.clients.autoScaling.send(new CreateOrUpdateTagsCommand({ Tags })),
    );
  }

  async removeTags(group: string, keys: string[]): Promise<void> {
    // DeleteTags of a key the group does not have succeeds, so a repeated clean-up is harmless.
    const Tags = keys.map((Key) => ({ ResourceId: group, ResourceType: "auto-scaling-group", Key }));
    await this.send(group, "DeleteTags", () => this.clients.autoScaling.send(new DeleteTagsCommand({ Tags })));
  }

  async suspendProcesses(group: string, processes: string[]): Promise<void> {
    await this.send(group, "SuspendProcesses", () =>
      this.clients.autoScaling.send(
        new SuspendProcessesCommand({ AutoScalingGroupName: group, ScalingProcesses: processes }),
      ),
    );
  }

  async resumeProcesses(group: string, processes: string[]): Promise<void> {
    await this.send(group, "ResumeProcesses", () =>
      this.clients.autoScaling.send(
        new ResumeProcessesCommand({ AutoScalingGroupName: group, ScalingProcesses: processes }),
      ),
    );
  }

  /**
   * One TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity per instance, in order (a surge
   * finish removes a handful, oldest first). An instance already gone is reported as such: desired capacity did not
   * drop for it, which the sweep must know.
   */
  async terminateAndDecrement(requests: { group: string; instanceId: string }[]): Promise<TerminationOutcome[]> {
    const outcomes: TerminationOutcome[] = [];
    for (const { group, instanceId } of requests) {
      try {
        await this.clients.autoScaling.send(
          new TerminateInstanceInAutoScalingGroupCommand({
            InstanceId: instanceId,
            ShouldDecrementDesiredCapacity: true,
          }),
        );
        outcomes.push({ group, instanceId, status: "terminated" });
      } catch (err) {
        const status = isAlreadyGone(err) ? "already-gone" : "failed";
        outcomes.push({ group, instanceId, status, error: errorText(err) });
      }
    }
    return outcomes;
  }

  private async send(group: string, action: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      const hint =
        errorName(err) === "AccessDenied" || errorName(err) === "AccessDeniedException"
          ? `; the rollout role needs autoscaling:${action} on this environment's groups (deploy the stack again)`
          : "; the next sweep retries from the group's tags";
      throw new SurgeStepError(`${action} on group ${group} failed: ${errorText(err)}${hint}`, { cause: err });
    }
  }
}
