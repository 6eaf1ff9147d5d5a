// One sweep: read the fleet, probe every instance's /version, plan, and (unless dry) terminate. The Lambda, the CLI
// and the local rehearsal all run this same function; only the FleetAdapter behind it differs.
import { plan as planFleet } from "./planner";
import { probeFleet } from "./probe";
import {
  DEFAULT_PROBE_OPTIONS,
  FleetAdapter,
  FleetSnapshot,
  Plan,
  Policy,
  ProbeOptions,
  TerminationOutcome,
} from "./types";

export interface SweepDeps {
  fleet: FleetAdapter;
  probe?: Partial<ProbeOptions>;
  /** Receives one JSON line per record (`sweep.snapshot`, `sweep.plan`, `sweep.terminated`). @default stderr */
  log?: (line: string) => void;
}

export interface SweepRequest {
  environment: string;
  policy: Policy;
  /** Plan only: read and decide, terminate nothing. */
  dryRun?: boolean;
}

export interface SweepResult {
  snapshot: FleetSnapshot;
  plan: Plan;
  outcomes: TerminationOutcome[];
}

/** The record a sweep logs, one JSON line each, so that `phoenix explain` can replay it. */
export type SweepRecord =
  | { type: "sweep.snapshot"; snapshot: FleetSnapshot; policy: Policy }
  | { type: "sweep.plan"; plan: Plan }
  | { type: "sweep.terminated"; outcomes: TerminationOutcome[] };

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
  record({ type: "sweep.snapshot", snapshot, policy: request.policy });
  const plan = planFleet(snapshot, request.policy);
  record({ type: "sweep.plan", plan });

  const requests = plan.groups.flatMap((g) => g.terminate.map((instanceId) => ({ group: g.name, instanceId })));
  if (request.dryRun || requests.length === 0) {
    return { snapshot, plan, outcomes: [] };
  }
  const outcomes = await deps.fleet.terminate(requests);
  record({ type: "sweep.terminated", outcomes });
  return { snapshot, plan, outcomes };
}
