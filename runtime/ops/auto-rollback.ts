// Automatic rollback: a rollout alarm fired past a checkpoint (old instances already gone), and the plan asked for the
// previous release back. This writes it as current through the same conditional write as `phoenix rollback`, so a
// newer release published meanwhile is never overwritten, then records what was rolled back from and why in
// `rollbacks/latest.json`, which marks the bad version. It needs no more of the store than that: the published
// versions are listed and their artifacts checked with the reads the sweep already has.
import { artifactKey, ROLLBACK_RECORD_KEY } from "../contract";
import { errorText } from "../core/errors";
import { isRolledBack, rollbackRecordText } from "../core/rollback";
import { AlarmStop, ObjectStore, Plan, ReleaseManifest, RollbackRecord } from "../core/types";
import { compareVersions, sameVersion } from "../core/version";
import { publishedVersions, readRollbackRecord } from "./release-records";
import { readCurrentRelease, ReleaseConflictError, writeManifest } from "./releases";

/** What the rollback did. */
export interface RollbackOutcome {
  /**
   * `done`: the previous release is current and the record written. `superseded`: the manifest no longer names the
   * version (a newer release, or a rollback by hand): nothing written. `no-previous`: no published version to go back
   * to, a warning: the rollout just stops. `failed`: a read or write failed (the next sweep decides again).
   */
  status: "done" | "superseded" | "no-previous" | "failed";
  from: string;
  to?: string;
  tier: string;
  alarm: string;
  checkpoint: string;
  /** One line for the log and the CLI. */
  message: string;
}

/** The first group (by name) whose alarm stop asks for a rollback; one rollback serves the whole environment. */
export function rollbackRequest(plan: Plan): (AlarmStop & { tier: string; version: string }) | undefined {
  const g = plan.groups.find((x) => x.alarmStop?.rollback === true && x.alarmStop.version !== undefined);
  return g === undefined ? undefined : { ...g.alarmStop!, tier: g.tier, version: g.alarmStop!.version! };
}

/** Writes the previous release back as current, if the plan asks for it; undefined when it does not. */
export async function rollBackOnAlarm(
  store: ObjectStore,
  plan: Plan,
  now: () => Date,
): Promise<RollbackOutcome | undefined> {
  const request = rollbackRequest(plan);
  if (request === undefined) return undefined;
  const { version: from, tier, alarm, checkpoint } = request;
  const why = `${alarm} in ALARM at checkpoint ${checkpoint} (${tier})`;
  const base = { from, tier, alarm, checkpoint };
  try {
    const current = await readCurrentRelease(store);
    if (current.manifest === undefined || !sameVersion(current.manifest.version, from)) {
      const names = current.manifest?.version ?? "nothing";
      return {
        ...base,
        status: "superseded",
        message: `not rolled back: the manifest names ${names}, no longer ${from}; ${why}`,
      };
    }
    const previous = await previousRelease(store, from, Object.keys(current.manifest.artifacts));
    if (previous === undefined) {
      return {
        ...base,
        status: "no-previous",
        message:
          `warning: ${why}, but no published version before ${from} has every tier's artifact to roll back to: ` +
          `the rollout stops and ${from} stays where it runs; publish a fix`,
      };
    }
    const at = now().toISOString();
    const manifest: ReleaseManifest = { version: previous.version, artifacts: previous.artifacts, publishedAt: at };
    await writeManifest(store, manifest, current);
    const message = `rolled back automatically: ${why}; ${previous.version} is current again (was ${from})`;
    const record: Omit<RollbackRecord, "kind"> = {
      from,
      to: previous.version,
      tier,
      alarm,
      checkpoint,
      at,
      reason: message,
    };
    await store.put(ROLLBACK_RECORD_KEY, Buffer.from(rollbackRecordText(record)), { contentType: "application/json" });
    return { ...base, status: "done", to: previous.version, message };
  } catch (err) {
    if (err instanceof ReleaseConflictError) {
      return { ...base, status: "superseded", message: `not rolled back: ${err.message}; ${why}` };
    }
    return { ...base, status: "failed", message: `rollback after ${why} failed: ${errorText(err)}` };
  }
}

/**
 * The highest published version below `from` whose artifact for every tier exists (`releases/<v>/<tier>.zip`), the
 * version the last automatic rollback marked passed over: `phoenix rollback`'s choice, except that a version missing an
 * artifact is passed over too (a sweep has nobody to ask), found with a listing and HEADs (the rollout role reads no
 * release record).
 */
async function previousRelease(
  store: ObjectStore,
  from: string,
  tiers: string[],
): Promise<{ version: string; artifacts: Record<string, string> } | undefined> {
  const [published, marked] = await Promise.all([publishedVersions(store), readRollbackRecord(store)]);
  const older = published.filter((v) => compareVersions(v, from) < 0 && !isRolledBack(marked, v)).reverse();
  for (const version of older) {
    const artifacts = Object.fromEntries(tiers.map((t) => [t, artifactKey(version, t)]));
    const present = await Promise.all(Object.values(artifacts).map((key) => store.head(key)));
    if (present.every((h) => h !== undefined)) return { version, artifacts };
  }
  return undefined;
}
