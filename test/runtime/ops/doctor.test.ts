// `phoenix doctor`'s checks over a fake of what AWS holds: a healthy live passes every check; each thing that can be
// missing or wrong fails (or warns) on one line with the command that fixes it; an environment that does not exist is
// one UsageError; a recovery stack and a home environment's recovery regions are checked where they live.
import * as assert from "node:assert/strict";
import type { CheckResult, DoctorPort, FunctionState, LogEvent, RuleState } from "../../../runtime/core/doctor";
import { UsageError } from "../../../runtime/core/errors";
import type { FleetState } from "../../../runtime/core/types";
import { runDoctor } from "../../../runtime/ops/doctor";

const NOW = Date.parse("2026-11-26T04:00:00.000Z");
const HOME = "eu-west-1";
const DR = "eu-central-1";
const FN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:live-rollout-fn";
const MANIFEST = JSON.stringify({
  version: "1.0.274",
  artifacts: { web: "releases/1.0.274/web.zip", api: "releases/1.0.274/api.zip" },
  publishedAt: "2026-11-26T03:00:00.000Z",
});

/** What AWS holds, by region; a healthy live with a replica in eu-central-1 unless a test changes it. */
function liveWorld() {
  return {
    identity: { account: "123456789012", arn: "arn:aws:iam::123456789012:user/ops", region: HOME } as
      { account: string; arn: string; region: string } | Error,
    parameters: {
      [HOME]: {
        "/phoenix/live/release-bucket": "live-releases",
        "/phoenix/live/base-image": "ami-0aaa1111",
        "/phoenix/live/rollout-function": "live-rollout-fn",
      },
      [DR]: {
        "/phoenix/live/release-replica": "live-releases-eu-central-1",
        "/phoenix/live/base-image": "ami-0bbb2222",
      },
    } as Record<string, Record<string, string>>,
    objects: {
      "live-releases": {
        "releases/current.json": MANIFEST,
        "releases/1.0.274/web.zip": "zip",
        "releases/1.0.274/api.zip": "zip",
      },
      "live-releases-eu-central-1": { "releases/current.json": MANIFEST },
    } as Record<string, Record<string, string>>,
    fleet: {
      environment: "live",
      readAt: "2026-11-26T04:00:00.000Z",
      groups: ["web", "api"].map((tier) => ({
        name: `live-${tier}`,
        tier,
        desiredCapacity: 1,
        minSize: 1,
        maxSize: 2,
        port: 8080,
        targetGroupArns: [],
        tags: {},
        instances: [
          { id: `i-${tier}`, lifecycleState: "InService", asgHealth: "Healthy", lbHealth: {}, launchTime: "x" },
        ],
      })),
    } as FleetState,
    fn: {
      arn: FN_ARN,
      state: "Active",
      lastUpdateStatus: "Successful",
      reservedConcurrency: 1,
      logGroup: "live-rollout-logs",
    } as FunctionState | undefined,
    rules: [
      { name: "schedule", state: "ENABLED", scheduleExpression: "rate(5 minutes)" },
      { name: "events", state: "ENABLED", eventPattern: "{}" },
    ] as RuleState[],
    notified: [{ functionArn: FN_ARN, prefix: "releases/current.json", suffix: "releases/current.json" }],
    sources: [{ sourceArn: "arn:aws:sqs:eu-west-1:123456789012:follow-up", state: "Enabled" }],
    logs: [
      {
        timestamp: NOW - 3 * 60_000,
        message: JSON.stringify({
          type: "sweep.plan",
          plan: { groups: [{ tier: "web", reason: "converged: all 1 instances run 1.0.274" }] },
        }),
      },
    ] as LogEvent[],
    replication: [
      { id: "releases-to-eu-central-1", status: "Enabled", destinationBucket: "live-releases-eu-central-1" },
    ],
  };
}

type World = ReturnType<typeof liveWorld>;

function portOver(w: World): DoctorPort & { logsSince?: number } {
  const port: DoctorPort & { logsSince?: number } = {
    identity: () => (w.identity instanceof Error ? Promise.reject(w.identity) : Promise.resolve(w.identity)),
    parameter: (name, region = HOME) => Promise.resolve(w.parameters[region]?.[name]),
    bucketExists: (bucket) => Promise.resolve(bucket in w.objects),
    object: (bucket, key) => {
      const body = w.objects[bucket]?.[key];
      return Promise.resolve(body === undefined ? undefined : Buffer.from(body));
    },
    objectExists: (bucket, key) => Promise.resolve(w.objects[bucket]?.[key] !== undefined),
    fleet: () => Promise.resolve(w.fleet),
    function: () => Promise.resolve(w.fn),
    rulesTargeting: () => Promise.resolve(w.rules),
    notifiedFunctions: () => Promise.resolve(w.notified),
    eventSources: () => Promise.resolve(w.sources),
    logEvents: (_group, since) => {
      port.logsSince = since;
      return Promise.resolve(w.logs.filter((e) => e.timestamp >= since));
    },
    replicationRules: () => Promise.resolve(w.replication),
  };
  return port;
}

async function doctor(w: World, environment = "live"): Promise<CheckResult[]> {
  return (await runDoctor(portOver(w), { environment, now: NOW })).checks;
}

const line = (checks: CheckResult[], check: string) => {
  const found = checks.find((c) => c.check === check);
  assert.ok(found, `no ${check} line in ${JSON.stringify(checks.map((c) => c.check))}`);
  return found;
};

describe("phoenix doctor's checks", () => {
  it("passes every check of a healthy live, one line each, in order", async () => {
    const checks = await doctor(liveWorld());

    assert.deepEqual(
      checks.map((c) => [c.check, c.status]),
      [
        ["credentials", "ok"],
        ["parameters", "ok"],
        ["groups", "ok"],
        ["release bucket", "ok"],
        ["manifest", "ok"],
        ["rollout function", "ok"],
        ["triggers", "ok"],
        ["last sweep", "ok"],
        ["recovery regions", "ok"],
        ["eu-central-1 replica", "ok"],
      ],
    );
    assert.equal(line(checks, "last sweep").text, "3m ago: web converged");
    assert.equal(
      line(checks, "manifest").text,
      "1.0.274, published 2026-11-26T03:00:00.000Z, artifacts of api, web present",
    );
    assert.match(
      line(checks, "eu-central-1 replica").text,
      /live-releases-eu-central-1 holds 1\.0\.274; \/phoenix\/live\/base-image = ami-0bbb2222 there/,
    );
  });

  it("says an environment that does not exist in one line, naming account, region and the command to deploy it", async () => {
    await assert.rejects(
      doctor(liveWorld(), "tset"),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message ===
          'environment "tset" is not deployed in account 123456789012, region eu-west-1 (no SSM parameter ' +
            "/phoenix/tset/release-bucket): check --env and AWS_REGION, or deploy it with pulumi up --stack tset",
    );
  });

  it("stops at the credentials when AWS cannot be reached, and says how to set them", async () => {
    const w = liveWorld();
    w.identity = new Error("Region is missing");

    const checks = await doctor(w);

    assert.equal(checks.length, 1);
    assert.equal(checks[0].status, "fail");
    assert.match(checks[0].text, /Region is missing/);
    assert.match(checks[0].fix!, /AWS_REGION="\$\(pulumi config get aws:region --stack live\)"/);
  });

  it("warns, and passes, for an environment never released, with the command that releases", async () => {
    const w = liveWorld();
    delete w.objects["live-releases"]["releases/current.json"];

    const manifest = line(await doctor(w), "manifest");

    assert.equal(manifest.status, "warn");
    assert.match(manifest.text, /^no release yet: releases\/current\.json does not exist/);
    assert.equal(
      manifest.fix,
      "npx phoenix release --env live --version <semver> --artifact api=<zip> --artifact web=<zip> --wait",
    );
  });

  it("fails a manifest whose artifact is missing, and names it", async () => {
    const w = liveWorld();
    delete w.objects["live-releases"]["releases/1.0.274/api.zip"];

    const manifest = line(await doctor(w), "manifest");

    assert.equal(manifest.status, "fail");
    assert.equal(manifest.text, "releases/current.json names 1.0.274 but releases/1.0.274/api.zip is missing");
    assert.match(manifest.fix!, /npx phoenix rollback --env live --to/);
  });

  it("fails a stopped terminator (reserved concurrency 0) and a missing trigger, each with pulumi up", async () => {
    const w = liveWorld();
    w.fn = { ...w.fn!, reservedConcurrency: 0 };
    w.rules = [{ ...w.rules[0], state: "DISABLED" }, w.rules[1]];
    w.notified = [];

    const checks = await doctor(w);

    assert.equal(line(checks, "rollout function").status, "fail");
    assert.match(line(checks, "rollout function").fix!, /^pulumi up --stack live/);
    assert.equal(
      line(checks, "triggers").text,
      "missing an enabled schedule rule, live-releases's notification on releases/current.json",
    );
  });

  it("fails when no sweep was logged within three schedule periods, or the last invocation failed", async () => {
    const quiet = liveWorld();
    quiet.logs = [{ ...quiet.logs[0], timestamp: NOW - 20 * 60_000 }];
    const port = portOver(quiet);

    const checks = (await runDoctor(port, { environment: "live", now: NOW })).checks;

    assert.equal(port.logsSince, NOW - 15 * 60_000);
    assert.equal(line(checks, "last sweep").text, "none logged in live-rollout-logs in the last 15 minutes");
    assert.match(line(checks, "last sweep").fix!, /^aws lambda invoke --function-name live-rollout-fn/);

    const failing = liveWorld();
    failing.logs.push({ timestamp: NOW - 60_000, message: "abc ERROR Invoke Error AccessDenied" });
    assert.equal(
      line(await doctor(failing), "last sweep").text,
      "the last invocation failed 1m ago: abc ERROR Invoke Error AccessDenied",
    );
  });

  it("fails a check whose read AWS refuses, naming the error, and goes on with the others", async () => {
    const w = liveWorld();
    const port = portOver(w);
    port.fleet = () => Promise.reject(Object.assign(new Error("User is not authorized"), { name: "AccessDenied" }));

    const checks = (await runDoctor(port, { environment: "live", now: NOW })).checks;

    assert.equal(line(checks, "groups").status, "fail");
    assert.match(line(checks, "groups").text, /^could not read: .*User is not authorized/);
    assert.equal(line(checks, "last sweep").status, "ok");
  });

  describe("recovery", () => {
    it("warns when a recovery region's replica lags the home manifest", async () => {
      const w = liveWorld();
      w.objects["live-releases-eu-central-1"]["releases/current.json"] = MANIFEST.replace(/1\.0\.274/g, "1.0.266");

      const replica = line(await doctor(w), "eu-central-1 replica");

      assert.equal(replica.status, "warn");
      assert.match(replica.text, /holds 1\.0\.266, home holds 1\.0\.274: replication lags or failed/);
    });

    it("warns when a recovery region has no copy of the base image, and fails when it has no replica", async () => {
      const noImage = liveWorld();
      delete noImage.parameters[DR]["/phoenix/live/base-image"];
      const noReplica = liveWorld();
      delete noReplica.parameters[DR]["/phoenix/live/release-replica"];

      assert.equal(line(await doctor(noImage), "eu-central-1 replica").status, "warn");
      assert.match(line(await doctor(noImage), "eu-central-1 replica").fix!, /start-image-pipeline-execution/);
      const missing = line(await doctor(noReplica), "eu-central-1 replica");
      assert.equal(missing.status, "fail");
      assert.equal(missing.fix, "pulumi up --stack live");
    });

    it("says test replicates nowhere", async () => {
      const w = liveWorld();
      w.replication = [];

      assert.equal(
        line(await doctor(w), "recovery regions").text,
        "none (recoveryRegions is empty): nothing is replicated",
      );
    });

    it("checks a recovery stack serves the lost environment's replica and holds its copied image", async () => {
      const w = liveWorld();
      w.identity = { account: "123456789012", arn: "arn:aws:iam::123456789012:user/ops", region: DR };
      w.parameters = {
        [HOME]: {
          ...w.parameters[DR],
          "/phoenix/live-dr/release-bucket": "live-releases-eu-central-1",
          "/phoenix/live-dr/rollout-function": "live-dr-rollout-fn",
          "/phoenix/live-dr/recovery-of": "live",
        },
      };
      w.objects = { "live-releases-eu-central-1": w.objects["live-releases"] };
      w.notified = [{ ...w.notified[0] }];
      w.replication = [];

      const checks = await doctor(w, "live-dr");

      assert.equal(
        line(checks, "recovery source").text,
        "serves live's replica live-releases-eu-central-1; live's copied image ami-0bbb2222 is here",
      );
      assert.ok(!checks.some((c) => c.check === "recovery regions"));
    });

    it("points a region that only holds the replica at the recovery recipe when the environment is not here", async () => {
      const w = liveWorld();
      w.identity = { account: "123456789012", arn: "arn:aws:iam::123456789012:user/ops", region: DR };
      w.parameters = { [HOME]: w.parameters[DR] };

      await assert.rejects(
        doctor(w),
        /eu-central-1 holds its release replica, to recover it here: docs\/operating\.md/,
      );
    });
  });
});
