import * as assert from "node:assert/strict";
import { followRollout, RolloutProgress } from "../../../runtime/ops/watch";
import { FleetState, InstanceState } from "../../../runtime/core/types";
import { answering, fakeClock, groupOf } from "../../support/fleets";
import { Loopback } from "../../support/loopback";
import { MemoryFleet } from "../../support/memory-store";

const loopback = new Loopback("127.32");
const MINUTE = 60_000;

function up(id: string, version: string, extra: Partial<InstanceState> = {}): Promise<InstanceState> {
  return answering(loopback, id, version, extra);
}

function pending(id: string): InstanceState {
  return {
    id,
    lifecycleState: "Pending",
    asgHealth: "Healthy",
    lbHealth: {},
    launchTime: "2026-11-26T03:00:00Z",
    privateIp: loopback.address(),
  };
}

function fleetOf(instances: InstanceState[], desiredCapacity = 2): FleetState {
  const group = groupOf(loopback, "web", instances, { desiredCapacity, maxSize: 4 });
  return { environment: "test", readAt: "2026-11-26T03:00:00Z", groups: [group] };
}

/** A fleet that shows `states[n]` on its n-th read (and the last one from then on). */
function scripted(states: FleetState[]): MemoryFleet {
  const fleet = new MemoryFleet(states[0]);
  fleet.onRead = (_, reads) => {
    fleet.state = states[Math.min(reads, states.length) - 1];
  };
  return fleet;
}

describe("following a rollout", () => {
  after(() => loopback.close());

  it("converges when every instance runs the version and is healthy, reporting progress on the way", async () => {
    const [old1, old2, new1, new2] = await Promise.all([
      up("i-old-1", "1.0.1"),
      up("i-old-2", "1.0.1"),
      up("i-new-1", "1.0.2"),
      up("i-new-2", "1.0.2"),
    ]);
    const fleet = scripted([
      fleetOf([old1, old2]),
      fleetOf([old2, pending("i-new-1")]),
      fleetOf([old2, new1]),
      fleetOf([new1, new2]),
    ]);
    const seen: RolloutProgress[] = [];

    const result = await followRollout({
      fleet,
      environment: "test",
      version: "1.0.2",
      clock: fakeClock(1_000_000),
      pollMs: MINUTE,
      onProgress: (p) => seen.push(p),
    });

    assert.equal(result.status, "converged");
    assert.deepEqual(result.detail, []);
    assert.deepEqual(
      seen.map((p) => [p.tiers[0].onVersion, p.tiers[0].inFlight, p.tiers[0].desired]),
      [
        [0, 0, 2],
        [0, 1, 2],
        [1, 0, 2],
        [2, 0, 2],
      ],
    );
    assert.deepEqual(
      seen.map((p) => p.elapsedMs),
      [0, MINUTE, 2 * MINUTE, 3 * MINUTE],
    );
  });

  it("times out when the rollout keeps moving but does not finish in time", async () => {
    const instances = await Promise.all([
      up("i-old-1", "1.0.1"),
      up("i-old-2", "1.0.1"),
      up("i-old-3", "1.0.1"),
      up("i-new-1", "1.0.2"),
      up("i-new-2", "1.0.2"),
    ]);
    const [o1, o2, o3, n1, n2] = instances;
    // One replacement becomes healthy every 10 minutes (polls are 5 minutes apart).
    const fleet = scripted([
      fleetOf([o1, o2, o3], 3),
      fleetOf([o1, o2, o3], 3),
      fleetOf([n1, o2, o3], 3),
      fleetOf([n1, o2, o3], 3),
      fleetOf([n1, n2, o3], 3),
    ]);
    const clock = fakeClock(1_000_000);

    const result = await followRollout({
      fleet,
      environment: "test",
      version: "1.0.2",
      clock,
      pollMs: 5 * MINUTE,
      timeoutMs: 20 * MINUTE,
      stallMs: 12 * MINUTE,
    });

    assert.equal(result.status, "timeout");
    assert.equal(result.elapsedMs, 20 * MINUTE);
    assert.deepEqual(result.detail, ["web i-old-3 runs 1.0.1, not 1.0.2"]);
  });

  it("stalls when no instance becomes healthy on the version, naming the instance and why", async () => {
    const [old2, sick] = await Promise.all([
      up("i-old-2", "1.0.1"),
      up("i-new-1", "1.0.2", { asgHealth: "Unhealthy" }),
    ]);
    const fleet = scripted([fleetOf([old2, pending("i-new-1")]), fleetOf([old2, sick])]);
    const clock = fakeClock(1_000_000);

    const result = await followRollout({
      fleet,
      environment: "test",
      version: "1.0.2",
      clock,
      pollMs: MINUTE,
      timeoutMs: 60 * MINUTE,
      stallMs: 5 * MINUTE,
    });

    assert.equal(result.status, "stalled");
    assert.equal(result.elapsedMs, 5 * MINUTE);
    assert.deepEqual(result.detail, [
      "web i-new-1 is Unhealthy in the Auto Scaling group",
      "web i-old-2 runs 1.0.1, not 1.0.2",
    ]);
  });

  it("counts a new healthy instance as progress, so a slow but moving rollout does not stall", async () => {
    const [o1, o2, n1, n2] = await Promise.all([
      up("i-old-1", "1.0.1"),
      up("i-old-2", "1.0.1"),
      up("i-new-1", "1.0.2"),
      up("i-new-2", "1.0.2"),
    ]);
    // Healthy replacements arrive at minute 4 and minute 8; the stall limit is 5 minutes.
    const states = [
      ...Array<FleetState>(4).fill(fleetOf([o1, o2])),
      ...Array<FleetState>(4).fill(fleetOf([n1, o2])),
      fleetOf([n1, n2]),
    ];

    const result = await followRollout({
      fleet: scripted(states),
      environment: "test",
      version: "1.0.2",
      clock: fakeClock(1_000_000),
      pollMs: MINUTE,
      stallMs: 5 * MINUTE,
    });

    assert.equal(result.status, "converged");
    assert.equal(result.elapsedMs, 8 * MINUTE);
  });

  it("keeps polling through a failed fleet read", async () => {
    const [n1, n2] = await Promise.all([up("i-new-1", "1.0.2"), up("i-new-2", "1.0.2")]);
    const fleet = new MemoryFleet(fleetOf([n1, n2]));
    const read = fleet.readFleet.bind(fleet);
    let calls = 0;
    fleet.readFleet = (env) => (++calls === 1 ? Promise.reject(new Error("Throttling: Rate exceeded")) : read(env));
    const seen: RolloutProgress[] = [];

    const result = await followRollout({
      fleet,
      environment: "test",
      version: "1.0.2",
      clock: fakeClock(1_000_000),
      pollMs: MINUTE,
      onProgress: (p) => seen.push(p),
    });

    assert.equal(result.status, "converged");
    assert.equal(seen[0].error, "Throttling: Rate exceeded");
  });

  it("never sleeps past the deadline", async () => {
    const fleet = scripted([fleetOf([await up("i-old-1", "1.0.1")], 1)]);
    const clock = fakeClock(1_000_000);

    const result = await followRollout({
      fleet,
      environment: "test",
      version: "1.0.2",
      clock,
      pollMs: 7 * MINUTE,
      timeoutMs: 10 * MINUTE,
      stallMs: 60 * MINUTE,
    });

    assert.equal(result.status, "timeout");
    assert.deepEqual(clock.slept, [7 * MINUTE, 3 * MINUTE]);
  });
});
