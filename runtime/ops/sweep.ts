// One sweep: read the fleet, probe every instance's /version, verify the desired state, plan, and (unless dry) carry
// the plan out: terminations, and a surge's group changes in a safe order. The Lambda, the CLI and the local rehearsal
// all run this same function; only the FleetAdapter behind it differs. A sweep that may change the fleet holds the
// environment's sweep lease (runtime/ops/lease.ts) from before it reads to after its last step. What it returns says
// whether everything it decided was done (the CLI's exit code and the Lambda's summary come from `sweepStatus`).
import { FleetReadError } from "../core/errors";
import { plan as planFleet } from "../core/planner";
import { executeGroup, Guard, repairGroup } from "./group-steps";
import { HeldLease, LeaseClaim, LeaseDeps, LeaseRecord, withLease } from "./lease";
import { withAlarms } from "./alarms";
import { rollBackOnAlarm, rollbackRequest, RollbackOutcome } from "./auto-rollback";
import { probeFleet } from "./probe";
import { DesiredStateVerifier } from "./verify";
import {
  DEFAULT_PROBE_OPTIONS,
  FleetAdapter,
  FleetSnapshot,
  FleetState,
  GroupActionOutcome,
  GroupPlan,
  ObjectStore,
  Plan,
  Policy,
  ProbeOptions,
  TerminationOutcome,
} from "../core/types";

/** Probes every instance of a fleet state: `probeFleet` over HTTP; a test or a bench may answer for the fleet. */
export type Prober = (state: FleetState, options: ProbeOptions) => Promise<FleetSnapshot>;

export interface SweepDeps {
  fleet: FleetAdapter;
  probe?: Partial<ProbeOptions>;
  /** Receives one JSON line per record (`sweep.snapshot`, `sweep.plan`, `sweep.terminated`). @default stderr */
  log?: (line: string) => void;
  /** Verifies the desired state; keep one per process so its answers are remembered. @default one over fleet.checks */
  verifier?: DesiredStateVerifier;
  /** Past this the sweep starts no AWS call: a read still running fails, writes not yet made are skipped. @default none */
  deadline?: Deadline;
  /**
   * The environment's sweep lease. A sweep that may change the fleet takes it before it reads anything and gives it
   * back last; one that cannot get it throws LeaseHeldError having read and changed nothing. Without it no lease is
   * taken: only for code that is itself the only sweeper (a test's own fleet). A dry run never takes it.
   */
  lease?: { deps: LeaseDeps; claim: LeaseClaim };
  /** Why to stop before the next change besides the lease and the deadline (an operator's Ctrl-C). */
  interrupted?: () => string | undefined;
  /** @default probeFleet */
  prober?: Prober;
  /** The release store, where an automatic rollback writes the previous release back. @default none: a sweep asked
   * to roll back says so and writes nothing */
  store?: ObjectStore;
}

/** A point in time by a clock: the rollout Lambda's whole-sweep deadline, inside the function's timeout. */
export interface Deadline {
  /** Milliseconds since the epoch, by `now`. */
  atMs: number;
  now: () => number;
  /** How the deadline is described in the line that reports it passed: "90 s after the invocation started". */
  describe: string;
}

export interface SweepRequest {
  environment: string;
  /** The policy, or how to derive it from what was read (the CLI takes each tier's from its group's tags). */
  policy: Policy | ((snapshot: FleetSnapshot) => Policy);
  /** Plan only: read and decide, terminate nothing. */
  dryRun?: boolean;
  /** Put wedged groups back (the plan's `repair` of each) and do nothing else. */
  repair?: boolean;
}

export interface SweepResult {
  snapshot: FleetSnapshot;
  plan: Plan;
  outcomes: TerminationOutcome[];
  /** The surge's group changes (tags, processes, desired capacity), or a repair's, when there were any. */
  actions?: GroupActionOutcome[];
  /** The lease this sweep held (absent for a dry run or a sweep without one). */
  lease?: { holder: string; tookOver?: { from: string; why: string } };
  /** What an automatic rollback did, when the plan asked for one. */
  rollback?: RollbackOutcome;
}

/** The record a sweep logs, one JSON line each, so that `phoenix explain` can replay it. */
export type SweepRecord =
  | { type: "sweep.snapshot"; snapshot: FleetSnapshot; policy: Policy }
  | { type: "sweep.plan"; plan: Plan }
  | { type: "sweep.terminated"; outcomes: TerminationOutcome[] }
  | { type: "sweep.actions"; actions: GroupActionOutcome[] }
  | LeaseRecord
  | ({ type: "sweep.rollback" } & RollbackOutcome);

/** Reads the fleet and probes it: the complete, consistent view a plan is made from (before verification). */
export async function readSnapshot(
  fleet: FleetAdapter,
  environment: string,
  probe: Partial<ProbeOptions> = {},
  prober: Prober = probeFleet,
): Promise<FleetSnapshot> {
  const state = await fleet.readFleet(environment);
  return prober(state, { ...DEFAULT_PROBE_OPTIONS, ...probe });
}

/**
 * Reads, probes and verifies: the snapshot a plan may act on, and the policy it was verified for. `policy` may be
 * derived from what was read (the CLI takes each tier's from its group's tags).
 */
export async function readVerifiedSnapshot(
  fleet: FleetAdapter,
  environment: string,
  options: {
    policy: Policy | ((snapshot: FleetSnapshot) => Policy);
    probe?: Partial<ProbeOptions>;
    verifier?: DesiredStateVerifier;
    deadline?: Deadline;
    prober?: Prober;
  },
): Promise<{ snapshot: FleetSnapshot; policy: Policy }> {
  return beforeDeadline(options.deadline, "reading and verifying the fleet", async () => {
    const read = await readSnapshot(fleet, environment, options.probe, options.prober);
    const requested = typeof options.policy === "function" ? options.policy(read) : options.policy;
    const policy = fleet.surge === undefined ? withoutSurge(requested) : requested;
    const verified = await (options.verifier ?? new DesiredStateVerifier(fleet.checks)).verify(read, policy);
    return { snapshot: await withAlarms(fleet, verified, policy), policy };
  });
}

/**
 * One sweep. Unless dry, it first takes the environment's lease (deps.lease), so the fleet is read, planned and
 * changed by one sweeper at a time, and every change is preceded by the lease's check: a sweep whose lease is about
 * to lapse, or was taken over, stops before its next step.
 */
export async function sweep(deps: SweepDeps, request: SweepRequest): Promise<SweepResult> {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const record = (r: SweepRecord) => log(JSON.stringify(r));
  if (request.dryRun || deps.lease === undefined) return sweepHolding(deps, request, record, undefined);

  return withLease(deps.lease, record, (lease) => sweepHolding(deps, request, record, lease));
}

async function sweepHolding(
  deps: SweepDeps,
  request: SweepRequest,
  record: (r: SweepRecord) => void,
  lease: HeldLease | undefined,
): Promise<SweepResult> {
  const { snapshot, policy } = await readVerifiedSnapshot(deps.fleet, request.environment, {
    policy: request.policy,
    probe: deps.probe,
    verifier: deps.verifier,
    deadline: deps.deadline,
    prober: deps.prober,
  }).catch((err: unknown) => {
    // Said here, not by the adapter: only a sweep could have terminated anything (the deadline's own line says it).
    if (request.dryRun || !(err instanceof FleetReadError) || err.message.includes("nothing was terminated")) throw err;
    throw new FleetReadError(`${err.message}; nothing was terminated`, { cause: err });
  });
  record({ type: "sweep.snapshot", snapshot, policy });
  const plan = planFleet(snapshot, policy);
  record({ type: "sweep.plan", plan });

  if (request.dryRun) {
    return { snapshot, plan, outcomes: [] };
  }
  const held =
    lease !== undefined ? { lease: { holder: lease.holder, ...(lease.tookOver && { tookOver: lease.tookOver }) } } : {};
  const guard: Guard = async () => deps.interrupted?.() ?? (await lease?.check());
  if (request.repair) {
    const actions = await executeRepairs(deps.fleet, plan, snapshot, { guard, deadline: deps.deadline });
    if (actions.length > 0) record({ type: "sweep.actions", actions });
    return { snapshot, plan, outcomes: [], actions, ...held };
  }
  const executed = await executePlan(deps.fleet, plan.groups, { guard, snapshot, deadline: deps.deadline });
  if (executed.outcomes.length > 0) record({ type: "sweep.terminated", outcomes: executed.outcomes });
  if (executed.actions.length > 0) record({ type: "sweep.actions", actions: executed.actions });
  const rollback = await rollBack(deps, plan, snapshot, guard);
  if (rollback !== undefined) record({ type: "sweep.rollback", ...rollback });
  return { snapshot, plan, ...executed, ...held, ...(rollback !== undefined && { rollback }) };
}

/** The automatic rollback the plan asks for, after its group changes (the aborts) are made, under the same guard. */
async function rollBack(
  deps: SweepDeps,
  plan: Plan,
  snapshot: FleetSnapshot,
  guard: Guard,
): Promise<RollbackOutcome | undefined> {
  const request = rollbackRequest(plan);
  if (request === undefined) return undefined;
  const unable =
    deps.store === undefined ? "this sweep has no release store to write" : await withDeadline(guard, deps.deadline)();
  if (unable !== undefined) {
    const { version: from, tier, alarm, checkpoint } = request;
    return {
      status: "failed",
      from,
      tier,
      alarm,
      checkpoint,
      message: `rollback after ${alarm} in ALARM at checkpoint ${checkpoint} (${tier}) not made: ${unable}`,
    };
  }
  // The record and the manifest carry the sweep's own time, so a replayed sweep log says when it happened.
  return rollBackOnAlarm(deps.store!, plan, () => new Date(snapshot.readAt));
}

/** What a sweep's result means for whoever ran it: the CLI's exit code, the Lambda's summary. */
export interface SweepStatus {
  /**
   * `ok`: every decided action was done (or none was needed); `incomplete`: some write failed or was skipped;
   * `unverified`: some group was left alone because its desired state is not verified. Incomplete wins over
   * unverified: a half-done write is the more urgent thing to look at.
   */
  status: "ok" | "incomplete" | "unverified";
  /** One line per failed or skipped write: `live-web: terminate i-0abc failed (AccessDenied: ...)`. */
  failures: string[];
  /** Each group left alone, and why. */
  unverified: { group: string; why: string }[];
}

/** Whether a sweep did everything it decided, and what it did not. */
export function sweepStatus(result: Pick<SweepResult, "plan" | "outcomes" | "actions" | "rollback">): SweepStatus {
  const failures = [
    ...(result.rollback?.status === "failed" ? [result.rollback.message] : []),
    ...result.outcomes
      .filter((o) => o.status === "failed" || o.status === "skipped")
      .map((o) => `${o.group}: terminate ${o.instanceId} ${o.status}${o.error ? ` (${o.error})` : ""}`),
    ...(result.actions ?? [])
      .filter((a) => a.status !== "done")
      .map((a) => `${a.group}: ${a.action} ${a.status}${a.error ? ` (${a.error})` : ""}`),
  ];
  const unverified = result.plan.groups.flatMap((g) =>
    g.unverified === undefined ? [] : [{ group: g.name, why: g.unverified }],
  );
  const status = failures.length > 0 ? "incomplete" : unverified.length > 0 ? "unverified" : "ok";
  return { status, failures, unverified };
}

/** Runs `work` unless the deadline has passed, and fails with one line if the deadline passes while it runs. */
export async function beforeDeadline<T>(
  deadline: Deadline | undefined,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  if (deadline === undefined) return work();
  const passed = () =>
    new FleetReadError(
      `the sweep's deadline (${deadline.describe}) passed while ${what}; nothing was terminated and no desired ` +
        "capacity was changed",
    );
  const left = deadline.atMs - deadline.now();
  if (left <= 0) throw passed();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(passed()), left);
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A policy that replaces in place: for a fleet that cannot change desired capacity, tags or processes. */
export function withoutSurge(policy: Policy): Policy {
  const tiers =
    policy.tiers &&
    Object.fromEntries(Object.entries(policy.tiers).map(([t, p]) => [t, { ...p, strategy: "replace" as const }]));
  return { ...policy, strategy: "replace", ...(tiers && { tiers }) };
}

/** True when a group's plan changes more than instances: a surge's start, finish or abort. */
export function hasGroupActions(g: GroupPlan): boolean {
  return (
    g.decrement === true ||
    g.setDesired !== undefined ||
    g.tags !== undefined ||
    (g.suspend?.length ?? 0) > 0 ||
    (g.resume?.length ?? 0) > 0
  );
}

/** How a plan is carried out: the guards before each change, and the snapshot the plan was made from. */
export interface ExecuteOptions {
  /** Asked before every change; a reason stops the rest (the lease lapsing or taken away, an interrupt). */
  guard?: Guard;
  /** Past this no change is started; each not made is reported skipped. */
  deadline?: Deadline;
  /** What the plan was made from: each surge step re-reads its group and acts only if it still matches. */
  snapshot?: FleetSnapshot;
}

/**
 * Carries out the plan of each group. Plain terminations go in one batch, as before surges existed. A surge group
 * runs its steps in a crash-safe order, each checked right before it acts (runtime/ops/group-steps.ts). A failed or
 * refused step stops that group's remaining steps; other groups go on.
 */
export async function executePlan(
  fleet: FleetAdapter,
  groups: GroupPlan[],
  options: ExecuteOptions = {},
): Promise<{ outcomes: TerminationOutcome[]; actions: GroupActionOutcome[] }> {
  // Belt and braces: the planner never terminates in an unverified group, and neither does this.
  const acting = groups.filter((g) => g.unverified === undefined);
  const plain = acting.filter((g) => !hasGroupActions(g));
  const requests = plain.flatMap((g) => g.terminate.map((instanceId) => ({ group: g.name, instanceId })));
  const guard = withDeadline(options.guard, options.deadline);
  const stop = requests.length > 0 ? await guard() : undefined;
  const outcomes: TerminationOutcome[] =
    requests.length === 0
      ? []
      : stop !== undefined
        ? requests.map((r) => ({ ...r, status: "skipped", error: stop }))
        : await fleet.terminate(requests);
  const actions: GroupActionOutcome[] = [];
  for (const g of acting.filter(hasGroupActions)) {
    const read = options.snapshot?.groups.find((x) => x.name === g.name);
    const result = await executeGroup(fleet, g, read, guard);
    outcomes.push(...result.outcomes);
    actions.push(...result.actions);
  }
  return { outcomes, actions };
}

/** Carries out `--repair` for every wedged group the plan could repair; the others are left as they are. */
export async function executeRepairs(
  fleet: FleetAdapter,
  plan: Plan,
  snapshot: FleetSnapshot,
  options: { guard?: Guard; deadline?: Deadline } = {},
): Promise<GroupActionOutcome[]> {
  const guard = withDeadline(options.guard, options.deadline);
  const actions: GroupActionOutcome[] = [];
  for (const g of plan.groups.filter((x) => x.surge?.phase === "wedged" && x.repair?.ok === true)) {
    const read = snapshot.groups.find((x) => x.name === g.name);
    if (read !== undefined) actions.push(...(await repairGroup(fleet, g, read, guard)));
  }
  return actions;
}

/** The guard that also stops once the deadline has passed. */
function withDeadline(guard: Guard | undefined, deadline: Deadline | undefined): Guard {
  return async () => pastDeadline(deadline) ?? (await guard?.());
}

/** Why nothing more may be started, when the deadline has passed. */
function pastDeadline(deadline: Deadline | undefined): string | undefined {
  if (deadline === undefined || deadline.now() < deadline.atMs) return undefined;
  return `not attempted: the sweep's deadline (${deadline.describe}) had passed`;
}
