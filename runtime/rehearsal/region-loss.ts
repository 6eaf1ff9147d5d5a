// The region-loss drill's two regions. The home region holds the lost environment: its fleet serving, its release store
// replicating `releases/` to the recovery region's replica as S3 replication does, and the SSM parameters its stack and
// image pipeline write there (the replica's name, the copied base image). At minute zero the home region disappears;
// the recovery stack is then built from what the recovery region holds, decided by the same rule the Pulumi program
// uses (runtime/core/recovery.ts), and the run's own fleet, store and Lambda are the recovery environment's.
import * as fs from "node:fs";
import * as path from "node:path";
import { baseImageParameterName, RELEASES_PREFIX, releaseReplicaParameterName } from "../contract";
import { recoverySource, RecoverySource } from "../core/recovery";
import type { ObjectStore } from "../core/types";
import { Prng, SimClock } from "./clock";
import { DiskObjectStore } from "./disk-store";
import { FleetTiming } from "./instance-lifecycle";
import { LoopbackAddresses } from "./instance-server";
import { LocalFleet } from "./local-fleet";

/** The drill's geography: who is lost where, and where it is rebuilt. */
export interface RegionLossPlan {
  /** The environment that is lost (`live`). */
  recoverFrom: string;
  homeRegion: string;
  /** The recovery region, which holds the replica and the copied image. */
  region: string;
  /** The base image's id in the home region, and its copy's id in the recovery region (AMI ids are regional). */
  homeImageId: string;
  copiedImageId: string;
}

/** The home region: the environment that will be lost, replicating into the recovery region until it is. */
export class HomeRegion {
  readonly store: DiskObjectStore;
  readonly fleet: LocalFleet;
  /** The recovery region's SSM parameters, as the home stack and its image pipeline wrote them there. */
  readonly recoveryParameters = new Map<string, string>();
  private lost = false;

  constructor(
    private readonly plan: RegionLossPlan,
    o: {
      workDir: string;
      replica: ObjectStore;
      replicaName: string;
      clock: SimClock;
      random: Prng;
      timing: FleetTiming;
      port: number;
    },
  ) {
    this.store = new DiskObjectStore(path.join(o.workDir, "home-bucket"));
    // S3 replication: every new object under releases/ is copied, checksum and all, to the recovery region's replica.
    this.store.onPut((key) => {
      if (key.startsWith(RELEASES_PREFIX)) void this.replicate(key, o.replica);
    });
    this.recoveryParameters.set(releaseReplicaParameterName(plan.recoverFrom), o.replicaName);
    this.recoveryParameters.set(baseImageParameterName(plan.recoverFrom), plan.copiedImageId);
    this.fleet = new LocalFleet({
      environment: plan.recoverFrom,
      clock: o.clock,
      random: o.random,
      store: this.store,
      timing: o.timing,
      baseImageId: plan.homeImageId,
      port: o.port,
      addresses: new LoopbackAddresses(process.pid + 25),
    });
  }

  /** The home region disappears: every instance stops answering, and its store is gone (its directory removed). */
  async lose(): Promise<void> {
    this.lost = true;
    await this.fleet.close();
    fs.rmSync(this.store.root, { recursive: true, force: true });
  }

  /** The recovery stack's first step (`pulumi up --stack <env>-dr`): where it starts, from the recovery region alone. */
  recoverySource(): RecoverySource {
    const read = (name: string) => this.recoveryParameters.get(name);
    const replica = read(releaseReplicaParameterName(this.plan.recoverFrom));
    const image = read(baseImageParameterName(this.plan.recoverFrom));
    return recoverySource({
      recoverFrom: this.plan.recoverFrom,
      region: this.plan.region,
      replica: replica === undefined ? { missing: "ParameterNotFound" } : { bucketName: replica },
      baseImage: image === undefined ? { missing: "ParameterNotFound" } : { imageId: image },
    });
  }

  private async replicate(key: string, replica: ObjectStore): Promise<void> {
    if (this.lost) return;
    const object = await this.store.get(key);
    const meta = await this.store.head(key);
    if (object === undefined || meta === undefined) return;
    await replica.put(key, object.body, { ...(meta.sha256 !== undefined && { sha256: meta.sha256 }) });
  }
}
