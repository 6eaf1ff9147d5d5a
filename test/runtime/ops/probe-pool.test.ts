// The probes' pool: a cap on sockets, a cap on probes being answered at once, and a probe still unanswered after the
// settle time no longer holding back the next one. Tasks here are timers, not probes: what is asserted is the order
// in which they may start.
import * as assert from "node:assert/strict";
import { runPool } from "../../../runtime/ops/probe-pool";

/** A task that resolves to `value` after `ms`, counting itself in `running` meanwhile. */
function timed<T>(value: T, ms: number, running: { now: number; peak: number }): () => Promise<T> {
  return () => {
    running.now++;
    running.peak = Math.max(running.peak, running.now);
    return new Promise((resolve) =>
      setTimeout(() => {
        running.now--;
        resolve(value);
      }, ms),
    );
  };
}

describe("the probe pool", () => {
  it("runs every task and keeps their order", async () => {
    const running = { now: 0, peak: 0 };
    const tasks = [30, 5, 20, 1].map((ms, i) => timed(i, ms, running));

    assert.deepEqual(await runPool(tasks, { sockets: 4, fresh: 4, settleMs: 1000 }), [0, 1, 2, 3]);
  });

  it("has at most `fresh` tasks running while none has run past the settle time", async () => {
    const running = { now: 0, peak: 0 };

    await runPool(
      Array.from({ length: 20 }, (_, i) => timed(i, 5, running)),
      { sockets: 100, fresh: 3, settleMs: 1000 },
    );

    assert.equal(running.peak, 3);
  });

  it("starts the next task while a slow one waits past the settle time, up to the socket cap", async () => {
    const slowDone = { count: 0 };
    const startedWhileSlowRan: number[] = [];
    const slow = () =>
      new Promise<string>((resolve) =>
        setTimeout(() => {
          slowDone.count++;
          resolve("slow");
        }, 300),
      );
    const quick = () => {
      startedWhileSlowRan.push(slowDone.count);
      return Promise.resolve("quick");
    };

    const results = await runPool([slow, slow, quick, quick, quick], { sockets: 10, fresh: 2, settleMs: 20 });

    assert.deepEqual(results, ["slow", "slow", "quick", "quick", "quick"]);
    assert.deepEqual(startedWhileSlowRan, [0, 0, 0], "every quick task started before a slow one ended");
  });

  it("never has more than `sockets` tasks in flight, settled or not", async () => {
    const running = { now: 0, peak: 0 };

    await runPool(
      Array.from({ length: 12 }, (_, i) => timed(i, 60, running)),
      { sockets: 4, fresh: 100, settleMs: 1 },
    );

    assert.equal(running.peak, 4);
  });

  it("rejects when a task rejects, and resolves an empty list at once", async () => {
    await assert.rejects(
      runPool([() => Promise.reject(new Error("boom"))], { sockets: 1, fresh: 1, settleMs: 10 }),
      /boom/,
    );
    assert.deepEqual(await runPool([], { sockets: 1, fresh: 1, settleMs: 10 }), []);
  });
});
