// Exit codes that tell the truth, and a desired state acted on only once verified: `plan` and `sweep` over fleets
// whose release, image or store cannot be trusted (each case of issue 15 that a fleet in memory can stage) leave the
// affected tiers alone and exit 5 with one line naming what is wrong and where; a write that fails or is skipped
// exits 3 with the failures on stderr and in --json; every command's --help lists the codes it returns.
import * as assert from "node:assert/strict";
import { exitCodeOf, EXIT, HeldError, IncompleteError, UnverifiedError } from "../../../runtime/cli/exit-codes";
import { RolloutNotConvergedError } from "../../../runtime/cli/release-commands";
import { FleetReadError, UsageError } from "../../../runtime/core/errors";
import { FleetState, InstanceState } from "../../../runtime/core/types";
import { answering, groupOf, runCli } from "../../support/fleets";
import { Loopback } from "../../support/loopback";
import { MemoryFleet } from "../../support/memory-store";

const loopback = new Loopback("127.152");
const phoenix = runCli;
const IMAGE = "ami-0a0a0a0a";

function up(id: string, version: string, launchTime = "2026-11-20T00:00:00.000Z"): Promise<InstanceState> {
  return answering(loopback, id, version, { launchTime, imageId: IMAGE });
}

/** web and api, two instances each on 1.0.266, and a manifest naming 1.0.274 (its artifacts in test-releases). */
async function released(strategy: "replace" | "surge" = "replace"): Promise<FleetState> {
  const tags = (tier: string) => ({
    "phoenix:environment": "test",
    "phoenix:tier": tier,
    "phoenix:strategy": strategy,
  });
  return {
    environment: "test",
    readAt: "2026-11-26T04:00:00.000Z",
    desiredVersion: "1.0.274",
    desiredArtifacts: { web: "releases/1.0.274/web.zip", api: "releases/1.0.274/api.zip" },
    releaseStore: "test-releases",
    desiredImageId: IMAGE,
    groups: [
      groupOf(loopback, "web", [await up("i-web-1", "1.0.266"), await up("i-web-2", "1.0.266")], { tags: tags("web") }),
      groupOf(loopback, "api", [await up("i-api-1", "1.0.266"), await up("i-api-2", "1.0.266")], { tags: tags("api") }),
    ],
  };
}

/** The fleet, surge-capable when the strategy asks for it. */
function fleetOf(state: FleetState): MemoryFleet {
  return new MemoryFleet(state, { surge: true });
}

/** What must hold whenever a sweep leaves the fleet alone: nothing terminated, no capacity, tag or process change. */
function assertUntouched(fleet: MemoryFleet, before: FleetState): void {
  assert.deepEqual(fleet.terminated, []);
  assert.deepEqual(fleet.calls, []);
  assert.deepEqual(
    fleet.state.groups.map((g) => g.desiredCapacity),
    before.groups.map((g) => g.desiredCapacity),
  );
}

/** The last line of stderr, which the CLI's main writes for a command that did not fully succeed. */
function lastLine(err: string): string {
  return err.trimEnd().split("\n").pop() ?? "";
}

describe("exit codes and unverified desired state", () => {
  after(() => loopback.close());

  describe("a manifest naming a version whose artifacts do not exist", () => {
    for (const strategy of ["replace", "surge"] as const) {
      it(`terminates nothing and raises no capacity under ${strategy}, and exits 5 naming the artifacts`, async () => {
        const state = await released(strategy);
        const fleet = fleetOf(state);
        fleet.missingArtifacts.add("releases/1.0.274/web.zip");
        fleet.missingArtifacts.add("releases/1.0.274/api.zip");

        const result = await phoenix(fleet, "sweep", "--env", "test");

        assert.equal(result.code, EXIT.unverified);
        assertUntouched(fleet, await released(strategy));
        assert.match(
          lastLine(result.err),
          /^phoenix: desired state not verified: test-api left alone: the manifest names version 1\.0\.274, whose api artifact releases\/1\.0\.274\/api\.zip does not exist in test-releases: re-run `phoenix release` for 1\.0\.274, or roll back; test-web left alone: .*web artifact releases\/1\.0\.274\/web\.zip does not exist/,
        );
      });
    }
  });

  it("replaces only the tiers the manifest names an artifact for, and exits 5 naming the other", async () => {
    const state = await released();
    state.desiredArtifacts = { web: "releases/1.0.274/web.zip" };
    const fleet = fleetOf(state);

    const result = await phoenix(fleet, "sweep", "--env", "test", "--json");

    assert.equal(result.code, EXIT.unverified);
    // One, as the floor of one healthy instance allows: the web tier is rolled out as usual.
    assert.deepEqual(
      fleet.terminated.map((t) => t.group),
      ["test-web"],
    );
    const json = result.json();
    assert.equal(json.status, "unverified");
    assert.deepEqual(
      json.unverified.map((u: { group: string }) => u.group),
      ["test-api"],
    );
    assert.deepEqual(json.groups.find((g: { name: string }) => g.name === "test-api").terminate, []);
    assert.match(
      lastLine(result.err),
      /test-api left alone: the manifest \(version 1\.0\.274\) names no artifact for tier api/,
    );
  });

  it("treats a base-image parameter holding garbage as unverified: nothing drifts, nothing goes, exit 5 naming it", async () => {
    const state = await released();
    state.desiredVersion = undefined;
    state.desiredArtifacts = undefined;
    state.desiredImageId = "garbage";
    const fleet = fleetOf(state);

    const result = await phoenix(fleet, "plan", "--env", "test", "--json");

    assert.equal(result.code, EXIT.unverified);
    assertUntouched(fleet, state);
    for (const g of result.json().groups) assert.deepEqual(g.terminate, []);
    assert.equal(
      lastLine(result.err),
      'phoenix: desired state not verified: test-api, test-web left alone: /phoenix/test/base-image holds "garbage", ' +
        "which is not an AMI id (ami- and 8 or 17 hex digits): write the id of an available image to it",
    );
  });

  it("treats a release store that is not the environment's as an error, not as 'no release yet'", async () => {
    const state = await released();
    state.desiredVersion = undefined;
    state.desiredArtifacts = undefined;
    state.groups[0].instances[1] = await up("i-web-2", "1.0.274");
    const fleet = fleetOf(state);
    fleet.storeProblem =
      'release bucket other-releases, named by /phoenix/test/release-bucket, is not environment "test"\'s';

    const result = await phoenix(fleet, "sweep", "--env", "test", "--desired-version", "highest-observed");

    assert.equal(result.code, EXIT.unverified);
    assert.deepEqual(fleet.terminated, []);
    assert.match(
      lastLine(result.err),
      /left alone: release bucket other-releases, named by \/phoenix\/test\/release-bucket/,
    );
  });

  describe("no manifest, and one instance answering 999999999.0.0", () => {
    async function liar(strategy: "replace" | "surge"): Promise<FleetState> {
      const state = await released(strategy);
      state.desiredVersion = undefined;
      state.desiredArtifacts = undefined;
      state.groups[0].instances[1] = await up("i-liar", "999999999.0.0");
      return state;
    }

    it("replaces nothing for its version under the default policy, and exits 5 saying nothing decides", async () => {
      const fleet = fleetOf(await liar("replace"));

      const result = await phoenix(fleet, "sweep", "--env", "test", "--json");

      assert.equal(result.code, EXIT.unverified);
      assert.deepEqual(fleet.terminated, []);
      const web = result.json().groups.find((g: { name: string }) => g.name === "test-web");
      assert.equal(web.versionSource, "none");
      assert.match(
        web.reason,
        /no release manifest names the version and the instances answer 1\.0\.266, 999999999\.0\.0/,
      );
      // api agrees on one version: nothing to decide there, so it is not left alone.
      assert.deepEqual(
        result.json().unverified.map((u: { group: string }) => u.group),
        ["test-web"],
      );
    });

    for (const strategy of ["replace", "surge"] as const) {
      it(`does not let it set the target under highest-observed (${strategy}): one instance cannot`, async () => {
        const state = await liar(strategy);
        const fleet = fleetOf(state);

        const result = await phoenix(fleet, "sweep", "--env", "test", "--desired-version", "highest-observed");

        assert.equal(result.code, EXIT.unverified);
        assertUntouched(fleet, await liar(strategy));
        assert.match(
          lastLine(result.err),
          /test-web left alone: one instance cannot set the target: only i-liar answers 999999999\.0\.0, the highest observed \(at least 2 must\)$/,
        );
      });
    }

    it("lets two instances on the highest version set the target under highest-observed, and exits 0", async () => {
      const state = await released();
      state.desiredVersion = undefined;
      state.desiredArtifacts = undefined;
      state.groups[0].instances.push(await up("i-web-3", "1.0.274"), await up("i-web-4", "1.0.274"));
      state.groups[0].desiredCapacity = 4;
      const fleet = fleetOf(state);

      const result = await phoenix(fleet, "sweep", "--env", "test", "--desired-version", "highest-observed", "--json");

      assert.equal(result.code, EXIT.ok);
      const web = result.json().groups.find((g: { name: string }) => g.name === "test-web");
      assert.deepEqual([web.desiredVersion, web.versionSource], ["1.0.274", "highest-observed"]);
      assert.deepEqual(fleet.terminated.map((t) => t.instanceId).sort(), ["i-web-1", "i-web-2"]);
    });
  });

  describe("writes that fail", () => {
    it("exits 3 when a termination fails, listing it on stderr and in --json", async () => {
      const fleet = fleetOf(await released());
      fleet.terminate = (requests) =>
        Promise.resolve(
          requests.map((r) =>
            r.instanceId === "i-web-1"
              ? { ...r, status: "failed" as const, error: "AccessDenied: not authorized" }
              : { ...r, status: "terminated" as const },
          ),
        );

      const result = await phoenix(fleet, "sweep", "--env", "test", "--json");

      assert.equal(result.code, EXIT.incomplete);
      const json = result.json();
      assert.equal(json.status, "incomplete");
      assert.deepEqual(json.failures, ["test-web: terminate i-web-1 failed (AccessDenied: not authorized)"]);
      assert.match(result.err, /^test-web: i-web-1 failed \(AccessDenied: not authorized\)$/m);
      assert.equal(
        lastLine(result.err),
        "phoenix: 1 of the sweep's writes failed or were skipped: test-web: terminate i-web-1 failed " +
          "(AccessDenied: not authorized)",
      );
    });

    it("exits 3 when a surge step fails, listing the step and the ones skipped after it", async () => {
      const fleet = fleetOf(await released("surge"));
      fleet.failOn = (call) =>
        call.startsWith("suspend test-web") ? new Error("Throttling: Rate exceeded") : undefined;

      const result = await phoenix(fleet, "sweep", "--env", "test", "--json");

      assert.equal(result.code, EXIT.incomplete);
      assert.deepEqual(result.json().failures, [
        "test-web: suspend failed (Error: Throttling: Rate exceeded)",
        "test-web: set-desired skipped (an earlier step failed)",
      ]);
      assert.equal(fleet.state.groups.find((g) => g.name === "test-web")!.desiredCapacity, 2);
    });

    it("exits 0 when every decided write was done", async () => {
      const fleet = fleetOf(await released());

      const result = await phoenix(fleet, "sweep", "--env", "test", "--json");

      assert.equal(result.code, EXIT.ok);
      assert.deepEqual([result.json().status, result.json().failures], ["ok", []]);
      assert.deepEqual(fleet.terminated.map((t) => t.instanceId).sort(), ["i-api-1", "i-web-1"]);
    });
  });

  it("maps each way a command can end to its code", () => {
    assert.deepEqual(
      [
        new FleetReadError("DescribeAutoScalingGroups timed out"),
        new UsageError("--env is required"),
        new IncompleteError("1 write failed"),
        new UnverifiedError("test-web left alone"),
        new RolloutNotConvergedError("did not converge", { status: "timeout" } as never),
        new HeldError("another sweep holds the lease"),
        new Error("anything else"),
      ].map(exitCodeOf),
      [EXIT.failed, EXIT.usage, EXIT.incomplete, EXIT.unverified, EXIT.incomplete, EXIT.held, EXIT.failed],
    );
  });

  it("documents in --help the exit codes each command can return", async () => {
    const unused = {
      readFleet: () => Promise.reject(new Error("not reached")),
      terminate: () => Promise.reject(new Error("not reached")),
    };
    const expected: Record<string, number[]> = {
      status: [0, 1, 2],
      plan: [0, 1, 2, 5],
      sweep: [0, 1, 2, 3, 4, 5],
      release: [0, 1, 2, 3],
      rollback: [0, 1, 2, 3],
      releases: [0, 1, 2],
      doctor: [0, 1, 2, 6],
    };
    for (const [command, codes] of Object.entries(expected)) {
      const help = (await phoenix(unused, command, "--help")).out;
      const listed = [...help.slice(help.indexOf("Exit codes:")).matchAll(/^ {2}(\d) {2}\w+: /gm)].map((m) =>
        Number(m[1]),
      );

      assert.deepEqual(listed, codes, command);
    }
  });
});
