// Two sweeps at once, as issue 14 found them breaking surge: the real `phoenix sweep` and the real rollout Lambda over
// one simulated group (test/support/surge-sim.ts), with the interleavings that broke forced by gates on the calls
// (a slow SetDesiredCapacity, a slow SuspendProcesses, a finish between a start's steps), then a seeded random run
// of 200 pairs with random delays on every call. Across all of them: desired capacity never above baseline + stale,
// processes never suspended without surge tags, and the fleet converges.
import * as assert from "node:assert/strict";
import { LEASE_TTL_SECONDS, SURGE_TAGS, SWEEP_LEASE_KEY } from "../../../runtime/contract";
import { sweep } from "../../../runtime/ops/sweep";
import { Rng, settleAll, Sweeper, SurgeSim, ticks } from "../../support/surge-sim";

const ROUND_MS = 5 * 60_000;

/** Sweeps in turn (Lambda, CLI, ...), five simulated minutes apart, until the fleet converges; true if it did. */
async function sweepToConvergence(sim: SurgeSim, rounds = 20): Promise<boolean> {
  sim.fleet.gate = undefined;
  sim.store.gate = undefined;
  for (let i = 0; i < rounds && !sim.converged(); i++) {
    sim.advance(ROUND_MS);
    await (i % 2 === 0 ? sim.lambda(`lambda-after-${i}`) : sim.cli(`cli-after-${i}`))();
  }
  return sim.converged();
}

/** A gate that holds the first call matching `call` at `when` until `open()`; `reached` says it got there. */
function holdAt(call: string, when: "before" | "after") {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let reached = false;
  let used = false;
  return {
    gate: (c: string, w: "before" | "after") => {
      if (used || w !== when || !c.startsWith(call)) return undefined;
      used = true;
      reached = true;
      return opened;
    },
    open: () => open(),
    get reached() {
      return reached;
    },
  };
}

function holderOf(sim: SurgeSim): string {
  return (JSON.parse(sim.store.text(SWEEP_LEASE_KEY)!) as { holder: string }).holder;
}

async function assertSafeAndConverges(sim: SurgeSim): Promise<void> {
  assert.ok(await sweepToConvergence(sim), `did not converge: ${JSON.stringify(sim.group)}`);
  assert.deepEqual(sim.violations, []);
  assert.equal(sim.maxDesired, 6);
}

describe("two sweeps at once", () => {
  it("CLI vs Lambda, a slow SetDesiredCapacity: the Lambda stands down while the CLI's raise is in flight", async () => {
    const sim = new SurgeSim();
    const slow = holdAt("set-desired", "before");
    sim.fleet.gate = slow.gate;

    const cli = sim.cli("alice@laptop")();
    await settleAll();
    assert.ok(slow.reached, "the CLI is inside its SetDesiredCapacity");
    const lambda = await sim.lambda("request-1")();
    slow.open();

    assert.deepEqual([lambda.outcome, (await cli).outcome], ["held", "done"]);
    await assertSafeAndConverges(sim);
  });

  it("CLI vs CLI, a slow SuspendProcesses: the second operator exits 4 and changes nothing", async () => {
    const sim = new SurgeSim();
    const slow = holdAt("suspend", "before");
    sim.fleet.gate = slow.gate;

    const alice = sim.cli("alice@laptop")();
    await settleAll();
    const changes = sim.changes.length;
    const bob = await sim.cli("bob@desktop")();
    assert.equal(sim.changes.length, changes, "bob changed nothing");
    slow.open();

    assert.deepEqual([bob.outcome, (await alice).outcome], ["held", "done"]);
    await assertSafeAndConverges(sim);
  });

  it("CLI vs CLI, both reading the lease free at once: one conditional write wins, the other exits 4", async () => {
    const sim = new SurgeSim();
    let arrived = 0;
    let open: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => (open = resolve));
    sim.store.gate = (call, when) => {
      if (call !== `put ${SWEEP_LEASE_KEY}` || when !== "before" || arrived >= 2) return undefined;
      arrived += 1;
      if (arrived === 2) open();
      return bothRead;
    };

    const outcomes = (await Promise.all([sim.cli("alice@laptop")(), sim.cli("bob@desktop")()])).map((r) => r.outcome);

    assert.deepEqual([...outcomes].sort(), ["done", "held"]);
    await assertSafeAndConverges(sim);
  });

  it("Lambda vs CLI, a finish between a start's steps (the lease broken by mistake): the start stops, no wedge", async () => {
    const sim = new SurgeSim();
    const paused = holdAt("set-tags", "after");
    sim.fleet.gate = paused.gate;

    const lambda = sim.lambda("request-1", "release")();
    await settleAll();
    assert.equal(sim.group.tags[SURGE_TAGS.baseline], "3", "the start's tags are on the group");
    // An operator takes the "stuck" lease and sweeps: the surge's tags with desired at its baseline read as a
    // finished surge to tidy up, so it removes them.
    const operator = await sim.cli("bob@desktop", "--break-lease", holderOf(sim))();
    assert.equal(sim.group.tags[SURGE_TAGS.baseline], undefined);
    paused.open();

    assert.deepEqual([operator.outcome, (await lambda).outcome], ["done", "incomplete"]);
    assert.deepEqual(sim.group.suspendedProcesses, []);
    assert.equal(sim.group.desiredCapacity, 3);
    await assertSafeAndConverges(sim);
  });

  it("CLI vs Lambda, the CLI frozen between a start's steps past its lease: the Lambda takes over, the CLI stops", async () => {
    const sim = new SurgeSim();
    const frozen = holdAt("set-tags", "after");
    sim.fleet.gate = frozen.gate;

    const cli = sim.cli("alice@laptop")();
    await settleAll();
    sim.advance((LEASE_TTL_SECONDS + 60) * 1000);
    const lambda = await sim.lambda("request-1")();
    frozen.open();

    assert.deepEqual([lambda.outcome, (await cli).outcome], ["done", "incomplete"]);
    assert.deepEqual(sim.violations, []);
    await assertSafeAndConverges(sim);
  });

  it("a finish between a start's steps by a sweeper that takes no lease: the start's own checks stop it", async () => {
    const sim = new SurgeSim();
    const paused = holdAt("set-tags", "after");
    sim.fleet.gate = paused.gate;

    const cli = sim.cli("alice@laptop")();
    await settleAll();
    // An older phoenix, or a script calling the runtime without a lease: it sees the tags and tidies the surge up.
    await sweep(
      { fleet: sim.fleet, prober: sim.prober, log: () => undefined },
      { environment: "live", policy: { minHealthy: 1, minHealthyPercent: 0 } },
    );
    paused.open();

    assert.equal((await cli).outcome, "incomplete");
    assert.deepEqual(sim.violations, []);
    assert.deepEqual([sim.group.desiredCapacity, sim.group.suspendedProcesses], [3, []]);
    await assertSafeAndConverges(sim);
  });
});

describe("two sweeps at once, at random", () => {
  const PAIRS = 200;

  it(`keeps every invariant and converges over ${PAIRS} pairs with random delays on every call`, async () => {
    const rng = new Rng(20261126);
    let pairs = 0;
    let runs = 0;
    const outcomes = new Map<string, number>();
    while (pairs < PAIRS) {
      runs += 1;
      const sim = new SurgeSim();
      const delay = (_call: string, _when: "before" | "after") => ticks(rng.int(0, 6));
      for (let round = 0; round < 12 && !sim.converged(); round++) {
        sim.advance(rng.int(1, 6) * 60_000);
        const kinds: (() => Sweeper)[] = [
          () => sim.cli(`cli-${pairs}-a`),
          () => sim.cli(`cli-${pairs}-b`),
          () => sim.lambda(`lambda-${pairs}`),
          () => sim.lambda(`release-${pairs}`, "release"),
        ];
        const first = kinds[rng.int(0, 3)]();
        const second = kinds[rng.int(0, 3)]();
        // Now and then one of them freezes between two steps (a laptop closed) for longer than its lease.
        const freezeAt = rng.next() < 0.15 ? rng.int(1, 12) : -1;
        let calls = 0;
        let unfreeze: (() => void) | undefined;
        const gate = (call: string, when: "before" | "after") => {
          calls += 1;
          if (calls === freezeAt && when === "after") return new Promise<void>((resolve) => (unfreeze = resolve));
          return delay(call, when);
        };
        sim.fleet.gate = gate;
        sim.store.gate = gate;
        const both = Promise.all([first(), ticks(rng.int(0, 20)).then(second)]);
        await settleAll();
        if (unfreeze !== undefined) {
          sim.advance((LEASE_TTL_SECONDS + 60) * 1000);
          unfreeze();
        }
        for (const r of await both) {
          assert.doesNotMatch(r.outcome, /^(exit|error)/, `${r.who}: ${r.outcome}`);
          outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
        }
        pairs += 1;
      }
      assert.ok(await sweepToConvergence(sim), `run ${runs} did not converge: ${JSON.stringify(sim.group)}`);
      assert.deepEqual(sim.violations, [], `run ${runs}`);
      assert.ok(sim.maxDesired <= 6, `run ${runs}: desired reached ${sim.maxDesired}`);
    }
    // Both kinds of race happened: sweeps that stood down and sweeps that acted.
    assert.ok((outcomes.get("held") ?? 0) > 20, JSON.stringify([...outcomes]));
    assert.ok((outcomes.get("done") ?? 0) > 100, JSON.stringify([...outcomes]));
  });
});
