// The Lambda handler factories and their EMF metrics: environment read at start, a sweep over a fleet of real
// loopback /version servers, the pause switch, and the routing of S3 events to the release handler.
import * as assert from "node:assert/strict";
import {
  createReleaseHandler,
  createRolloutHandler,
  createSweepHandler,
  isS3Event,
  nativeError,
  parsePolicy,
  policyForTiers,
  readHandlerConfig,
} from "../../../runtime/lambda/handlers";
import { countByTier, sweepMetrics } from "../../../runtime/core/metrics";
import type { FleetState, GroupState, Plan } from "../../../runtime/core/types";
import { Loopback, LoopbackServer } from "../../support/loopback";
import { MemoryFleet, MemoryObjectStore } from "../../support/memory-store";
import {
  CONVERGENCE_KEY,
  LAMBDA_ENV,
  LIMITS,
  MANIFEST_KEY,
  METRICS_NAMESPACE,
  MetricName,
  sweepDeadlineMs,
  SWEEP_LEASE_KEY,
} from "../../../runtime/contract";

const BASE_ENV = {
  [LAMBDA_ENV.environment]: "test",
  [LAMBDA_ENV.policy]: JSON.stringify({ minHealthy: 1, minHealthyPercent: 0 }),
  [LAMBDA_ENV.probeTimeoutMs]: "1000",
  [LAMBDA_ENV.releaseBucket]: "phoenix-test-releases",
};

function group(name: string, tier: string, port: number, instances: { id: string; ip: string }[]): GroupState {
  return {
    name,
    tier,
    desiredCapacity: instances.length,
    minSize: 1,
    maxSize: instances.length + 1,
    port,
    targetGroupArns: [],
    tags: { "phoenix:environment": "test", "phoenix:tier": tier },
    instances: instances.map((i, n) => ({
      id: i.id,
      lifecycleState: "InService",
      asgHealth: "Healthy",
      lbHealth: {},
      launchTime: `2026-11-0${n + 1}T00:00:00.000Z`,
      privateIp: i.ip,
    })),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- log and EMF lines are untyped JSON
type Json = Record<string, any>;

function lines(): { lines: string[]; write: (line: string) => void; json: () => Json[] } {
  const out: string[] = [];
  return { lines: out, write: (l) => out.push(l), json: () => out.map((l) => JSON.parse(l) as Json) };
}

describe("handler configuration", () => {
  for (const name of [LAMBDA_ENV.environment, LAMBDA_ENV.policy, LAMBDA_ENV.probeTimeoutMs]) {
    it(`refuses to create the sweep handler without ${name}, naming it`, () => {
      const env = { ...BASE_ENV, [name]: undefined };

      assert.throws(
        () => createSweepHandler(env, { fleet: new MemoryFleet({ environment: "test", readAt: "", groups: [] }) }),
        (err: Error) => err.name === "UsageError" && err.message.includes(name),
      );
    });
  }

  it("refuses to create the release handler without the release bucket, naming it", () => {
    const env = { ...BASE_ENV, [LAMBDA_ENV.releaseBucket]: "" };

    assert.throws(() => createReleaseHandler(env), new RegExp(LAMBDA_ENV.releaseBucket));
  });

  it("names the policy field that is out of range", () => {
    assert.throws(() => parsePolicy('{"minHealthy":1,"minHealthyPercent":150}'), /PHOENIX_POLICY.*minHealthyPercent/);
  });

  it("rejects a policy that is not JSON", () => {
    assert.throws(() => parsePolicy("minHealthy=1"), /PHOENIX_POLICY is not JSON/);
  });

  it("probes with the concurrency it is given, 0 sizing it from the fleet, and rejects one past the socket budget", () => {
    const config = readHandlerConfig({ ...BASE_ENV, [LAMBDA_ENV.probeConcurrency]: "256" });

    assert.deepEqual(config.probe, { timeoutMs: 1000, concurrency: 256 });
    assert.deepEqual(readHandlerConfig({ ...BASE_ENV, [LAMBDA_ENV.probeConcurrency]: "0" }).probe, {
      timeoutMs: 1000,
      concurrency: 0,
    });
    assert.throws(
      () => readHandlerConfig({ ...BASE_ENV, [LAMBDA_ENV.probeConcurrency]: String(LIMITS.probeConcurrency.max + 1) }),
      /PHOENIX_PROBE_CONCURRENCY/,
    );
  });

  it("rejects a probe timeout that is not a whole number of milliseconds", () => {
    assert.throws(
      () => readHandlerConfig({ ...BASE_ENV, [LAMBDA_ENV.probeTimeoutMs]: "2s" }),
      /PHOENIX_PROBE_TIMEOUT_MS/,
    );
  });

  it("reads per-tier overrides and the pause switch", () => {
    const policy = policyForTiers({ minHealthy: 1, minHealthyPercent: 0 }, { web: {}, api: { maxPerSweep: 1 } });

    const config = readHandlerConfig({
      ...BASE_ENV,
      [LAMBDA_ENV.policy]: JSON.stringify(policy),
      [LAMBDA_ENV.dryRun]: "true",
    });

    assert.deepEqual(config, {
      environment: "test",
      policy: { minHealthy: 1, minHealthyPercent: 0, tiers: { api: { maxPerSweep: 1 } } },
      probe: { timeoutMs: 1000 },
      dryRun: true,
      followUpDelaySeconds: LIMITS.followUpDelaySeconds.fallback,
      releaseBucket: "phoenix-test-releases",
      sweepDeadlineMs: sweepDeadlineMs(LIMITS.rolloutTimeoutSeconds.fallback),
    });
  });

  it("reads the whole-sweep deadline the stack sets, and rejects one that is not a number of milliseconds", () => {
    const config = readHandlerConfig({ ...BASE_ENV, [LAMBDA_ENV.sweepDeadlineMs]: "45000" });

    assert.equal(config.sweepDeadlineMs, 45_000);
    assert.throws(
      () => readHandlerConfig({ ...BASE_ENV, [LAMBDA_ENV.sweepDeadlineMs]: "90s" }),
      /PHOENIX_SWEEP_DEADLINE_MS is "90s"; it must be a whole number of milliseconds/,
    );
  });
});

describe("the sweep handler", () => {
  const loopback = new Loopback("127.61");
  let old: LoopbackServer;
  let fresh: LoopbackServer[];
  let api: LoopbackServer;

  before(async () => {
    old = await loopback.serve({ kind: "answer", body: "1.0.266" });
    fresh = [
      await loopback.serve({ kind: "answer", body: "1.0.274" }),
      await loopback.serve({ kind: "answer", body: "1.0.274" }),
    ];
    api = await loopback.serve({ kind: "answer", body: "1.0.274" });
  });
  after(() => loopback.close());

  function fleet(): MemoryFleet {
    const state: FleetState = {
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      desiredVersion: "1.0.274",
      releaseStore: "test-releases",
      groups: [
        group("test-web", "web", loopback.port, [
          { id: "i-old", ip: old.ip },
          { id: "i-new1", ip: fresh[0].ip },
          { id: "i-new2", ip: fresh[1].ip },
        ]),
        group("test-api", "api", loopback.port, [{ id: "i-api", ip: api.ip }]),
      ],
    };
    return new MemoryFleet(state);
  }

  it("terminates the stale instance and reports what it did", async () => {
    const memory = fleet();
    const log = lines();
    const handler = createSweepHandler(BASE_ENV, {
      store: new MemoryObjectStore(),
      fleet: memory,
      log: log.write,
      metrics: () => {},
    });

    const summary = await handler({ "detail-type": "Scheduled Event" });

    assert.deepEqual(memory.terminated, [{ group: "test-web", instanceId: "i-old" }]);
    assert.deepEqual(summary, {
      environment: "test",
      dryRun: false,
      trigger: "Scheduled Event",
      terminated: ["i-old"],
      failed: [],
      skipped: [],
      unverified: [],
      status: "ok",
    });
    assert.deepEqual(
      log.json().map((r) => r.type),
      ["sweep.lease", "sweep.snapshot", "sweep.plan", "sweep.terminated", "sweep.lease-released", "convergence"],
    );
  });

  it("leaves a tier alone whose artifact is missing, says so in one line, and counts it", async () => {
    const memory = fleet();
    memory.missingArtifacts.add("releases/1.0.274/web.zip");
    const log = lines();
    const metrics = lines();
    const handler = createSweepHandler(BASE_ENV, {
      store: new MemoryObjectStore(),
      fleet: memory,
      log: log.write,
      metrics: metrics.write,
    });

    const summary = await handler({ "detail-type": "Scheduled Event" });

    assert.deepEqual(memory.terminated, []);
    assert.deepEqual([summary.status, summary.unverified, summary.terminated], ["unverified", ["test-web"], []]);
    const status = log.json().filter((r) => r.type === "sweep.status");
    assert.equal(status.length, 1);
    assert.deepEqual(status[0].unverified, [
      {
        group: "test-web",
        why:
          "the manifest names version 1.0.274, whose web artifact releases/1.0.274/web.zip does not exist in " +
          "test-releases: re-run `phoenix release` for 1.0.274, or roll back",
      },
    ]);
    const web = metrics.json().find((d) => d.Tier === "web" && d.Version === undefined)!;
    assert.equal(web[MetricName.GroupsUnverified], 1);
  });

  it("asks for each artifact once per version across invocations, not once per sweep", async () => {
    const memory = fleet();
    const handler = createSweepHandler(BASE_ENV, {
      store: new MemoryObjectStore(),
      fleet: memory,
      log: () => {},
      metrics: () => {},
    });

    await handler({});
    await handler({});

    assert.deepEqual(memory.asked.filter((q) => q.startsWith("artifact")).sort(), [
      "artifact releases/1.0.274/api.zip",
      "artifact releases/1.0.274/web.zip",
    ]);
    assert.equal(memory.asked.filter((q) => q.startsWith("store")).length, 1);
  });

  it("fails the invocation in one line when its deadline passes while the fleet is read, acting on nothing", async () => {
    const memory = fleet();
    const read = memory.readFleet.bind(memory);
    memory.readFleet = (env) => new Promise((resolve) => setTimeout(() => resolve(read(env)), 1_000));
    const handler = createSweepHandler(
      { ...BASE_ENV, [LAMBDA_ENV.sweepDeadlineMs]: "20" },
      { store: new MemoryObjectStore(), fleet: memory, log: () => {}, metrics: () => {} },
    );

    await assert.rejects(
      handler({}),
      /^FleetReadError: the sweep's deadline \(0\.02 s after the invocation started, inside the function's timeout\) passed while reading and verifying the fleet; nothing was terminated/,
    );
    assert.deepEqual(memory.terminated, []);
  });

  it("starts no termination once its deadline has passed, and reports the sweep incomplete", async () => {
    const memory = fleet();
    let clock = 0;
    // The read (and its probes) take the whole budget: by the time the plan is made, the deadline is behind it.
    memory.onRead = () => (clock += 60_000);
    const handler = createSweepHandler(
      { ...BASE_ENV, [LAMBDA_ENV.sweepDeadlineMs]: "45000" },
      { store: new MemoryObjectStore(), fleet: memory, log: () => {}, metrics: () => {}, now: () => clock },
    );

    const summary = await handler({});

    assert.deepEqual(memory.terminated, []);
    assert.deepEqual([summary.status, summary.failed, summary.terminated], ["incomplete", ["i-old"], []]);
  });

  it("records what it saw of the current version in the convergence record, on its own read time", async () => {
    const store = new MemoryObjectStore();
    const log = lines();
    const handler = createSweepHandler(BASE_ENV, { fleet: fleet(), store, log: log.write, metrics: () => {} });

    await handler({ "detail-type": "Scheduled Event" });

    const record = JSON.parse(store.text(CONVERGENCE_KEY)!) as Json;
    assert.equal(record.version, "1.0.274");
    assert.equal(record.checkedAt, "2026-11-26T00:00:00.000Z");
    assert.equal(record.convergedAt, null);
    assert.deepEqual(record.tiers, {
      api: { group: "test-api", instances: ["i-api"] },
      web: { group: "test-web", instances: ["i-new1", "i-new2"] },
    });
    assert.match(record.reason, /^web: 2\/3 on 1\.0\.274, i-old runs 1\.0\.266/);
    assert.deepEqual(
      store.writes.filter((k) => k !== SWEEP_LEASE_KEY),
      [CONVERGENCE_KEY],
    );
  });

  it("still returns the sweep's result when the convergence record cannot be written", async () => {
    const store = new MemoryObjectStore();
    const put = store.put.bind(store);
    store.put = (key, body, options) =>
      key === CONVERGENCE_KEY
        ? Promise.reject(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }))
        : put(key, body, options);
    const log = lines();
    const handler = createSweepHandler(BASE_ENV, { fleet: fleet(), store, log: log.write, metrics: () => {} });

    const summary = await handler({});

    assert.deepEqual(summary.terminated, ["i-old"]);
    assert.deepEqual(log.json().at(-1), {
      type: "convergence",
      status: "failed",
      error: "AccessDenied: Access Denied",
    });
  });

  it("emits EMF metrics per tier, per version and for the sweep's duration", async () => {
    const metrics = lines();
    let clock = 1_000;
    const memory = fleet();
    // The sweep takes 250 ms, all of it reading the fleet.
    memory.onRead = () => (clock += 250);
    const handler = createSweepHandler(BASE_ENV, {
      store: new MemoryObjectStore(),
      fleet: memory,
      log: () => {},
      metrics: metrics.write,
      now: () => clock,
    });

    await handler({});

    const docs = metrics.json();
    const web = docs.find((d) => d.Tier === "web" && d.Version === undefined)!;
    assert.equal(web._aws.CloudWatchMetrics[0].Namespace, METRICS_NAMESPACE);
    assert.deepEqual(web._aws.CloudWatchMetrics[0].Dimensions, [["Environment", "Tier"]]);
    assert.deepEqual(
      [
        web.InstancesCurrent,
        web.InstancesStale,
        web.InstancesUnknown,
        web.Terminations,
        web.GroupsSkippedUnstable,
        web.GroupsUnverified,
      ],
      [2, 1, 0, 1, 0, 0],
    );
    const byVersion = docs.filter((d) => d.Tier === "web" && d.Version !== undefined);
    assert.deepEqual(byVersion.map((d) => [d.Version, d[MetricName.InstancesByVersion]]).sort(), [
      ["1.0.266", 1],
      ["1.0.274", 2],
    ]);
    const duration = docs.find((d) => d.SweepDuration !== undefined)!;
    assert.equal(duration.SweepDuration, 250);
    assert.equal(duration._aws.CloudWatchMetrics[0].Metrics[0].Unit, "Milliseconds");
  });

  it("terminates nothing while the rollout is paused", async () => {
    const memory = fleet();
    const handler = createSweepHandler(
      { ...BASE_ENV, [LAMBDA_ENV.dryRun]: "true" },
      { fleet: memory, store: new MemoryObjectStore(), log: () => {}, metrics: () => {} },
    );

    const summary = await handler({});

    assert.deepEqual(memory.terminated, []);
    assert.equal(summary.dryRun, true);
  });

  it("routes an S3 event to the release handler and anything else to the sweep", async () => {
    const memory = fleet();
    const store = new MemoryObjectStore();
    store.seed(
      MANIFEST_KEY,
      JSON.stringify({
        version: "1.0.274",
        artifacts: { web: "releases/1.0.274/web.zip", api: "releases/1.0.274/api.zip" },
        publishedAt: "2026-11-26T00:00:00.000Z",
      }),
    );
    store.seed("releases/1.0.274/web.zip", "zip");
    store.seed("releases/1.0.274/api.zip", "zip");
    const log = lines();
    const handler = createRolloutHandler(BASE_ENV, { fleet: memory, store, log: log.write, metrics: () => {} });
    const s3Event = {
      Records: [
        {
          eventSource: "aws:s3",
          eventName: "ObjectCreated:Put",
          s3: { bucket: { name: "phoenix-test-releases" }, object: { key: MANIFEST_KEY } },
        },
      ],
    };

    await handler(s3Event);
    const afterRelease = log.json().map((r) => r.type);
    await handler({ "detail-type": "EC2 Instance Launch Successful" });

    assert.ok(afterRelease.includes("release.manifest"), `release handler ran: ${afterRelease.join(", ")}`);
    assert.equal(log.json().filter((r) => r.type === "release.manifest").length, 1);
    assert.deepEqual(memory.terminated, [{ group: "test-web", instanceId: "i-old" }]);
    assert.equal(memory.reads, 2);
  });

  it("reports a failure as a native Error carrying the original's name and message", () => {
    // What Pulumi's closure serializer makes of `new UsageError(...)`: an object that is not instanceof Error.
    const rebuilt = { name: "UsageError", message: "environment variable PHOENIX_POLICY is not set" };

    const native = nativeError(rebuilt);

    assert.ok(native instanceof Error);
    assert.equal(native.name, "UsageError");
    assert.equal(native.message, "environment variable PHOENIX_POLICY is not set");
    assert.equal(native.cause, rebuilt);
  });

  it("tells S3 notification events from EventBridge events", () => {
    assert.equal(isS3Event({ Records: [{ eventSource: "aws:s3" }] }), true);
    assert.equal(isS3Event({ "detail-type": "Scheduled Event", source: "aws.events" }), false);
    assert.equal(isS3Event({ Records: [] }), false);
  });
});

describe("EMF metrics", () => {
  it("counts an instance that did not answer as unknown, and a wrong image as stale", () => {
    const plan: Plan = {
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      groups: [
        {
          name: "test-api",
          tier: "api",
          versionSource: "manifest",
          floor: 1,
          healthy: 1,
          stable: false,
          unstable: [{ id: "i-2", why: "no /version" }],
          instances: [
            { id: "i-1", version: "1.0.0", stale: true, reasons: ["image"], terminate: false },
            { id: "i-2", stale: false, reasons: [], terminate: false },
          ],
          terminate: [],
          reason: "unstable",
          log: "",
        },
      ],
    };

    const counts = countByTier(plan, []).get("api");

    assert.deepEqual(counts, {
      current: 0,
      stale: 1,
      unknown: 1,
      terminations: 0,
      skippedUnstable: 1,
      unverified: 0,
      surgeAborts: 0,
      wedged: 0,
      rollbacks: 0,
      byVersion: { "1.0.0": 1 },
    });
  });

  it("counts a surge abort once its failed tag is written, and not when it was only planned", () => {
    const abort: Plan = {
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      groups: [
        {
          name: "test-web",
          tier: "web",
          versionSource: "manifest",
          floor: 1,
          healthy: 2,
          stable: false,
          unstable: [],
          instances: [],
          terminate: ["i-new"],
          reason: "surge abort",
          log: "",
          surge: { phase: "abort", baseline: 2, targetVersion: "1.0.2" },
          tags: { set: { "phoenix:surge-failed": "1.0.2" } },
        },
      ],
    };

    const carriedOut = countByTier(abort, [], [{ group: "test-web", action: "set-tags", status: "done" }]);
    const refused = countByTier(abort, [], [{ group: "test-web", action: "set-tags", status: "failed" }]);
    const planned = countByTier(abort, []);

    assert.deepEqual(
      [carriedOut, refused, planned].map((c) => c.get("web")?.surgeAborts),
      [1, 0, 0],
    );
  });

  it("counts an automatic rollback once against the tier whose alarm asked for it, and not its abort as well", () => {
    const stopped: Plan = {
      environment: "live",
      readAt: "2026-11-26T00:00:00.000Z",
      groups: ["api", "web"].map((tier) => ({
        name: `live-${tier}`,
        tier,
        versionSource: "manifest" as const,
        floor: 1,
        healthy: 2,
        stable: true,
        unstable: [],
        instances: [],
        terminate: ["i-new"],
        reason: "surge abort",
        log: "",
        surge: { phase: "abort" as const, baseline: 2, targetVersion: "1.0.2" },
        tags: { set: { "phoenix:surge-failed": "1.0.2" } },
        alarmStop: { alarm: `${tier}-5xx`, checkpoint: "2 of 3", version: "1.0.2", remaining: 1, rollback: true },
      })),
    };
    const tagged = ["live-api", "live-web"].map((group) => ({
      group,
      action: "set-tags" as const,
      status: "done" as const,
    }));

    const counts = countByTier(stopped, [], tagged, "api");
    const docs = sweepMetrics({
      environment: "live",
      plan: stopped,
      outcomes: [],
      actions: tagged,
      rolledBackTier: "api",
      durationMs: 1,
      timestampMs: 1,
    });

    assert.deepEqual(
      ["api", "web"].map((t) => [counts.get(t)?.rollbacks, counts.get(t)?.surgeAborts]),
      [
        [1, 0],
        [0, 0],
      ],
    );
    assert.equal(docs.filter((d) => d.RolloutRollbacks === 1 && d.Tier === "api").length, 1);
  });

  it("writes one document per tier, per tier and version, and one for the sweep", () => {
    const plan: Plan = { environment: "live", readAt: "", groups: [] };

    const docs = sweepMetrics({ environment: "live", plan, outcomes: [], durationMs: 5, timestampMs: 42 });

    assert.deepEqual(docs, [
      {
        _aws: {
          Timestamp: 42,
          CloudWatchMetrics: [
            {
              Namespace: "Phoenix",
              Dimensions: [["Environment"]],
              Metrics: [{ Name: "SweepDuration", Unit: "Milliseconds" }],
            },
          ],
        },
        Environment: "live",
        SweepDuration: 5,
      },
    ]);
  });
});
