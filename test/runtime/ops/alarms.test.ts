// What a sweep reads of the rollout alarms and what it does on one: the alarms of the tiers in their alarm window only,
// all in one read, into the snapshot the plan is made (and replayed) from; an unreadable alarm held, not guessed; and
// a sweep whose plan asks for a rollback writing it, recording it, and saying so when it cannot.
import * as assert from "node:assert/strict";
import {
  MANIFEST_KEY,
  releaseRecordKey,
  rolloutAlarmNames,
  SURGE_PROCESSES,
  SURGE_TAGS,
} from "../../../runtime/contract";
import { AlarmState, FleetState, GroupState, InstanceState, Policy } from "../../../runtime/core/types";
import { alarmsToRead, withAlarms } from "../../../runtime/ops/alarms";
import { Prober, sweep, sweepStatus } from "../../../runtime/ops/sweep";
import { MemoryFleet, MemoryObjectStore, seedRelease } from "../../support/memory-store";

const READ_AT = "2026-11-26T04:00:00.000Z";
const WEB = rolloutAlarmNames("live", "web");
const API = rolloutAlarmNames("live", "api");
const POLICY: Policy = {
  minHealthy: 1,
  minHealthyPercent: 0,
  strategy: "surge",
  tiers: {
    web: { rolloutAlarms: [WEB.errors, WEB.latency], checkpoints: [50, 100], autoRollback: true },
    api: { rolloutAlarms: [API.errors, API.latency] },
  },
};

function instance(id: string, launchTime: string): InstanceState {
  return { id, lifecycleState: "InService", asgHealth: "Healthy", lbHealth: {}, launchTime, privateIp: "10.0.0.1" };
}

function group(tier: string, tags: Record<string, string> = {}, extra: Partial<GroupState> = {}): GroupState {
  return {
    name: `live-${tier}`,
    tier,
    desiredCapacity: 2,
    minSize: 1,
    maxSize: 4,
    port: 80,
    targetGroupArns: [],
    tags: { "phoenix:environment": "live", "phoenix:tier": tier, ...tags },
    instances: [
      instance(`i-${tier}-1`, "2026-11-01T00:00:00.000Z"),
      instance(`i-${tier}-2`, "2026-11-02T00:00:00.000Z"),
    ],
    ...extra,
  };
}

function state(groups: GroupState[]): FleetState {
  return { environment: "live", readAt: READ_AT, groups };
}

describe("reading the rollout alarms for a sweep", () => {
  it("reads none while no tier's rollout is in its alarm window", async () => {
    const fleet = new MemoryFleet(state([group("web"), group("api")]));
    let reads = 0;
    fleet.alarms = { read: () => ((reads += 1), Promise.resolve([])) };

    const snapshot = await withAlarms(fleet, fleet.state, POLICY);

    assert.equal(reads, 0);
    assert.equal(snapshot.alarms, undefined);
  });

  it("reads the alarms of the tiers in their window only, all of them in one call", async () => {
    const surging = group("web", { [SURGE_TAGS.baseline]: "2" });
    const between = group("api", { [SURGE_TAGS.checkpoint]: "1/2 1.0.2" });
    const fleet = new MemoryFleet(state([surging, group("api")]));
    const asked: string[][] = [];
    fleet.alarms = {
      read: (names) => (asked.push(names), Promise.resolve(names.map((name) => ({ name, state: "OK" })))),
    };

    const one = await withAlarms(fleet, fleet.state, POLICY);
    const both = alarmsToRead(state([surging, between]), POLICY);

    assert.deepEqual(asked, [[WEB.errors, WEB.latency]]);
    assert.deepEqual(
      one.alarms?.map((a) => a.name),
      [WEB.errors, WEB.latency],
    );
    assert.deepEqual(both, [API.errors, API.latency, WEB.errors, WEB.latency]);
  });

  it("records each alarm as unreadable, with why, when the read fails or the fleet cannot read alarms", async () => {
    const fleet = new MemoryFleet(state([group("web", { [SURGE_TAGS.baseline]: "2" })]));
    fleet.alarms = { read: () => Promise.reject(Object.assign(new Error("denied"), { name: "AccessDenied" })) };

    const failed = await withAlarms(fleet, fleet.state, POLICY);
    const none = await withAlarms(new MemoryFleet(fleet.state), fleet.state, POLICY);

    assert.deepEqual(failed.alarms?.[0], { name: WEB.errors, state: "unreadable", reason: "AccessDenied: denied" });
    assert.equal(none.alarms?.[0].reason, "this fleet adapter cannot read alarms");
  });
});

describe("a sweep stopped by a rollout alarm past a checkpoint", () => {
  const OLD = "1.0.1";
  const NEW = "1.0.2";
  const started = "2026-11-26T03:50:00.000Z";

  /** web surging to its second checkpoint: one old instance gone already; 1.0.2's alarm in ALARM. */
  function setUp(): { fleet: MemoryFleet; store: MemoryObjectStore; prober: Prober } {
    const versions: Record<string, string> = { "i-old": OLD, "i-canary": NEW, "i-new": NEW };
    const web = group(
      "web",
      {
        "phoenix:strategy": "surge",
        [SURGE_TAGS.baseline]: "2",
        [SURGE_TAGS.version]: NEW,
        [SURGE_TAGS.startedAt]: started,
        [SURGE_TAGS.checkpoint]: `2/2 ${NEW}`,
      },
      {
        desiredCapacity: 3,
        suspendedProcesses: [...SURGE_PROCESSES],
        instances: [
          instance("i-old", "2026-11-01T00:00:00.000Z"),
          instance("i-canary", "2026-11-26T03:30:00.000Z"),
          instance("i-new", "2026-11-26T03:51:00.000Z"),
        ],
      },
    );
    const store = new MemoryObjectStore();
    for (const v of [OLD, NEW]) {
      seedRelease(store, v, ["web"]);
      store.seed(releaseRecordKey(v), JSON.stringify({ version: v }));
    }
    const fleet = new MemoryFleet({ ...state([web]), desiredVersion: NEW }, { surge: true });
    const firing: AlarmState[] = [
      { name: WEB.errors, state: "ALARM" },
      { name: WEB.latency, state: "OK" },
    ];
    fleet.alarms = { read: () => Promise.resolve(firing) };
    const prober: Prober = (s) =>
      Promise.resolve({
        ...s,
        groups: s.groups.map((g) => ({
          ...g,
          instances: g.instances.map((i) => ({ ...i, probe: { ok: true as const, version: versions[i.id] } })),
        })),
      });
    return { fleet, store, prober };
  }

  it("aborts the surge, writes the previous release back, and records the rollback in its log", async () => {
    const { fleet, store, prober } = setUp();
    const lines: string[] = [];

    const result = await sweep(
      { fleet, store, prober, log: (l) => lines.push(l) },
      { environment: "live", policy: POLICY },
    );

    assert.deepEqual(fleet.terminated, [{ group: "live-web", instanceId: "i-new" }]);
    assert.equal(JSON.parse(store.text(MANIFEST_KEY)!).version, OLD);
    assert.equal(result.rollback?.status, "done");
    assert.equal(sweepStatus(result).status, "ok");
    const record = lines.map((l) => JSON.parse(l) as { type: string }).find((r) => r.type === "sweep.rollback");
    assert.deepEqual(record, { type: "sweep.rollback", ...result.rollback });
    // The alarms the plan was made from are in the snapshot the sweep logged: explain replays the decision.
    const logged = lines.map((l) => JSON.parse(l) as { type: string; snapshot?: FleetState })[0];
    assert.equal(logged.type, "sweep.snapshot");
    assert.deepEqual(logged.snapshot?.alarms?.[0], { name: WEB.errors, state: "ALARM" });
  });

  it("without a release store to write, makes the abort but says the rollback was not made (exit 3 from the CLI)", async () => {
    const { fleet, prober } = setUp();

    const result = await sweep({ fleet, prober, log: () => undefined }, { environment: "live", policy: POLICY });

    assert.equal(result.rollback?.status, "failed");
    const status = sweepStatus(result);
    assert.equal(status.status, "incomplete");
    assert.match(
      status.failures[0],
      /^rollback after phoenix-live-web-5xx in ALARM at checkpoint 2 of 2 \(web\) not made: this sweep has no release store/,
    );
  });

  it("makes a rollback its sweep could not make in a later sweep, and none once it is made", async () => {
    const { fleet, store, prober } = setUp();
    const first = await sweep({ fleet, prober, log: () => undefined }, { environment: "live", policy: POLICY });
    assert.equal(first.rollback?.status, "failed");
    const web = () => fleet.state.groups[0];
    assert.equal(web().tags[SURGE_TAGS.failed], NEW, "the stop is tagged");
    fleet.state.groups[0] = { ...web(), instances: web().instances.filter((i) => i.id !== "i-new") };

    const second = await sweep({ fleet, store, prober, log: () => undefined }, { environment: "live", policy: POLICY });

    assert.equal(second.rollback?.status, "done");
    assert.match(
      second.plan.groups[0].reason,
      /^rollout stopped: phoenix-live-web-5xx in ALARM at checkpoint 2 of 2 stopped the rollout to 1\.0\.2 .*1 instance still run 1\.0\.2 and no rollback is recorded: writing the previous release back/,
    );
    assert.equal(JSON.parse(store.text(MANIFEST_KEY)!).version, OLD);
    fleet.state.desiredVersion = OLD;

    const third = await sweep({ fleet, store, prober, log: () => undefined }, { environment: "live", policy: POLICY });

    assert.equal(third.rollback, undefined);
    assert.equal(third.plan.groups[0].alarmStop, undefined);
  });

  it("plans it and writes nothing when dry", async () => {
    const { fleet, store, prober } = setUp();

    const result = await sweep(
      { fleet, store, prober, log: () => undefined },
      { environment: "live", policy: POLICY, dryRun: true },
    );

    assert.equal(result.plan.groups[0].alarmStop?.rollback, true);
    assert.equal(result.rollback, undefined);
    assert.deepEqual(store.writes, []);
  });
});
