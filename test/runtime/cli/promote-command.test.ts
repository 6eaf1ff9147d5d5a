// `phoenix promote` through the CLI's main: the gate printed a check a line, the exit code of each outcome (0, 2 for
// bad input, 1 for AWS, 7 for a refusal), --json, --wait-for-soak, --force, --wait following the target's rollout,
// the provenance column of `phoenix releases`, and the AWS wiring's answers for an unknown environment and an
// unreadable source (SSM and S3 mocked with aws-sdk-client-mock).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { CliContext, main } from "../../../runtime/cli";
import { awsPromotion, PromotionPorts } from "../../../runtime/cli/promote-command";
import { S3ServerSideCopy } from "../../../runtime/aws/s3-copy";
import { MANIFEST_KEY } from "../../../runtime/contract";
import { parseManifest } from "../../../runtime/core/manifest";
import { recordConvergence } from "../../../runtime/ops/convergence";
import { fakeClock } from "../../support/fleets";
import { Loopback } from "../../support/loopback";
import { MemoryFleet, MemoryObjectStore } from "../../support/memory-store";
import { answeringSnapshot, promotionFleet, releaseInto, storeContents } from "../../support/promotion";

const CALLER = "arn:aws:iam::123456789012:user/build-server";
const loopback = new Loopback("127.19");

describe("phoenix promote", () => {
  let dir: string;
  let test: { store: MemoryObjectStore; fleet: MemoryFleet };
  let live: { store: MemoryObjectStore; fleet: MemoryFleet };
  let asked: number;
  let clock: ReturnType<typeof fakeClock>;

  async function phoenix(...args: string[]) {
    let out = "";
    let err = "";
    const ctx: CliContext & { promotion(): Promise<PromotionPorts>; clock: typeof clock } = {
      out: (text) => (out += text),
      err: (text) => (err += text),
      fleet: () => Promise.reject(new Error("promote reads each side's own fleet")),
      clock,
      promotion: () => {
        asked += 1;
        return Promise.resolve({
          source: { environment: "test", ...test },
          target: { environment: "live", ...live },
          caller: () => Promise.resolve(CALLER),
        });
      },
    };
    const code = await main(["node", "phoenix", ...args], ctx);
    return { code, out, err };
  }

  /** Sweeps of test seeing it converged on 1.0.274, `minutes` apart from the first. */
  async function soaked(minutes: number) {
    const start = Date.parse("2026-01-01T09:00:00.000Z");
    for (const t of [start, start + minutes * 60_000]) {
      const at = new Date(t).toISOString();
      await recordConvergence(test.store, answeringSnapshot(test.fleet.state, "1.0.274", at), at);
    }
  }

  const liveVersion = () => parseManifest(live.store.text(MANIFEST_KEY)!).version;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-promote-cli-"));
    test = { store: new MemoryObjectStore(), fleet: new MemoryFleet(promotionFleet("test")) };
    live = { store: new MemoryObjectStore(), fleet: new MemoryFleet(promotionFleet("live")) };
    asked = 0;
    clock = fakeClock(Date.parse("2026-01-01T09:20:00.000Z"));
    await releaseInto(test.store, dir, "1.0.266", "2026-01-01T07:00:00.000Z");
    await releaseInto(live.store, dir, "1.0.266", "2026-01-01T07:30:00.000Z");
    await releaseInto(test.store, dir, "1.0.274", "2026-01-01T08:50:00.000Z");
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  after(() => loopback.close());

  it("prints the gate a check a line, what it copied, and the release; exits 0", async () => {
    await soaked(42);

    const run = await phoenix("promote", "--from", "test", "--to", "live");

    assert.equal(run.code, 0, run.err);
    const lines = run.err.split("\n");
    assert.equal(lines[0], "promote test → live: 1.0.274, gate passed");
    assert.match(lines[1], /^ {2}ok {4}current {4}1\.0\.274 is test's current release$/);
    assert.match(
      lines[2],
      /^ {2}ok {4}converged {2}every tier of test runs 1\.0\.274 on healthy instances \(api 1, web 2\)/,
    );
    assert.match(lines[3], /^ {2}ok {4}soak {7}42m of the 30m soak: converged since 2026-01-01T09:00:00\.000Z/);
    assert.match(lines[4], /^ {2}ok {4}alarms {5}test has no rollout alarms configured to check$/);
    assert.equal(
      lines[5],
      "live: releases/1.0.274/api.zip (download and upload), releases/1.0.274/web.zip (download and upload); each " +
        "sha256 matches test's record",
    );
    assert.match(lines[6], /^live: releases\/current\.json now names 1\.0\.274 \(was 1\.0\.266\); uploaded /);
    assert.equal(liveVersion(), "1.0.274");
  });

  it("refuses before the soak with exit 7, the failing check's reason, and nothing written to live", async () => {
    await soaked(12);
    const before = await storeContents(live.store);

    const run = await phoenix("promote", "--from", "test", "--to", "live");

    assert.equal(run.code, 7);
    assert.match(run.err, /^promote test → live, gate refused\n/);
    assert.match(run.err, /\n {2}FAIL {2}soak {7}12m of the 30m soak \(converged since 2026-01-01T09:00:00\.000Z/);
    assert.match(run.err, /\nphoenix: the gate refused to promote 1\.0\.274 from test to live \(soak: see above\)/);
    assert.deepEqual(await storeContents(live.store), before);
  });

  it("takes a shorter soak with --soak", async () => {
    await soaked(12);

    assert.equal((await phoenix("promote", "--from", "test", "--to", "live", "--soak", "10")).code, 0);
  });

  it("waits for the soak with --wait-for-soak, reading test again as its sweeps move on", async () => {
    await soaked(12);
    let sweeps = 12;
    const time = fakeClock(clock.now());
    clock = {
      now: () => time.now(),
      slept: time.slept,
      sleep: async (ms) => {
        await time.sleep(ms);
        sweeps += 5;
        const at = new Date(Date.parse("2026-01-01T09:00:00.000Z") + sweeps * 60_000).toISOString();
        await recordConvergence(test.store, answeringSnapshot(test.fleet.state, "1.0.274", at), at);
      },
    };

    const run = await phoenix("promote", "--from", "test", "--to", "live", "--wait-for-soak");

    assert.equal(run.code, 0, run.err);
    assert.deepEqual(clock.slept, [60_000, 60_000, 60_000, 60_000]);
    assert.equal(run.err.match(/^test: waiting for the soak: /gm)?.length, 4);
    assert.equal(liveVersion(), "1.0.274");
  });

  it("refuses at once with --wait-for-soak when more than the soak fails", async () => {
    await soaked(12);
    test.fleet.state.groups[0].instances[0].lifecycleState = "Terminating";

    const run = await phoenix("promote", "--from", "test", "--to", "live", "--wait-for-soak");

    assert.equal(run.code, 7);
    assert.deepEqual(clock.slept, []);
  });

  it("skips the gate with --force and says by whom", async () => {
    const run = await phoenix("promote", "--from", "test", "--to", "live", "--force");

    assert.equal(run.code, 0, run.err);
    assert.match(
      run.err,
      /^promote test → live: 1\.0\.274, gate skipped \(--force\) by arn:aws:iam::123456789012:user\/build-server\n/,
    );
  });

  it("prints the result with the gate and the source's evidence as JSON", async () => {
    await soaked(42);

    const run = await phoenix("promote", "--from", "test", "--to", "live", "--json");

    const doc = JSON.parse(run.out) as Record<string, unknown>;
    assert.equal(doc.environment, "live");
    assert.equal(doc.status, "published");
    assert.equal(doc.from, "test");
    assert.equal((doc.gate as { result: string }).result, "passed");
    assert.deepEqual((doc.evidence as { instances: unknown }).instances, {
      api: ["test-api-0"],
      web: ["test-web-0", "test-web-1"],
    });
  });

  it("follows live's rollout with --wait, as release --wait does", async () => {
    await soaked(42);
    const servers = await Promise.all(["a", "b", "c"].map(() => loopback.serve({ kind: "answer", body: "1.0.274" })));
    let n = 0;
    live.fleet.state = promotionFleet("live", ["web", "api"], () => servers[n++].ip);
    for (const g of live.fleet.state.groups) g.port = loopback.port;

    const run = await phoenix("promote", "--from", "test", "--to", "live", "--wait");

    assert.equal(run.code, 0, run.err);
    assert.match(run.err, /\nlive: every tier runs 1\.0\.274 \(\d+m\d\ds\)\n$/);
  });

  it("shows where a promoted version came from in `phoenix releases`", async () => {
    await soaked(42);
    await phoenix("promote", "--from", "test", "--to", "live");

    const table = await listed();
    assert.match(table, /\* 1\.0\.274 {2}\S+ {2}from test \(gate passed, soaked 42m\) {2}\(current\)/);
    assert.match(table, /\n {2}1\.0\.266 {2}\S+ {2}released here\n/);
  });

  /** `phoenix releases --env live` over live's store. */
  async function listed(): Promise<string> {
    let out = "";
    const ctx: CliContext & { store(): Promise<MemoryObjectStore> } = {
      out: (text) => (out += text),
      err: () => {},
      fleet: () => Promise.reject(new Error("releases reads no fleet")),
      store: () => Promise.resolve(live.store),
    };
    assert.equal(await main(["node", "phoenix", "releases", "--env", "live"], ctx), 0);
    return out;
  }

  describe("bad input: one line, exit 2, nothing read or written", () => {
    for (const [what, args, message] of [
      ["the same environment on both sides", ["--from", "live", "--to", "live"], /--from and --to are both live/],
      [
        "a version that is not semver",
        ["--from", "test", "--to", "live", "--version", "v1.0"],
        /not a semantic version/,
      ],
      ["a soak out of range", ["--from", "test", "--to", "live", "--soak", "99999"], /--soak must be a whole number/],
      ["a name no stack can have", ["--from", "Test_1", "--to", "live"], /--from 'Test_1' must start with a lowercase/],
      [
        "--force with --wait-for-soak",
        ["--from", "test", "--to", "live", "--force", "--wait-for-soak"],
        /no soak to wait/,
      ],
    ] as const) {
      it(`refuses ${what}`, async () => {
        const run = await phoenix("promote", ...args);

        assert.equal(run.code, 2);
        assert.match(run.err, message);
        assert.equal(asked, 0, "no environment was opened");
      });
    }

    it("refuses a version test never ran, having written nothing to live", async () => {
      const before = await storeContents(live.store);

      const run = await phoenix("promote", "--from", "test", "--to", "live", "--version", "1.0.273");

      assert.equal(run.code, 2);
      assert.equal(run.err.trim().split("\n").length, 1);
      assert.match(run.err, /^phoenix: test never ran 1\.0\.273/);
      assert.deepEqual(await storeContents(live.store), before);
    });

    it("refuses to take live back from a newer version without --allow-downgrade", async () => {
      await soaked(42);
      await releaseInto(live.store, dir, "1.0.280", "2026-01-01T09:50:00.000Z");

      const run = await phoenix("promote", "--from", "test", "--to", "live");

      assert.equal(run.code, 2);
      assert.match(run.err, /^phoenix: version 1\.0\.274 is older than the current release 1\.0\.280/);
    });
  });

  it("documents the gate, the bytes, the profiles and its exit codes in --help", async () => {
    const run = await phoenix("promote", "--help");

    assert.equal(run.code, 0);
    for (const text of [
      "--from <env>",
      "--to <env>",
      "--version <semver>",
      "--soak <minutes>",
      "--wait-for-soak",
      "--force",
      "--allow-downgrade",
      "--from-profile <profile>",
      "--to-profile <profile>",
      "--wait",
      "converged  every tier of --from",
      "SHA-256 verified against --from's release",
      "  7  refused: the gate did not pass",
      "  2  usage:",
      "  1  failed:",
    ]) {
      assert.ok(run.out.includes(text), `--help does not mention ${text}`);
    }
    assert.equal(run.out.match(/Exit codes:/g)?.length, 1);
  });

  describe("over AWS (SSM and S3 mocked)", () => {
    // Mocked for every client of the two classes, so only from before to after: other specs build real clients.
    let ssm: AwsClientStub<SSMClient>;
    let s3: AwsClientStub<S3Client>;
    const saved = {
      region: process.env.AWS_REGION,
      config: process.env.AWS_CONFIG_FILE,
      profile: process.env.AWS_PROFILE,
    };
    let profiles: string;
    before(() => {
      ssm = mockClient(SSMClient);
      s3 = mockClient(S3Client);
      // A region for the default chain, and two profiles (a side's account each) the shared config file defines.
      profiles = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-profiles-"));
      const config = path.join(profiles, "config");
      fs.writeFileSync(
        config,
        "[profile test-account]\nregion = eu-west-1\n[profile live-account]\nregion = eu-central-1\n",
      );
      process.env.AWS_REGION = "eu-west-1";
      process.env.AWS_CONFIG_FILE = config;
      delete process.env.AWS_PROFILE;
    });
    beforeEach(() => {
      ssm.reset();
      s3.reset();
    });
    after(() => {
      ssm.restore();
      s3.restore();
      fs.rmSync(profiles, { recursive: true, force: true });
      for (const [key, value] of [
        ["AWS_REGION", saved.region],
        ["AWS_CONFIG_FILE", saved.config],
        ["AWS_PROFILE", saved.profile],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    it("refuses a --from-profile no shared file defines, before any AWS call (exit 2)", async () => {
      const run = await aws("promote", "--from", "test", "--to", "live", "--from-profile", "tset-account");

      assert.equal(run.code, 2);
      assert.match(
        run.err,
        /^phoenix: --from-profile tset-account is not a profile in .* \(they define live-account, test-account\)/,
      );
      assert.equal(ssm.calls().length + s3.calls().length, 0);
    });

    async function aws(...args: string[]) {
      let err = "";
      const ctx: CliContext = { out: () => {}, err: (t) => (err += t), fleet: () => Promise.reject(new Error("none")) };
      return { code: await main(["node", "phoenix", ...args], ctx), err };
    }

    it("copies server-side only when both sides run with the same credentials, each side on its own profile", async () => {
      ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => ({
        Parameter: { Value: input.Name.includes("/test/") ? "b-test" : "b-live" },
      }));

      const shared = await awsPromotion({ from: "test", to: "live" });
      const split = await awsPromotion({
        from: "test",
        to: "live",
        fromProfile: "test-account",
        toProfile: "live-account",
      });

      assert.ok(shared.serverSideCopy instanceof S3ServerSideCopy);
      assert.deepEqual([shared.serverSideCopy.sourceBucket, shared.serverSideCopy.targetBucket], ["b-test", "b-live"]);
      assert.equal(split.serverSideCopy, undefined);
      assert.deepEqual(
        ssm.calls().map((c) => (c.thisValue as SSMClient).config.profile),
        [undefined, undefined, "test-account", "live-account"],
      );
    });

    it("says an environment that does not exist where its credentials point is bad input (exit 2)", async () => {
      ssm
        .on(GetParameterCommand, { Name: "/phoenix/live/release-bucket" })
        .resolves({ Parameter: { Value: "b-live" } });
      ssm
        .on(GetParameterCommand, { Name: "/phoenix/staging/release-bucket" })
        .rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));

      const run = await aws("promote", "--from", "staging", "--to", "live");

      assert.equal(run.code, 2);
      assert.match(
        run.err,
        /^phoenix: --from staging: SSM parameter \/phoenix\/staging\/release-bucket does not exist/,
      );
      assert.equal(s3.calls().length, 0);
    });

    it("fails as AWS does (exit 1) when test's store cannot be read, and sends live nothing", async () => {
      ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => ({
        Parameter: { Value: input.Name.includes("/test/") ? "b-test" : "b-live" },
      }));
      s3.on(GetObjectCommand, { Bucket: "b-test" }).rejects(
        Object.assign(new Error("Access Denied"), { name: "AccessDenied" }),
      );

      const run = await aws("promote", "--from", "test", "--to", "live");

      assert.equal(run.code, 1);
      assert.match(run.err, /^phoenix: --from test: cannot read its release store: .*Access Denied/);
      assert.deepEqual(
        s3.calls().map((c) => (c.args[0].input as { Bucket: string }).Bucket),
        ["b-test"],
      );
    });
  });
});
