import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readSweepLog } from "../../../runtime/cli/explain-command";
import { UNRELEASED_VERSION } from "../../../runtime/contract";
import { FleetReadError } from "../../../runtime/core/errors";
import { FleetAdapter, FleetState, InstanceState } from "../../../runtime/core/types";
import { answering, groupOf, runCli } from "../../support/fleets";
import { Loopback } from "../../support/loopback";
import { MemoryFleet } from "../../support/memory-store";

const loopback = new Loopback("127.40");

const phoenix = runCli;

const OLD_IMAGE = "ami-0a0a0a0a";
const NEW_IMAGE = "ami-0b0b0b0b";

function instance(id: string, version: string, launchTime: string, imageId = NEW_IMAGE): Promise<InstanceState> {
  return answering(loopback, id, version, { launchTime, imageId });
}

/** The original's scenario in one group: two instances on 1.0.266, one already on 1.0.274, the manifest's version. */
async function midRollout(): Promise<FleetState> {
  return {
    environment: "test",
    readAt: "2026-11-26T04:00:00.000Z",
    desiredVersion: "1.0.274",
    releaseStore: "test-releases",
    groups: [
      groupOf(loopback, "web", [
        await instance("i-old1", "1.0.266", "2026-11-20T00:00:00.000Z"),
        await instance("i-old2", "1.0.266", "2026-11-21T00:00:00.000Z"),
        await instance("i-new1", "1.0.274", "2026-11-26T03:50:00.000Z"),
      ]),
    ],
  };
}

describe("the phoenix CLI", () => {
  after(() => loopback.close());

  describe("plan", () => {
    it("prints the plan as the last JSON object on stdout and the original's log line on stderr", async () => {
      const fleet = new MemoryFleet(await midRollout());

      const result = await phoenix(fleet, "plan", "--env", "test", "--json");

      assert.equal(result.code, 0);
      assert.deepEqual(result.json(), {
        environment: "test",
        groups: [
          {
            name: "test-web",
            tier: "web",
            desiredVersion: "1.0.274",
            versionSource: "manifest",
            desiredImageId: null,
            terminate: ["i-old1", "i-old2"],
            reason: result.json().groups[0].reason,
          },
        ],
        status: "ok",
        failures: [],
        unverified: [],
      });
      assert.match(
        result.err,
        /test-web => lowest version 1\.0\.266, highest version 1\.0\.274, 2 instances to terminate/,
      );
      assert.deepEqual(fleet.terminated, [], "a plan terminates nothing");
    });

    it("keeps the floor the flags ask for", async () => {
      const fleet = new MemoryFleet(await midRollout());

      const result = await phoenix(fleet, "plan", "--env", "test", "--json", "--min-healthy", "2");

      assert.deepEqual(result.json().groups[0].terminate, ["i-old1"]);
    });

    it("keeps the floor the infrastructure tagged on the group, unless a flag overrides it", async () => {
      const state = await midRollout();
      state.groups[0].tags = { "phoenix:policy": '{"minHealthy":2,"minHealthyPercent":0}' };

      const tagged = await phoenix(new MemoryFleet(state), "plan", "--env", "test", "--json");
      const flagged = await phoenix(new MemoryFleet(state), "plan", "--env", "test", "--json", "--min-healthy", "1");

      assert.deepEqual(tagged.json().groups[0].terminate, ["i-old1"]);
      assert.deepEqual(flagged.json().groups[0].terminate, ["i-old1", "i-old2"]);
    });

    it("refuses to sweep with a group's policy tag it cannot read, terminating nothing", async () => {
      const state = await midRollout();
      state.groups[0].tags = { "phoenix:policy": "minHealthy=2" };
      const fleet = new MemoryFleet(state);

      const result = await phoenix(fleet, "sweep", "--env", "test");

      assert.equal(result.code, 2);
      assert.match(result.err, /^phoenix: group test-web: tag phoenix:policy is "minHealthy=2", not a JSON policy/);
      assert.deepEqual(fleet.terminated, []);
    });

    it("leaves an unstable group alone, names the instance, and still exits 0", async () => {
      const state = await midRollout();
      state.groups[0].instances[2].privateIp = loopback.address(); // nothing listens there: connection refused

      const result = await phoenix(new MemoryFleet(state), "plan", "--env", "test", "--json");

      assert.equal(result.code, 0);
      assert.deepEqual(result.json().groups[0].terminate, []);
      assert.match(result.json().groups[0].reason, /i-new1/);
    });
  });

  describe("limit flags", () => {
    it("lifts a tagged maxPerSweep with --max-per-sweep 0, as 0 means unlimited in the stack config", async () => {
      const state = await midRollout();
      state.groups[0].tags = { "phoenix:policy": '{"minHealthy":1,"maxPerSweep":1}' };

      const tagged = await phoenix(new MemoryFleet(state), "plan", "--env", "test", "--json");
      const lifted = await phoenix(new MemoryFleet(state), "plan", "--env", "test", "--json", "--max-per-sweep", "0");

      assert.deepEqual(tagged.json().groups[0].terminate, ["i-old1"]);
      assert.equal(lifted.code, 0, lifted.err);
      assert.deepEqual(lifted.json().groups[0].terminate, ["i-old1", "i-old2"]);
    });

    it("turns a tagged age limit off with --max-instance-age-hours 0, as 0 means off in the stack config", async () => {
      const state: FleetState = {
        environment: "test",
        readAt: "2026-11-26T04:00:00.000Z",
        groups: [
          groupOf(loopback, "web", [
            await instance("i-aged1", "1.0.274", "2026-11-20T00:00:00.000Z"),
            await instance("i-aged2", "1.0.274", "2026-11-21T00:00:00.000Z"),
            await instance("i-young", "1.0.274", "2026-11-26T03:50:00.000Z"),
          ]),
        ],
      };
      state.groups[0].tags = { "phoenix:policy": '{"maxInstanceAgeHours":24,"strategy":"replace"}' };

      const tagged = await phoenix(new MemoryFleet(state), "plan", "--env", "test", "--json");
      const off = await phoenix(
        new MemoryFleet(state),
        "plan",
        "--env",
        "test",
        "--json",
        "--max-instance-age-hours",
        "0",
      );

      assert.deepEqual(tagged.json().groups[0].terminate, ["i-aged1", "i-aged2"]);
      assert.deepEqual(off.json().groups[0].terminate, []);
    });
  });

  describe("sweep", () => {
    it("terminates what the plan decided and says how many", async () => {
      const fleet = new MemoryFleet(await midRollout());

      const result = await phoenix(fleet, "sweep", "--env", "test");

      assert.equal(result.code, 0);
      assert.deepEqual(
        fleet.terminated.map((t) => t.instanceId),
        ["i-old1", "i-old2"],
      );
      assert.equal(result.out, "terminated 2 instances\n");
    });

    it("records the sweep so that explain replays the same decisions offline", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-cli-"));
      const record = path.join(dir, "sweep.jsonl");
      const swept = await phoenix(
        new MemoryFleet(await midRollout()),
        "sweep",
        "--env",
        "test",
        "--json",
        "--record",
        record,
      );
      const offline: FleetAdapter = {
        readFleet: () => Promise.reject(new Error("explain must not read the fleet")),
        terminate: () => Promise.reject(new Error("explain must not terminate")),
      };

      const explained = await phoenix(offline, "explain", record, "--json");

      assert.equal(explained.code, 0);
      assert.deepEqual(explained.json().plans[0].groups, swept.json().groups);
      assert.match(explained.err, /replayed plan matches the logged plan/);
      assert.equal(readSweepLog(fs.readFileSync(record, "utf8")).records.length, 3, "snapshot, plan, terminated");
    });
  });

  describe("status", () => {
    it("shows each instance's version, image drift and age in a table per tier", async () => {
      const state = await midRollout();
      state.desiredImageId = NEW_IMAGE;
      state.groups[0].instances[0].imageId = OLD_IMAGE;

      const result = await phoenix(new MemoryFleet(state), "status", "--env", "test", "--max-instance-age-hours", "24");

      assert.equal(result.code, 0);
      const row = (id: string) => result.out.split("\n").find((l) => l.startsWith(id)) ?? "";
      assert.match(row("i-old1"), /1\.0\.266\s+ami-0a0a0a0a \(drift\)\s+6d 4h \(past limit\)/);
      assert.match(row("i-new1"), /1\.0\.274\s+ami-0b0b0b0b \(current\)\s+10m$/);
      assert.match(result.out, /version 1\.0\.274 \(manifest\), image ami-0b0b0b0b\n/);
    });

    it("marks no drift against an image it could not verify, and says why the tier is left alone", async () => {
      const state = await midRollout();
      state.desiredImageId = "garbage";

      const result = await phoenix(new MemoryFleet(state), "status", "--env", "test");

      assert.equal(result.code, 0, "status shows; plan and sweep are the ones that exit 5");
      assert.match(result.out, /image garbage \(not verified\)/);
      assert.doesNotMatch(result.out, /\(drift\)/);
      assert.match(result.out, /left alone, desired state not verified: \/phoenix\/test\/base-image holds "garbage"/);
    });

    it("says first that nothing is released yet, and the command that releases, when no manifest exists", async () => {
      const state: FleetState = {
        environment: "test",
        readAt: "2026-11-26T04:00:00.000Z",
        groups: [
          groupOf(loopback, "web", [
            await instance("i-p1", UNRELEASED_VERSION, "2026-11-26T03:00:00.000Z"),
            await instance("i-p2", UNRELEASED_VERSION, "2026-11-26T03:00:00.000Z"),
          ]),
        ],
      };

      const result = await phoenix(new MemoryFleet(state), "status", "--env", "test");

      assert.equal(result.code, 0);
      assert.equal(
        result.out.split("\n")[0],
        "no release yet: publish one with npx phoenix release --env test --version <semver> --artifact web=<zip> --wait",
      );
      assert.match(result.out, /no release yet: 2 instances serving the placeholder \(0\.0\.0-unreleased\)/);
    });

    it("says nothing about a first release once a manifest names a version", async () => {
      const state = await midRollout();
      state.desiredVersion = "1.0.274";

      const result = await phoenix(new MemoryFleet(state), "status", "--env", "test");

      assert.doesNotMatch(result.out, /no release yet/);
    });
  });

  describe("errors", () => {
    const unused: FleetAdapter = {
      readFleet: () => Promise.reject(new Error("not reached")),
      terminate: () => Promise.reject(new Error("not reached")),
    };

    it("refuses a missing --env with one line and exit 2", async () => {
      const result = await phoenix(unused, "plan");

      assert.equal(result.code, 2);
      assert.equal(result.err, "error: required option '--env <env>' not specified\n");
    });

    it("refuses an unknown flag with one line and exit 2", async () => {
      const result = await phoenix(unused, "status", "--env", "test", "--colour");

      assert.equal(result.code, 2);
      assert.match(result.err, /^error: unknown option '--colour'/);
    });

    it("says what a bad policy flag was and what is allowed", async () => {
      const result = await phoenix(unused, "sweep", "--env", "test", "--min-healthy-percent", "150");

      assert.equal(result.code, 2);
      assert.equal(result.err, "phoenix: --min-healthy-percent must be a whole number from 0 to 100 (got '150')\n");
    });

    it("refuses more probes in flight than the Lambda's sockets allow, naming what 0 means", async () => {
      const result = await phoenix(unused, "plan", "--env", "test", "--probe-concurrency", "769");

      assert.equal(result.code, 2);
      assert.equal(
        result.err,
        "phoenix: --probe-concurrency must be a whole number from 0 to 768, 0 for one per instance, at most 768 " +
          "(got '769')\n",
      );
    });

    it("bounds the probe timeout as the stack config does", async () => {
      const result = await phoenix(unused, "status", "--env", "test", "--probe-timeout-ms", "50");

      assert.equal(result.code, 2);
      assert.equal(result.err, "phoenix: --probe-timeout-ms must be a whole number from 100 to 60000 (got '50')\n");
    });

    it("says so when the environment has no groups", async () => {
      const empty = new MemoryFleet({ environment: "tset", readAt: "2026-11-26T04:00:00.000Z", groups: [] });

      const result = await phoenix(empty, "plan", "--env", "tset");

      assert.equal(result.code, 2);
      assert.match(result.err, /^phoenix: no Auto Scaling groups are tagged phoenix:environment=tset/);
      assert.equal(result.err.split("\n").length, 2, "one line");
    });

    it("turns a failed AWS read into one line and exit 1, not a stack trace", async () => {
      const failing: FleetAdapter = {
        readFleet: () => Promise.reject(new FleetReadError("no AWS credentials found: set AWS_PROFILE")),
        terminate: () => Promise.reject(new Error("not reached")),
      };

      const result = await phoenix(failing, "sweep", "--env", "test");

      assert.equal(result.code, 1);
      assert.equal(result.err, "phoenix: no AWS credentials found: set AWS_PROFILE; nothing was terminated\n");
    });

    it("prints its version", async () => {
      const version = JSON.parse(
        fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8"),
      ).version;

      const result = await phoenix(unused, "--version");

      assert.equal(result.code, 0);
      assert.equal(result.out, `${version}\n`);
    });

    it("lists --env first in each command's help, marked required, and names it in the usage line", async () => {
      for (const command of ["status", "plan", "sweep", "release", "rollback", "releases"]) {
        const result = await phoenix(unused, command, "--help");
        const options = result.out.split("Options:\n")[1].split("\n");

        assert.match(result.out, new RegExp(`^Usage: phoenix ${command} --env <env> `), command);
        assert.match(options[0], /^ {2}--env <env> +environment \(stack\) name, e\.g\. live \(required\)$/, command);
      }
    });

    it("prints help for every command and exits 0", async () => {
      for (const command of ["status", "plan", "sweep", "explain", "release", "rollback", "releases", "rehearse"]) {
        const result = await phoenix(unused, command, "--help");

        assert.equal(result.code, 0, command);
        assert.match(result.out, new RegExp(`Usage: phoenix ${command}`));
      }
    });
  });
});
