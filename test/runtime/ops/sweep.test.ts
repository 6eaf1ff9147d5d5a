// What a sweep's result says to whoever ran it (sweepStatus), the whole-sweep deadline, and executePlan refusing to
// act in a group left unverified whatever its plan says.
import * as assert from "node:assert/strict";
import { FleetReadError } from "../../../runtime/core/errors";
import { GroupPlan, Plan } from "../../../runtime/core/types";
import { beforeDeadline, executePlan, sweepStatus } from "../../../runtime/ops/sweep";
import { MemoryFleet } from "../../support/memory-store";

function groupPlan(name: string, extra: Partial<GroupPlan> = {}): GroupPlan {
  return {
    name,
    tier: name.replace(/^[^-]*-/, ""),
    versionSource: "manifest",
    floor: 1,
    healthy: 2,
    stable: true,
    unstable: [],
    instances: [],
    terminate: [],
    reason: "",
    log: "",
    ...extra,
  };
}

function planOf(...groups: GroupPlan[]): Plan {
  return { environment: "live", readAt: "2026-11-26T04:00:00.000Z", groups };
}

describe("a sweep's status", () => {
  it("is ok when every decided write was done, an instance already gone included", () => {
    const status = sweepStatus({
      plan: planOf(groupPlan("live-web")),
      outcomes: [
        { group: "live-web", instanceId: "i-1", status: "terminated" },
        { group: "live-web", instanceId: "i-2", status: "already-gone" },
      ],
      actions: [{ group: "live-web", action: "set-tags", status: "done" }],
    });

    assert.deepEqual(status, { status: "ok", failures: [], unverified: [] });
  });

  it("is unverified, naming each group and why, when a group was left alone", () => {
    const status = sweepStatus({
      plan: planOf(
        groupPlan("live-api", { unverified: "the manifest names no artifact for tier api" }),
        groupPlan("live-web"),
      ),
      outcomes: [],
    });

    assert.deepEqual(status, {
      status: "unverified",
      failures: [],
      unverified: [{ group: "live-api", why: "the manifest names no artifact for tier api" }],
    });
  });

  it("is incomplete when a write failed or was skipped, which wins over unverified", () => {
    const status = sweepStatus({
      plan: planOf(groupPlan("live-api", { unverified: "bad" }), groupPlan("live-web")),
      outcomes: [
        { group: "live-web", instanceId: "i-1", status: "failed", error: "AccessDenied: no" },
        { group: "live-web", instanceId: "i-2", status: "skipped", error: "not attempted" },
      ],
      actions: [{ group: "live-web", action: "resume", status: "skipped", error: "a termination did not go through" }],
    });

    assert.equal(status.status, "incomplete");
    assert.deepEqual(status.failures, [
      "live-web: terminate i-1 failed (AccessDenied: no)",
      "live-web: terminate i-2 skipped (not attempted)",
      "live-web: resume skipped (a termination did not go through)",
    ]);
  });
});

describe("executing a plan", () => {
  it("acts in no group left unverified, whatever its plan says", async () => {
    const fleet = new MemoryFleet({ environment: "live", readAt: "", groups: [] }, { surge: true });

    const result = await executePlan(fleet, [
      groupPlan("live-web", { unverified: "bad image", terminate: ["i-1"], setDesired: 4, suspend: ["Launch"] }),
    ]);

    assert.deepEqual(result, { outcomes: [], actions: [] });
    assert.deepEqual([fleet.terminated, fleet.calls], [[], []]);
  });

  it("starts no write once the deadline has passed, and reports each as skipped", async () => {
    const fleet = new MemoryFleet({ environment: "live", readAt: "", groups: [] }, { surge: true });
    const deadline = { atMs: 100, now: () => 100, describe: "test" };

    const result = await executePlan(
      fleet,
      [groupPlan("live-api", { terminate: ["i-1"] }), groupPlan("live-web", { setDesired: 4, suspend: ["Launch"] })],
      { deadline },
    );

    assert.deepEqual([fleet.terminated, fleet.calls], [[], []]);
    assert.deepEqual(
      [...result.outcomes, ...result.actions].map((o) => o.status),
      ["skipped", "skipped", "skipped"],
    );
  });
});

describe("the whole-sweep deadline", () => {
  it("runs the work when there is time, and never starts it when there is none", async () => {
    let started = 0;
    const work = () => {
      started += 1;
      return Promise.resolve("read");
    };

    assert.equal(await beforeDeadline({ atMs: 10, now: () => 0, describe: "10 ms" }, "reading", work), "read");
    await assert.rejects(
      beforeDeadline({ atMs: 10, now: () => 10, describe: "10 ms" }, "reading", work),
      FleetReadError,
    );
    assert.equal(started, 1);
  });

  it("fails in one line when it passes while the work runs", async () => {
    const never = () => new Promise<never>(() => undefined);

    await assert.rejects(
      beforeDeadline(
        { atMs: Date.now() + 20, now: Date.now, describe: "20 ms after the start" },
        "reading the fleet",
        never,
      ),
      (err: Error) =>
        err instanceof FleetReadError &&
        err.message ===
          "the sweep's deadline (20 ms after the start) passed while reading the fleet; nothing was terminated and no " +
            "desired capacity was changed",
    );
  });
});
