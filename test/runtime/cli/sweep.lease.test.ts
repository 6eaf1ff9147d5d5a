// The CLI and the sweep lease: `sweep` takes it (exit 4, saying who holds it and since when, when it cannot), `plan`
// and `status` never do and `status` shows the holder, `--break-lease` takes it from a dead holder by its id only,
// and `sweep --repair` puts a wedged group back or refuses (exit 3) saying why.
import * as assert from "node:assert/strict";
import { SURGE_PROCESSES, SURGE_TAGS, SWEEP_LEASE_KEY } from "../../../runtime/contract";
import { leaseBody, newLease } from "../../../runtime/core/lease";
import { FleetState, InstanceState } from "../../../runtime/core/types";
import { answeringProber, runCliWith } from "../../support/fleets";
import { MemoryFleet, MemoryObjectStore } from "../../support/memory-store";

const READ_AT = "2026-11-26T04:00:00.000Z";
const NOW = Date.parse(READ_AT);

function instance(id: string, launchTime: string): InstanceState {
  return { id, lifecycleState: "InService", asgHealth: "Healthy", lbHealth: {}, launchTime, privateIp: "10.0.0.1" };
}

/** test-web: two instances on 1.0.1, the manifest names 1.0.2, strategy surge. */
function staleFleet(): FleetState {
  return {
    environment: "test",
    readAt: READ_AT,
    desiredVersion: "1.0.2",
    groups: [
      {
        name: "test-web",
        tier: "web",
        desiredCapacity: 2,
        minSize: 1,
        maxSize: 4,
        port: 80,
        targetGroupArns: [],
        tags: { "phoenix:environment": "test", "phoenix:tier": "web", "phoenix:strategy": "surge" },
        instances: [instance("i-old-1", "2026-11-20T00:00:00.000Z"), instance("i-old-2", "2026-11-21T00:00:00.000Z")],
      },
    ],
  };
}

/** The wedge on test-web: desired raised 2 → 4 by a straggler after its surge ended, processes suspended. */
function wedgedFleet(): FleetState {
  const state = staleFleet();
  const web = state.groups[0];
  web.desiredCapacity = 4;
  web.suspendedProcesses = [...SURGE_PROCESSES];
  web.tags[SURGE_TAGS.ended] = "2 2026-11-26T03:30:00.000Z";
  web.instances = ["i-new-1", "i-new-2", "i-new-3", "i-new-4"].map((id) => instance(id, "2026-11-26T03:40:00.000Z"));
  return state;
}

const prober = answeringProber((id) => (id.startsWith("i-old") ? "1.0.1" : "1.0.2"));

function storeAt(nowMs: number): MemoryObjectStore {
  const store = new MemoryObjectStore();
  store.clock = () => nowMs;
  return store;
}

/** Someone else's live lease, taken a minute before NOW. */
function heldBy(store: MemoryObjectStore, holder = "0123456789ab"): void {
  store.seed(
    SWEEP_LEASE_KEY,
    leaseBody(newLease({ holder, who: "bob@ci pid 77", purpose: "phoenix sweep" }, NOW - 60_000)),
  );
}

describe("the phoenix CLI and the sweep lease", () => {
  it("exits 4 when another sweep holds the lease, saying who and since when, having read and changed nothing", async () => {
    const fleet = new MemoryFleet(staleFleet(), { surge: true });
    const store = storeAt(NOW);
    heldBy(store);

    const result = await runCliWith({ fleet, store, prober, now: () => NOW }, "sweep", "--env", "test");

    assert.equal(result.code, 4);
    assert.match(
      result.err,
      /^phoenix: test: another sweep holds the lease of this environment: held by 0123456789ab \(bob@ci pid 77, phoenix sweep\) since 2026-11-26T03:59:00\.000Z/,
    );
    assert.match(result.err, /--break-lease 0123456789ab takes the lease from it/);
    assert.equal(fleet.reads, 0);
    assert.deepEqual(fleet.calls, []);
  });

  it("sweeps under the lease, records who took it, and gives it back", async () => {
    const fleet = new MemoryFleet(staleFleet(), { surge: true });
    const store = storeAt(NOW);

    const result = await runCliWith(
      { fleet, store, prober, now: () => NOW, who: () => "alice@laptop pid 4242" },
      "sweep",
      "--env",
      "test",
    );

    assert.equal(result.code, 0, result.err);
    assert.equal(fleet.state.groups[0].desiredCapacity, 4);
    const lease = JSON.parse(store.text(SWEEP_LEASE_KEY)!) as Record<string, string>;
    assert.deepEqual(
      [lease.who, lease.purpose, typeof lease.releasedAt],
      ["alice@laptop pid 4242", "phoenix sweep", "string"],
    );
  });

  it("plans without the lease, while another sweep holds it", async () => {
    const fleet = new MemoryFleet(staleFleet(), { surge: true });
    const store = storeAt(NOW);
    heldBy(store);
    const writes = store.writes.length;

    const result = await runCliWith({ fleet, store, prober, now: () => NOW }, "plan", "--env", "test");

    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /would set test-web desired capacity to 4 \(surge start\)/);
    assert.equal(store.writes.length, writes);
  });

  it("shows who holds the lease in status, without taking it", async () => {
    const fleet = new MemoryFleet(staleFleet(), { surge: true });
    const store = storeAt(NOW);
    heldBy(store);

    const text = await runCliWith({ fleet, store, prober, now: () => NOW }, "status", "--env", "test");
    const json = await runCliWith({ fleet, store, prober, now: () => NOW }, "status", "--env", "test", "--json");

    assert.equal(text.code, 0, text.err);
    assert.match(
      text.out,
      /\nsweep lease: held by 0123456789ab \(bob@ci pid 77, phoenix sweep\) since 2026-11-26T03:59:00/,
    );
    assert.equal(json.json().lease.state, "held");
    assert.deepEqual(store.writes, []);
  });

  it("breaks a dead holder's lease only when given its exact id", async () => {
    const fleet = new MemoryFleet(staleFleet(), { surge: true });
    const store = storeAt(NOW);
    heldBy(store);

    const wrong = await runCliWith({ fleet, store, prober }, "sweep", "--env", "test", "--break-lease", "0123");
    const right = await runCliWith({ fleet, store, prober }, "sweep", "--env", "test", "--break-lease", "0123456789ab");

    assert.equal(wrong.code, 4);
    assert.match(wrong.err, /--break-lease 0123 does not name it: it is 0123456789ab/);
    assert.equal(right.code, 0, right.err);
    assert.match(right.err, /took the sweep lease over from 0123456789ab \(broken with --break-lease 0123456789ab\)/);
    assert.equal(fleet.state.groups[0].desiredCapacity, 4);
  });

  it("leaves a lease object it does not recognise in place, quoting it", async () => {
    const fleet = new MemoryFleet(staleFleet(), { surge: true });
    const store = storeAt(NOW);
    store.seed(SWEEP_LEASE_KEY, '{"lockedBy":"terraform"}');

    const result = await runCliWith({ fleet, store, prober }, "sweep", "--env", "test");

    assert.equal(result.code, 4);
    assert.match(result.err, /is taken by an object that is not a phoenix lease .*: \{"lockedBy":"terraform"\}/);
    assert.equal(store.text(SWEEP_LEASE_KEY), '{"lockedBy":"terraform"}');
  });

  it("documents exit code 4 in sweep --help", async () => {
    const fleet = new MemoryFleet(staleFleet());

    const result = await runCliWith({ fleet }, "sweep", "--help");

    assert.match(result.out, /4 {2}held: another sweeper holds the environment's lease; nothing was done/);
  });
});

describe("phoenix sweep --repair", () => {
  /** The group's history as Auto Scaling records it: the straggler's raise from 2 to 4. */
  function withStraggler(fleet: MemoryFleet): MemoryFleet {
    fleet.recordChange("test-web", 2, 4, "request", "2026-11-26T03:35:00.000Z");
    return fleet;
  }

  it("is named by plan, which says the group is wedged and what the repair would do", async () => {
    const fleet = withStraggler(new MemoryFleet(wedgedFleet(), { surge: true }));

    const result = await runCliWith({ fleet, prober }, "plan", "--env", "test");

    assert.match(result.err, /test-web => .*, wedged/);
    assert.match(
      result.err,
      /`phoenix sweep --env test --repair` would set desired capacity 4 → 2 .* and then resume AlarmNotification, ScheduledActions/,
    );
  });

  it("puts a wedged group back: desired capacity to its baseline, processes resumed, nothing else", async () => {
    const fleet = withStraggler(new MemoryFleet(wedgedFleet(), { surge: true }));

    const result = await runCliWith({ fleet, prober }, "sweep", "--env", "test", "--repair");

    assert.equal(result.code, 0, result.err);
    assert.match(
      result.out,
      /^repaired test-web: desired capacity back to 2, AlarmNotification, ScheduledActions resumed/,
    );
    assert.deepEqual(fleet.calls, ["set-desired test-web 2", "resume test-web AlarmNotification,ScheduledActions"]);
  });

  it("refuses when it cannot be sure of the baseline, exits 3 and says why", async () => {
    const fleet = new MemoryFleet(wedgedFleet(), { surge: true });
    fleet.recordChange("test-web", 3, 4, "request", "2026-11-26T03:35:00.000Z");

    const result = await runCliWith({ fleet, prober }, "sweep", "--env", "test", "--repair");

    assert.equal(result.code, 3);
    assert.match(result.out, /^left test-web as it is: tag phoenix:surge-ended says the last surge ended at 2/);
    assert.deepEqual(fleet.calls, []);
  });

  it("says there is nothing to repair when no group is wedged", async () => {
    const fleet = new MemoryFleet(staleFleet(), { surge: true });

    const result = await runCliWith({ fleet, prober }, "sweep", "--env", "test", "--repair");

    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, "nothing to repair: no group is wedged\n");
    assert.deepEqual(fleet.calls, []);
  });
});
