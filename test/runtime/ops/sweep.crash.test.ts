// A sweeper killed after any change it makes: the surge's steps, its terminations, and its own writes of the lease
// (taken, given back). A whole rollout is run once to count those changes; then, for each one, the rollout is run
// again with the sweeper that makes it killed right after it lands (its code never runs another line, its lease is
// never given back), and fresh sweepers (the Lambda and `phoenix sweep` in turn) carry on until the fleet converges.
import * as assert from "node:assert/strict";
import { settleAll, SurgeSim, Sweeper } from "../../support/surge-sim";

const ROUND_MS = 5 * 60_000;
/** Enough rounds for a dead holder's lease to lapse (20 minutes) and a whole surge after it. */
const ROUNDS = 24;

function sweeperFor(sim: SurgeSim, round: number): Sweeper {
  if (round === 0) return sim.lambda("release", "release");
  return round % 2 === 1 ? sim.cli(`cli-${round}`) : sim.lambda(`lambda-${round}`);
}

function mutating(call: string): boolean {
  return !call.startsWith("read-") && !call.startsWith("get ");
}

/**
 * Runs a rollout round by round; `killAt` (1-based) kills the sweeper making that change right after it lands.
 * Resolves to the number of changes made and whether the fleet converged.
 */
async function rollout(
  sim: SurgeSim,
  killAt?: number,
): Promise<{ changes: number; converged: boolean; killed: boolean }> {
  let changes = 0;
  let killed = false;
  let dead: Promise<unknown> | undefined;
  const gate = (call: string, when: "before" | "after") => {
    if (when !== "after" || !mutating(call)) return undefined;
    changes += 1;
    if (changes !== killAt) return undefined;
    killed = true;
    return new Promise<void>(() => undefined);
  };
  sim.fleet.gate = gate;
  sim.store.gate = gate;
  for (let round = 0; round < ROUNDS && !sim.converged(); round++) {
    sim.advance(ROUND_MS);
    const running = sweeperFor(sim, round)();
    await settleAll();
    if (killed && dead === undefined) {
      // The killed sweeper never settles; it is left behind like a dead process.
      dead = running;
      continue;
    }
    await running;
  }
  return { changes, converged: sim.converged(), killed };
}

describe("a sweeper killed after any change it makes", () => {
  it("leaves state the next sweeps complete: no invariant broken, always converged", async () => {
    const reference = new SurgeSim();
    const { changes, converged } = await rollout(reference);
    assert.ok(converged, "the rollout converges without a crash");
    assert.ok(changes >= 10, `only ${changes} changes to kill after`);

    const failures: string[] = [];
    for (let k = 1; k <= changes; k++) {
      const sim = new SurgeSim();
      const run = await rollout(sim, k);
      const what = sim.changes[k - 1] ?? "?";
      if (!run.killed) failures.push(`kill ${k} (${what}) never happened`);
      if (!run.converged)
        failures.push(`killed after ${what} (change ${k}): never converged: ${JSON.stringify(sim.group)}`);
      for (const v of sim.violations) failures.push(`killed after ${what} (change ${k}): ${v}`);
      if (sim.maxDesired > 6) failures.push(`killed after ${what} (change ${k}): desired reached ${sim.maxDesired}`);
    }

    assert.deepEqual(failures, []);
  });
});
