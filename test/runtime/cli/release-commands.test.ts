import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { UsageError } from "../../../runtime/core/errors";
import { parseManifest } from "../../../runtime/core/manifest";
import { publishRelease } from "../../../runtime/ops/releases";
import {
  collectArtifact,
  parseDuration,
  ProgressDisplay,
  registerReleaseCommands,
  RolloutNotConvergedError,
} from "../../../runtime/cli/release-commands";
import { FleetState, InstanceState } from "../../../runtime/core/types";
import { answering, fakeClock, groupOf } from "../../support/fleets";
import { Loopback } from "../../support/loopback";
import { MemoryFleet, MemoryObjectStore, zipBytes } from "../../support/memory-store";
import { MANIFEST_KEY, ROLLBACK_RECORD_KIND, SURGE_TAGS } from "../../../runtime/contract";
import { EXIT, exitCodeOf } from "../../../runtime/cli/exit-codes";

const loopback = new Loopback("127.33");

function up(id: string, version: string, extra: Partial<InstanceState> = {}): Promise<InstanceState> {
  return answering(loopback, id, version, extra);
}

function fleetOf(web: InstanceState[], api: InstanceState[]): FleetState {
  const group = (tier: string, instances: InstanceState[]) =>
    groupOf(loopback, tier, instances, { desiredCapacity: 1, maxSize: 2 });
  return { environment: "test", readAt: "2026-11-26T03:00:00Z", groups: [group("web", web), group("api", api)] };
}

describe("the release commands", () => {
  let dir: string;
  let store: MemoryObjectStore;
  let fleet: MemoryFleet;
  let out: string;
  let err: string;
  let webOld: InstanceState;
  let apiOld: InstanceState;

  function zip(name: string, text = name): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, zipBytes(text));
    return file;
  }

  /** Runs `phoenix <args>` against the fakes; resolves, or rejects with what the CLI's main would print. */
  async function phoenix(...args: string[]): Promise<void> {
    const program = new Command("phoenix")
      .exitOverride()
      .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    registerReleaseCommands(program, {
      out: (s) => (out += s),
      err: (s) => (err += s),
      fleet: () => Promise.resolve(fleet),
      store: (env) => {
        assert.equal(env, "test");
        return Promise.resolve(store);
      },
      clock: fakeClock(),
      errIsTTY: false,
      probe: { timeoutMs: 1000 },
    });
    await program.parseAsync(["node", "phoenix", ...args]);
  }

  /** `release --env test --version <v>` with a zip for each tier: what most tests start from. */
  function release(version: string): string[] {
    return [
      "release",
      "--env",
      "test",
      "--version",
      version,
      "--artifact",
      `web=${zip("w.zip")}`,
      "--artifact",
      `api=${zip("a.zip")}`,
    ];
  }

  function current() {
    return parseManifest(store.text(MANIFEST_KEY)!);
  }

  before(async () => {
    [webOld, apiOld] = await Promise.all([up("i-web-old", "1.0.1"), up("i-api-old", "1.0.1")]);
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-release-cli-"));
    store = new MemoryObjectStore();
    fleet = new MemoryFleet(fleetOf([webOld], [apiOld]));
    out = "";
    err = "";
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  after(() => loopback.close());

  it("publishes a release for every tier the environment's groups are tagged with", async () => {
    await phoenix(...release("1.0.2"));

    assert.deepEqual(current().artifacts, { api: "releases/1.0.2/api.zip", web: "releases/1.0.2/web.zip" });
    assert.match(err, /test: releases\/current\.json now names 1\.0\.2; uploaded/);
  });

  it("prints the result as JSON with --json", async () => {
    await phoenix(...release("1.0.2"), "--json");

    const doc = JSON.parse(out);
    assert.equal(doc.status, "published");
    assert.equal(doc.version, "1.0.2");
    assert.equal(doc.previousVersion, null);
  });

  it("refuses a release that misses a tier, writing nothing", async () => {
    await assert.rejects(
      phoenix("release", "--env", "test", "--version", "1.0.2", "--artifact", `web=${zip("w.zip")}`),
      (e: Error) => e instanceof UsageError && /no artifact for api/.test(e.message),
    );
    assert.deepEqual(store.writes, []);
  });

  for (const [command, args] of [
    ["release", () => release("1.0.2")],
    ["rollback", () => ["rollback", "--env", "test"]],
  ] as const) {
    it(`refuses a ${command} for an environment with no groups, naming what to check, writing nothing`, async () => {
      fleet = new MemoryFleet({ environment: "test", readAt: "2026-11-26T03:00:00Z", groups: [] });

      await assert.rejects(
        phoenix(...args()),
        (e: Error) =>
          e instanceof UsageError &&
          /^no Auto Scaling groups are tagged phoenix:environment=test: check --env, AWS_REGION and AWS_PROFILE, or deploy the environment with `pulumi up --stack test`$/.test(
            e.message,
          ),
      );
      assert.deepEqual(store.writes, []);
    });
  }

  it("refuses an --artifact that is not tier=path", () => {
    assert.throws(() => collectArtifact("dist/web.zip"), /--artifact must be <tier>=<path to zip>/);
  });

  it("reads durations as minutes, or with a unit", () => {
    assert.equal(parseDuration("--timeout")("45"), 45 * 60_000);
    assert.equal(parseDuration("--timeout")("90s"), 90_000);
    assert.equal(parseDuration("--timeout")("2h"), 7_200_000);
    assert.throws(() => parseDuration("--timeout")("soon"), /--timeout must be a duration/);
  });

  it("waits until every tier runs the release, then succeeds", async () => {
    const [webNew, apiNew] = await Promise.all([up("i-web-new", "1.0.2"), up("i-api-new", "1.0.2")]);
    fleet.onRead = (_, reads) => {
      // Read 1 finds the tiers; then the rollout shows: old, replacing, replaced.
      if (reads === 3) fleet.state = fleetOf([webNew], [apiOld]);
      if (reads === 4) fleet.state = fleetOf([webNew], [apiNew]);
    };

    await phoenix(...release("1.0.2"), "--wait", "--poll", "10s");

    assert.match(err, /^web {2}test-web {2}1\/1 on 1\.0\.2, done/m);
    assert.match(err, /test: every tier runs 1\.0\.2 \(0m20s\)/);
  });

  it("fails with the stuck instances and why when the rollout stalls", async () => {
    const sick = await up("i-web-new", "1.0.2", {
      lifecycleState: "InService",
      lbHealth: { "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/web/1": "unhealthy" },
    });
    fleet.onRead = (_, reads) => {
      if (reads === 2) {
        fleet.state = fleetOf([sick], [apiOld]);
        fleet.state.groups[0].targetGroupArns = ["arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/web/1"];
      }
    };

    await assert.rejects(
      phoenix(...release("1.0.2"), "--wait", "--stall", "5m", "--poll", "1m"),
      (e: Error) => e instanceof RolloutNotConvergedError && /rollout of 1\.0\.2 stalled/.test(e.message),
    );
    assert.match(err, /web i-web-new is unhealthy in target group web/);
    assert.match(err, /api i-api-old runs 1\.0\.1, not 1\.0\.2/);
  });

  it("fails at once, saying the old version still serves, when the surge to the release was aborted", async () => {
    fleet.onRead = (_, reads) => {
      // The sweep aborted the surge: the new instances are gone and the group says which version failed.
      if (reads === 2) fleet.state.groups[0].tags = { "phoenix:surge-failed": "1.0.2" };
    };

    await assert.rejects(
      phoenix(...release("1.0.2"), "--wait"),
      (e: Error) =>
        e instanceof RolloutNotConvergedError &&
        /^test: the surge to 1\.0\.2 was aborted: .* previous version serves at full capacity/.test(e.message),
    );
  });

  it("exits 3 saying which alarm and checkpoint when the rollout rolled itself back automatically", async () => {
    fleet.onRead = (_, reads) => {
      // A rollout alarm fired past a checkpoint: the sweep wrote 1.0.1 back and recorded why.
      if (reads === 2) {
        fleet.state.desiredVersion = "1.0.1";
        fleet.state.rollback = {
          kind: ROLLBACK_RECORD_KIND,
          from: "1.0.2",
          to: "1.0.1",
          tier: "web",
          alarm: "phoenix-test-web-5xx",
          checkpoint: "2 of 3",
          at: "2026-11-26T03:10:00.000Z",
          reason: "rolled back automatically",
        };
      }
    };

    await assert.rejects(phoenix(...release("1.0.2"), "--wait"), (e: Error) => {
      assert.ok(e instanceof RolloutNotConvergedError);
      assert.equal(
        e.message,
        "test: rolled back automatically: phoenix-test-web-5xx in ALARM at checkpoint 2 of 3 (web)",
      );
      assert.equal(exitCodeOf(e), EXIT.incomplete);
      return true;
    });
    assert.match(err, /1\.0\.2 was rolled back automatically \(.*\); 1\.0\.1 is current again/);
  });

  it("exits 3 naming the alarm when a rollout alarm stopped the surge before any old instance went", async () => {
    fleet.onRead = (_, reads) => {
      if (reads === 2) {
        fleet.state.groups[0].tags = {
          [SURGE_TAGS.failed]: "1.0.2",
          [SURGE_TAGS.alarm]: "phoenix-test-web-5xx in ALARM at checkpoint 1 of 3",
        };
      }
    };

    await assert.rejects(
      phoenix(...release("1.0.2"), "--wait"),
      (e: Error) =>
        e instanceof RolloutNotConvergedError &&
        e.message ===
          "test: stopped: phoenix-test-web-5xx in ALARM at checkpoint 1 of 3 (web); its surge was aborted and the " +
            "previous version serves (see above)",
    );
  });

  it("fails when the rollout does not finish before --timeout", async () => {
    await assert.rejects(
      phoenix(...release("1.0.2"), "--wait", "--timeout", "30m", "--stall", "2h"),
      (e: Error) =>
        e instanceof RolloutNotConvergedError && /did not reach every instance within 30m00s/.test(e.message),
    );
  });

  it("rolls back to the version before current, and to the one named by --to", async () => {
    for (const version of ["1.0.1", "1.0.2", "1.0.3"]) {
      await publishRelease(store, {
        version,
        artifacts: { web: zip(`w${version}.zip`), api: zip(`a${version}.zip`) },
        tiers: ["api", "web"],
        now: () => new Date("2026-11-26T03:00:00Z"),
      });
    }

    await phoenix("rollback", "--env", "test");
    const afterDefault = current().version;
    await phoenix("rollback", "--env", "test", "--to", "1.0.1");

    assert.equal(afterDefault, "1.0.2");
    assert.equal(current().version, "1.0.1");
    assert.match(err, /now names 1\.0\.1 \(was 1\.0\.2\)/);
  });

  it("rolls back and waits for the fleet to run the older version", async () => {
    for (const version of ["1.0.1", "1.0.2"]) {
      await publishRelease(store, {
        version,
        artifacts: { web: zip(`w${version}.zip`), api: zip(`a${version}.zip`) },
        tiers: ["api", "web"],
        now: () => new Date("2026-11-26T03:00:00Z"),
      });
    }

    await phoenix("rollback", "--env", "test", "--wait");

    assert.match(err, /every tier runs 1\.0\.1/);
  });

  it("lists releases with the current one marked, and as JSON", async () => {
    for (const [version, at] of [
      ["1.0.1", "2026-11-20T00:00:00.000Z"],
      ["1.0.2", "2026-11-21T00:00:00.000Z"],
    ]) {
      await publishRelease(store, {
        version,
        artifacts: { web: zip(`w${version}.zip`), api: zip(`a${version}.zip`) },
        tiers: ["api", "web"],
        now: () => new Date(at),
      });
    }

    await phoenix("releases", "--env", "test");
    const table = out;
    out = "";
    await phoenix("releases", "--env", "test", "--json");

    assert.equal(
      table,
      "  VERSION  PUBLISHED                 ORIGIN\n" +
        "* 1.0.2    2026-11-21T00:00:00.000Z  released here  (current)\n" +
        "  1.0.1    2026-11-20T00:00:00.000Z  released here\n",
    );
    assert.deepEqual(JSON.parse(out).releases[0], {
      version: "1.0.2",
      publishedAt: "2026-11-21T00:00:00.000Z",
      current: true,
    });
  });

  it("documents every option in --help", async () => {
    await assert.rejects(phoenix("release", "--help"), (e: Error) => e instanceof CommanderError && e.exitCode === 0);

    for (const flag of [
      "--env",
      "--version",
      "--artifact",
      "--allow-downgrade",
      "--wait",
      "--timeout",
      "--stall",
      "--json",
    ]) {
      assert.ok(out.includes(flag), `release --help mentions ${flag}`);
    }
  });

  it("rejects a missing --env in one line", async () => {
    await assert.rejects(phoenix("releases"), CommanderError);
    assert.equal(err.trim().split("\n").length, 1);
    assert.match(err, /--env <env>/);
  });

  describe("the progress display", () => {
    const progress = (onVersion: number, elapsedMs: number) => ({
      version: "1.0.2",
      elapsedMs,
      tiers: [
        {
          tier: "web",
          group: "test-web",
          desired: 2,
          onVersion,
          inFlight: 1,
          stale: 2 - onVersion,
          converged: false,
          waiting: [],
        },
      ],
    });

    it("redraws the lines in place on a terminal", () => {
      const writes: string[] = [];
      const display = new ProgressDisplay((t) => writes.push(t), true);

      display.update(progress(0, 0));
      display.update(progress(1, 15_000));

      assert.equal(writes[0], "\r\x1b[2Kweb  test-web  0/2 on 1.0.2, 1 replacing, 2 stale (0m00s)\n");
      assert.equal(writes[1], "\x1b[1A\r\x1b[2Kweb  test-web  1/2 on 1.0.2, 1 replacing, 1 stale (0m15s)\n");
    });

    it("appends a tier's line to a log only when it changed", () => {
      const writes: string[] = [];
      const display = new ProgressDisplay((t) => writes.push(t), false);

      display.update(progress(0, 0));
      display.update(progress(0, 15_000));
      display.update(progress(1, 30_000));

      assert.deepEqual(writes, [
        "web  test-web  0/2 on 1.0.2, 1 replacing, 2 stale (0m00s)\n",
        "web  test-web  1/2 on 1.0.2, 1 replacing, 1 stale (0m30s)\n",
      ]);
    });
  });
});
