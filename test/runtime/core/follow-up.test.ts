// Follow-up sweeps: the pure decision (worth one, and after how long) over planned fleets, and the sweep handler
// scheduling one through its port after a sweep that waits on a booting instance, and none after a converged one.
import * as assert from "node:assert/strict";
import { clampDelaySeconds, decideFollowUp, FollowUpOutcome, FollowUpScheduler } from "../../../runtime/core/follow-up";
import { createRolloutHandler, createSweepHandler, readHandlerConfig } from "../../../runtime/lambda/handlers";
import { plan } from "../../../runtime/core/planner";
import type { FleetSnapshot, GroupPlan, InstanceSnapshot, Plan, Policy, SurgePhase } from "../../../runtime/core/types";
import { Loopback, LoopbackServer } from "../../support/loopback";
import { MemoryFleet, MemoryObjectStore } from "../../support/memory-store";
import { LAMBDA_ENV, LIMITS } from "../../../runtime/contract";

const REPLACE: Policy = { minHealthy: 1, minHealthyPercent: 0, strategy: "replace" };
const TG = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/live-web/0123456789abcdef";

function instance(id: string, version: string, overrides: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  return {
    id,
    lifecycleState: "InService",
    asgHealth: "Healthy",
    lbHealth: { [TG]: "healthy" },
    launchTime: "2026-11-26T00:00:00.000Z",
    privateIp: "10.0.0.1",
    probe: { ok: true, version },
    ...overrides,
  };
}

function snapshot(instances: InstanceSnapshot[], desiredVersion: string | undefined = "1.0.274"): FleetSnapshot {
  return {
    environment: "live",
    readAt: "2026-11-26T01:00:00.000Z",
    ...(desiredVersion !== undefined && { desiredVersion }),
    groups: [
      {
        name: "live-web",
        tier: "web",
        desiredCapacity: instances.length,
        minSize: 1,
        maxSize: 2 * instances.length,
        port: 8080,
        targetGroupArns: [TG],
        tags: {},
        instances,
      },
    ],
  };
}

/** A group's plan in a surge phase, for phases a single snapshot does not easily produce. */
function surgePlan(phase: SurgePhase, stale: number): Plan {
  const group: GroupPlan = {
    name: "live-web",
    tier: "web",
    versionSource: "manifest",
    desiredVersion: "1.0.274",
    floor: 1,
    healthy: 3,
    stable: phase !== "waiting",
    unstable: phase === "waiting" ? [{ id: "i-new", why: "is Pending" }] : [],
    instances: Array.from({ length: 3 }, (_, n) => ({
      id: `i-${n}`,
      stale: n < stale,
      reasons: n < stale ? ["version" as const] : [],
      terminate: false,
    })),
    terminate: [],
    reason: `surge ${phase}`,
    log: "",
    strategy: "surge",
    surge: { phase, baseline: 3, targetVersion: "1.0.274" },
  };
  return { environment: "live", readAt: "2026-11-26T01:00:00.000Z", groups: [group] };
}

describe("deciding on a follow-up sweep", () => {
  it("schedules one when a stale group waits on an instance that is InService but not yet healthy", () => {
    const fleet = snapshot([
      instance("i-old", "1.0.266"),
      instance("i-new", "1.0.274", { lbHealth: { [TG]: "initial" }, probe: { ok: false, error: "ECONNREFUSED" } }),
    ]);

    const decision = decideFollowUp(plan(fleet, REPLACE), fleet);

    assert.equal(decision.schedule, true);
    assert.equal(decision.delaySeconds, LIMITS.followUpDelaySeconds.fallback);
    assert.deepEqual(decision.groups, ["live-web"]);
    assert.match(decision.reason, /i-new InService but not yet healthy/);
  });

  it("schedules none for a converged fleet", () => {
    const fleet = snapshot([instance("i-a", "1.0.274"), instance("i-b", "1.0.274")]);

    const decision = decideFollowUp(plan(fleet, REPLACE), fleet);

    assert.equal(decision.schedule, false);
  });

  it("schedules none for an idle fleet with no manifest and no groups", () => {
    const fleet: FleetSnapshot = { environment: "live", readAt: "2026-11-26T01:00:00.000Z", groups: [] };

    assert.equal(decideFollowUp(plan(fleet, REPLACE), fleet).schedule, false);
  });

  it("schedules none for an unstable group with nothing stale to replace", () => {
    const fleet = snapshot([
      instance("i-a", "1.0.274"),
      instance("i-b", "1.0.274", { lbHealth: { [TG]: "unhealthy" } }),
    ]);

    assert.equal(decideFollowUp(plan(fleet, REPLACE), fleet).schedule, false);
  });

  it("leaves an instance still Pending to the launch event rather than scheduling a follow-up", () => {
    const fleet = snapshot([
      instance("i-old", "1.0.266"),
      instance("i-new", "1.0.274", { lifecycleState: "Pending", lbHealth: {}, probe: { ok: false, error: "refused" } }),
    ]);

    assert.equal(decideFollowUp(plan(fleet, REPLACE), fleet).schedule, false);
  });

  it("schedules one while a surge waits for its new instances and when a surge has just started", () => {
    assert.equal(decideFollowUp(surgePlan("waiting", 3)).schedule, true);
    assert.equal(decideFollowUp(surgePlan("start", 3)).schedule, true);
  });

  it("schedules one when a surge starts on a real snapshot of a stable, stale group", () => {
    const fleet = snapshot([instance("i-a", "1.0.266"), instance("i-b", "1.0.266")]);
    const surgePolicy: Policy = { ...REPLACE, strategy: "surge" };

    const planned = plan(fleet, surgePolicy);
    const decision = decideFollowUp(planned, fleet);

    assert.equal(planned.groups[0].surge?.phase, "start");
    assert.equal(decision.schedule, true);
  });

  it("schedules none after a surge is aborted or blocked: nothing progresses without an operator", () => {
    assert.equal(decideFollowUp(surgePlan("abort", 3)).schedule, false);
    assert.equal(decideFollowUp(surgePlan("blocked", 3)).schedule, false);
  });

  it("schedules one at the end of a bake, so the checkpoint is passed without waiting for the schedule", () => {
    const baking = (endsInSeconds: number): Plan => ({
      environment: "live",
      readAt: "2026-11-26T01:00:00.000Z",
      groups: [
        {
          ...surgePlan("baking", 3).groups[0],
          checkpoint: {
            index: 1,
            count: 3,
            percent: 10,
            share: 1,
            bakeEndsAt: new Date(Date.parse("2026-11-26T01:00:00.000Z") + endsInSeconds * 1000).toISOString(),
          },
        },
      ],
    });

    assert.deepEqual(
      [240, 3600].map((s) => decideFollowUp(baking(s))).map((d) => [d.schedule, d.delaySeconds]),
      [
        [true, 240],
        [true, 900],
      ],
    );
    assert.match(decideFollowUp(baking(240)).reason, /baking checkpoint 1 of 3, 240 s left/);
  });

  it("schedules none after a rollout alarm stopped the rollout", () => {
    assert.equal(decideFollowUp(surgePlan("stopped", 3)).schedule, false);
  });

  it("uses the configured delay and never more than SQS's 900 seconds", () => {
    assert.equal(decideFollowUp(surgePlan("waiting", 3), undefined, 45).delaySeconds, 45);
    assert.equal(
      decideFollowUp(surgePlan("waiting", 3), undefined, 3600).delaySeconds,
      LIMITS.followUpDelaySeconds.max,
    );
    assert.equal(clampDelaySeconds(-5), 0);
    assert.equal(clampDelaySeconds(Number.NaN), LIMITS.followUpDelaySeconds.fallback);
  });
});

describe("the follow-up delay setting", () => {
  const env = {
    [LAMBDA_ENV.environment]: "test",
    [LAMBDA_ENV.policy]: JSON.stringify({ minHealthy: 1, minHealthyPercent: 0 }),
    [LAMBDA_ENV.probeTimeoutMs]: "1000",
  };

  it("is the contract's default when unset, and read when set", () => {
    assert.equal(readHandlerConfig(env).followUpDelaySeconds, LIMITS.followUpDelaySeconds.fallback);
    assert.equal(readHandlerConfig({ ...env, [LAMBDA_ENV.followUpDelaySeconds]: "45" }).followUpDelaySeconds, 45);
  });

  it("refuses a delay SQS cannot hold, naming the variable", () => {
    assert.throws(
      () => readHandlerConfig({ ...env, [LAMBDA_ENV.followUpDelaySeconds]: "901" }),
      /PHOENIX_FOLLOW_UP_DELAY/,
    );
    assert.throws(() => readHandlerConfig({ ...env, [LAMBDA_ENV.followUpDelaySeconds]: "soon" }), /whole number/);
  });
});

/** A scheduler that records every delay it was asked for. */
function recorder(outcome: FollowUpOutcome | Error = { status: "sent" }): FollowUpScheduler & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    schedule(delaySeconds: number) {
      delays.push(delaySeconds);
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
    },
  };
}

describe("the sweep handler and follow-ups", () => {
  const loopback = new Loopback("127.63");
  let old: LoopbackServer;
  let fresh: LoopbackServer;
  let booting: LoopbackServer;
  const ENV_VARS = {
    [LAMBDA_ENV.environment]: "test",
    [LAMBDA_ENV.policy]: JSON.stringify({ minHealthy: 1, minHealthyPercent: 0, strategy: "replace" }),
    [LAMBDA_ENV.probeTimeoutMs]: "1000",
    [LAMBDA_ENV.releaseBucket]: "phoenix-test-releases",
    [LAMBDA_ENV.followUpDelaySeconds]: "20",
  };

  before(async () => {
    old = await loopback.serve({ kind: "answer", body: "1.0.266" });
    fresh = await loopback.serve({ kind: "answer", body: "1.0.274" });
    booting = await loopback.serve({ kind: "close" });
  });
  after(() => loopback.close());

  function fleet(servers: LoopbackServer[]): MemoryFleet {
    return new MemoryFleet({
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      desiredVersion: "1.0.274",
      groups: [
        {
          name: "test-web",
          tier: "web",
          desiredCapacity: servers.length,
          minSize: 1,
          maxSize: servers.length + 1,
          port: loopback.port,
          targetGroupArns: [],
          tags: {},
          instances: servers.map((s, n) => ({
            id: `i-${n}`,
            lifecycleState: "InService",
            asgHealth: "Healthy",
            lbHealth: {},
            launchTime: `2026-11-0${n + 1}T00:00:00.000Z`,
            privateIp: s.ip,
          })),
        },
      ],
    });
  }

  it("schedules a follow-up after a sweep that waits on an InService instance not yet answering", async () => {
    const followUp = recorder();
    const logged: string[] = [];
    const handler = createSweepHandler(ENV_VARS, {
      store: new MemoryObjectStore(),
      fleet: fleet([old, booting]),
      followUp,
      log: (l) => logged.push(l),
      metrics: () => {},
    });

    const summary = await handler({ "detail-type": "EC2 Instance Launch Successful" });

    assert.deepEqual(followUp.delays, [20]);
    assert.equal(summary.followUpSeconds, 20);
    assert.ok(logged.some((l) => (JSON.parse(l) as { type: string }).type === "followUp"));
  });

  it("schedules none after a sweep of a converged fleet", async () => {
    const followUp = recorder();
    const handler = createSweepHandler(ENV_VARS, {
      store: new MemoryObjectStore(),
      fleet: fleet([fresh, fresh]),
      followUp,
      log: () => {},
      metrics: () => {},
    });

    const summary = await handler({ "detail-type": "Scheduled Event" });

    assert.deepEqual(followUp.delays, []);
    assert.equal(summary.followUpSeconds, undefined);
  });

  it("still returns the sweep's result when scheduling the follow-up throws", async () => {
    const followUp = recorder(new Error("AccessDenied"));
    const logged: string[] = [];
    const handler = createSweepHandler(ENV_VARS, {
      store: new MemoryObjectStore(),
      fleet: fleet([old, booting]),
      followUp,
      log: (l) => logged.push(l),
      metrics: () => {},
    });

    const summary = await handler({ "detail-type": "Scheduled Event" });

    assert.deepEqual(followUp.delays, [20]);
    assert.equal(summary.followUpSeconds, undefined);
    assert.ok(logged.some((l) => /"status":"failed".*AccessDenied/.test(l)));
  });

  it("routes an SQS follow-up message to the sweep, which names it as its trigger", async () => {
    const followUp = recorder();
    const handler = createRolloutHandler(ENV_VARS, {
      store: new MemoryObjectStore(),
      fleet: fleet([old, booting]),
      followUp,
      log: () => {},
      metrics: () => {},
    });

    const summary = await handler({ Records: [{ eventSource: "aws:sqs", body: '{"type":"phoenix.follow-up"}' }] });

    assert.equal((summary as { trigger?: string }).trigger, "follow-up");
    assert.deepEqual(followUp.delays, [20]);
  });
});
