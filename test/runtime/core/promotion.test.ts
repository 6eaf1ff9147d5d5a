import * as assert from "node:assert/strict";
import { CONVERGENCE_KIND } from "../../../runtime/contract";
import { ConvergenceRecord } from "../../../runtime/core/convergence";
import {
  alarmReading,
  evaluateGate,
  evidenceOf,
  formatMinutes,
  GateInput,
  Promotion,
  promotionSummary,
  soakAlone,
} from "../../../runtime/core/promotion";
import { FleetState, InstanceState } from "../../../runtime/core/types";

const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/test-web/1";

function instance(id: string, extra: Partial<InstanceState> = {}): InstanceState {
  return {
    id,
    lifecycleState: "InService",
    asgHealth: "Healthy",
    lbHealth: { [TG]: "healthy" },
    launchTime: "2026-01-01T08:00:00.000Z",
    ...extra,
  };
}

function fleet(web: InstanceState[], desired = web.length): FleetState {
  return {
    environment: "test",
    readAt: "2026-01-01T10:00:00.000Z",
    groups: [
      {
        name: "test-web",
        tier: "web",
        desiredCapacity: desired,
        minSize: 1,
        maxSize: 4,
        port: 80,
        targetGroupArns: [TG],
        tags: {},
        instances: web,
      },
    ],
  };
}

function record(extra: Partial<ConvergenceRecord> = {}): ConvergenceRecord {
  return {
    kind: CONVERGENCE_KIND,
    environment: "test",
    version: "1.0.274",
    convergedAt: "2026-01-01T09:00:00.000Z",
    checkedAt: "2026-01-01T09:40:00.000Z",
    tiers: { web: { group: "test-web", instances: ["i-1", "i-2"] } },
    ...extra,
  };
}

function input(extra: Partial<GateInput> = {}): GateInput {
  return {
    source: "test",
    version: "1.0.274",
    current: "1.0.274",
    record: record(),
    fleet: fleet([instance("i-1"), instance("i-2")]),
    soakMinutes: 30,
    alarms: { configured: false },
    ...extra,
  };
}

function failing(extra: Partial<GateInput>): Record<string, string> {
  const gate = evaluateGate(input(extra));
  assert.equal(gate.passed, false);
  return Object.fromEntries(gate.checks.filter((c) => !c.ok).map((c) => [c.name, c.detail]));
}

describe("the promotion gate", () => {
  it("passes the current version, converged now as the sweeps recorded it, soaked, with no alarm firing", () => {
    const gate = evaluateGate(input());

    assert.equal(gate.passed, true);
    assert.deepEqual(
      gate.checks.map((c) => c.name),
      ["current", "converged", "soak", "alarms"],
    );
    assert.equal(
      gate.checks[2].detail,
      "40m of the 30m soak: converged since 2026-01-01T09:00:00.000Z, last confirmed by the sweep at " +
        "2026-01-01T09:40:00.000Z",
    );
    assert.equal(gate.checks[3].detail, "test has no rollout alarms configured to check");
  });

  it("refuses before the soak, measured between the sweeps and saying when it will have soaked", () => {
    const failed = failing({ record: record({ checkedAt: "2026-01-01T09:12:30.000Z" }) });

    assert.deepEqual(Object.keys(failed), ["soak"]);
    assert.equal(
      failed.soak,
      "12m of the 30m soak (converged since 2026-01-01T09:00:00.000Z, last confirmed by the sweep at " +
        "2026-01-01T09:12:30.000Z); it is soaked once a sweep at or after 2026-01-01T09:30:00.000Z still sees it converged",
    );
  });

  it("never reads a clock: the same records give the same answer whenever they are read", () => {
    const early = evaluateGate(
      input({ fleet: { ...fleet([instance("i-1"), instance("i-2")]), readAt: "2030-01-01T00:00:00Z" } }),
    );

    assert.equal(early.passed, true);
  });

  it("refuses a version that is not the source's current release", () => {
    const failed = failing({ version: "1.0.273" });

    assert.equal(failed.current, "1.0.273 is not test's current release (1.0.274 is): promote what test runs now");
  });

  it("refuses when no sweep has recorded convergence", () => {
    const failed = failing({ record: undefined });

    assert.match(
      failed.converged,
      /^no sweep of test has recorded convergence yet \(rollout\/convergence\.json is missing\)/,
    );
    assert.match(failed.soak, /nothing to measure a soak on/);
  });

  it("refuses when the last sweep measured another version, or saw it not converged", () => {
    assert.match(
      failing({ record: record({ version: "1.0.273" }) }).converged,
      /the last sweep of test \(2026-01-01T09:40:00.000Z\) measured 1\.0\.273, not 1\.0\.274/,
    );
    assert.match(
      failing({ record: record({ convergedAt: null, reason: "web: 1/2 on 1.0.274" }) }).converged,
      /saw 1\.0\.274 not converged: web: 1\/2 on 1\.0\.274$/,
    );
  });

  it("refuses when the fleet is not converged now, naming each instance and why", () => {
    const failed = failing({
      fleet: fleet(
        [
          instance("i-1", { lbHealth: { [TG]: "unhealthy" } }),
          instance("i-2", { lifecycleState: "Pending" }),
          instance("i-9"),
        ],
        4,
      ),
    });

    assert.equal(
      failed.converged,
      "test is not converged on 1.0.274 now: web i-1 is unhealthy in its target group; web i-2 is Pending; " +
        "web i-9 joined after the last sweep (2026-01-01T09:40:00.000Z); wait for the next one; " +
        "web has 3 instances of 4 desired",
    );
  });

  it("refuses while a tier is scaled to zero: nothing runs the version there now", () => {
    const failed = failing({ fleet: fleet([], 0) });

    assert.equal(
      failed.converged,
      "test is not converged on 1.0.274 now: web has no instances (desired capacity 0): nothing runs it now",
    );
  });

  it("refuses while a rollout alarm is in ALARM, naming it and why", () => {
    const failed = failing({
      alarms: {
        configured: true,
        count: 2,
        firing: [{ name: "test-web-unhealthy-hosts", reason: "1 > 0" }],
        unreadable: [],
      },
    });

    assert.equal(failed.alarms, "test's rollout alarms in ALARM: test-web-unhealthy-hosts (1 > 0)");
  });

  it("passes the alarms check when none of those configured fires", () => {
    const gate = evaluateGate(input({ alarms: { configured: true, count: 3, firing: [], unreadable: [] } }));

    assert.equal(gate.checks[3].detail, "none of test's 3 rollout alarms is in ALARM");
  });

  it("refuses on an alarm it could not read: the gate passes only on alarms it saw quiet", () => {
    const alarms = alarmReading(
      ["test-web-5xx", "test-web-latency", "apm-checkout"],
      [
        { name: "test-web-5xx", state: "OK" },
        { name: "test-web-latency", state: "INSUFFICIENT_DATA" },
        { name: "apm-checkout", state: "missing" },
      ],
    );

    assert.equal(failing({ alarms }).alarms, "not read, so not known quiet: apm-checkout (no such alarm)");
  });

  it("reads every alarm as unread when the one call failed, and names why", () => {
    const alarms = alarmReading(["test-web-5xx", "test-web-5xx"], {
      failed: "AccessDenied: cloudwatch:DescribeAlarms",
    });

    assert.deepEqual(alarms, {
      configured: true,
      count: 1,
      firing: [],
      unreadable: [{ name: "test-web-5xx", reason: "AccessDenied: cloudwatch:DescribeAlarms" }],
    });
  });

  it("names every alarm in ALARM with CloudWatch's reason on one line, and counts INSUFFICIENT_DATA quiet", () => {
    const alarms = alarmReading(
      ["test-api-5xx", "test-web-5xx", "test-web-latency"],
      [
        { name: "test-web-5xx", state: "ALARM", reason: "Threshold Crossed:\n 3 datapoints" },
        { name: "test-api-5xx", state: "ALARM", reason: "Threshold Crossed" },
        { name: "test-web-latency", state: "INSUFFICIENT_DATA" },
      ],
    );

    assert.equal(
      failing({ alarms }).alarms,
      "test's rollout alarms in ALARM: test-api-5xx (Threshold Crossed); test-web-5xx (Threshold Crossed: 3 datapoints)",
    );
  });

  it("names the soak's check as the one to wait out only when it alone failed", () => {
    const early = record({ checkedAt: "2026-01-01T09:12:30.000Z" });
    const firing = { configured: true as const, count: 1, firing: [{ name: "a", reason: "x" }], unreadable: [] };

    assert.equal(soakAlone(evaluateGate(input({ record: early })))?.name, "soak");
    assert.equal(soakAlone(evaluateGate(input({ record: early, alarms: firing }))), undefined);
    assert.equal(soakAlone(evaluateGate(input())), undefined);
  });

  it("lets a soak of 0 through as soon as the sweeps saw it converged", () => {
    assert.equal(
      evaluateGate(input({ soakMinutes: 0, record: record({ checkedAt: "2026-01-01T09:00:00.000Z" }) })).passed,
      true,
    );
  });
});

describe("a promotion's provenance", () => {
  const evidence = evidenceOf("1.0.274", "2026-01-01T08:50:00.000Z", record());

  it("carries when the source converged, the latest sweep, and which instances ran it", () => {
    assert.deepEqual(evidence, {
      publishedAt: "2026-01-01T08:50:00.000Z",
      convergedAt: "2026-01-01T09:00:00.000Z",
      checkedAt: "2026-01-01T09:40:00.000Z",
      instances: { web: ["i-1", "i-2"] },
    });
    assert.deepEqual(evidenceOf("1.0.275", "2026-01-01T08:50:00.000Z", record()).instances, {});
  });

  it("reads as one line in the release listing", () => {
    const passed: Promotion = {
      from: "test",
      at: "2026-01-01T09:45:00.000Z",
      evidence,
      gate: { result: "passed", soakMinutes: 30, checks: [] },
    };

    assert.equal(promotionSummary(passed), "from test (gate passed, soaked 40m)");
    assert.equal(
      promotionSummary({ ...passed, gate: { result: "skipped", by: "arn:aws:iam::123456789012:user/ci" } }),
      "from test (gate skipped by arn:aws:iam::123456789012:user/ci)",
    );
    assert.equal(formatMinutes(65.9), "1h05m");
  });
});
