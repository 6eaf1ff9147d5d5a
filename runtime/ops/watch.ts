// Following a rollout (`phoenix release --wait`): poll the fleet until every tier runs the version and is healthy,
// or until it times out, or until it stalls (no new instance became healthy on the version for a while), or until a
// tier's surge to the version is aborted (the group's `phoenix:surge-failed` tag names it, and `phoenix:surge-alarm`
// the rollout alarm that stopped it), or until the version was rolled back automatically (the rollback record names
// it and the manifest names another). Health and its reasons come from the planner, so "healthy" here means exactly
// what it means to the terminator.
import { noGroupsError, UsageError } from "../core/errors";
import { SURGE_TAGS } from "../contract";
import { plan as planFleet } from "../core/planner";
import { readSnapshot } from "./sweep";
import { DEFAULT_POLICY, FleetAdapter, FleetSnapshot, ProbeOptions } from "../core/types";
import { isRolledBack } from "../core/rollback";
import { normalizeVersion, sameVersion } from "../core/version";

/** Time as the follower sees it; tests drive it, the CLI passes the real one. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export const DEFAULT_FOLLOW = { pollMs: 15_000, timeoutMs: 60 * 60_000, stallMs: 20 * 60_000 };

export interface TierProgress {
  tier: string;
  group: string;
  /** Desired capacity of the group. */
  desired: number;
  /** Instances that run the version and are healthy. */
  onVersion: number;
  /** Replacements in flight: Pending, or up but not yet healthy (booting, installing, failing health checks). */
  inFlight: number;
  /** Instances still on another version. */
  stale: number;
  converged: boolean;
  /** Instances holding the tier back, each with why (the planner's unhealthy reasons, or its old version). */
  waiting: { id: string; why: string }[];
  /** The planner's reason for the group when it has not converged (e.g. fewer instances than desired). */
  reason?: string;
  /** Set when the group's surge to this version was aborted: the release failed in this tier. */
  surgeFailed?: true;
  /** The rollout alarm that stopped it, when one did: `<alarm> in ALARM at checkpoint 1 of 3`. */
  stoppedBy?: string;
}

export interface RolloutProgress {
  version: string;
  elapsedMs: number;
  tiers: TierProgress[];
  /** The last fleet read failed with this; the follower keeps polling. */
  error?: string;
  /**
   * Set when the version was rolled back automatically: `<alarm> in ALARM at checkpoint 2 of 3 (web)`, and the
   * version made current again.
   */
  rolledBack?: { why: string; to: string };
}

export interface FollowResult extends RolloutProgress {
  /**
   * `failed`: a tier's surge to the version was aborted (its new instances never became healthy, or a rollout alarm
   * stopped it); `rolled-back`: a rollout alarm past a checkpoint made the rollout write the previous release back.
   */
  status: "converged" | "timeout" | "stalled" | "failed" | "rolled-back";
  /** One line per instance holding the rollout back, with why; empty when converged. */
  detail: string[];
}

export interface FollowRequest {
  fleet: FleetAdapter;
  environment: string;
  version: string;
  probe?: Partial<ProbeOptions>;
  clock: Clock;
  /** @default 15000 */
  pollMs?: number;
  /** Give up after this long. @default 3600000 (60 min) */
  timeoutMs?: number;
  /** Stalled when no instance became healthy on the version for this long. @default 1200000 (20 min) */
  stallMs?: number;
  onProgress?: (progress: RolloutProgress) => void;
}

export async function followRollout(request: FollowRequest): Promise<FollowResult> {
  const version = normalizeVersion(request.version);
  if (version === undefined) throw new UsageError(`cannot follow ${JSON.stringify(request.version)}: not a version`);
  const { clock } = request;
  const pollMs = request.pollMs ?? DEFAULT_FOLLOW.pollMs;
  const timeoutMs = request.timeoutMs ?? DEFAULT_FOLLOW.timeoutMs;
  const stallMs = request.stallMs ?? DEFAULT_FOLLOW.stallMs;

  const start = clock.now();
  let lastProgressAt = start;
  const healthySeen = new Set<string>();
  let latest: RolloutProgress = { version, elapsedMs: 0, tiers: [] };

  for (;;) {
    let error: string | undefined;
    try {
      const snapshot = await readSnapshot(request.fleet, request.environment, request.probe);
      if (snapshot.groups.length === 0) {
        throw noGroupsError(request.environment, "check --env, AWS_REGION and AWS_PROFILE");
      }
      const tiers = progressOf(snapshot, version);
      for (const t of tiers) {
        for (const id of t.healthyIds) {
          if (!healthySeen.has(id)) lastProgressAt = clock.now();
          healthySeen.add(id);
        }
      }
      const record = snapshot.rollback;
      const rolledBack =
        record !== undefined && isRolledBack(record, version) && !sameVersion(snapshot.desiredVersion ?? "", version)
          ? { why: `${record.alarm} in ALARM at checkpoint ${record.checkpoint} (${record.tier})`, to: record.to }
          : undefined;
      latest = {
        version,
        elapsedMs: clock.now() - start,
        tiers: tiers.map(({ healthyIds: _, ...t }) => t),
        ...(rolledBack !== undefined && { rolledBack }),
      };
    } catch (err) {
      if (err instanceof UsageError) throw err;
      // A failed read is not a failed rollout: keep polling until the deadline.
      error = (err as Error).message;
      latest = { ...latest, elapsedMs: clock.now() - start, error };
    }
    request.onProgress?.(latest);

    const now = clock.now();
    if (error === undefined && latest.tiers.every((t) => t.converged)) {
      return { ...latest, status: "converged", detail: [] };
    }
    if (error === undefined && latest.rolledBack !== undefined) {
      return { ...latest, status: "rolled-back", detail: detailOf(latest) };
    }
    if (error === undefined && latest.tiers.some((t) => t.surgeFailed)) {
      return { ...latest, status: "failed", detail: detailOf(latest) };
    }
    if (now - start >= timeoutMs) {
      return { ...latest, elapsedMs: now - start, status: "timeout", detail: detailOf(latest) };
    }
    if (now - lastProgressAt >= stallMs) {
      return { ...latest, elapsedMs: now - start, status: "stalled", detail: detailOf(latest) };
    }
    await clock.sleep(Math.max(1, Math.min(pollMs, start + timeoutMs - now, lastProgressAt + stallMs - now)));
  }
}

/** Per group: how far it is towards every instance on the version and healthy. */
export function progressOf(snapshot: FleetSnapshot, version: string): (TierProgress & { healthyIds: string[] })[] {
  const plan = planFleet({ ...snapshot, desiredVersion: version }, DEFAULT_POLICY);
  const groups = new Map(snapshot.groups.map((g) => [g.name, g]));
  return plan.groups.map((g) => {
    const group = groups.get(g.name)!;
    const unhealthy = new Map(g.unstable.map((u) => [u.id, u.why]));
    const healthyIds: string[] = [];
    const waiting: { id: string; why: string }[] = [];
    let inFlight = 0;
    let stale = 0;
    for (const d of g.instances) {
      const instance = group.instances.find((i) => i.id === d.id)!;
      const onVersion = d.version !== undefined && sameVersion(d.version, version);
      const why = unhealthy.get(d.id);
      if (onVersion && why === undefined) {
        healthyIds.push(d.id);
      } else if (onVersion || instance.lifecycleState.startsWith("Pending") || (why !== undefined && !d.version)) {
        inFlight += 1;
        waiting.push({ id: d.id, why: why ?? "is not healthy yet" });
      } else {
        stale += 1;
        waiting.push({ id: d.id, why: `runs ${d.version ?? "no version"}, not ${version}${why ? `, ${why}` : ""}` });
      }
    }
    const converged = waiting.length === 0 && healthyIds.length === group.desiredCapacity;
    const failedTag = group.tags?.[SURGE_TAGS.failed];
    // The tag holds the surge's target, `<version>` or `<version> <image>`.
    const surgeFailed = !converged && failedTag !== undefined && sameVersion(failedTag.split(" ")[0], version);
    const alarmTag = group.tags?.[SURGE_TAGS.alarm];
    return {
      tier: g.tier,
      group: g.name,
      desired: group.desiredCapacity,
      onVersion: healthyIds.length,
      inFlight,
      stale,
      converged,
      waiting,
      healthyIds,
      ...(converged ? {} : { reason: g.reason }),
      ...(surgeFailed && { surgeFailed: true as const }),
      ...(surgeFailed && alarmTag !== undefined && { stoppedBy: alarmTag }),
    };
  });
}

function detailOf(progress: RolloutProgress): string[] {
  const lines: string[] = [];
  if (progress.error !== undefined) lines.push(`the last fleet read failed: ${progress.error}`);
  if (progress.rolledBack !== undefined) {
    lines.push(
      `${progress.version} was rolled back automatically (${progress.rolledBack.why}); ${progress.rolledBack.to} ` +
        "is current again and the fleet goes back to it",
    );
    return lines;
  }
  for (const t of progress.tiers) {
    if (t.converged) continue;
    if (t.surgeFailed) {
      lines.push(
        t.stoppedBy !== undefined
          ? `${t.tier} ${t.group}: the rollout of ${progress.version} was stopped: ${t.stoppedBy}; its surge was ` +
              "aborted. Publish a fix or roll back"
          : `${t.tier} ${t.group}: the surge to ${progress.version} was aborted (its new instances did not become ` +
              `healthy); the previous version serves at full capacity. Publish a fix or roll back`,
      );
    }
    for (const w of t.waiting) lines.push(`${t.tier} ${w.id} ${w.why}`);
    if (t.waiting.length === 0) {
      lines.push(`${t.tier} ${t.group}: ${t.onVersion} of ${t.desired} on ${progress.version}; ${t.reason ?? ""}`);
    }
  }
  return lines;
}
