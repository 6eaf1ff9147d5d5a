// The rehearsal's stand-in for AWS Auto Scaling: groups that keep their desired capacity (launching, scaling in
// oldest first, replacing instances the load balancer finds unhealthy), a load balancer view, and the base-image
// parameter — behind the same FleetAdapter the AWS adapter implements, so the real sweep and release handler drive it
// unchanged. How one instance boots, passes its checks and drains is instance-lifecycle.ts.
import { IMAGE_AVAILABLE, MANIFEST_KEY, TAGS } from "../contract";
import { needsCapacityHistory } from "../core/capacity-history";
import { parseManifest } from "../core/manifest";
import { publishedVersions, readRollbackRecord } from "../ops/release-records";
import {
  AlarmReader,
  CapacityChange,
  DesiredStateChecks,
  FleetAdapter,
  FleetState,
  GroupControl,
  GroupState,
  InstanceState,
  ObjectStore,
  TerminationOutcome,
} from "../core/types";
import { Prng, SimClock } from "./clock";
import {
  FleetEvent,
  FleetTiming,
  InstanceLifecycle,
  isInService,
  LocalInstance,
  TerminationCause,
} from "./instance-lifecycle";
import { LoopbackAddresses } from "./instance-server";

/** One Auto Scaling group: its capacity, tags, suspended processes and instances (those draining included). */
export interface LocalGroup {
  name: string;
  tier: string;
  desiredCapacity: number;
  minSize: number;
  maxSize: number;
  tags: Record<string, string>;
  suspendedProcesses: string[];
  instances: LocalInstance[];
  /** Desired-capacity changes, newest first, as the group's scaling activities would record them. */
  history: CapacityChange[];
}

export interface LocalFleetOptions {
  environment: string;
  clock: SimClock;
  random: Prng;
  /** The release store instances read the manifest and their artifact from at launch. */
  store: ObjectStore;
  timing: FleetTiming;
  /** The base-image parameter (`/phoenix/<env>/base-image`): the image every new instance launches from. */
  baseImageId: string;
  /** The port every app listens on (the groups' `phoenix:port` tag). */
  port: number;
  addresses?: LoopbackAddresses;
  /** The store's name in snapshots and messages (the bucket the Lambda is told of). @default "local-releases" */
  storeName?: string;
}

const ACCOUNT = "000000000000";

/** The local fleet. Every instance is a real HTTP server on its own loopback address until it is gone. */
export class LocalFleet implements FleetAdapter {
  readonly environment: string;
  readonly groups: LocalGroup[] = [];
  baseImageId: string;
  /** Images that exist here and are available: the base image and every one set with setBaseImage unless told not. */
  private readonly images = new Set<string>();
  /** Verifying a desired state against the disk store and the images above (the store is this fleet's own). */
  readonly checks: DesiredStateChecks;
  /** The rollout alarms' states (load.ts), when the run has a load model; without one no alarm can be read. */
  alarms?: AlarmReader;
  private readonly listeners: ((event: FleetEvent) => void)[] = [];
  private readonly lifecycle: InstanceLifecycle;
  private closed = false;

  constructor(private readonly options: LocalFleetOptions) {
    this.environment = options.environment;
    this.baseImageId = options.baseImageId;
    this.images.add(options.baseImageId);
    this.checks = {
      storeProblem: () => Promise.resolve(undefined),
      artifactExists: async (_store, key) => (await options.store.head(key)) !== undefined,
      imageState: (id) => Promise.resolve(this.images.has(id) ? IMAGE_AVAILABLE : undefined),
      publishedVersions: () => publishedVersions(options.store),
    };
    this.lifecycle = new InstanceLifecycle({
      clock: options.clock,
      random: options.random,
      store: options.store,
      timing: options.timing,
      port: options.port,
      addresses: options.addresses ?? new LoopbackAddresses(),
      imageId: () => this.baseImageId,
      emit: (event) => this.emit(event),
      healthCheck: (instance) => this.asgCheck(instance),
    });
  }

  onEvent(listener: (event: FleetEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Creates a group and fills it with instances that booted before the rehearsal began (already healthy). */
  async addGroup(
    tier: string,
    size: { desired: number; min?: number; max?: number },
    launchedAgoSeconds: (index: number) => number = () => 3600,
  ): Promise<LocalGroup> {
    const group: LocalGroup = {
      name: `${this.environment}-${tier}`,
      tier,
      desiredCapacity: size.desired,
      minSize: size.min ?? Math.min(1, size.desired),
      maxSize: size.max ?? Math.max(size.desired * 2, 1),
      tags: {
        [TAGS.environment]: this.environment,
        [TAGS.tier]: tier,
        [TAGS.port]: String(this.options.port),
      },
      suspendedProcesses: [],
      instances: [],
      history: [],
    };
    this.groups.push(group);
    for (let i = 0; i < size.desired; i++) {
      await this.lifecycle.running(group, this.options.clock.now() - launchedAgoSeconds(i) * 1000);
    }
    return group;
  }

  group(name: string): LocalGroup {
    const group = this.groups.find((g) => g.name === name || g.tier === name);
    if (group === undefined) throw new Error(`no local group named ${name}`);
    return group;
  }

  /** The target group ARN the local load balancer uses for a tier. */
  targetGroupArn(group: LocalGroup): string {
    return `arn:aws:elasticloadbalancing:local:${ACCOUNT}:targetgroup/${group.name}/rehearsal`;
  }

  // FleetAdapter ---------------------------------------------------------------------------------------------------

  readFleet(environment: string): Promise<FleetState> {
    if (environment !== this.environment) {
      return Promise.resolve({ environment, readAt: this.options.clock.iso(), groups: [] });
    }
    return this.readOwnFleet();
  }

  terminate(requests: { group: string; instanceId: string }[]): Promise<TerminationOutcome[]> {
    return this.terminateAs("sweep", requests);
  }

  /**
   * A view of this fleet whose terminations are recorded with `cause` (the release handler's, say); a function is
   * asked at each call, for one adapter shared by callers that take turns.
   */
  adapterFor(cause: TerminationCause | (() => TerminationCause)): FleetAdapter {
    const causeNow = typeof cause === "function" ? cause : () => cause;
    const alarms: AlarmReader = {
      // Asked at each sweep: a run gives the fleet its load model after the Lambda is built.
      read: (names) => this.alarms?.read(names) ?? Promise.reject(new Error("this rehearsal runs no rollout alarms")),
    };
    const adapter = {
      readFleet: (environment: string) => this.readFleet(environment),
      terminate: (requests: { group: string; instanceId: string }[]) => this.terminateAs(causeNow(), requests),
      surge: this.surgeOperations(causeNow),
      checks: this.checks,
      alarms,
    };
    return adapter;
  }

  /**
   * What a surge needs: desired capacity, tags, suspended processes, and terminations that lower desired capacity —
   * each idempotent, and refused (thrown) where Auto Scaling would refuse it.
   */
  surgeOperations(cause: () => TerminationCause) {
    return {
      readGroup: (group: string): Promise<GroupControl> => {
        const g = this.group(group);
        return Promise.resolve({
          desiredCapacity: g.desiredCapacity,
          tags: { ...g.tags },
          suspendedProcesses: [...g.suspendedProcesses],
        });
      },
      setDesiredCapacity: (group: string, desired: number) => this.setDesiredCapacity(group, desired),
      setTags: (group: string, tags: Record<string, string>) => {
        Object.assign(this.group(group).tags, tags);
        return Promise.resolve();
      },
      removeTags: (group: string, keys: string[]) => {
        const tags = this.group(group).tags;
        for (const key of keys) delete tags[key];
        return Promise.resolve();
      },
      suspendProcesses: (group: string, processes: string[]) => {
        const g = this.group(group);
        g.suspendedProcesses = [...new Set([...g.suspendedProcesses, ...processes])].sort();
        return Promise.resolve();
      },
      resumeProcesses: async (group: string, processes: string[]) => {
        const g = this.group(group);
        g.suspendedProcesses = g.suspendedProcesses.filter((p) => !processes.includes(p));
        await this.reconcile(g);
      },
      terminateAndDecrement: (requests: { group: string; instanceId: string }[]) =>
        this.terminateAs(cause(), requests, true),
    };
  }

  // Auto Scaling ---------------------------------------------------------------------------------------------------

  /** SetDesiredCapacity (`by` an explicit request, or an alarm's policy): the group launches or removes to match. */
  async setDesiredCapacity(groupName: string, desired: number, by: CapacityChange["by"] = "request"): Promise<void> {
    const group = this.group(groupName);
    if (desired < group.minSize || desired > group.maxSize) {
      throw new Error(
        `desired capacity ${desired} for ${group.name} is outside its size ${group.minSize}..${group.maxSize}`,
      );
    }
    this.recordChange(group, desired, by);
    group.desiredCapacity = desired;
    await this.reconcile(group);
  }

  /**
   * Sets the base-image parameter; instances launched from now on use it. `available: false` writes an id no image
   * here answers to (a typo, an image of another region) without registering it.
   */
  setBaseImage(imageId: string, options: { available?: boolean } = {}): void {
    this.baseImageId = imageId;
    if (options.available !== false) this.images.add(imageId);
  }

  /** The load balancer's view: per tier, the instances receiving traffic (healthy targets). */
  loadBalancer(): { tier: string; targets: { id: string; address: string; version?: string }[] }[] {
    return this.groups.map((g) => ({
      tier: g.tier,
      targets: g.instances
        .filter((i) => isInService(i))
        .map((i) => ({ id: i.id, address: i.address, version: i.version })),
    }));
  }

  /** Stops every app; the fleet schedules nothing more. */
  async close(): Promise<void> {
    this.closed = true;
    const servers = this.groups.flatMap((g) => g.instances.map((i) => i.server));
    for (const g of this.groups) g.instances = [];
    await Promise.all(servers.map((s) => s.close()));
  }

  // internals ------------------------------------------------------------------------------------------------------

  private async readOwnFleet(): Promise<FleetState> {
    const manifest = await this.options.store.get(MANIFEST_KEY);
    const state: FleetState = {
      environment: this.environment,
      readAt: this.options.clock.iso(),
      releaseStore: this.options.storeName ?? "local-releases",
      desiredImageId: this.baseImageId,
      groups: this.groups.map((g) => this.describeGroup(g)),
    };
    if (manifest !== undefined) {
      const parsed = parseManifest(manifest.body.toString("utf8"));
      state.desiredVersion = parsed.version;
      state.desiredArtifacts = { ...parsed.artifacts };
    }
    const rollback = await readRollbackRecord(this.options.store);
    if (rollback !== undefined) state.rollback = rollback;
    return state;
  }

  private recordChange(group: LocalGroup, to: number, by: CapacityChange["by"]): void {
    if (to === group.desiredCapacity) return;
    group.history.unshift({ at: this.options.clock.iso(), from: group.desiredCapacity, to, by });
  }

  private describeGroup(group: LocalGroup): GroupState {
    const arn = this.targetGroupArn(group);
    const state: GroupState = {
      name: group.name,
      tier: group.tier,
      desiredCapacity: group.desiredCapacity,
      minSize: group.minSize,
      maxSize: group.maxSize,
      port: this.options.port,
      targetGroupArns: [arn],
      tags: { ...group.tags },
      activityInProgress: group.instances.some((i) => i.lifecycle !== "InService"),
      suspendedProcesses: [...group.suspendedProcesses],
      instances: group.instances.map((i): InstanceState => ({
        id: i.id,
        lifecycleState: i.lifecycle,
        asgHealth: i.asgHealth,
        lbHealth: { [arn]: i.target },
        launchTime: new Date(i.launchTime).toISOString(),
        imageId: i.imageId,
        privateIp: i.address,
      })),
    };
    if (needsCapacityHistory(state)) state.capacityHistory = [...group.history];
    return state;
  }

  private async terminateAs(
    cause: TerminationCause,
    requests: { group: string; instanceId: string }[],
    decrement = false,
  ): Promise<TerminationOutcome[]> {
    const outcomes: TerminationOutcome[] = [];
    for (const request of requests) {
      const group = this.groups.find((g) => g.name === request.group);
      const instance = group?.instances.find((i) => i.id === request.instanceId);
      if (group === undefined || instance === undefined || instance.lifecycle === "Terminating") {
        outcomes.push({ group: request.group, instanceId: request.instanceId, status: "already-gone" });
        continue;
      }
      if (decrement) {
        if (group.desiredCapacity - 1 < group.minSize) {
          // Auto Scaling refuses ShouldDecrementDesiredCapacity=true below the group's minimum size.
          const error = `decrementing ${group.name} to ${group.desiredCapacity - 1} would go below its min size ${group.minSize}`;
          outcomes.push({ group: request.group, instanceId: request.instanceId, status: "failed", error });
          continue;
        }
        this.recordChange(group, group.desiredCapacity - 1, "request");
        group.desiredCapacity -= 1;
      }
      this.lifecycle.terminate(group, instance, cause);
      outcomes.push({ group: request.group, instanceId: request.instanceId, status: "terminated" });
    }
    // ShouldDecrementDesiredCapacity=false: the group launches replacements at once.
    for (const group of new Set(requests.map((r) => r.group))) {
      const found = this.groups.find((g) => g.name === group);
      if (found !== undefined) await this.reconcile(found);
    }
    return outcomes;
  }

  /** Keeps the group at its desired capacity, counting every instance that is not on its way out. */
  private async reconcile(group: LocalGroup): Promise<void> {
    if (this.closed) return;
    const live = () => group.instances.filter((i) => i.lifecycle !== "Terminating");
    while (live().length < group.desiredCapacity && !group.suspendedProcesses.includes("Launch")) {
      await this.lifecycle.launch(group);
    }
    if (group.suspendedProcesses.includes("Terminate")) return;
    // Scale-in: Auto Scaling's default policy removes the oldest instances first.
    const excess = live().length - group.desiredCapacity;
    if (excess > 0) {
      const oldest = [...live()].sort((a, b) => a.launchTime - b.launchTime).slice(0, excess);
      for (const instance of oldest) this.lifecycle.terminate(group, instance, "scale-in");
    }
  }

  /** Health check type ELB: once the grace period is over, an unhealthy target makes Auto Scaling replace it. */
  private async asgCheck(instance: LocalInstance): Promise<void> {
    const group = this.groups.find((g) => g.instances.includes(instance));
    if (group === undefined || instance.lifecycle !== "InService" || instance.inServiceAt === undefined) return;
    if (group.suspendedProcesses.includes("ReplaceUnhealthy")) return;
    if (this.options.clock.now() < instance.inServiceAt + this.options.timing.gracePeriodSeconds * 1000) return;
    if (instance.target !== "unhealthy") return;
    instance.asgHealth = "Unhealthy";
    this.lifecycle.terminate(group, instance, "asg-unhealthy");
    await this.reconcile(group);
  }

  private emit(event: FleetEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
