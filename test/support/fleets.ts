// Building blocks for tests that run real probes against a fleet: instances that answer /version on loopback, a
// group to hold them, a clock tests drive by hand, and the `phoenix` CLI run against an injected fleet.
import { CliContext, main } from "../../runtime/cli";
import { Prober } from "../../runtime/ops/sweep";
import { Clock } from "../../runtime/ops/watch";
import { FleetAdapter, GroupState, InstanceState, ObjectStore } from "../../runtime/core/types";
import { MemoryObjectStore } from "./memory-store";
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

/** Runs `phoenix <args>` against a fleet (and a release bucket of its own) and captures what it prints. */
export async function runCli(fleet: FleetAdapter, ...args: string[]) {
  return runCliWith({ fleet }, ...args);
}

/**
 * Runs `phoenix <args>` with what the test gives (a fleet; a release bucket, where the sweep lease lives, else an
 * empty one; a clock, an identity, a prober) and captures what it prints; `json()` is the last line of stdout.
 */
export async function runCliWith(
  given: { fleet: FleetAdapter } & Partial<Omit<CliContext, "fleet" | "out" | "err" | "store">> & {
      store?: ObjectStore;
    },
  ...args: string[]
) {
  let out = "";
  let err = "";
  const { fleet, store = new MemoryObjectStore(), ...rest } = given;
  const ctx: CliContext = {
    ...rest,
    out: (text) => (out += text),
    err: (text) => (err += text),
    fleet: () => Promise.resolve(fleet),
    store: () => Promise.resolve(store),
    onInterrupt: rest.onInterrupt ?? (() => () => undefined),
  };
  const code = await main(["node", "phoenix", ...args], ctx);
  return { code, out, err, json: () => JSON.parse(out.trim().split("\n").pop()!) };
}

/**
 * A prober that answers for the fleet without any network: each instance "answers" what `versionOf` says (its id's
 * version, or an error when undefined). Deterministic, so races between sweeps interleave only where a test says.
 */
export function answeringProber(versionOf: (instanceId: string) => string | undefined): Prober {
  return (state) =>
    Promise.resolve({
      ...state,
      groups: state.groups.map((g) => ({
        ...g,
        instances: g.instances.map((i) => {
          const version = versionOf(i.id);
          return {
            ...i,
            probe: version !== undefined ? { ok: true as const, version } : { ok: false as const, error: "booting" },
          };
        }),
      })),
    });
}
