// The `phoenix` CLI against AWS endpoints on loopback (AWS_ENDPOINT_URL), through the real SDK clients and the AWS
// fleet adapter: an endpoint that accepts the connection and never answers ends the real binary with exit 1 within
// the bound instead of hanging, and a stand-in AWS holding bad desired state (a release bucket of another
// environment, a manifest whose artifacts are missing or that skips a tier, a garbage base image) makes `sweep`
// leave the fleet alone and exit 5 with one line naming what is wrong and where.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { createClients } from "../../../runtime/aws/clients";
import { AwsFleet } from "../../../runtime/aws/fleet";
import { S3ObjectStore } from "../../../runtime/aws/s3-object-store";
import { CliContext, main } from "../../../runtime/cli";
import { EXIT } from "../../../runtime/cli/exit-codes";
import { AWS_TIMEOUT_ENV, awsCallBoundMs, MANIFEST_KEY } from "../../../runtime/contract";
import { FakeAws, FakeGroup } from "../../support/fake-aws";
import { Loopback, LoopbackServer } from "../../support/loopback";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const BUCKET = "test-releases";
const IMAGE = "ami-0a1b2c3d4e5f60718";
const CREDENTIALS = { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake-secret" };

/** Runs bin/phoenix.js as an operator would, killing it after `killAfterMs`; `killed` says whether it had to. */
function runBinary(
  args: string[],
  env: Record<string, string>,
  killAfterMs: number,
): Promise<{ code: number | null; stderr: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "phoenix.js"), ...args], {
      cwd: ROOT,
      // Only what the test gives it: no profile, no real endpoint, no inherited ts-node hooks.
      env: {
        PATH: process.env.PATH ?? "",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONFIG_FILE: path.join(ROOT, "no-such-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: path.join(ROOT, "no-such-aws-credentials"),
        ...env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, killAfterMs);
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, killed });
    });
  });
}

describe("the phoenix CLI against AWS endpoints", function () {
  // Starting the binary loads TypeScript when dist/ is older than the sources: seconds on a busy machine.
  this.timeout(120_000);
  const loopback = new Loopback("127.153");
  after(() => loopback.close());

  it("exits 1 within the bound, in one line, when the endpoint accepts the connection and never answers", async () => {
    const silent = await loopback.serve({ kind: "hang" });
    const requestTimeoutMs = 300;
    // The bound: every call's attempts (awsCallBoundMs), plus starting Node and the CLI, generously, on a busy machine.
    const startupMs = 60_000;

    const run = await runBinary(
      ["plan", "--env", "test"],
      { AWS_ENDPOINT_URL: silent.url, [AWS_TIMEOUT_ENV]: String(requestTimeoutMs) },
      startupMs + awsCallBoundMs(requestTimeoutMs),
    );

    assert.equal(run.killed, false, `still running at the bound:\n${run.stderr}`);
    assert.equal(run.code, EXIT.failed);
    assert.ok(silent.requests > 0, "the CLI never reached the endpoint");
    const lines = run.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(
      lines[0],
      // A plan terminates nothing, so it does not say so; a sweep's failed read ends "; nothing was terminated".
      /^phoenix: .* timed out for environment "test": AWS did not answer \(.*\)$/,
    );
  });

  it("refuses a timeout override that is not a number of milliseconds before calling AWS (exit 2)", async () => {
    const silent = await loopback.serve({ kind: "hang" });

    const run = await runBinary(
      ["plan", "--env", "test"],
      { AWS_ENDPOINT_URL: silent.url, [AWS_TIMEOUT_ENV]: "5s" },
      60_000,
    );

    assert.equal(run.code, EXIT.usage);
    assert.equal(run.stderr, `phoenix: ${AWS_TIMEOUT_ENV} is "5s"; it must be a whole number (milliseconds)\n`);
    assert.equal(silent.requests, 0);
  });

  describe("bad desired state in AWS", () => {
    let instances: LoopbackServer[];
    let aws: FakeAws;
    let previous: string | undefined;

    before(async () => {
      instances = [
        await loopback.serve({ kind: "answer", body: "1.0.266" }),
        await loopback.serve({ kind: "answer", body: "1.0.266" }),
        await loopback.serve({ kind: "answer", body: "1.0.266" }),
        await loopback.serve({ kind: "answer", body: "1.0.266" }),
      ];
    });

    function groups(): FakeGroup[] {
      const group = (tier: string, from: number): FakeGroup => ({
        name: `test-${tier}`,
        desiredCapacity: 2,
        minSize: 1,
        maxSize: 4,
        tags: {
          "phoenix:environment": "test",
          "phoenix:tier": tier,
          "phoenix:port": String(loopback.port),
          "phoenix:strategy": tier === "web" ? "surge" : "replace",
        },
        instances: [0, 1].map((n) => ({
          id: `i-${tier}-${n}`,
          privateIp: instances[from + n].ip,
          imageId: IMAGE,
          launchTime: "2026-11-20T00:00:00.000Z",
        })),
      });
      return [group("web", 0), group("api", 2)];
    }

    /** test's environment: its bucket (tagged as the provider tags it) holding a manifest for 1.0.274 and its zips. */
    async function start(change: (state: FakeAws["state"]) => void): Promise<void> {
      const state: FakeAws["state"] = {
        parameters: { "/phoenix/test/release-bucket": BUCKET, "/phoenix/test/base-image": IMAGE },
        objects: {
          [`${BUCKET}/${MANIFEST_KEY}`]: JSON.stringify({
            version: "1.0.274",
            artifacts: { web: "releases/1.0.274/web.zip", api: "releases/1.0.274/api.zip" },
            publishedAt: "2026-11-26T00:00:00.000Z",
          }),
          [`${BUCKET}/releases/1.0.274/web.zip`]: "PK",
          [`${BUCKET}/releases/1.0.274/api.zip`]: "PK",
          "live-releases/releases/1.0.274/release.json": "{}",
        },
        groups: groups(),
        bucketTags: { [BUCKET]: { "phoenix:environment": "test" }, "live-releases": { "phoenix:environment": "live" } },
        images: { [IMAGE]: "available" },
      };
      change(state);
      aws = await FakeAws.start("127.154.0.1", state);
      previous = process.env.AWS_ENDPOINT_URL;
      process.env.AWS_ENDPOINT_URL = aws.url;
    }

    afterEach(async () => {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previous;
      await aws.close();
    });

    /** `phoenix sweep --env test` in this process, through the real SDK and the AWS fleet adapter. */
    async function sweep(): Promise<{ code: number; err: string }> {
      let err = "";
      const clients = createClients({ region: "us-east-1", credentials: CREDENTIALS });
      const ctx: CliContext = {
        out: () => undefined,
        err: (text) => (err += text),
        fleet: () => Promise.resolve(new AwsFleet(clients)),
        // The sweep lease lives in the environment's bucket, on the same endpoint.
        store: () => Promise.resolve(new S3ObjectStore(clients.s3, BUCKET)),
      };
      const code = await main(["node", "phoenix", "sweep", "--env", "test"], ctx);
      return { code, err };
    }

    function assertUntouched(): void {
      assert.deepEqual(aws.unanswered, []);
      for (const action of ["TerminateInstanceInAutoScalingGroup", "SetDesiredCapacity", "CreateOrUpdateTags"]) {
        assert.deepEqual(aws.calls("autoscaling", action), [], action);
      }
    }

    it("acts as usual on a verified release: the control for the cases below", async () => {
      await start(() => undefined);

      const run = await sweep();

      assert.equal(run.code, EXIT.ok, run.err);
      assert.equal(aws.calls("autoscaling", "SetDesiredCapacity").length, 1, "web surges");
      assert.equal(aws.calls("autoscaling", "TerminateInstanceInAutoScalingGroup").length, 1, "api replaces one");
    });

    it("leaves everything alone when the bucket parameter names another environment's bucket without a manifest", async () => {
      await start((s) => (s.parameters["/phoenix/test/release-bucket"] = "live-releases"));

      const run = await sweep();

      assert.equal(run.code, EXIT.unverified);
      assertUntouched();
      assert.match(
        run.err.trimEnd().split("\n").pop() ?? "",
        /^phoenix: desired state not verified: test-api, test-web left alone: release bucket live-releases, named by \/phoenix\/test\/release-bucket, is not environment "test"'s: its tag phoenix:environment is "live"/,
      );
    });

    it("says the environment is not deployed here, as a usage error (exit 2), when its parameter is missing", async () => {
      await start((s) => delete s.parameters["/phoenix/test/release-bucket"]);

      const run = await sweep();

      assert.equal(run.code, EXIT.usage, run.err);
      assertUntouched();
      assert.match(run.err, /not deployed/);
    });

    it("leaves everything alone when the manifest names a version whose artifacts are missing", async () => {
      await start((s) => {
        s.objects[`${BUCKET}/${MANIFEST_KEY}`] = JSON.stringify({
          version: "1.0.999",
          artifacts: { web: "releases/1.0.999/web.zip", api: "releases/1.0.999/api.zip" },
          publishedAt: "2026-11-26T00:00:00.000Z",
        });
      });

      const run = await sweep();

      assert.equal(run.code, EXIT.unverified);
      assertUntouched();
      assert.match(
        run.err,
        /test-web left alone: .*web artifact releases\/1\.0\.999\/web\.zip does not exist in test-releases/,
      );
    });

    it("replaces no tier the manifest names no artifact for", async () => {
      await start((s) => {
        s.objects[`${BUCKET}/${MANIFEST_KEY}`] = JSON.stringify({
          version: "1.0.274",
          artifacts: { web: "releases/1.0.274/web.zip" },
          publishedAt: "2026-11-26T00:00:00.000Z",
        });
      });

      const run = await sweep();

      assert.equal(run.code, EXIT.unverified);
      assert.deepEqual(
        aws.calls("autoscaling", "TerminateInstanceInAutoScalingGroup"),
        [],
        "api is replace: untouched",
      );
      assert.equal(aws.calls("autoscaling", "SetDesiredCapacity").length, 1, "web still surges");
      assert.match(run.err, /test-api left alone: the manifest \(version 1\.0\.274\) names no artifact for tier api/);
    });

    for (const [what, image, line] of [
      ["holds garbage", "garbage", /\/phoenix\/test\/base-image holds "garbage", which is not an AMI id/],
      [
        "names an image this region does not have",
        "ami-0ffffffffffffffff",
        /names ami-0ffffffffffffffff, which is no image in this region/,
      ],
    ] as const) {
      it(`leaves everything alone when the base-image parameter ${what}`, async () => {
        await start((s) => (s.parameters["/phoenix/test/base-image"] = image));

        const run = await sweep();

        assert.equal(run.code, EXIT.unverified);
        assertUntouched();
        assert.match(run.err.trimEnd().split("\n").pop() ?? "", line);
      });
    }
  });
});
