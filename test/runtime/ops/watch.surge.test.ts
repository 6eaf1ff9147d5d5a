// Following a surge rollout (`phoenix release --wait`): an aborted surge, which leaves `phoenix:surge-failed` naming
// the version on the group, ends the follow as failed at once instead of waiting for a stall or the timeout.
import * as assert from "node:assert/strict";
import { followRollout } from "../../../runtime/ops/watch";
import { FleetState, InstanceState } from "../../../runtime/core/types";
import { Loopback } from "../../support/loopback";
import { answering, fakeClock, groupOf } from "../../support/fleets";
import { MemoryFleet } from "../../support/memory-store";
import { SURGE_TAGS } from "../../../runtime/contract";

const loopback = new Loopback("127.94");

function up(id: string, version: string): Promise<InstanceState> {
  return answering(loopback, id, version);
}

function fleetOf(instances: InstanceState[], tags: Record<string, string>): FleetState {
  const group = groupOf(loopback, "web", instances);
  return {
    environment: "test",
    readAt: "2026-11-26T03:30:00Z",
    groups: [{ ...group, tags: { ...group.tags, ...tags } }],
  };
}

describe("following a surge rollout", () => {
  after(() => loopback.close());

  it("fails as soon as the tier's surge to the version was aborted, saying the old version still serves", async () => {
    const old = await Promise.all([up("i-old-1", "1.0.1"), up("i-old-2", "1.0.1")]);
    const fleet = new MemoryFleet(fleetOf(old, { [SURGE_TAGS.failed]: "1.0.2 ami-0new" }));

    const result = await followRollout({ fleet, environment: "test", version: "1.0.2", clock: fakeClock(1_000_000) });

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

    const result = await followRollout({ fleet, environment: "test", version: "1.0.3", clock: fakeClock(1_000_000) });

    assert.equal(result.status, "converged");
  });
});
