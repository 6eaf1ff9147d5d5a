// The pure parts of `phoenix doctor`: how long a quiet rollout log may be for its schedule, and what the last logged
// sweep decided (or that the last invocation failed).
import * as assert from "node:assert/strict";
import { ago, lastSweep, sweepWindowMs } from "../../../runtime/core/doctor";

const MINUTE = 60_000;

describe("doctor's sweep log reading", () => {
  describe("sweepWindowMs", () => {
    it("allows three periods of a rate schedule, and at least a quarter of an hour", () => {
      assert.equal(sweepWindowMs("rate(5 minutes)"), 15 * MINUTE);
      assert.equal(sweepWindowMs("rate(1 minute)"), 15 * MINUTE);
      assert.equal(sweepWindowMs("rate(10 minutes)"), 30 * MINUTE);
      assert.equal(sweepWindowMs("rate(2 hours)"), 360 * MINUTE);
    });

    it("allows a day and an hour for a cron schedule or none known", () => {
      assert.equal(sweepWindowMs("cron(0 * * * ? *)"), 25 * 60 * MINUTE);
      assert.equal(sweepWindowMs(undefined), 25 * 60 * MINUTE);
    });
  });

  describe("lastSweep", () => {
    const plan = (at: number, reasons: [string, string][]) => ({
      timestamp: at,
      message: `2026-11-26T04:00:00.000Z\tabc\tINFO\t${JSON.stringify({
        type: "sweep.plan",
        plan: { environment: "live", readAt: "x", groups: reasons.map(([tier, reason]) => ({ tier, reason })) },
      })}`,
    });

    it("reads the newest plan: each tier with the first clause of its reason", () => {
      const events = [
        plan(1, [["web", "unstable: i-1 is Pending"]]),
        plan(2, [
          ["api", "converged: all 3 instances run version 1.0.274 (manifest)"],
          ["web", "1 stale: terminating i-2. Stale: 1 version. Target: version 1.0.274 (manifest)."],
        ]),
      ];

      assert.deepEqual(lastSweep(events), { outcome: "planned", at: 2, groups: ["api converged", "web 1 stale"] });
    });

    it("reports an invocation that failed after the last plan", () => {
      const events = [
        plan(1, [["web", "converged: all 1 instances run 1.0.274"]]),
        { timestamp: 2, message: "2026-11-26T04:05:00.000Z abc Task timed out after 120.00 seconds" },
      ];

      assert.deepEqual(lastSweep(events), {
        outcome: "failed",
        at: 2,
        line: "2026-11-26T04:05:00.000Z abc Task timed out after 120.00 seconds",
      });
    });

    it("skips a truncated plan line and finds none when nothing else was logged", () => {
      assert.deepEqual(lastSweep([{ timestamp: 1, message: '{"type":"sweep.plan","plan":{"groups":[' }]), {
        outcome: "none",
      });
    });
  });

  it("says how long ago in minutes, then hours and minutes", () => {
    assert.equal(ago(0, 4 * MINUTE), "4m ago");
    assert.equal(ago(0, 125 * MINUTE), "2h 5m ago");
  });
});
