// The release handler under the surge strategy: the release event starts a surge (desired capacity raised, tags
// written, scaling suspended) instead of terminating, and a replayed event never surges twice.
import * as assert from "node:assert/strict";
import { handleReleaseEvent, S3NotificationEvent } from "../../../runtime/ops/release-event";
import { DEFAULT_POLICY, GroupState, InstanceState, Policy } from "../../../runtime/core/types";
import { Loopback } from "../../support/loopback";
import { MemoryFleet, MemoryObjectStore, seedRelease } from "../../support/memory-store";
import { MANIFEST_KEY, SURGE_TAGS } from "../../../runtime/contract";

const loopback = new Loopback("127.93");

async function instance(id: string, version: string, launchTime: string): Promise<InstanceState> {
  const { ip } = await loopback.serve({ kind: "answer", body: version });
  return { id, lifecycleState: "InService", asgHealth: "Healthy", lbHealth: {}, launchTime, privateIp: ip };
}

function group(name: string, tier: string, instances: InstanceState[], strategy: string, maxSize = 10): GroupState {
  return {
    name,
    tier,
    desiredCapacity: instances.length,
    minSize: 1,
    maxSize,
    port: loopback.port,
    targetGroupArns: [],
    tags: { "phoenix:environment": "test", "phoenix:tier": tier, "phoenix:strategy": strategy },
    instances,
  };
}

const EVENT: S3NotificationEvent = {
  Records: [
    { eventName: "ObjectCreated:Put", s3: { bucket: { name: "test-releases" }, object: { key: MANIFEST_KEY } } },
  ],
};

describe("the release handler with the surge strategy", () => {
  let store: MemoryObjectStore;
  let logs: string[];

  function run(fleet: MemoryFleet, policy: Policy = DEFAULT_POLICY) {
    return handleReleaseEvent(EVENT, {
      fleet,
      store,
      environment: "test",
      policy,
      probe: { timeoutMs: 1000 },
      log: (line) => logs.push(line),
    });
  }

  /** web (surge): three on 1.0.1; api (replace): two on 1.0.1. */
  async function fleetOnOldVersion(options: { surge?: boolean; webMax?: number } = {}): Promise<MemoryFleet> {
    return new MemoryFleet(
      {
        environment: "test",
        readAt: "2026-11-26T03:01:00.000Z",
        groups: [
          group(
            "test-web",
            "web",
            [
              await instance("i-web-1", "1.0.1", "2026-11-01T00:00:00Z"),
              await instance("i-web-2", "1.0.1", "2026-11-02T00:00:00Z"),
              await instance("i-web-3", "1.0.1", "2026-11-03T00:00:00Z"),
            ],
            "surge",
            options.webMax,
          ),
          group(
            "test-api",
            "api",
            [
              await instance("i-api-1", "1.0.1", "2026-11-01T00:00:00Z"),
              await instance("i-api-2", "1.0.1", "2026-11-02T00:00:00Z"),
            ],
            "replace",
          ),
        ],
      },
      { surge: options.surge ?? true },
    );
  }

  beforeEach(() => {
    store = new MemoryObjectStore();
    logs = [];
    seedRelease(store, "1.0.2");
  });

  after(() => loopback.close());

  it("starts a surge in a surge tier and terminates one instance in a replace tier", async () => {
    const fleet = await fleetOnOldVersion();

    const result = await run(fleet);

    assert.deepEqual(result.surged, [{ group: "test-web", setDesired: 6 }]);
    assert.deepEqual(result.acted, [{ group: "test-api", instanceId: "i-api-1" }]);
    const web = fleet.state.groups.find((g) => g.name === "test-web")!;
    assert.equal(web.desiredCapacity, 6);
    assert.equal(web.instances.length, 3, "nothing terminated in the surge tier");
    assert.equal(web.tags[SURGE_TAGS.version], "1.0.2");
    assert.deepEqual(web.suspendedProcesses, ["AlarmNotification", "ScheduledActions"]);
    assert.deepEqual(fleet.terminated, [{ group: "test-api", instanceId: "i-api-1" }]);
    assert.ok(logs.some((l) => l.includes('"type":"sweep.actions"')));
  });

  it("never surges twice when the event is replayed", async () => {
    const fleet = await fleetOnOldVersion();
    await run(fleet);

    const replay = await run(fleet);

    assert.equal(replay.surged, undefined);
    assert.match(
      replay.skipped?.find((s) => s.group === "test-web")?.why ?? "",
      /^a surge is in progress here, which the terminator carries on \(it would: surge waiting/,
    );
    assert.equal(fleet.calls.filter((c) => c.startsWith("set-desired")).length, 1);
    assert.equal(fleet.state.groups.find((g) => g.name === "test-web")!.desiredCapacity, 6);
  });

  it("falls back to one termination when the group is at its max size", async () => {
    const fleet = await fleetOnOldVersion({ webMax: 3 });

    const result = await run(fleet);

    assert.equal(result.surged, undefined);
    assert.deepEqual(
      result.acted.map((a) => a.instanceId),
      ["i-api-1", "i-web-1"],
    );
  });

  it("replaces in place on a fleet that cannot surge", async () => {
    const fleet = await fleetOnOldVersion({ surge: false });

    const result = await run(fleet);

    assert.equal(result.surged, undefined);
    assert.deepEqual(
      result.acted.map((a) => a.instanceId),
      ["i-api-1", "i-web-1"],
    );
  });
});
