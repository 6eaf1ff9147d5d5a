// Following a surge rollout (`phoenix release --wait`): an aborted surge, which leaves `phoenix:surge-failed` naming
// the version on the group, ends the follow as failed at once instead of waiting for a stall or the timeout.
import * as assert from "node:assert/strict";
import { Clock, followRollout } from "../runtime/follow";
import { SURGE_TAGS } from "../runtime/planner";
import { FleetState, InstanceState } from "../runtime/types";
import { Loopback } from "./support/loopback";
import { MemoryFleet } from "./support/memory-store";

const loopback = new Loopback("127.94");

function fakeClock(): Clock {
  let t = 1_000_000;
  return {
    now: () => t,
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
  };
}

async function up(id: string, version: string): Promise<InstanceState> {
  const { ip } = await loopback.serve({ kind: "answer", body: version });
  return {
    id,
    lifecycleState: "InService",
    asgHealth: "Healthy",
    lbHealth: {},
    launchTime: "2026-11-26T03:00:00Z",
    privateIp: ip,
  };
}

function fleetOf(instances: InstanceState[], tags: Record<string, string>): FleetState {
  return {
    environment: "test",
    readAt: "2026-11-26T03:30:00Z",
    groups: [
      {
        name: "test-web",
        tier: "web",
        desiredCapacity: instances.length,
        minSize: 1,
        maxSize: 6,
        port: loopback.port,
        targetGroupArns: [],
        tags: { "phoenix:environment": "test", "phoenix:tier": "web", ...tags },
        instances,
      },
    ],
  };
}

describe("following a surge rollout", () => {
  after(() => loopback.close());

  it("fails as soon as the tier's surge to the version was aborted, saying the old version still serves", async () => {
    const old = await Promise.all([up("i-old-1", "1.0.1"), up("i-old-2", "1.0.1")]);
    const fleet = new MemoryFleet(fleetOf(old, { [SURGE_TAGS.failed]: "1.0.2 ami-0new" }));

    const result = await followRollout({ fleet, environment: "test", version: "1.0.2", clock: fakeClock() });

    assert.equal(result.status, "failed");
    assert.equal(fleet.reads, 1);
    assert.equal(result.tiers[0].surgeFailed, true);
    assert.match(
      result.detail.join("\n"),
      /web test-web: the surge to 1\.0\.2 was aborted .*Publish a fix or roll back/,
    );
  });

  it("ignores a failed surge of another version", async () => {
    const current = await Promise.all([up("i-new-1", "1.0.3"), up("i-new-2", "1.0.3")]);
    const fleet = new MemoryFleet(fleetOf(current, { [SURGE_TAGS.failed]: "1.0.2" }));

    const result = await followRollout({ fleet, environment: "test", version: "1.0.3", clock: fakeClock() });

    assert.equal(result.status, "converged");
  });
});
