// The code that would be deployed: the rollout closure serialized under Pulumi mocks exactly as `pulumi up` would
// upload it, checked for contents and zipped size, then written to disk and run in a plain Node child process
// against a loopback stand-in for AWS (test/support/fake-aws.ts) and a fleet of real loopback /version servers.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { zipSync } from "fflate";
import * as pulumi from "@pulumi/pulumi";
import { Rollout, checkSerializable } from "../../../components/rollout";
import { FakeAws, FakeGroup } from "../../support/fake-aws";
import { Loopback, LoopbackServer } from "../../support/loopback";
import { PROJECT_ROOT, settle, setupMocks } from "../../support/pulumi-mocks";
import {
  CONVERGENCE_KEY,
  LAMBDA_ENV,
  MANIFEST_KEY,
  ROLLBACK_RECORD_KEY,
  SURGE_TAGS,
  SWEEP_LEASE_KEY,
} from "../../../runtime/contract";

/** The api tier's checkpoints, alarm and automatic rollback (what a live stack's config gives a tier). */
const API_ALARM = "phoenix-test-api-5xx";
const API_GATES = { checkpoints: [50, 100], rolloutAlarms: [API_ALARM], autoRollback: true };

/** The archive budget from the issue: kilobytes, zipped. */
const MAX_ZIPPED_BYTES = 200 * 1024;
const BUCKET = "phoenix-test-releases";

/** Every file of a Pulumi AssetArchive, by its path inside the archive (what Lambda unpacks to /var/task). */
async function archiveFiles(archive: pulumi.asset.AssetArchive): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const assets = await archive.assets;
  for (const [name, entry] of Object.entries(assets)) {
    if (entry instanceof pulumi.asset.StringAsset) {
      files.set(name, Buffer.from(await entry.text));
    } else if (entry instanceof pulumi.asset.FileArchive) {
      // Code paths are relative to the working directory, as the engine resolves them (mocha runs from the root).
      const root = path.resolve(await entry.path);
      const walk = (dir: string) => {
        for (const child of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, child.name);
          if (child.isDirectory()) walk(full);
          else
            files.set(
              path.posix.join(name, path.relative(root, full).split(path.sep).join("/")),
              fs.readFileSync(full),
            );
        }
      };
      walk(root);
    } else {
      throw new Error(`archive entry ${name} is a ${entry.constructor.name}; this test reads strings and directories`);
    }
  }
  return files;
}

/** The archive as a real zip (deflate, level 9), so its size is the size of what would be uploaded. */
function zip(files: Map<string, Buffer>): Buffer {
  return Buffer.from(zipSync(Object.fromEntries(files), { level: 9 }));
}

/**
 * Loaded with `node -r` before the handler: every module the archive's code requires must resolve inside the
 * archive, except Node built-ins and @aws-sdk/* (which the Lambda runtime provides; here NODE_PATH supplies them).
 */
const GUARD = `
const Module = require("module");
const path = require("path");
const root = process.env.ARCHIVE_ROOT + path.sep;
const builtins = new Set(${JSON.stringify(builtinModules)});
const original = Module._resolveFilename;
const strays = [];
Module._resolveFilename = function (request, parent, ...rest) {
  const resolved = original.call(this, request, parent, ...rest);
  const name = request.replace(/^node:/, "");
  const fromArchive = parent && parent.filename && parent.filename.startsWith(root);
  if (fromArchive && !builtins.has(name) && !request.startsWith("@aws-sdk/") && !resolved.startsWith(root)) {
    strays.push(request + " -> " + resolved);
  }
  return resolved;
};
process.on("exit", (code) => {
  if (strays.length > 0) {
    process.stderr.write("required from outside the archive: " + strays.join(", ") + "\\n");
    process.exitCode = 3;
  }
});
`;

/** Runs the archive's handler once with `event` in a fresh Node process; resolves with its exit code and output. */
function invoke(
  dir: string,
  env: Record<string, string>,
  event: unknown,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `
    const { handler } = require(${JSON.stringify(path.join(dir, "__index.js"))});
    handler(${JSON.stringify(event)}, {}).then(
      (result) => { process.stdout.write("RESULT " + JSON.stringify(result) + "\\n"); process.exit(0); },
      (err) => { process.stderr.write("FAILED " + (err && err.stack || err) + "\\n"); process.exit(1); },
    );`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", path.join(dir, "guard.js"), "-e", script], {
      cwd: dir,
      // Only what Lambda would give it: no AWS profile, no inherited NODE_OPTIONS (ts-node), no real endpoint.
      env: { PATH: process.env.PATH ?? "", ...env, ARCHIVE_ROOT: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function resultOf(stdout: string): Record<string, unknown> {
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(line, `the handler printed no result:\n${stdout}`);
  return JSON.parse(line.slice("RESULT ".length)) as Record<string, unknown>;
}

describe("the rollout Lambda's archive", function () {
  // Serializing the closure and starting Node with the SDK take seconds, not milliseconds.
  this.timeout(120_000);

  const loopback = new Loopback("127.63", 18_063);
  let files: Map<string, Buffer>;
  let variables: Record<string, string>;
  let dir: string;
  let instances: LoopbackServer[];

  before(async () => {
    await checkSerializable();
    // The archive exactly as the program handed it to the engine (the recorder's copy of inputs is rewritten).
    let code: pulumi.asset.AssetArchive | undefined;
    const mocks = await setupMocks("test", {
      states: {
        "aws:lambda/function:Function": (resource) => {
          code = (resource.inputs as { code: pulumi.asset.AssetArchive }).code;
          return {};
        },
      },
    });
    new Rollout("archive", {
      environment: "test",
      vpcId: "vpc-0123",
      vpcCidrBlock: "10.20.0.0/16",
      privateSubnetIds: ["subnet-a"],
      releaseBucketName: BUCKET,
      releaseBucketArn: `arn:aws:s3:::${BUCKET}`,
      tiers: [
        { name: "web", port: loopback.port, autoScalingGroupName: "test-web" },
        // The api tier's rollout stops at checkpoints, is gated on its 5xx alarm and rolls back on it.
        { name: "api", port: loopback.port, autoScalingGroupName: "test-api", policy: API_GATES },
      ],
      policy: { minHealthy: 1, minHealthyPercent: 0 },
      probeTimeoutMs: 1000,
    });
    await settle();
    const fn = mocks.one("aws:lambda/function:Function", "archive-fn");
    assert.ok(code instanceof pulumi.asset.AssetArchive, "the function's code is not an AssetArchive");
    files = await archiveFiles(code);
    variables = fn.inputs.environment.variables as Record<string, string>;

    dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-archive-"));
    for (const [name, data] of files) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), data);
    }
    fs.writeFileSync(path.join(dir, "guard.js"), GUARD);

    instances = [
      await loopback.serve({ kind: "answer", body: "1.0.266" }),
      await loopback.serve({ kind: "answer", body: "1.0.274" }),
      await loopback.serve({ kind: "answer", body: "1.0.274" }),
      await loopback.serve({ kind: "answer", body: "1.0.266" }),
    ];
  });

  after(async () => {
    await loopback.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * web: one instance on the old version and one on the new (mid-rollout) — or, `releasedJustNow`, both on the old
   * one — behind a target group; api: one instance on the new version.
   */
  function fleet(releasedJustNow = false): FakeGroup[] {
    const tags = (tier: string) => ({
      "phoenix:environment": "test",
      "phoenix:tier": tier,
      "phoenix:port": String(loopback.port),
      // These tests follow the replace flow (terminate, the group relaunches); surge has its own tests.
      "phoenix:strategy": "replace",
    });
    return [
      {
        name: "test-web",
        desiredCapacity: 2,
        minSize: 1,
        maxSize: 3,
        tags: tags("web"),
        targetGroupArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/test-web/0123"],
        instances: [
          { id: "i-old", privateIp: instances[0].ip, imageId: "ami-1", launchTime: "2026-11-01T00:00:00.000Z" },
          releasedJustNow
            ? { id: "i-old2", privateIp: instances[3].ip, imageId: "ami-1", launchTime: "2026-11-02T00:00:00.000Z" }
            : { id: "i-new", privateIp: instances[1].ip, imageId: "ami-1", launchTime: "2026-11-20T00:00:00.000Z" },
        ],
      },
      {
        name: "test-api",
        desiredCapacity: 1,
        minSize: 1,
        maxSize: 2,
        tags: tags("api"),
        instances: [
          { id: "i-api", privateIp: instances[2].ip, imageId: "ami-1", launchTime: "2026-11-20T00:00:00.000Z" },
        ],
      },
    ];
  }

  async function startAws(host: string, releasedJustNow = false): Promise<FakeAws> {
    return FakeAws.start(host, {
      parameters: { "/phoenix/test/release-bucket": BUCKET },
      objects: {
        [`${BUCKET}/${MANIFEST_KEY}`]: JSON.stringify({
          version: "1.0.274",
          artifacts: { web: "releases/1.0.274/web.zip", api: "releases/1.0.274/api.zip" },
          publishedAt: "2026-11-26T00:00:00.000Z",
        }),
        [`${BUCKET}/releases/1.0.274/web.zip`]: "PK",
        [`${BUCKET}/releases/1.0.274/api.zip`]: "PK",
      },
      groups: fleet(releasedJustNow),
      // The stack's provider tags every resource with its environment, the release bucket included.
      bucketTags: { [BUCKET]: { "phoenix:environment": "test" } },
    });
  }

  function lambdaEnv(aws: FakeAws): Record<string, string> {
    return {
      ...variables,
      // The SQS client sends to the queue URL's host: keep follow-ups on the fake too.
      [LAMBDA_ENV.followUpQueueUrl]: `${aws.url}/123456789012/archive-follow-up`,
      AWS_ENDPOINT_URL: aws.url,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
      AWS_SECRET_ACCESS_KEY: "fake-secret",
      AWS_EC2_METADATA_DISABLED: "true",
      // The Lambda runtime provides @aws-sdk/* from its own node_modules; the project's stand in for them here.
      NODE_PATH: path.join(PROJECT_ROOT, "node_modules"),
    };
  }

  it("holds the serialized handler and the one package it needs, nothing else", () => {
    const topLevel = new Set(
      [...files.keys()].map((f) => (f.startsWith("node_modules/") ? f.split("/").slice(0, 2).join("/") : f)),
    );

    assert.deepEqual([...topLevel].sort(), ["__index.js", "node_modules/semver"]);
    assert.ok(files.get("__index.js")!.toString().includes("exports.handler"));
  });

  it("is under 200 KB zipped", () => {
    const zipped = zip(files);
    // The figure docs/rollouts.md quotes: printed here so it always comes from what the program would upload.
    console.log(
      `      archive: ${files.size} files, ${(zipped.length / 1024).toFixed(1)} KB zipped (budget ${MAX_ZIPPED_BYTES / 1024} KB)`,
    );

    assert.ok(zipped.length < MAX_ZIPPED_BYTES, `archive is ${zipped.length} bytes zipped`);
  });

  it("sweeps from its archive in plain Node and terminates the stale instance through the AWS API", async () => {
    const aws = await startAws("127.62.0.1");
    try {
      const run = await invoke(dir, lambdaEnv(aws), {
        source: "aws.events",
        "detail-type": "Scheduled Event",
        detail: {},
      });

      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(aws.unanswered, []);
      assert.deepEqual(
        aws.calls("autoscaling", "TerminateInstanceInAutoScalingGroup").map((p) => ({
          InstanceId: p.InstanceId,
          ShouldDecrementDesiredCapacity: p.ShouldDecrementDesiredCapacity,
        })),
        [{ InstanceId: "i-old", ShouldDecrementDesiredCapacity: "false" }],
      );
      assert.deepEqual(resultOf(run.stdout), {
        environment: "test",
        dryRun: false,
        trigger: "Scheduled Event",
        terminated: ["i-old"],
        failed: [],
        skipped: [],
        unverified: [],
        status: "ok",
      });
      assert.match(run.stdout, /"_aws":\{"Timestamp":\d+,"CloudWatchMetrics":\[\{"Namespace":"Phoenix"/);
      // The evidence `phoenix promote` reads: written once, only if nobody wrote it meanwhile, never a release key.
      assert.deepEqual(
        aws.calls("s3", "PutObject").filter((p) => p.Key !== SWEEP_LEASE_KEY),
        [{ Bucket: BUCKET, Key: CONVERGENCE_KEY, IfNoneMatch: "*" }],
      );
      const record = JSON.parse(String(aws.state.objects[`${BUCKET}/${CONVERGENCE_KEY}`])) as Record<string, unknown>;
      assert.equal(record.version, "1.0.274");
      assert.equal(record.convergedAt, null);
    } finally {
      await aws.close();
    }
  });

  it("leaves every tier alone from its archive when the manifest names a missing artifact or the image is garbage", async () => {
    const aws = await startAws("127.62.0.7");
    delete aws.state.objects[`${BUCKET}/releases/1.0.274/web.zip`];
    aws.state.parameters["/phoenix/test/base-image"] = "garbage";
    try {
      const run = await invoke(dir, lambdaEnv(aws), { "detail-type": "Scheduled Event" });

      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(aws.unanswered, []);
      assert.deepEqual(aws.calls("autoscaling", "TerminateInstanceInAutoScalingGroup"), []);
      assert.deepEqual(aws.calls("autoscaling", "SetDesiredCapacity"), []);
      const result = resultOf(run.stdout);
      assert.equal(result.status, "unverified");
      assert.deepEqual(result.unverified, ["test-api", "test-web"]);
      const status = run.stdout.split("\n").find((l) => l.includes('"type":"sweep.status"'));
      assert.match(status ?? "", /\/phoenix\/test\/base-image holds \\"garbage\\", which is not an AMI id/);
    } finally {
      await aws.close();
    }
  });

  it("handles the release event from its archive: checks the artifacts, then replaces one stale instance", async () => {
    const aws = await startAws("127.62.0.2", true);
    try {
      const run = await invoke(dir, lambdaEnv(aws), {
        Records: [
          {
            eventSource: "aws:s3",
            eventName: "ObjectCreated:Put",
            s3: { bucket: { name: BUCKET }, object: { key: MANIFEST_KEY } },
          },
        ],
      });

      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        aws
          .calls("s3", "HeadObject")
          .map((p) => p.Key)
          .sort(),
        ["releases/1.0.274/api.zip", "releases/1.0.274/web.zip"],
      );
      assert.deepEqual(
        aws.calls("autoscaling", "TerminateInstanceInAutoScalingGroup").map((p) => p.InstanceId),
        ["i-old"],
      );
    } finally {
      await aws.close();
    }
  });

  it("starts a surge from its archive: raises desired capacity and records the surge in the group's tags", async () => {
    const aws = await startAws("127.62.0.4", true);
    const web = aws.state.groups.find((g) => g.name === "test-web")!;
    web.tags["phoenix:strategy"] = "surge";
    const baseline = web.desiredCapacity;
    try {
      const run = await invoke(dir, lambdaEnv(aws), { "detail-type": "Scheduled Event" });

      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(aws.unanswered, []);
      assert.deepEqual(aws.calls("autoscaling", "TerminateInstanceInAutoScalingGroup"), []);
      const desired = aws.calls("autoscaling", "SetDesiredCapacity");
      assert.equal(desired.length, 1);
      assert.equal(desired[0].AutoScalingGroupName, "test-web");
      assert.ok(Number(desired[0].DesiredCapacity) > baseline, `desired ${String(desired[0].DesiredCapacity)}`);
      assert.equal(web.desiredCapacity, Number(desired[0].DesiredCapacity));
      assert.deepEqual(web.suspendedProcesses, ["AlarmNotification", "ScheduledActions"]);
      // Each step read its group back by name before it acted: tags, then suspension, then the raise.
      const byName = aws
        .calls("autoscaling", "DescribeAutoScalingGroups")
        .filter((p) => p["AutoScalingGroupNames.member.1"] === "test-web");
      assert.equal(byName.length, 3);
      const tagKeys = aws.calls("autoscaling", "CreateOrUpdateTags").flatMap((p) =>
        Object.entries(p)
          .filter(([k]) => /^Tags\.member\.\d+\.Key$/.test(k))
          .map(([, v]) => v),
      );
      assert.ok(tagKeys.length > 0, "no surge tags written");
      for (const key of tagKeys) assert.match(String(key), /^phoenix:surge-/);
    } finally {
      await aws.close();
    }
  });

  it("takes the sweep lease in the release bucket before it reads the fleet, and releases it after", async () => {
    const aws = await startAws("127.62.0.7");
    try {
      const run = await invoke(dir, lambdaEnv(aws), { "detail-type": "Scheduled Event" });

      assert.equal(run.code, 0, run.stderr);
      const s3 = aws.log.filter((c) => c.service === "s3");
      const firstWrite = s3.findIndex((c) => c.action === "PutObject");
      assert.deepEqual(s3[firstWrite].params, { Bucket: BUCKET, Key: SWEEP_LEASE_KEY, IfNoneMatch: "*" });
      assert.ok(firstWrite < aws.log.findIndex((c) => c.action === "DescribeAutoScalingGroups"));
      const puts = aws.calls("s3", "PutObject").filter((p) => p.Key === SWEEP_LEASE_KEY);
      assert.equal(puts.length, 2);
      assert.ok(typeof puts[1].IfMatch === "string", "the release is conditional on the lease's own entity tag");
      const lease = JSON.parse(String(aws.state.objects[`${BUCKET}/${SWEEP_LEASE_KEY}`])) as Record<string, string>;
      assert.equal(lease.purpose, "Scheduled Event");
      assert.match(lease.who, /^lambda /);
      assert.ok(lease.releasedAt !== undefined, "released");
    } finally {
      await aws.close();
    }
  });

  it("stands down from its archive while another sweep holds the lease: one line, a follow-up, nothing read", async () => {
    const aws = await startAws("127.62.0.8");
    const now = Date.now();
    aws.state.objects[`${BUCKET}/${SWEEP_LEASE_KEY}`] = JSON.stringify({
      kind: "phoenix.sweep-lease",
      holder: "0123456789ab",
      who: "alice@laptop pid 4242",
      purpose: "phoenix sweep",
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 1_200_000).toISOString(),
      ttlSeconds: 1200,
    });
    try {
      const run = await invoke(dir, lambdaEnv(aws), { "detail-type": "Scheduled Event" });

      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(aws.unanswered, []);
      assert.deepEqual(aws.calls("s3", "PutObject"), []);
      assert.deepEqual(aws.calls("autoscaling"), [], "not even the fleet was read");
      const stoodDown = run.stdout.split("\n").filter((l) => l.includes('"sweep.stood-down"'));
      assert.equal(stoodDown.length, 1);
      assert.match(stoodDown[0], /held by 0123456789ab \(alice@laptop pid 4242, phoenix sweep\)/);
      assert.equal(aws.calls("sqs", "SendMessage").length, 1);
      assert.match(String(resultOf(run.stdout).stoodDown), /^held by 0123456789ab/);
    } finally {
      await aws.close();
    }
  });

  it("schedules a follow-up from its archive when the sweep waits on an instance not yet healthy", async () => {
    const aws = await startAws("127.62.0.5");
    const web = aws.state.groups.find((g) => g.name === "test-web")!;
    web.instances[1].targetHealth = "initial";
    try {
      const run = await invoke(dir, lambdaEnv(aws), { "detail-type": "EC2 Instance Launch Successful" });

      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(aws.unanswered, []);
      assert.deepEqual(aws.calls("autoscaling", "TerminateInstanceInAutoScalingGroup"), []);
      assert.equal(aws.calls("sqs", "GetQueueAttributes").length, 1);
      const sent = aws.calls("sqs", "SendMessage");
      assert.equal(sent.length, 1);
      assert.equal(sent[0].QueueUrl, `${aws.url}/123456789012/archive-follow-up`);
      assert.equal(sent[0].DelaySeconds, 15);
      assert.equal(resultOf(run.stdout).followUpSeconds, 15);
    } finally {
      await aws.close();
    }
  });

  it("sends no second follow-up from its archive while one is pending", async () => {
    const aws = await startAws("127.62.0.6");
    aws.state.groups.find((g) => g.name === "test-web")!.instances[1].targetHealth = "initial";
    aws.state.queue = { delayed: 1 };
    try {
      const run = await invoke(dir, lambdaEnv(aws), {
        Records: [{ eventSource: "aws:sqs", body: '{"type":"phoenix.follow-up"}' }],
      });

      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(aws.unanswered, []);
      assert.equal(resultOf(run.stdout).trigger, "follow-up");
      assert.equal(aws.calls("sqs", "GetQueueAttributes").length, 1);
      assert.deepEqual(aws.calls("sqs", "SendMessage"), []);
    } finally {
      await aws.close();
    }
  });

  it("reads the rollout alarm from its archive and, past a checkpoint, aborts the surge and rolls the release back", async () => {
    const [old, bad1, bad2] = [
      await loopback.serve({ kind: "answer", body: "1.0.274" }),
      await loopback.serve({ kind: "answer", body: "1.0.275" }),
      await loopback.serve({ kind: "answer", body: "1.0.275" }),
    ];
    const startedAt = "2026-11-26T01:00:00.000Z";
    const artifacts = (v: string) => ({ web: `releases/${v}/web.zip`, api: `releases/${v}/api.zip` });
    const published = (v: string) => ({
      [`${BUCKET}/releases/${v}/web.zip`]: "PK",
      [`${BUCKET}/releases/${v}/api.zip`]: "PK",
      [`${BUCKET}/releases/${v}/release.json`]: JSON.stringify({ version: v, artifacts: artifacts(v) }),
    });
    const aws = await FakeAws.start("127.62.0.8", {
      parameters: { "/phoenix/test/release-bucket": BUCKET },
      objects: {
        [`${BUCKET}/${MANIFEST_KEY}`]: JSON.stringify({
          version: "1.0.275",
          artifacts: artifacts("1.0.275"),
          publishedAt: "2026-11-26T00:50:00.000Z",
        }),
        ...published("1.0.274"),
        ...published("1.0.275"),
      },
      groups: [
        {
          // api is surging to its second checkpoint: one old instance is gone already (the canary replaced it).
          name: "test-api",
          desiredCapacity: 3,
          minSize: 1,
          maxSize: 4,
          tags: {
            "phoenix:environment": "test",
            "phoenix:tier": "api",
            "phoenix:port": String(loopback.port),
            "phoenix:strategy": "surge",
            [SURGE_TAGS.baseline]: "2",
            [SURGE_TAGS.version]: "1.0.275",
            [SURGE_TAGS.startedAt]: startedAt,
            [SURGE_TAGS.checkpoint]: "2/2 1.0.275",
          },
          instances: [
            { id: "i-api-old", privateIp: old.ip, imageId: "ami-1", launchTime: "2026-11-01T00:00:00.000Z" },
            { id: "i-api-canary", privateIp: bad1.ip, imageId: "ami-1", launchTime: "2026-11-26T00:51:00.000Z" },
            { id: "i-api-new", privateIp: bad2.ip, imageId: "ami-1", launchTime: "2026-11-26T01:01:00.000Z" },
          ],
        },
      ],
      alarms: { [API_ALARM]: { state: "ALARM", reason: "Threshold Crossed", since: Date.parse(startedAt) + 300_000 } },
      bucketTags: { [BUCKET]: { "phoenix:environment": "test" } },
    });
    try {
      const run = await invoke(dir, lambdaEnv(aws), { "detail-type": "CloudWatch Alarm State Change" });

      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(aws.unanswered, []);
      // One DescribeAlarms for the tier's alarms, on those names only.
      assert.deepEqual(aws.calls("monitoring", "DescribeAlarms"), [
        { AlarmNames: [API_ALARM], AlarmTypes: ["MetricAlarm", "CompositeAlarm"], MaxRecords: 100 },
      ]);
      // The surge's new instance goes, with the capacity it was launched for; the canary is left to the rollback.
      assert.deepEqual(
        aws
          .calls("autoscaling", "TerminateInstanceInAutoScalingGroup")
          .map((p) => [p.InstanceId, p.ShouldDecrementDesiredCapacity]),
        [["i-api-new", "true"]],
      );
      // The previous release written back through the conditional write, then the record that marks 1.0.275, then
      // the sweep's convergence record (issue 19), as after every sweep.
      const puts = aws.calls("s3", "PutObject").filter((p) => p.Key !== SWEEP_LEASE_KEY);
      assert.deepEqual(
        puts.map((p) => p.Key),
        [MANIFEST_KEY, ROLLBACK_RECORD_KEY, CONVERGENCE_KEY],
      );
      assert.ok(puts[0].IfMatch !== undefined, "the manifest is written only if nobody published meanwhile");
      const manifest = JSON.parse(String(aws.state.objects[`${BUCKET}/${MANIFEST_KEY}`])) as { version: string };
      assert.equal(manifest.version, "1.0.274");
      const record = JSON.parse(String(aws.state.objects[`${BUCKET}/${ROLLBACK_RECORD_KEY}`])) as Record<
        string,
        string
      >;
      assert.deepEqual(
        [record.from, record.to, record.tier, record.alarm, record.checkpoint],
        ["1.0.275", "1.0.274", "api", API_ALARM, "2 of 2"],
      );
      const result = resultOf(run.stdout);
      assert.deepEqual(result.rollback, {
        status: "done",
        message: `rolled back automatically: ${API_ALARM} in ALARM at checkpoint 2 of 2 (api); 1.0.274 is current again (was 1.0.275)`,
      });
      assert.match(run.stdout, /"RolloutRollbacks":1/);
    } finally {
      await aws.close();
    }
  });

  it("fails the invocation naming a missing variable", async () => {
    const aws = await startAws("127.62.0.3");
    try {
      const env = lambdaEnv(aws);
      delete env[LAMBDA_ENV.environment];

      const run = await invoke(dir, env, { "detail-type": "Scheduled Event" });

      assert.equal(run.code, 1);
      assert.match(run.stderr, /FAILED UsageError: environment variable PHOENIX_ENVIRONMENT is not set/);
      assert.deepEqual(aws.log, []);
    } finally {
      await aws.close();
    }
  });
});
