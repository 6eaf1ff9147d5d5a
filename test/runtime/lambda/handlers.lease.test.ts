// The rollout Lambda and the sweep lease: every mutating invocation (scheduled, event, follow-up, release) takes it
// first with the function's name and request id; one that finds it held stands down with one log line, no error,
// and a follow-up so the rollout keeps moving. A paused Lambda only plans and never takes it.
import * as assert from "node:assert/strict";
import { LAMBDA_ENV, MANIFEST_KEY, SWEEP_LEASE_KEY } from "../../../runtime/contract";
import { leaseBody, newLease } from "../../../runtime/core/lease";
import { FleetState } from "../../../runtime/core/types";
import { createRolloutHandler } from "../../../runtime/lambda/handlers";
import { answeringProber } from "../../support/fleets";
import { MemoryFleet, MemoryObjectStore, seedRelease } from "../../support/memory-store";

const ENV = {
  [LAMBDA_ENV.environment]: "test",
  [LAMBDA_ENV.policy]: JSON.stringify({ minHealthy: 1, minHealthyPercent: 0, strategy: "surge" }),
  [LAMBDA_ENV.probeTimeoutMs]: "1000",
  [LAMBDA_ENV.releaseBucket]: "phoenix-test-releases",
  [LAMBDA_ENV.followUpDelaySeconds]: "20",
};
const NOW = Date.parse("2026-11-26T04:00:00.000Z");
const CONTEXT = { functionName: "test-rollout", awsRequestId: "7f3c0000-0000-4000-8000-000000000001" };
const RELEASE_EVENT = {
  Records: [
    {
      eventSource: "aws:s3",
      eventName: "ObjectCreated:Put",
      s3: { bucket: { name: "phoenix-test-releases" }, object: { key: MANIFEST_KEY } },
    },
  ],
};

function stale(): FleetState {
  return {
    environment: "test",
    readAt: "2026-11-26T04:00:00.000Z",
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
        tags: { "phoenix:environment": "test", "phoenix:tier": "web" },
        instances: ["i-old-1", "i-old-2"].map((id) => ({
          id,
          lifecycleState: "InService",
          asgHealth: "Healthy",
          lbHealth: {},
          launchTime: "2026-11-20T00:00:00.000Z",
          privateIp: "10.0.0.1",
        })),
      },
    ],
  };
}

function setUp(env: Record<string, string> = ENV) {
  const fleet = new MemoryFleet(stale(), { surge: true });
  const store = new MemoryObjectStore();
  store.clock = () => NOW;
  seedRelease(store, "1.0.2", ["web"]);
  const logged: string[] = [];
  const followUps: number[] = [];
  const handler = createRolloutHandler(env, {
    fleet,
    store,
    log: (l) => logged.push(l),
    metrics: () => undefined,
    now: () => NOW,
    prober: answeringProber(() => "1.0.1"),
    followUp: {
      schedule: (delay) => {
        followUps.push(delay);
        return Promise.resolve({ status: "sent" });
      },
    },
  });
  const records = () => logged.map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
  return { fleet, store, handler, records, followUps };
}

function holdLease(store: MemoryObjectStore): void {
  store.seed(
    SWEEP_LEASE_KEY,
    leaseBody(newLease({ holder: "0123456789ab", who: "alice@laptop pid 4242", purpose: "phoenix sweep" }, NOW)),
  );
}

describe("the rollout Lambda and the sweep lease", () => {
  it("takes the lease as the function and request, for what triggered it, and gives it back", async () => {
    const { store, handler, records } = setUp();

    await handler({ "detail-type": "Scheduled Event" }, CONTEXT);

    const taken = records().find((r) => r.type === "sweep.lease")!;
    assert.equal(taken.who, "lambda test-rollout request 7f3c0000-0000-4000-8000-000000000001");
    assert.equal(taken.purpose, "Scheduled Event");
    assert.equal(
      (JSON.parse(store.text(SWEEP_LEASE_KEY)!) as { releasedAt?: string }).releasedAt,
      new Date(NOW).toISOString(),
    );
  });

  it("stands down when the lease is held: one line, no error, a follow-up, nothing read or changed", async () => {
    const { fleet, store, handler, records, followUps } = setUp();
    holdLease(store);

    const summary = await handler({ "detail-type": "EC2 Instance Launch Successful" }, CONTEXT);

    assert.deepEqual(
      records().map((r) => r.type),
      ["sweep.stood-down"],
    );
    assert.match(String(records()[0].lease), /^held by 0123456789ab \(alice@laptop pid 4242, phoenix sweep\) since/);
    assert.deepEqual(followUps, [20]);
    assert.equal((summary as { followUpSeconds?: number }).followUpSeconds, 20);
    assert.match(String((summary as { stoodDown?: string }).stoodDown), /^held by 0123456789ab/);
    assert.deepEqual([fleet.reads, fleet.calls.length], [0, 0]);
  });

  it("stands down on a release event too, and leaves the start to the follow-up sweep", async () => {
    const { fleet, store, handler, records, followUps } = setUp();
    holdLease(store);

    const result = await handler(RELEASE_EVENT, CONTEXT);

    assert.deepEqual(
      records().map((r) => r.type),
      ["sweep.stood-down"],
    );
    assert.equal(records()[0].trigger, "release event");
    assert.deepEqual((result as { acted: unknown[] }).acted, []);
    assert.deepEqual(followUps, [20]);
    assert.equal(fleet.reads, 0);
  });

  it("starts the rollout on a release event under the lease, which it takes before reading the manifest", async () => {
    const { fleet, store, handler, records } = setUp();
    const gets: string[] = [];
    const get = store.get.bind(store);
    store.get = (key) => {
      gets.push(key);
      return get(key);
    };

    await handler(RELEASE_EVENT, CONTEXT);

    assert.equal(gets[0], SWEEP_LEASE_KEY);
    assert.ok(gets.indexOf(MANIFEST_KEY) > 0);
    assert.deepEqual(
      records()
        .map((r) => r.type)
        .filter((t) => t.startsWith("sweep.lease")),
      ["sweep.lease", "sweep.lease-released"],
    );
    assert.equal(fleet.state.groups[0].desiredCapacity, 4);
  });

  it("never takes the lease while paused: it only plans", async () => {
    const { store, handler, records } = setUp({ ...ENV, [LAMBDA_ENV.dryRun]: "true" });
    holdLease(store);

    const summary = await handler({ "detail-type": "Scheduled Event" }, CONTEXT);

    assert.equal((summary as { stoodDown?: string }).stoodDown, undefined);
    assert.ok(records().some((r) => r.type === "sweep.plan"));
  });
});
