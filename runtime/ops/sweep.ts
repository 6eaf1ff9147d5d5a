// One sweep: read the fleet, probe every instance's /version, plan, and (unless dry) carry the plan out: terminations,
// and a surge's group changes in a safe order. The Lambda, the CLI and the local rehearsal all run this same
// function; only the FleetAdapter behind it differs.
import { errorText } from "../core/errors";
import { plan as planFleet } from "../core/planner";
import { probeFleet } from "./probe";
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

/** Reads the fleet and probes it: the complete, consistent view a plan is made from. */
export async function readSnapshot(
  fleet: FleetAdapter,
  environment: string,
  probe: Partial<ProbeOptions> = {},
): Promise<FleetSnapshot> {
  const state = await fleet.readFleet(environment);
  return probeFleet(state, { ...DEFAULT_PROBE_OPTIONS, ...probe });
}

export async function sweep(deps: SweepDeps, request: SweepRequest): Promise<SweepResult> {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const record = (r: SweepRecord) => log(JSON.stringify(r));

  const snapshot = await readSnapshot(deps.fleet, request.environment, deps.probe);
  const requested = typeof request.policy === "function" ? request.policy(snapshot) : request.policy;
  const policy = deps.fleet.surge === undefined ? withoutSurge(requested) : requested;
  record({ type: "sweep.snapshot", snapshot, policy });
  const plan = planFleet(snapshot, policy);
  record({ type: "sweep.plan", plan });

  if (request.dryRun) {
    return { snapshot, plan, outcomes: [] };
  }
  const executed = await executePlan(deps.fleet, plan.groups);
  if (executed.outcomes.length > 0) record({ type: "sweep.terminated", outcomes: executed.outcomes });
  if (executed.actions.length > 0) record({ type: "sweep.actions", actions: executed.actions });
  return { snapshot, plan, ...executed };
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
): Promise<{ outcomes: TerminationOutcome[]; actions: GroupActionOutcome[] }> {
  const plain = groups.filter((g) => !hasGroupActions(g));
  const requests = plain.flatMap((g) => g.terminate.map((instanceId) => ({ group: g.name, instanceId })));
  const outcomes = requests.length > 0 ? await fleet.terminate(requests) : [];
  const actions: GroupActionOutcome[] = [];
  for (const g of groups.filter(hasGroupActions)) {
    const result = await executeGroup(fleet, g);
    outcomes.push(...result.outcomes);
    actions.push(...result.actions);
  }
  return { outcomes, actions };
}

async function executeGroup(
  fleet: FleetAdapter,
  g: GroupPlan,
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
  if (requests.length > 0) {
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
