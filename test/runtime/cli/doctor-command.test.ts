// `phoenix doctor` as an operator runs it: one line per check on stdout and a summary, exit 0 when nothing failed
// (a warning passes), 6 when a check failed, 2 in one line for an environment that does not exist; --json for scripts.
import * as assert from "node:assert/strict";
import { CliContext, main } from "../../../runtime/cli";
import { awsDoctor, doctorLines } from "../../../runtime/cli/doctor-command";
import { EXIT } from "../../../runtime/cli/exit-codes";
import { AWS_TIMEOUT_ENV, awsCallBoundMs } from "../../../runtime/contract";
import type { DoctorPort } from "../../../runtime/core/doctor";
import { Loopback } from "../../support/loopback";
import { noAwsSettings, withEnv } from "../../support/process-env";
import { scratchDir } from "../../support/scratch-dir";

const NOW = Date.parse("2026-11-26T04:00:00.000Z");

/** A test environment whose parameters exist, and nothing else is readable beyond what each test adds. */
function port(overrides: Partial<DoctorPort> = {}): DoctorPort {
  const parameters: Record<string, string> = {
    "/phoenix/test/release-bucket": "test-releases",
    "/phoenix/test/rollout-function": "test-rollout-fn",
  };
  return {
    identity: () =>
      Promise.resolve({ account: "123456789012", arn: "arn:aws:iam::123456789012:user/ops", region: "eu-west-1" }),
    parameter: (name) => Promise.resolve(parameters[name]),
    bucketExists: () => Promise.resolve(true),
    object: () => Promise.resolve(undefined),
    objectExists: () => Promise.resolve(false),
    fleet: () =>
      Promise.resolve({
        environment: "test",
        readAt: "x",
        groups: [
          {
            name: "test-web",
            tier: "web",
            desiredCapacity: 1,
            minSize: 1,
            maxSize: 2,
            port: 8080,
            targetGroupArns: [],
            tags: {},
            instances: [],
          },
        ],
      }),
    function: () =>
      Promise.resolve({ arn: "fn", state: "Active", lastUpdateStatus: "Successful", logGroup: "test-rollout-logs" }),
    rulesTargeting: () =>
      Promise.resolve([
        { name: "s", state: "ENABLED", scheduleExpression: "rate(5 minutes)" },
        { name: "e", state: "ENABLED", eventPattern: "{}" },
      ]),
    notifiedFunctions: () => Promise.resolve([{ functionArn: "fn", prefix: "releases/current.json" }]),
    eventSources: () => Promise.resolve([{ sourceArn: "q", state: "Enabled" }]),
    logEvents: () =>
      Promise.resolve([
        {
          timestamp: NOW - 60_000,
          message: JSON.stringify({
            type: "sweep.plan",
            plan: { groups: [{ tier: "web", reason: "no release yet: 1 instance serving the placeholder" }] },
          }),
        },
      ]),
    replicationRules: () => Promise.resolve([]),
    ...overrides,
  };
}

/** `phoenix doctor <args>` through port `p`, or through AWS (the SDK's default chains) when `p` is undefined. */
async function doctor(p: DoctorPort | undefined, ...args: string[]) {
  let out = "";
  let err = "";
  const ctx: CliContext & { now(): number } = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    fleet: () => Promise.reject(new Error("doctor reads through its own port")),
    ...(p !== undefined && { doctor: () => Promise.resolve(p) }),
    now: () => NOW,
  };
  const code = await main(["node", "phoenix", "doctor", ...args], ctx);
  return { code, out, err };
}

describe("phoenix doctor", () => {
  it("passes a never-released environment with a warning that says how to release, and exits 0", async () => {
    const result = await doctor(port(), "--env", "test");

    assert.equal(result.code, 0, result.err);
    const lines = result.out.trimEnd().split("\n");
    assert.match(
      lines.find((l) => l.startsWith("warn"))!,
      /^warn  manifest +no release yet: .*; fix: npx phoenix release --env test --version <semver> --artifact web=<zip> --wait$/,
    );
    assert.match(
      lines.find((l) => l.includes("last sweep"))!,
      /^ok    last sweep +1m ago: web no release yet$/,
    );
    assert.equal(lines.at(-1), "test (eu-west-1): 9 checks, 8 ok, 1 warning, 0 failed");
    assert.equal(result.err, "");
  });

  it("exits 6 when a check failed, each failure on its line with the command that fixes it", async () => {
    const result = await doctor(port({ eventSources: () => Promise.resolve([]) }), "--env", "test");

    assert.equal(result.code, 6);
    assert.match(
      result.out,
      /^FAIL  triggers +missing an enabled follow-up queue mapping; fix: pulumi up --stack test$/m,
    );
    assert.equal(result.err, "phoenix: test: 1 check failed (see above)\n");
  });

  it("says an environment that does not exist in one line on stderr, no trace, and exits 2", async () => {
    const result = await doctor(port(), "--env", "tset");

    assert.equal(result.code, 2);
    assert.equal(result.out, "");
    assert.equal(result.err.split("\n").length, 2, result.err);
    assert.match(result.err, /^phoenix: environment "tset" is not deployed in account 123456789012, region eu-west-1/);
  });

  it("prints the report as JSON for scripts", async () => {
    const result = await doctor(port(), "--env", "test", "--json");
    const report = JSON.parse(result.out.trim().split("\n").pop()!) as { ok: boolean; checks: { check: string }[] };

    assert.equal(report.ok, true);
    assert.equal(report.checks[0].check, "credentials");
  });

  it("requires --env", async () => {
    const result = await doctor(port());

    assert.equal(result.code, 2);
    assert.equal(result.err, "error: required option '--env <env>' not specified\n");
  });

  it("aligns checks in columns and appends the fix only where one is needed", () => {
    assert.deepEqual(
      doctorLines([
        { check: "a", status: "ok", text: "fine" },
        { check: "longer", status: "fail", text: "broken", fix: "pulumi up" },
      ]),
      ["ok    a       fine", "FAIL  longer  broken; fix: pulumi up"],
    );
  });
});

describe("phoenix doctor over AWS", () => {
  const loopback = new Loopback("127.155");
  const scratch = scratchDir("phoenix-doctor-aws-");
  after(() => loopback.close());

  /** Test credentials and a region, every call sent to `endpoint` (on loopback), the shared files empty. */
  const settings = (endpoint: string, timeout: string) => ({
    ...noAwsSettings(scratch("aws")),
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_ENDPOINT_URL: endpoint,
    [AWS_TIMEOUT_ENV]: timeout,
  });

  it("refuses a timeout override that is not a number of milliseconds before calling AWS (exit 2)", async () => {
    const silent = await loopback.serve({ kind: "hang" });

    const result = await withEnv(settings(silent.url, "5s"), () => doctor(undefined, "--env", "test"));

    assert.equal(result.code, EXIT.usage);
    assert.equal(result.err, `phoenix: ${AWS_TIMEOUT_ENV} is "5s"; it must be a whole number (milliseconds)\n`);
    assert.equal(silent.requests, 0);
  });

  it("bounds another region's reads by the timeout override too", async function () {
    this.timeout(awsCallBoundMs(300) + 5_000);
    const silent = await loopback.serve({ kind: "hang" });

    await withEnv(settings(silent.url, "300"), async () => {
      const port = await awsDoctor();

      await assert.rejects(port.parameter("/phoenix/test/release-replica", "eu-central-1"), (err: Error) => {
        assert.equal(err.name, "TimeoutError");
        assert.match(err.message, /exceeded the configured 300 ms requestTimeout/);
        return true;
      });
    });
  });
});
