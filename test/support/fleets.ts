// Building blocks for tests that run real probes against a fleet: instances that answer /version on loopback, a
// group to hold them, a clock tests drive by hand, and the `phoenix` CLI run against an injected fleet.
import { CliContext, main } from "../../runtime/cli";
import { Clock } from "../../runtime/ops/watch";
import { FleetAdapter, GroupState, InstanceState } from "../../runtime/core/types";
import { Loopback } from "./loopback";

/** An InService, healthy instance whose /version answers `version` from its own loopback address. */
export async function answering(
  loopback: Loopback,
  id: string,
  version: string,
  extra: Partial<InstanceState> = {},
): Promise<InstanceState> {
  const { ip } = await loopback.serve({ kind: "answer", body: version });
  return {
    id,
    lifecycleState: "InService",
    asgHealth: "Healthy",
    lbHealth: {},
    launchTime: "2026-11-26T03:00:00Z",
    privateIp: ip,
    ...extra,
  };
}

/** A group of `test` holding these instances, desired capacity = their count, serving on the loopback's port. */
export function groupOf(
  loopback: Loopback,
  tier: string,
  instances: InstanceState[],
  extra: Partial<GroupState> = {},
): GroupState {
  return {
    name: `test-${tier}`,
    tier,
    desiredCapacity: instances.length,
    minSize: 1,
    maxSize: 6,
    port: loopback.port,
    targetGroupArns: [],
    tags: { "phoenix:environment": "test", "phoenix:tier": tier },
    instances,
    ...extra,
  };
}

/** A clock that moves only when slept on; `slept` records every sleep. */
export function fakeClock(start = 0): Clock & { slept: number[] } {
  let t = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: (ms) => {
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
  };
}

/** Runs `phoenix <args>` against a fleet and captures what it prints; `json()` is the last line of stdout. */
export async function runCli(fleet: FleetAdapter, ...args: string[]) {
  let out = "";
  let err = "";
  const ctx: CliContext = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    fleet: () => Promise.resolve(fleet),
  };
  const code = await main(["node", "phoenix", ...args], ctx);
  return { code, out, err, json: () => JSON.parse(out.trim().split("\n").pop()!) };
}
