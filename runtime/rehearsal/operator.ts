// An operator's `phoenix sweep` during a rehearsal: the sweep the CLI runs (runtime/ops/sweep.ts under the
// environment's lease, with the operator's name on it) against the local fleet and the disk release store, timed by
// the scenario to race the rollout Lambda. Whoever writes the lease first sweeps; the other stands down and says so.
import * as fs from "node:fs";
import { errorText } from "../core/errors";
import { describeLease } from "../core/lease";
import { ObjectStore, Plan, Policy, ProbeOptions } from "../core/types";
import { isLeaseHeld } from "../ops/lease";
import { sweep } from "../ops/sweep";
import { LocalFleet } from "./local-fleet";

export interface OperatorSweepOptions {
  environment: string;
  fleet: LocalFleet;
  store: ObjectStore;
  policy: Policy;
  probe: Partial<ProbeOptions>;
  now: () => number;
  /** The operator, as the lease records them. */
  who: string;
  holderId: () => string;
  /** Where the sweep's records are appended (the run's sweep log, which `phoenix explain` replays). */
  sweepLogPath: string;
  /** One line of the run's log. */
  log: (line: string) => void;
  /** The plan the sweep made, when it made one. */
  planned: (plan: Plan) => void;
}

/** One `phoenix sweep --env <env>` by an operator; never throws (a failure is a line in the run's log). */
export async function operatorSweep(o: OperatorSweepOptions): Promise<void> {
  const records: string[] = [];
  o.log(`${o.who}: phoenix sweep --env ${o.environment}`);
  try {
    const result = await sweep(
      {
        fleet: o.fleet.adapterFor("sweep"),
        probe: o.probe,
        log: (line) => records.push(line),
        lease: {
          deps: { store: o.store, now: o.now },
          claim: { holder: o.holderId(), who: o.who, purpose: "phoenix sweep" },
        },
      },
      { environment: o.environment, policy: o.policy },
    );
    o.planned(result.plan);
    for (const g of result.plan.groups) o.log(`  ${g.log}`);
  } catch (err) {
    o.log(
      isLeaseHeld(err)
        ? `  stood down (exit 4): the lease is ${describeLease(err.view)}`
        : `  phoenix sweep failed: ${errorText(err)}`,
    );
  } finally {
    fs.appendFileSync(o.sweepLogPath, records.map((r) => `${r}\n`).join(""));
  }
}
