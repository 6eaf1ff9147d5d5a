// The release handler (`onRelease` in the rollout Lambda): when releases/current.json is written, start the rollout in
// every tier straight away instead of waiting for the next scheduled sweep: under the surge strategy by raising the
// group's desired capacity (the replacements launch first), under replace by terminating one stale instance. It
// decides through the planner with at most one termination per group, so every safety rule (stable group, floor,
// a surge's tags as its single-flight guard) is the terminator's own.
import { ContractError } from "../core/errors";
import { MANIFEST_KEY } from "../contract";
import { parseManifest } from "../core/manifest";
import { plan as planFleet } from "../core/planner";
import { withAlarms } from "./alarms";
import { HeldLease, LeaseClaim, LeaseDeps, withLease } from "./lease";
import { beforeDeadline, Deadline, executePlan, Prober, readSnapshot, SweepRecord, withoutSurge } from "./sweep";
import { DesiredStateVerifier } from "./verify";
import {
  FleetAdapter,
  FleetSnapshot,
  GroupActionOutcome,
  ObjectStore,
  Plan,
  Policy,
  ProbeOptions,
  ReleaseManifest,
  TerminationOutcome,
} from "../core/types";
import { normalizeVersion, sameVersion } from "../core/version";

/** The parts of an S3 event notification the handler reads. */
export interface S3NotificationEvent {
  Records?: {
    eventName?: string;
    s3?: { bucket?: { name?: string }; object?: { key?: string } };
  }[];
}

export interface ReleaseHandlerDeps {
  fleet: FleetAdapter;
  store: ObjectStore;
  environment: string;
  policy: Policy;
  probe?: Partial<ProbeOptions>;
  /** Receives one JSON line per record (`release.*` and the `sweep.*` records `phoenix explain` replays). */
  log: (line: string) => void;
  /** When set, events from any other bucket are ignored. */
  bucket?: string;
  /** Verifies the desired state before planning. @default one over fleet.checks */
  verifier?: DesiredStateVerifier;
  /** Past this no AWS call is started (see SweepDeps.deadline). @default none */
  deadline?: Deadline;
  /** The sweep lease, taken first (see SweepDeps.lease): a release event that cannot get it throws LeaseHeldError. */
  lease?: { deps: LeaseDeps; claim: LeaseClaim };
  /** @default probeFleet */
  prober?: Prober;
}

export interface ReleaseHandlerResult {
  /** Terminations requested, at most one per group (replace strategy). */
  acted: { group: string; instanceId: string }[];
  /** Groups whose surge this event started, with the desired capacity they were raised to. */
  surged?: { group: string; setDesired: number }[];
  /** The surge starts' group changes as executed. */
  actions?: GroupActionOutcome[];
  /** Why the event was not acted on at all (another key, a delete, no records). */
  ignored?: string;
  version?: string;
  /** Per group, why it was left alone. */
  skipped?: { group: string; why: string }[];
  outcomes?: TerminationOutcome[];
  plan?: Plan;
  /** What the event's sweep read (absent when the event was ignored): the after-sweep step decides from it. */
  snapshot?: FleetSnapshot;
  /** Another sweep held the environment's lease (who, since when): nothing was read or changed. */
  stoodDown?: string;
}

type ReleaseRecordLine =
  | { type: "release.ignored"; reason: string }
  | { type: "release.error"; error: string }
  | { type: "release.manifest"; manifest: ReleaseManifest }
  | { type: "release.skipped"; group: string; why: string };

/** S3 event keys are URL-encoded, with spaces as `+`. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}

export async function handleReleaseEvent(
  event: S3NotificationEvent,
  deps: ReleaseHandlerDeps,
): Promise<ReleaseHandlerResult> {
  const record = (r: ReleaseRecordLine | SweepRecord) => deps.log(JSON.stringify(r));

  const ignored = whyIgnored(event, deps.bucket);
  if (ignored !== undefined) {
    record({ type: "release.ignored", reason: ignored });
    return { acted: [], ignored };
  }

  // The lease first: the manifest, the fleet and the plan are all read by the one sweeper that may act on them.
  if (deps.lease === undefined) return startRollout(deps, record, undefined);
  return withLease(deps.lease, record, (lease) => startRollout(deps, record, lease));
}

async function startRollout(
  deps: ReleaseHandlerDeps,
  record: (r: ReleaseRecordLine | SweepRecord) => void,
  lease: HeldLease | undefined,
): Promise<ReleaseHandlerResult> {
  let manifest: ReleaseManifest;
  try {
    manifest = await readValidManifest(deps.store);
  } catch (err) {
    // One line that says what is wrong; rethrown so the invocation counts as failed in the Lambda's metrics.
    record({ type: "release.error", error: (err as Error).message });
    throw err;
  }
  record({ type: "release.manifest", manifest });

  const policy = oneAtATime(deps.fleet.surge === undefined ? withoutSurge(deps.policy) : deps.policy);
  const verifier = deps.verifier ?? new DesiredStateVerifier(deps.fleet.checks);
  const snapshot = await beforeDeadline(deps.deadline, "reading and verifying the fleet", async () => {
    // The event's manifest, not whatever the fleet read raced to: this handler acts on the release it was told of.
    const read = {
      ...(await readSnapshot(deps.fleet, deps.environment, deps.probe, deps.prober)),
      desiredVersion: manifest.version,
      desiredArtifacts: { ...manifest.artifacts },
    };
    // readValidManifest has just seen every artifact in the event's bucket: when the fleet's parameter names the same
    // bucket, the verifier need not ask again.
    if (deps.bucket !== undefined && read.releaseStore === deps.bucket) {
      verifier.artifactsExist(deps.bucket, Object.values(manifest.artifacts));
    }
    // A rollout between two checkpoints is the terminator's; its alarms are read so the plan shows what it waits on.
    return withAlarms(deps.fleet, await verifier.verify(read, policy), policy);
  });
  record({ type: "sweep.snapshot", snapshot, policy });
  const plan = planFleet(snapshot, policy);
  record({ type: "sweep.plan", plan });

  const acted: { group: string; instanceId: string }[] = [];
  const surged: { group: string; setDesired: number }[] = [];
  const toExecute: Plan["groups"] = [];
  const skipped: { group: string; why: string }[] = [];
  for (const g of plan.groups) {
    const why = whySkip(g, manifest);
    if (why !== undefined) {
      skipped.push({ group: g.name, why });
      record({ type: "release.skipped", group: g.name, why });
      continue;
    }
    toExecute.push(g);
    if (g.surge?.phase === "start") surged.push({ group: g.name, setDesired: g.setDesired! });
    else acted.push({ group: g.name, instanceId: g.terminate[0] });
  }

  const surgeFields = surged.length > 0 ? { surged } : {};
  if (toExecute.length === 0) {
    return { acted, ...surgeFields, version: manifest.version, skipped, outcomes: [], plan, snapshot };
  }
  const guard = lease !== undefined ? () => lease.check() : undefined;
  const { outcomes, actions } = await executePlan(deps.fleet, toExecute, { guard, snapshot, deadline: deps.deadline });
  if (outcomes.length > 0) record({ type: "sweep.terminated", outcomes });
  if (actions.length > 0) record({ type: "sweep.actions", actions });
  return {
    acted,
    ...surgeFields,
    ...(actions.length > 0 && { actions }),
    version: manifest.version,
    skipped,
    outcomes,
    plan,
    snapshot,
  };
}

function whyIgnored(event: S3NotificationEvent, bucket: string | undefined): string | undefined {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  if (records.length === 0) return "the event holds no S3 records (an s3:TestEvent, or not an S3 notification)";
  const keys: string[] = [];
  for (const r of records) {
    const key = decodeS3Key(r.s3?.object?.key ?? "");
    keys.push(key);
    if (key !== MANIFEST_KEY) continue;
    if (bucket !== undefined && r.s3?.bucket?.name !== bucket) continue;
    if (r.eventName !== undefined && !r.eventName.startsWith("ObjectCreated")) continue;
    return undefined;
  }
  return `no ObjectCreated event for ${MANIFEST_KEY}${bucket ? ` in ${bucket}` : ""} (keys: ${keys.join(", ")})`;
}

/** The manifest, valid, with every artifact it names present: a release instances can actually install. */
async function readValidManifest(store: ObjectStore): Promise<ReleaseManifest> {
  const object = await store.get(MANIFEST_KEY);
  if (!object) {
    throw new ContractError(`${MANIFEST_KEY} does not exist although its event arrived; publish the release again`);
  }
  const manifest = parseManifest(object.body.toString("utf8"));
  const missing: string[] = [];
  for (const [tier, key] of Object.entries(manifest.artifacts)) {
    if (!(await store.head(key))) missing.push(`${tier} (${key})`);
  }
  if (missing.length > 0) {
    throw new ContractError(
      `${MANIFEST_KEY} names version ${manifest.version} but its artifact for ${missing.join(", ")} does not exist; ` +
        "nothing was terminated. Re-run `phoenix release` for that version",
    );
  }
  return manifest;
}

/** The operator's policy with at most one termination per group, whatever the tier overrides say. */
function oneAtATime(policy: Policy): Policy {
  const tiers = Object.fromEntries(Object.entries(policy.tiers ?? {}).map(([t, p]) => [t, { ...p, maxPerSweep: 1 }]));
  return { ...policy, maxPerSweep: 1, ...(policy.tiers && { tiers }) };
}

/**
 * Why a group is left alone, or undefined when its surge start or single planned termination goes ahead. A surge
 * start is the planner's decision and its tags guard against a second one. Under replace, an instance already on
 * the release's version means this release has started here (a replayed event, or the terminator got there
 * first): from then on the terminator carries on, never a second release-triggered termination.
 */
function whySkip(g: Plan["groups"][number], manifest: ReleaseManifest): string | undefined {
  if (g.unverified !== undefined) return g.reason;
  if (!(g.tier in manifest.artifacts)) {
    return `the manifest has no artifact for tier ${g.tier}; a replacement could not install anything`;
  }
  const want = normalizeVersion(manifest.version);
  if (g.surge?.phase === "start") return undefined;
  // Any other surge phase (in progress, blocked) belongs to the terminator: its tags say a surge already runs.
  if (g.surge !== undefined && g.surge.phase !== "fallback-replace") {
    return `a surge is in progress here, which the terminator carries on (it would: ${g.reason})`;
  }
  const started = g.instances.find(
    (i) => i.version !== undefined && want !== undefined && sameVersion(i.version, want),
  );
  if (started) return `${started.id} already runs ${manifest.version}: the rollout has started here`;
  if (g.terminate.length === 0) return g.reason;
  return undefined;
}
