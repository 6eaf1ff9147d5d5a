// The CLI's surge surface: `--strategy surge|replace` on plan and sweep, `"setDesired"` in the --json plan when a
// surge starts, finishes or aborts, and a sweep that carries a surge start out.
import * as assert from "node:assert/strict";
import { FleetState } from "../../../runtime/core/types";
import { answering, groupOf, runCli } from "../../support/fleets";
import { Loopback } from "../../support/loopback";
import { MemoryFleet } from "../../support/memory-store";
import { SURGE_TAGS } from "../../../runtime/contract";

const loopback = new Loopback("127.95");

const phoenix = runCli;

/** Two web instances on 1.0.1 and a manifest naming 1.0.2; the group is tagged `phoenix:strategy=<tag>`. */
async function staleFleet(tag = "replace"): Promise<FleetState> {
  return {
    environment: "test",
    readAt: "2026-11-26T04:00:00.000Z",
    desiredVersion: "1.0.2",
    groups: [
      groupOf(
        loopback,
        "web",
        [
          await answering(loopback, "i-old-1", "1.0.1", { launchTime: "2026-11-20T00:00:00.000Z" }),
          await answering(loopback, "i-old-2", "1.0.1", { launchTime: "2026-11-21T00:00:00.000Z" }),
        ],
        { tags: { "phoenix:environment": "test", "phoenix:tier": "web", "phoenix:strategy": tag } },
      ),
    ],
  };
}

describe("the phoenix CLI with surge", () => {
  after(() => loopback.close());

  it("plans a surge start with --strategy surge and prints setDesired in the JSON plan", async () => {
    const fleet = new MemoryFleet(await staleFleet(), { surge: true });

    const result = await phoenix(fleet, "plan", "--env", "test", "--strategy", "surge", "--json");

    assert.equal(result.code, 0);
    const web = result.json().groups[0];
    assert.equal(web.setDesired, 4);
    assert.equal(web.surge, "start");
    assert.deepEqual(web.terminate, []);
    assert.match(web.reason, /^surge start: raising desired capacity from 2 to 4/);
    assert.equal(fleet.state.groups[0].desiredCapacity, 2, "a plan changes nothing");
  });

  it("takes the strategy from the group's tag, and --strategy replace over it", async () => {
    const fleet = new MemoryFleet(await staleFleet("surge"), { surge: true });

    const byTag = (await phoenix(fleet, "plan", "--env", "test", "--json")).json().groups[0];
    const byFlag = (await phoenix(fleet, "plan", "--env", "test", "--strategy", "replace", "--json")).json().groups[0];

    assert.equal(byTag.setDesired, 4);
    assert.equal(byFlag.setDesired, undefined);
    assert.deepEqual(byFlag.terminate, ["i-old-1"]);
  });

  it("starts the surge on sweep: desired capacity raised, tags written, nothing terminated", async () => {
    const fleet = new MemoryFleet(await staleFleet(), { surge: true });

    const result = await phoenix(fleet, "sweep", "--env", "test", "--strategy", "surge");

    assert.equal(result.code, 0);
    assert.match(result.out, /set test-web desired capacity to 4 \(surge start\)/);
    assert.equal(fleet.state.groups[0].desiredCapacity, 4);
    assert.equal(fleet.state.groups[0].tags[SURGE_TAGS.baseline], "2");
    assert.deepEqual(fleet.terminated, []);
    assert.match(result.err, /test-web: set-desired done/);
  });

  it("rejects an unknown strategy with a usage error", async () => {
    const fleet = new MemoryFleet(await staleFleet());

    const result = await phoenix(fleet, "plan", "--env", "test", "--strategy", "blue-green");

    assert.equal(result.code, 2);
    assert.match(result.err, /--strategy must be surge or replace \(got 'blue-green'\)/);
  });
});
