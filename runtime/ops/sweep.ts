// One sweep: read the fleet, probe every instance's /version, verify the desired state, plan, and (unless dry) carry
// the plan out: terminations, and a surge's group changes in a safe order. The Lambda, the CLI and the local rehearsal
// all run this same function; only the FleetAdapter behind it differs. What it returns says whether everything it
// decided was done (the CLI's exit code and the Lambda's summary come from `sweepStatus`).
import { errorText, FleetReadError } from "../core/errors";
import { plan as planFleet } from "../core/planner";
import { probeFleet } from "./probe";
import { DesiredStateVerifier } from "./verify";
import {
  DEFAULT_PROBE_OPTIONS,
  FleetAdapter,
  FleetSnapshot,
  GroupActionOutcome,
  GroupPlan,
  Plan,
  Policy,
  ProbeOptions,
  TerminationOutcome,
} from "../core/types";

export interface SweepDeps {
  fleet: FleetAdapter;
  probe?: Partial<ProbeOptions>;
  /** Receives one JSON line per record (`sweep.snapshot`, `sweep.plan`, `sweep.terminated`). @default stderr */
  log?: (line: string) => void;
  /** Verifies the desired state; keep one per process so its answers are remembered. @default one over fleet.checks */
  verifier?: DesiredStateVerifier;
  /** Past this the sweep starts no AWS call: a read still running fails, writes not yet made are skipped. @default none */
  deadline?: Deadline;
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
}

export interface SweepResult {
  snapshot: FleetSnapshot;
  plan: Plan;
  outcomes: TerminationOutcome[];
  /** The surge's group changes (tags, processes, desired capacity), when the plan had any. */
  actions?: GroupActionOutcome[];
}

/** The record a sweep logs, one JSON line each, so that `phoenix explain` can replay it. */
export type SweepRecord =
  | { type: "sweep.snapshot"; snapshot: FleetSnapshot; policy: Policy }
  | { type: "sweep.plan"; plan: Plan }
  | { type: "sweep.terminated"; outcomes: TerminationOutcome[] }
  | { type: "sweep.actions"; actions: GroupActionOutcome[] };

/** Reads the fleet and probes it: the complete, consistent view a plan is made from (before verification). */
export async function readSnapshot(
  fleet: FleetAdapter,
  environment: string,
  probe: Partial<ProbeOptions> = {},
): Promise<FleetSnapshot> {
  const state = await fleet.readFleet(environment);
  return probeFleet(state, { ...DEFAULT_PROBE_OPTIONS, ...probe });
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
  },
): Promise<{ snapshot: FleetSnapshot; policy: Policy }> {
  return beforeDeadline(options.deadline, "reading and verifying the fleet", async () => {
    const read = await readSnapshot(fleet, environment, options.probe);
    const requested = typeof options.policy === "function" ? options.policy(read) : options.policy;
    const policy = fleet.surge === undefined ? withoutSurge(requested) : requested;
    const snapshot = await (options.verifier ?? new DesiredStateVerifier(fleet.checks)).verify(read, policy);
    return { snapshot, policy };
  });
}

export async function sweep(deps: SweepDeps, request: SweepRequest): Promise<SweepResult> {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const record = (r: SweepRecord) => log(JSON.stringify(r));

  const { snapshot, policy } = await readVerifiedSnapshot(deps.fleet, request.environment, {
    policy: request.policy,
    probe: deps.probe,
    verifier: deps.verifier,
    deadline: deps.deadline,
  });
  record({ type: "sweep.snapshot", snapshot, policy });
  const plan = planFleet(snapshot, policy);
  record({ type: "sweep.plan", plan });

  if (request.dryRun) {
    return { snapshot, plan, outcomes: [] };
  }
  const executed = await executePlan(deps.fleet, plan.groups, deps.deadline);
  if (executed.outcomes.length > 0) record({ type: "sweep.terminated", outcomes: executed.outcomes });
  if (executed.actions.length > 0) record({ type: "sweep.actions", actions: executed.actions });
  return { snapshot, plan, ...executed };
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
export function sweepStatus(result: Pick<SweepResult, "plan" | "outcomes" | "actions">): SweepStatus {
  const failures = [
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

/**
 * Carries out the plan of each group. Plain terminations go in one batch, as before surges existed. A surge group
 * runs in an order where a crash at any step leaves state the next sweep completes: tags first (so a raised
 * capacity is never unexplained), then suspension, terminations (decrementing), and only when every termination
 * went through: desired capacity, resumption, and removing the tags last (so processes are never left suspended
 * without the tags that say phoenix did it). A failed step stops that group's remaining steps; other groups go on.
 */
export async function executePlan(
  fleet: FleetAdapter,
  groups: GroupPlan[],
  deadline?: Deadline,
): Promise<{ outcomes: TerminationOutcome[]; actions: GroupActionOutcome[] }> {
  // Belt and braces: the planner never terminates in an unverified group, and neither does this.
  const acting = groups.filter((g) => g.unverified === undefined);
  const plain = acting.filter((g) => !hasGroupActions(g));
  const requests = plain.flatMap((g) => g.terminate.map((instanceId) => ({ group: g.name, instanceId })));
  const late = pastDeadline(deadline);
  const outcomes: TerminationOutcome[] =
    requests.length === 0
      ? []
      : late !== undefined
        ? requests.map((r) => ({ ...r, status: "skipped", error: late }))
        : await fleet.terminate(requests);
  const actions: GroupActionOutcome[] = [];
  for (const g of acting.filter(hasGroupActions)) {
    const result = await executeGroup(fleet, g, deadline);
    outcomes.push(...result.outcomes);
    actions.push(...result.actions);
  }
  return { outcomes, actions };
}

/** Why nothing more may be started, when the deadline has passed. */
function pastDeadline(deadline: Deadline | undefined): string | undefined {
  if (deadline === undefined || deadline.now() < deadline.atMs) return undefined;
  return `not attempted: the sweep's deadline (${deadline.describe}) had passed`;
}

async function executeGroup(
  fleet: FleetAdapter,
  g: GroupPlan,
  deadline: Deadline | undefined,
): Promise<{ outcomes: TerminationOutcome[]; actions: GroupActionOutcome[] }> {
  const actions: GroupActionOutcome[] = [];
  const ops = fleet.surge;
  const steps: { action: GroupActionOutcome["action"]; run: () => Promise<void> }[] = [];
  const pre = () => {
    const set = g.tags?.set;
    if (set && Object.keys(set).length > 0) steps.push({ action: "set-tags", run: () => ops!.setTags(g.name, set) });
    const suspend = g.suspend ?? [];
    if (suspend.length > 0) steps.push({ action: "suspend", run: () => ops!.suspendProcesses(g.name, suspend) });
  };
  const post = () => {
    const desired = g.setDesired;
    if (desired !== undefined) {
      steps.push({ action: "set-desired", run: () => ops!.setDesiredCapacity(g.name, desired) });
    }
    const resume = g.resume ?? [];
    if (resume.length > 0) steps.push({ action: "resume", run: () => ops!.resumeProcesses(g.name, resume) });
    const remove = g.tags?.remove ?? [];
    if (remove.length > 0) steps.push({ action: "remove-tags", run: () => ops!.removeTags(g.name, remove) });
  };
  pre();
  const before = steps.length;
  post();
  if (ops === undefined) {
    const error = "this fleet cannot change desired capacity, tags or scaling processes; nothing was changed";
    return { outcomes: [], actions: steps.map((s) => ({ group: g.name, action: s.action, status: "skipped", error })) };
  }

  const runSteps = async (from: number, to: number): Promise<boolean> => {
    for (let i = from; i < to; i++) {
      const late = pastDeadline(deadline);
      if (late !== undefined) {
        for (const s of steps.slice(i))
          actions.push({ group: g.name, action: s.action, status: "skipped", error: late });
        return false;
      }
      try {
        await steps[i].run();
        actions.push({ group: g.name, action: steps[i].action, status: "done" });
      } catch (err) {
        actions.push({ group: g.name, action: steps[i].action, status: "failed", error: errorText(err) });
        for (const s of steps.slice(i + 1)) {
          actions.push({ group: g.name, action: s.action, status: "skipped", error: "an earlier step failed" });
        }
        return false;
      }
    }
    return true;
  };
  if (!(await runSteps(0, before))) return { outcomes: [], actions };

  const requests = g.terminate.map((instanceId) => ({ group: g.name, instanceId }));
  let outcomes: TerminationOutcome[] = [];
  const late = pastDeadline(deadline);
  if (requests.length > 0 && late !== undefined) {
    outcomes = requests.map((r) => ({ ...r, status: "skipped", error: late }));
  } else if (requests.length > 0) {
    outcomes = g.decrement === true ? await ops.terminateAndDecrement(requests) : await fleet.terminate(requests);
  }
  if (outcomes.some((o) => o.status !== "terminated")) {
    // Desired capacity did not drop for that one: setting it, or clearing the tags, would now be wrong. The next
    // sweep sees the surge still in progress and finishes it.
    for (const s of steps.slice(before)) {
      actions.push({ group: g.name, action: s.action, status: "skipped", error: "a termination did not go through" });
    }
    return { outcomes, actions };
  }
  await runSteps(before, steps.length);
  return { outcomes, actions };
}
