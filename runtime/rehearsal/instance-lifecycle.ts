// One local instance's life, as EC2, its boot script and the target group's checks give it: it launches from the
// base image, installs the build the manifest names (or, with no manifest at all, serves the no-release placeholder,
// as userdata/linux.sh does), answers /version on its own loopback address once booted, goes
// Pending → InService → healthy (or unhealthy) in the target group, and once terminated drains before it is gone.
// When an instance is launched, terminated or replaced is Auto Scaling's decision (local-fleet.ts), not this file's.
import { MANIFEST_KEY, UNRELEASED_VERSION } from "../contract";
import { parseManifest } from "../core/manifest";
import { ObjectStore } from "../core/types";
import { readArtifact } from "./artifact";
import { Prng, SimClock } from "./clock";
import { InstanceServer, LoopbackAddresses } from "./instance-server";
import type { LocalGroup } from "./local-fleet";

/** How long things take on the local fleet, in simulated seconds. */
export interface FleetTiming {
  /** Launch until the application answers /version (EC2 boot plus the boot script). */
  bootSeconds: number;
  /** Each boot is bootSeconds × (1 ± bootJitter), drawn from the seeded generator. */
  bootJitter: number;
  /** Launch until Auto Scaling puts the instance InService (the EC2 instance is running; the app may not be). */
  pendingSeconds: number;
  /** The target group's checks: an instance is marked healthy (or unhealthy) this long after its app answers. */
  healthCheckSeconds: number;
  /** Auto Scaling ignores failed load-balancer checks this long after InService (health check type ELB). */
  gracePeriodSeconds: number;
  /** A terminated instance drains this long (lifecycle Terminating, target draining) before it is gone. */
  drainSeconds: number;
}

/** Timing for a given boot length: a minute to InService, 30 s of target checks, grace well beyond a slow boot. */
export function defaultTiming(bootMinutes: number): FleetTiming {
  const bootSeconds = bootMinutes * 60;
  return {
    bootSeconds,
    bootJitter: 0.1,
    pendingSeconds: Math.min(60, bootSeconds / 2),
    healthCheckSeconds: 30,
    gracePeriodSeconds: Math.ceil(bootSeconds * 1.5 + 60),
    drainSeconds: 30,
  };
}

/** Auto Scaling's lifecycle states the rehearsal needs. */
export type LifecycleState = "Pending" | "InService" | "Terminating";

/** Why an instance was terminated: by the release handler, by a sweep, or by Auto Scaling itself. */
export type TerminationCause = "release" | "sweep" | "asg-unhealthy" | "scale-in";

/** One local instance. `version` and `broken` come from the artifact it installed at boot. */
export interface LocalInstance {
  id: string;
  group: string;
  tier: string;
  launchTime: number;
  imageId: string;
  /**
   * The version it installed (UNRELEASED_VERSION for the placeholder when it found no manifest); undefined when the
   * manifest named an artifact it could not install (it will never become healthy).
   */
  version?: string;
  broken: boolean;
  lifecycle: LifecycleState;
  asgHealth: "Healthy" | "Unhealthy";
  /** Target health: `unused` (not registered), `initial`, `healthy`, `unhealthy`, `draining`. */
  target: string;
  /** True once the app answers (or, for a broken build, fails to answer) on its address. */
  appUp: boolean;
  address: string;
  server: InstanceServer;
  behaviour: { version: string; broken: boolean; up: boolean; errorRate?: number };
  inServiceAt?: number;
}

/** What happened on the fleet, for the rehearsal's triggers, view and chart. */
export type FleetEvent =
  | { type: "launched"; instance: LocalInstance }
  /** Auto Scaling's "EC2 Instance Launch Successful": the instance went InService. */
  | { type: "launch-successful"; instance: LocalInstance }
  | { type: "target-health"; instance: LocalInstance }
  /** `wasInService`: it served traffic until now (otherwise it was booting or failing its checks). */
  | { type: "terminating"; instance: LocalInstance; cause: TerminationCause; wasInService: boolean }
  /** Auto Scaling's "EC2 Instance Terminate Successful": the instance is gone. */
  | { type: "terminate-successful"; instance: LocalInstance; cause: TerminationCause };

/** Serving traffic: InService and healthy in the target group. */
export function isInService(instance: LocalInstance): boolean {
  return instance.lifecycle === "InService" && instance.target === "healthy";
}

export interface InstanceLifecycleOptions {
  clock: SimClock;
  random: Prng;
  /** The release store the boot script reads the manifest and its artifact from. */
  store: ObjectStore;
  timing: FleetTiming;
  /** The port every app listens on. */
  port: number;
  addresses: LoopbackAddresses;
  /** The base-image parameter as it is now: the image a launch uses. */
  imageId: () => string;
  emit: (event: FleetEvent) => void;
  /** Auto Scaling's health check of one instance, run when its grace period ends and whenever its target changes. */
  healthCheck: (instance: LocalInstance) => Promise<void>;
}

/** Launches, boots and drains local instances on the simulated clock. */
export class InstanceLifecycle {
  constructor(private readonly options: InstanceLifecycleOptions) {}

  /** An instance that booted before the rehearsal began: InService and already judged by the target group. */
  async running(group: LocalGroup, launchTime: number): Promise<LocalInstance> {
    const instance = await this.create(group, launchTime);
    instance.lifecycle = "InService";
    instance.inServiceAt = instance.launchTime;
    instance.target = instance.broken ? "unhealthy" : "healthy";
    instance.appUp = true;
    instance.behaviour.up = true;
    return instance;
  }

  /**
   * Launches an instance into `group` now. It is InService after pendingSeconds (its app may still be booting), its
   * app answers after a jittered boot, and the target group judges it healthCheckSeconds after either.
   */
  async launch(group: LocalGroup): Promise<void> {
    const { clock, random, timing } = this.options;
    const instance = await this.create(group, clock.now());
    this.options.emit({ type: "launched", instance });
    const boot = timing.bootSeconds * (1 + timing.bootJitter * (2 * random.next() - 1)) * 1000;
    const pending = Math.min(timing.pendingSeconds * 1000, boot);
    const check = timing.healthCheckSeconds * 1000;
    const alive = () => group.instances.includes(instance) && instance.lifecycle !== "Terminating";

    clock.after(pending, `${instance.id} InService`, () => {
      if (!alive()) return;
      instance.lifecycle = "InService";
      instance.inServiceAt = clock.now();
      instance.target = "initial";
      this.options.emit({ type: "launch-successful", instance });
      // Until the app answers, the target group's checks fail.
      clock.after(check, `${instance.id} first target check`, async () => {
        if (alive() && !instance.appUp) await this.setTarget(instance, "unhealthy");
      });
      clock.after(timing.gracePeriodSeconds * 1000, `${instance.id} grace period over`, () =>
        this.options.healthCheck(instance),
      );
    });
    clock.after(boot, `${instance.id} app up`, () => {
      if (!alive()) return;
      instance.appUp = true;
      instance.behaviour.up = true;
      clock.after(Math.max(check, pending + check - boot), `${instance.id} target verdict`, async () => {
        if (!alive()) return;
        await this.setTarget(instance, instance.broken || instance.version === undefined ? "unhealthy" : "healthy");
      });
    });
  }

  /** Terminating: the target drains at once; after drainSeconds the instance leaves its group and its app stops. */
  terminate(group: LocalGroup, instance: LocalInstance, cause: TerminationCause): void {
    const wasInService = isInService(instance);
    instance.lifecycle = "Terminating";
    instance.target = "draining";
    this.options.emit({ type: "terminating", instance, cause, wasInService });
    this.options.clock.after(this.options.timing.drainSeconds * 1000, `${instance.id} gone`, async () => {
      group.instances = group.instances.filter((i) => i !== instance);
      await instance.server.close();
      this.options.emit({ type: "terminate-successful", instance, cause });
    });
  }

  private async setTarget(instance: LocalInstance, state: string): Promise<void> {
    if (instance.target === state) return;
    instance.target = state;
    this.options.emit({ type: "target-health", instance });
    await this.options.healthCheck(instance);
  }

  /** RunInstances plus the boot script's install: it reads the manifest and its tier's artifact now. */
  private async create(group: LocalGroup, launchTime: number): Promise<LocalInstance> {
    const { random } = this.options;
    const build = await this.installedBuild(group.tier);
    const behaviour = {
      version: build?.version ?? "",
      broken: build === undefined || build.broken,
      up: false,
      ...(build?.errorRate !== undefined && { errorRate: build.errorRate }),
    };
    const server = await InstanceServer.start(this.options.addresses, this.options.port, behaviour);
    const instance: LocalInstance = {
      id: `i-0${random.hex8()}${random.hex8()}`,
      group: group.name,
      tier: group.tier,
      launchTime,
      imageId: this.options.imageId(),
      broken: behaviour.broken,
      lifecycle: "Pending",
      asgHealth: "Healthy",
      target: "unused",
      appUp: false,
      address: server.address,
      server,
      behaviour,
    };
    if (build !== undefined) instance.version = build.version;
    group.instances.push(instance);
    return instance;
  }

  private async installedBuild(
    tier: string,
  ): Promise<{ version: string; broken: boolean; errorRate?: number } | undefined> {
    const manifestObject = await this.options.store.get(MANIFEST_KEY);
    // Nothing published yet: the boot script serves the placeholder, which answers and passes its checks.
    if (manifestObject === undefined) return { version: UNRELEASED_VERSION, broken: false };
    const manifest = parseManifest(manifestObject.body.toString("utf8"));
    const key = manifest.artifacts[tier];
    const artifact = key === undefined ? undefined : await this.options.store.get(key);
    if (artifact === undefined) return undefined;
    const build = readArtifact(artifact.body);
    // The boot script installs what the manifest names; the artifact's own version must agree or the boot fails.
    return build !== undefined && build.version === manifest.version ? build : undefined;
  }
}
