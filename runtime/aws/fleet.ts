// The AWS fleet adapter: reads one environment's whole state (groups, instances, target health, release manifest,
// base image) in as few calls as the APIs allow, and terminates instances without decrementing desired capacity.
// Its `surge` (runtime/aws/surge.ts) changes desired capacity, tags and scaling processes for the surge strategy.
// This is the only code that reads or changes the fleet in AWS; everything else sees the FleetAdapter interface.
import {
  AutoScalingGroup,
  DescribeScalingActivitiesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  paginateDescribeAutoScalingGroups,
} from "@aws-sdk/client-auto-scaling";
import type { Instance as Ec2Instance } from "@aws-sdk/client-ec2";
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { capacityHistory, needsCapacityHistory } from "../core/capacity-history";
import { mapBounded } from "../core/concurrency";
import { ContractError, errorText, FleetReadError } from "../core/errors";
import { DEFAULT_PORT, MANIFEST_KEY, ROLLBACK_RECORD_KEY, TAGS } from "../contract";
import { parseManifest } from "../core/manifest";
import { parseRollbackRecord } from "../core/rollback";
import {
  AlarmReader,
  DesiredStateChecks,
  FleetAdapter,
  FleetState,
  GroupState,
  InstanceState,
  ReleaseManifest,
  RollbackRecord,
  SurgeOperations,
  TargetHealthState,
  TerminationOutcome,
} from "../core/types";
import { errorName, isAlreadyGone, READ_MANIFEST, step } from "./errors";
import { AwsClients, sdk } from "./clients";
import { readBaseImage, readReleaseBucket } from "./parameters";
import { AwsDesiredStateChecks } from "./desired-state";
import { AwsAlarms } from "./alarms";
import { S3ObjectStore } from "./s3-object-store";
import { AwsSurge, groupControl } from "./surge";

/** DescribeAutoScalingGroups returns at most 100 groups per page. */
const GROUP_PAGE_SIZE = 100;
/** DescribeInstances returns at most 1000 instances per page. */
const INSTANCE_PAGE_SIZE = 1000;
/** Values per instance-id filter: EC2 documents no limit, but callers have hit one at about 200 in practice. */
const INSTANCE_ID_BATCH = 200;
/** Scaling activities read for a group that may be wedged: the newest are the ones that tell. */
const HISTORY_RECORDS = 20;
/** Instance states that can belong to a group; terminated instances linger in DescribeInstances for up to an hour. */
const LIVE_INSTANCE_STATES = ["pending", "running", "shutting-down", "stopping", "stopped"];
/** Health reported for an instance its target group does not list: ELB's own word for "not registered". */
const NOT_REGISTERED: TargetHealthState = "unused";

export interface AwsFleetOptions {
  /** The clock that stamps `readAt`. @default () => new Date() */
  now?: () => Date;
  /** TerminateInstanceInAutoScalingGroup calls in flight at once. @default 4 */
  terminateConcurrency?: number;
  /** DescribeTargetHealth calls in flight at once. @default 8 */
  targetHealthConcurrency?: number;
}

export class AwsFleet implements FleetAdapter {
  private readonly now: () => Date;
  private readonly terminateConcurrency: number;
  private readonly targetHealthConcurrency: number;
  readonly surge: SurgeOperations;
  readonly checks: DesiredStateChecks;
  readonly alarms: AlarmReader;

  constructor(
    private readonly clients: AwsClients,
    options: AwsFleetOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.terminateConcurrency = Math.max(1, options.terminateConcurrency ?? 4);
    this.targetHealthConcurrency = Math.max(1, options.targetHealthConcurrency ?? 8);
    this.surge = new AwsSurge(clients);
    this.checks = new AwsDesiredStateChecks(clients);
    this.alarms = new AwsAlarms(clients);
  }

  /**
   * Reads the environment completely or throws FleetReadError: a partial view must never drive a termination.
   * The desired state (bucket parameter, manifest, base image) is read alongside the groups; `checks` verifies it.
   */
  async readFleet(environment: string): Promise<FleetState> {
    const readAt = this.now().toISOString();
    const [groups, desired] = await Promise.all([this.readGroups(environment, readAt), this.readDesired(environment)]);
    return {
      environment,
      readAt,
      ...(desired.manifest
        ? { desiredVersion: desired.manifest.version, desiredArtifacts: { ...desired.manifest.artifacts } }
        : {}),
      releaseStore: desired.bucket,
      ...(desired.imageId !== undefined ? { desiredImageId: desired.imageId } : {}),
      ...(desired.rollback !== undefined ? { rollback: desired.rollback } : {}),
      groups,
    };
  }

  /** One call per instance, a few at a time; an instance already gone is reported, never fatal. */
  async terminate(requests: { group: string; instanceId: string }[]): Promise<TerminationOutcome[]> {
    return mapBounded(requests, this.terminateConcurrency, async ({ group, instanceId }) => {
      try {
        await this.clients.autoScaling.send(
          new TerminateInstanceInAutoScalingGroupCommand({
            InstanceId: instanceId,
            ShouldDecrementDesiredCapacity: false,
          }),
        );
        return { group, instanceId, status: "terminated" };
      } catch (err) {
        if (isAlreadyGone(err)) {
          return { group, instanceId, status: "already-gone", error: errorText(err) };
        }
        return { group, instanceId, status: "failed", error: errorText(err) };
      }
    });
  }

  private async readDesired(
    environment: string,
  ): Promise<{ bucket: string; manifest?: ReleaseManifest; imageId?: string; rollback?: RollbackRecord }> {
    const manifest = step(READ_MANIFEST, environment, async () => {
      const bucket = await readReleaseBucket(this.clients.ssm, environment);
      // The last automatic rollback's record, beside the manifest: it marks a version no sweep may roll out again.
      const [current, record] = await Promise.all([
        readCurrentManifest(this.clients.s3, bucket),
        new S3ObjectStore(this.clients.s3, bucket).get(ROLLBACK_RECORD_KEY),
      ]);
      const rollback = record === undefined ? undefined : parseRollbackRecord(record.body.toString("utf8"));
      return { bucket, manifest: current, rollback };
    });
    const imageId = step("read the base-image parameter", environment, () =>
      readBaseImage(this.clients.ssm, environment),
    );
    const [m, i] = await Promise.all([manifest, imageId]);
    return {
      bucket: m.bucket,
      manifest: m.manifest,
      imageId: i,
      ...(m.rollback !== undefined && { rollback: m.rollback }),
    };
  }

  private async readGroups(environment: string, readAt: string): Promise<GroupState[]> {
    const asgs = await step("DescribeAutoScalingGroups", environment, () => this.describeGroups(environment));
    if (asgs.length === 0) {
      return [];
    }
    const ids = asgs.flatMap((g) => (g.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])));
    const arns = [...new Set(asgs.flatMap((g) => g.TargetGroupARNs ?? []))].sort();
    const [ec2, health] = await Promise.all([
      step("DescribeInstances", environment, () => this.describeInstances(environment, ids)),
      step("DescribeTargetHealth", environment, () => this.describeTargetHealth(arns)),
    ]);
    const groups = asgs
      .map((g) => toGroup(g, ec2, health, readAt))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const group of groups.filter(needsCapacityHistory)) {
      group.capacityHistory = await step("DescribeScalingActivities", environment, () => this.history(group.name));
    }
    return groups;
  }

  /** The group's recent desired-capacity changes, newest first (the API lists activities newest first). */
  private async history(group: string) {
    const out = await this.clients.autoScaling.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group, MaxRecords: HISTORY_RECORDS }),
    );
    return capacityHistory((out.Activities ?? []).map((a) => a.Cause ?? ""));
  }

  /** Every group tagged with the environment and some tier, 100 per page. */
  private async describeGroups(environment: string): Promise<AutoScalingGroup[]> {
    const groups: AutoScalingGroup[] = [];
    const pages = paginateDescribeAutoScalingGroups(
      { client: this.clients.autoScaling, pageSize: GROUP_PAGE_SIZE },
      {
        Filters: [
          { Name: `tag:${TAGS.environment}`, Values: [environment] },
          { Name: "tag-key", Values: [TAGS.tier] },
        ],
      },
    );
    for await (const page of pages) {
      groups.push(...(page.AutoScalingGroups ?? []));
    }
    return groups;
  }

  /**
   * The environment's instances in one paginated call filtered by tag (groups propagate their tags at launch), then,
   * only for group members that call did not return (an untagged or just-launched instance), a look-up by id.
   */
  private async describeInstances(environment: string, ids: string[]): Promise<Map<string, Ec2Instance>> {
    const found = new Map<string, Ec2Instance>();
    if (ids.length === 0) {
      return found;
    }
    const wanted = new Set(ids);
    const collect = (reservations: { Instances?: Ec2Instance[] }[] | undefined) => {
      for (const instance of (reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        if (instance.InstanceId && wanted.has(instance.InstanceId)) {
          found.set(instance.InstanceId, instance);
        }
      }
    };
    // EC2 and ELB are loaded only once groups are found (see clients.ts): the SDK's largest package stays off the path
    // to the first call.
    const { paginateDescribeInstances } = sdk.ec2();
    const pages = paginateDescribeInstances(
      { client: this.clients.ec2, pageSize: INSTANCE_PAGE_SIZE },
      {
        Filters: [
          { Name: `tag:${TAGS.environment}`, Values: [environment] },
          { Name: "instance-state-name", Values: LIVE_INSTANCE_STATES },
        ],
      },
    );
    for await (const page of pages) {
      collect(page.Reservations);
    }
    const missing = ids.filter((id) => !found.has(id)).sort();
    for (let start = 0; start < missing.length; start += INSTANCE_ID_BATCH) {
      // A filter (not InstanceIds) so that an id that no longer exists is simply absent instead of failing the call.
      const batch = missing.slice(start, start + INSTANCE_ID_BATCH);
      const pages = paginateDescribeInstances(
        { client: this.clients.ec2, pageSize: INSTANCE_PAGE_SIZE },
        { Filters: [{ Name: "instance-id", Values: batch }] },
      );
      for await (const page of pages) {
        collect(page.Reservations);
      }
    }
    return found;
  }

  /** Target health per target group ARN: instance id → state. One call per attached target group. */
  private async describeTargetHealth(arns: string[]): Promise<Map<string, Map<string, TargetHealthState>>> {
    const { DescribeTargetHealthCommand } = sdk.elbv2();
    const results = await mapBounded(arns, this.targetHealthConcurrency, async (arn) => {
      const out = await this.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      const byInstance = new Map<string, TargetHealthState>();
      for (const d of out.TargetHealthDescriptions ?? []) {
        const id = d.Target?.Id;
        if (!id) continue;
        const state = d.TargetHealth?.State ?? "unavailable";
        // The same instance registered on two ports: the worse state wins, so one unhealthy port keeps it unstable.
        const previous = byInstance.get(id);
        byInstance.set(id, previous === undefined || previous === "healthy" ? state : previous);
      }
      return [arn, byInstance] as const;
    });
    return new Map(results);
  }
}

/**
 * The published manifest (`releases/current.json`), or undefined when none is published yet. A manifest that exists
 * but does not parse throws ContractError: a broken pointer must stop the sweep, not read as "no release".
 * Other S3 errors propagate. (Without s3:ListBucket, S3 answers a missing key with AccessDenied, not NoSuchKey.)
 */
export async function readCurrentManifest(s3: S3Client, bucket: string): Promise<ReleaseManifest | undefined> {
  let text: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: MANIFEST_KEY }));
    if (!out.Body) {
      throw new ContractError(`s3://${bucket}/${MANIFEST_KEY} has no body`);
    }
    text = await out.Body.transformToString("utf-8");
  } catch (err) {
    if (err instanceof NoSuchKey || errorName(err) === "NoSuchKey") {
      return undefined;
    }
    throw err;
  }
  return parseManifest(text, `s3://${bucket}/${MANIFEST_KEY}`);
}

function toGroup(
  g: AutoScalingGroup,
  ec2: Map<string, Ec2Instance>,
  health: Map<string, Map<string, TargetHealthState>>,
  readAt: string,
): GroupState {
  const name = g.AutoScalingGroupName ?? "";
  const { desiredCapacity, tags, suspendedProcesses } = groupControl(g);
  const targetGroupArns = [...(g.TargetGroupARNs ?? [])];
  const instances: InstanceState[] = (g.Instances ?? [])
    .filter((i) => i.InstanceId)
    .map((i) => {
      const id = i.InstanceId!;
      const e = ec2.get(id);
      const lbHealth: Record<string, TargetHealthState> = {};
      for (const arn of targetGroupArns) {
        lbHealth[arn] = health.get(arn)?.get(id) ?? NOT_REGISTERED;
      }
      return {
        id,
        lifecycleState: i.LifecycleState ?? "Unknown",
        asgHealth: i.HealthStatus ?? "Unknown",
        lbHealth,
        // An instance EC2 no longer lists (terminated between the two reads) counts as just launched, never as old.
        launchTime: e?.LaunchTime ? e.LaunchTime.toISOString() : readAt,
        ...(e?.ImageId ? { imageId: e.ImageId } : {}),
        ...(e?.PrivateIpAddress ? { privateIp: e.PrivateIpAddress } : {}),
      };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    name,
    tier: tags[TAGS.tier] ?? "",
    desiredCapacity,
    minSize: g.MinSize ?? 0,
    maxSize: g.MaxSize ?? 0,
    port: parsePort(name, tags[TAGS.port]),
    targetGroupArns,
    tags,
    // Derived from the instances' lifecycle states rather than DescribeScalingActivities (one call per group):
    // a launch, termination, detach or standby transition in progress shows there. `Status` is set only while the
    // group is being deleted.
    activityInProgress: instances.some((i) => isTransitional(i.lifecycleState)) || Boolean(g.Status),
    suspendedProcesses,
    instances,
  };
}

/** The `phoenix:port` tag as a port number; 80 when absent; an invalid value fails the read naming the group. */
function parsePort(group: string, value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_PORT;
  }
  const port = /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FleetReadError(
      `group ${group}: tag ${TAGS.port}=${JSON.stringify(value)} is not a port (1-65535); fix the tag in the stack`,
    );
  }
  return port;
}

/** Lifecycle states in which Auto Scaling is still moving the instance: Pending*, Terminating*, Detaching, ... */
function isTransitional(state: string): boolean {
  return /^(Warmed:)?(Pending|Terminating)|^Detaching$|^EnteringStandby$/.test(state);
}
