// `phoenix promote`: the exact bytes an environment proved, on to the next environment, and only once it proved them.
// Reads the source's release store (its current release, the version's record with each artifact's SHA-256, the
// convergence record its sweeps keep) and fleet, runs the gate (runtime/core/promotion.ts) unless forced, then
// publishes into the target through the same path as `phoenix release` (runtime/ops/releases.ts: validation,
// conditional manifest write, downgrade refusal, idempotence), each artifact copied server-side where one identity
// reaches both stores and downloaded and uploaded otherwise, and verified against the source's record before the
// target's manifest is written. Nothing is written to the target until every check has passed.
import { artifactKey, decodePolicyTag, MANIFEST_KEY, releaseRecordKey, TAGS } from "../contract";
import { ConvergenceRecord } from "../core/convergence";
import { ContractError, errorText, noGroupsError, UsageError } from "../core/errors";
import {
  AlarmReading,
  alarmReading,
  evaluateGate,
  evidenceOf,
  GateResult,
  Promotion,
  ServerSideCopy,
} from "../core/promotion";
import { FleetAdapter, FleetState, ObjectStore } from "../core/types";
import { readConvergence } from "./convergence";
import {
  ChecksumMismatchError,
  publishStaged,
  readCurrentRelease,
  readRecord,
  ReleaseRecord,
  ReleaseResult,
  StagedArtifact,
  storedSha256,
} from "./releases";
import { sha256 as sha256Of } from "./release-artifacts";

export type { ServerSideCopy } from "../core/promotion";

/** One environment as a promotion sees it: its release store and its fleet. */
export interface PromoteSide {
  environment: string;
  store: ObjectStore;
  fleet: FleetAdapter;
}

export interface PromoteDeps {
  source: PromoteSide;
  target: PromoteSide;
  /** Present when one identity reaches both stores; without it every artifact is downloaded, checked and uploaded. */
  serverSideCopy?: ServerSideCopy;
  /** Who is promoting (the caller's ARN), asked only when the gate is skipped, to record by whom. */
  caller(): Promise<string>;
}

export interface PromoteRequest {
  /** @default the source's current version */
  version?: string;
  /** Minutes the source must have stayed converged on the version. */
  soakMinutes: number;
  /** Skip the gate; the record then says so, and by whom. @default false */
  force?: boolean;
  /** Publish into the target even if it runs a newer version. @default false */
  allowDowngrade?: boolean;
  now: () => Date;
}

/** How each artifact reached the target. */
export type CopyMethod = "server-side copy" | "download and upload" | "already there";

export interface PromoteResult extends ReleaseResult {
  from: string;
  to: string;
  /** The gate's result, or why it was skipped. */
  gate: GateResult | { skipped: true; by: string };
  copied: { tier: string; key: string; method: CopyMethod }[];
  promotion: Promotion;
}

/** The gate did not pass: nothing was written to the target. Each check says why. */
export class PromotionRefusedError extends Error {
  override name = "PromotionRefusedError";
  constructor(
    message: string,
    readonly gate: GateResult,
  ) {
    super(message);
  }
}

/** The version, its record in the source and the source's evidence: everything the gate and the copy read. */
interface SourceRelease {
  version: string;
  current: string;
  record: ReleaseRecord;
  convergence: ConvergenceRecord | { missing: string } | undefined;
}

/** Promotes a version from one environment to another; see the top of the file. */
export async function promote(deps: PromoteDeps, request: PromoteRequest): Promise<PromoteResult> {
  const { source, target } = deps;
  if (source.environment === target.environment) {
    throw new UsageError(`--from and --to are both ${source.environment}: promote from one environment to another`);
  }
  const release = await readSource(source, request.version);
  const tiers = await tiersOf(target);
  checkTiers(release, tiers, source.environment, target.environment);

  let gate: PromoteResult["gate"];
  if (request.force) {
    gate = { skipped: true, by: await deps.caller() };
  } else {
    gate = await runGate(deps, release, request.soakMinutes);
    if (!gate.passed) {
      const failed = gate.checks.filter((c) => !c.ok).map((c) => c.name);
      throw new PromotionRefusedError(
        `the gate refused to promote ${release.version} from ${source.environment} to ${target.environment} ` +
          `(${failed.join(", ")}: see above); nothing was written to ${target.environment}. Re-run once it passes, or ` +
          "pass --force to skip it (the record then says so, and by whom)",
        gate,
      );
    }
  }

  const convergence =
    release.convergence !== undefined && "kind" in release.convergence ? release.convergence : undefined;
  const promotion: Promotion = {
    from: source.environment,
    at: request.now().toISOString(),
    evidence: evidenceOf(release.version, release.record.publishedAt, convergence),
    gate:
      "skipped" in gate
        ? { result: "skipped", by: gate.by }
        : { result: "passed", soakMinutes: request.soakMinutes, checks: gate.checks },
  };
  const staged = tiers.map((tier) => stage(deps, release, tier));
  const result = await publishStaged(target.store, {
    version: release.version,
    artifacts: staged,
    allowDowngrade: request.allowDowngrade,
    now: request.now,
    promotion,
  });
  const written = new Set(result.uploaded);
  return {
    ...result,
    from: source.environment,
    to: target.environment,
    gate,
    copied: staged.map((a) => ({
      tier: a.tier,
      key: a.key,
      method: !written.has(a.key) ? "already there" : deps.serverSideCopy ? "server-side copy" : "download and upload",
    })),
    promotion,
  };
}

/** A failure to read the source's store, said as one: which environment, then the store's own words. */
function unreadable(env: string, err: unknown): unknown {
  if (err instanceof UsageError || err instanceof ContractError) return err;
  return new Error(`--from ${env}: cannot read its release store: ${(err as Error).message}`, { cause: err });
}

async function readSource(source: PromoteSide, requested: string | undefined): Promise<SourceRelease> {
  try {
    return await readSourceStore(source, requested);
  } catch (err) {
    throw unreadable(source.environment, err);
  }
}

async function readSourceStore(source: PromoteSide, requested: string | undefined): Promise<SourceRelease> {
  const env = source.environment;
  const current = await readCurrentRelease(source.store);
  if (current.malformed !== undefined) {
    throw new ContractError(`${env}'s ${MANIFEST_KEY} is malformed (${current.malformed}); release to ${env} again`);
  }
  if (current.manifest === undefined) {
    throw new UsageError(`${env} has nothing published (no ${MANIFEST_KEY}): release to ${env} first, then promote`);
  }
  const version = requested ?? current.manifest.version;
  const record = await readRecord(source.store, version);
  if (record === undefined) {
    throw new UsageError(
      `${env} never ran ${version}: its store has no ${releaseRecordKey(version)} (${env}'s current release is ` +
        `${current.manifest.version}); promote a version ${env} ran`,
    );
  }
  let convergence: SourceRelease["convergence"];
  try {
    convergence = await readConvergence(source.store);
  } catch (err) {
    if (!(err instanceof ContractError)) throw err;
    convergence = { missing: `${env}'s convergence record cannot be used: ${err.message}` };
  }
  return { version, current: current.manifest.version, record, convergence };
}

/** The target's tiers, from its groups' tags: the only place they are declared. */
async function tiersOf(target: PromoteSide): Promise<string[]> {
  const state = await target.fleet.readFleet(target.environment);
  const tiers = [...new Set(state.groups.map((g) => g.tier))].sort();
  if (tiers.length === 0) {
    throw noGroupsError(target.environment, "check --to, its region and its credentials (--to-profile)", "--to");
  }
  return tiers;
}

/** The target runs exactly the tiers the version was built for: a promotion copies a release whole or not at all. */
function checkTiers(release: SourceRelease, tiers: string[], from: string, to: string): void {
  const carried = Object.keys(release.record.artifacts).sort();
  const missing = tiers.filter((t) => !carried.includes(t));
  const extra = carried.filter((t) => !tiers.includes(t));
  if (missing.length === 0 && extra.length === 0) return;
  const problems = [
    ...(missing.length > 0 ? [`${from}'s ${release.version} has no artifact for ${missing.join(", ")}`] : []),
    ...(extra.length > 0 ? [`${to} has no tier ${extra.join(", ")}`] : []),
  ];
  throw new UsageError(
    `${problems.join("; ")}: ${to} runs ${tiers.join(", ")} and ${from}'s ${release.version} carries ` +
      `${carried.join(", ")}; promote between environments that run the same tiers`,
  );
}

async function runGate(deps: PromoteDeps, release: SourceRelease, soakMinutes: number): Promise<GateResult> {
  const { source } = deps;
  const fleet = await source.fleet.readFleet(source.environment);
  if (fleet.groups.length === 0) {
    throw noGroupsError(source.environment, "check --from, its region and its credentials (--from-profile)", "--from");
  }
  return evaluateGate({
    source: source.environment,
    version: release.version,
    current: release.current,
    record: release.convergence,
    fleet,
    soakMinutes,
    alarms: await readRolloutAlarms(source.fleet, fleet),
  });
}

/**
 * The source's rollout alarms, as its groups' policy tags name them (what its sweeps read), in the one DescribeAlarms
 * call the sweep makes. A tag that cannot be decoded names no alarm here: the sweep itself refuses that group.
 */
async function readRolloutAlarms(adapter: FleetAdapter, fleet: FleetState): Promise<AlarmReading> {
  const names = fleet.groups.flatMap((g) => {
    const text = g.tags?.[TAGS.policy];
    const decoded = text === undefined ? undefined : decodePolicyTag(text);
    const alarms = decoded !== undefined && "policy" in decoded ? decoded.policy.rolloutAlarms : undefined;
    return Array.isArray(alarms) ? alarms.filter((a): a is string => typeof a === "string") : [];
  });
  if (names.length === 0) return alarmReading([], []);
  if (adapter.alarms === undefined) return alarmReading(names, { failed: "this fleet adapter cannot read alarms" });
  try {
    return alarmReading(names, await adapter.alarms.read([...new Set(names)].sort()));
  } catch (err) {
    return alarmReading(names, { failed: errorText(err) });
  }
}

/**
 * One tier's artifact, staged for the target: its source object and the SHA-256 the source's record gives it.
 * Prepared (only when the target lacks it, and only once every check passed): downloaded and hashed, or, for a
 * server-side copy, the source object's own checksum read. Either must equal the record's, or nothing is written.
 */
function stage(deps: PromoteDeps, release: SourceRelease, tier: string): StagedArtifact {
  const { source } = deps;
  const env = source.environment;
  const sourceKey = release.record.artifacts[tier];
  const sha256 = release.record.checksums[tier];
  if (typeof sha256 !== "string" || sha256 === "") {
    throw new ContractError(
      `${env}'s ${releaseRecordKey(release.version)} has no checksum for ${tier}: nothing to verify a copy against`,
    );
  }
  const key = artifactKey(release.version, tier);
  const origin = `${env}'s ${sourceKey}`;
  const mismatch = (found: string | undefined, how: string) =>
    new ChecksumMismatchError(
      `${origin} ${how} sha256 ${found ?? "none"}, but ${env}'s record of ${release.version} says ${sha256}; ` +
        `nothing was written to ${deps.target.environment}, and its ${MANIFEST_KEY} is untouched. Promote again; ` +
        `if it persists, ${env}'s object changed after it was published`,
    );

  const staged = { tier, key, sha256, origin };
  const serverSide = deps.serverSideCopy;
  if (serverSide !== undefined) {
    return {
      ...staged,
      prepare: async () => {
        const found = await storedSha256(source.store, sourceKey);
        if (found !== sha256) throw mismatch(found, "is stored with");
      },
      write: () => serverSide.copy(sourceKey, key),
    };
  }

  let body: Buffer | undefined;
  return {
    ...staged,
    prepare: async () => {
      const object = await source.store.get(sourceKey);
      if (object === undefined) {
        throw new ContractError(`${origin} is missing although ${env}'s record of ${release.version} names it`);
      }
      const found = sha256Of(object.body);
      if (found !== sha256) throw mismatch(found, "arrived with");
      body = object.body;
    },
    write: (store: ObjectStore) => store.put(key, body!, { ifNoneMatch: "*", sha256, contentType: "application/zip" }),
  };
}
