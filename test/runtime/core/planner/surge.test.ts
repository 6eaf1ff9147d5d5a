// Example tests of the surge strategy: one per phase (start, waiting, finish, abort, fall back, refuse) and the tags
// that carry a surge from sweep to sweep. How a sweep carries a surge's plan out is in test/runtime/ops/sweep.surge.test.ts.
import * as assert from "node:assert/strict";
import { plan } from "../../../../runtime/core/planner";
import { DEFAULT_POLICY } from "../../../../runtime/core/types";
import { aGroup, anInstance, aSnapshot, READ_AT } from "../../../support/arbitraries";
import { minutesBefore, newOnes, oldOnes, only, SURGE, surgeTags, surging } from "../../../support/plans";
import { SURGE_PROCESSES, SURGE_TAGS } from "../../../../runtime/contract";

describe("planner with the surge strategy", () => {
  describe("start", () => {
    it("raises desired capacity by the number of stale instances, records the surge in tags and suspends scaling", () => {
      const snapshot = aSnapshot([aGroup("live-web", oldOnes())], { version: "1.0.2" });

      const g = only(plan(snapshot, SURGE));

      assert.deepEqual(g.terminate, []);
      assert.equal(g.setDesired, 6);
      assert.deepEqual(g.surge, { phase: "start", baseline: 3, targetVersion: "1.0.2" });
      assert.deepEqual(g.tags, {
        set: { [SURGE_TAGS.baseline]: "3", [SURGE_TAGS.version]: "1.0.2", [SURGE_TAGS.startedAt]: READ_AT },
      });
      assert.deepEqual(g.suspend, ["AlarmNotification", "ScheduledActions"]);
      assert.equal(g.decrement, undefined);
      assert.match(g.reason, /^surge start: raising desired capacity from 3 to 6 to launch 3 replacements for 3 stale/);
    });

    it("says in the group's log line that the surge starts and how desired capacity changes", () => {
      const snapshot = aSnapshot([aGroup("live-web", oldOnes())], { version: "1.0.2" });

      const g = only(plan(snapshot, SURGE));

      assert.equal(
        g.log,
        "live-web => lowest version 1.0.1, highest version 1.0.1, 0 instances to terminate, surge start: desired 3 → 6",
      );
    });

    it("caps the surge at the group's max size and says the rest comes in a later surge", () => {
      const snapshot = aSnapshot([aGroup("live-web", oldOnes(), { maxSize: 4 })], { version: "1.0.2" });

      const g = only(plan(snapshot, SURGE));

      assert.equal(g.setDesired, 4);
      assert.match(g.reason, /capped by max size 4; the rest in a later surge/);
    });

    it("caps the surge at maxSurgePercent of the baseline, rounded up", () => {
      const snapshot = aSnapshot([aGroup("live-web", oldOnes())], { version: "1.0.2" });

      const g = only(plan(snapshot, { ...SURGE, maxSurgePercent: 34 }));

      assert.equal(g.setDesired, 5);
      assert.match(g.reason, /capped by maxSurgePercent 34%/);
    });

    it("falls back to replacing in place when the group is at its max size, and says so", () => {
      const snapshot = aSnapshot([aGroup("live-web", oldOnes(), { maxSize: 3 })], { version: "1.0.2" });

      const g = only(plan(snapshot, { ...SURGE, maxPerSweep: 1 }));

      assert.deepEqual(g.terminate, ["i-old-1"]);
      assert.equal(g.setDesired, undefined);
      assert.equal(g.decrement, undefined);
      assert.equal(g.surge?.phase, "fallback-replace");
      assert.match(g.reason, /^surge: no room \(desired capacity 3 is the group's max size 3\); replacing in place/);
    });

    it("leaves alone a group whose scaling processes someone else suspended", () => {
      const group = aGroup("live-web", oldOnes(), { suspendedProcesses: ["Launch"] });

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "blocked");
      assert.deepEqual([g.terminate, g.setDesired, g.tags, g.suspend], [[], undefined, undefined, undefined]);
      assert.match(g.reason, /^left alone: scaling processes Launch are suspended/);
    });

    it("does not surge again to a target whose surge was aborted", () => {
      const tags = { "phoenix:environment": "live", "phoenix:tier": "web", [SURGE_TAGS.failed]: "1.0.2" };
      const group = aGroup("live-web", oldOnes(), { tags });

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "blocked");
      assert.deepEqual(g.terminate, []);
      assert.equal(g.setDesired, undefined);
      assert.match(g.reason, /a surge to 1\.0\.2 was aborted before .*publish a fixed version or roll back/);
    });

    it("surges to a new version after a failed one, clearing the failed tag", () => {
      const tags = { "phoenix:environment": "live", "phoenix:tier": "web", [SURGE_TAGS.failed]: "1.0.2" };
      const group = aGroup("live-web", oldOnes(), { tags });

      const g = only(plan(aSnapshot([group], { version: "1.0.3" }), SURGE));

      assert.equal(g.setDesired, 6);
      assert.deepEqual(g.tags?.remove, [SURGE_TAGS.failed]);
    });

    it("names the image in the target when a base image is desired", () => {
      const snapshot = aSnapshot([aGroup("live-web", oldOnes())], { version: "1.0.2", imageId: "ami-0new" });

      assert.equal(only(plan(snapshot, SURGE)).tags?.set?.[SURGE_TAGS.version], "1.0.2 ami-0new");
    });

    it("does nothing to an unstable group, as the original rules", () => {
      const instances = oldOnes();
      instances[0] = { ...instances[0], asgHealth: "Unhealthy" };

      const g = only(plan(aSnapshot([aGroup("live-web", instances)], { version: "1.0.2" }), SURGE));

      assert.deepEqual([g.terminate, g.setDesired, g.surge], [[], undefined, undefined]);
      assert.match(g.reason, /^unstable: i-old-1 is Unhealthy/);
    });

    it("adds no surge decision to a converged group", () => {
      const g = only(plan(aSnapshot([aGroup("live-web", oldOnes())], { version: "1.0.1" }), SURGE));

      assert.equal(g.surge, undefined);
      assert.match(g.reason, /^converged/);
    });
  });

  describe("waiting", () => {
    it("waits while the new instances boot and says how many of how many are up", () => {
      const booting = newOnes(10, { lifecycleState: "Pending" });
      booting[0] = anInstance("i-new-1", "1.0.2", { launchTime: minutesBefore(9) });
      const group = surging([...oldOnes(), ...booting], 10, { activityInProgress: true });

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "waiting");
      assert.deepEqual([g.terminate, g.setDesired, g.tags, g.resume], [[], undefined, undefined, undefined]);
      assert.match(g.reason, /^surge waiting: 1 of 3 new instances healthy on 1\.0\.2, started 10 min ago/);
    });

    it("never starts a second surge when the release event or a sweep is replayed mid-surge", () => {
      const group = surging(oldOnes(), 0, { activityInProgress: true });

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "waiting");
      assert.equal(g.setDesired, undefined);
    });

    it("keeps waiting past the stall limit when the new instances are healthy and an old one is not", () => {
      const old = oldOnes();
      old[0] = { ...old[0], asgHealth: "Unhealthy" };
      const group = surging([...old, ...newOnes(30)], 30);

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "waiting");
      assert.deepEqual(g.terminate, []);
    });
  });

  describe("finish", () => {
    it("terminates the stale instances oldest first with decrement, restores the baseline, clears tags, resumes", () => {
      const group = surging([...oldOnes(), ...newOnes(8)], 8);

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "finish");
      assert.deepEqual(g.terminate, ["i-old-1", "i-old-2", "i-old-3"]);
      assert.equal(g.decrement, true);
      assert.equal(g.setDesired, 3);
      assert.deepEqual(g.tags, {
        set: { [SURGE_TAGS.ended]: `3 ${minutesBefore(8)}` },
        remove: [SURGE_TAGS.baseline, SURGE_TAGS.version, SURGE_TAGS.startedAt],
      });
      assert.deepEqual(g.resume, ["AlarmNotification", "ScheduledActions"]);
      assert.match(g.reason, /^surge finish: 3 of 6 run 1\.0\.2 and every instance is healthy: terminating i-old-1/);
    });

    it("counts the floor against the baseline, so 100% minimum healthy still lets a surge finish", () => {
      const group = surging([...oldOnes(), ...newOnes(8)], 8);

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), { ...SURGE, minHealthyPercent: 100 }));

      assert.equal(g.floor, 3);
      assert.equal(g.terminate.length, 3);
    });

    it("keeps the tags until the last stale instance goes when the per-sweep cap splits the finish", () => {
      const group = surging([...oldOnes(), ...newOnes(8)], 8);

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), { ...SURGE, maxPerSweep: 1 }));

      assert.deepEqual(g.terminate, ["i-old-1"]);
      assert.equal(g.decrement, true);
      assert.deepEqual([g.setDesired, g.tags, g.resume], [undefined, undefined, undefined]);
      assert.match(g.reason, /2 more in a later sweep \(at most 1 per sweep\)/);
    });

    it("clears the tags and resumes scaling once the group is back at its baseline (after a crash, too)", () => {
      const group = surging(newOnes(20), 20, { desiredCapacity: 3 });

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "finish");
      assert.deepEqual(g.terminate, []);
      assert.equal(g.setDesired, undefined);
      assert.deepEqual(g.tags?.remove, [SURGE_TAGS.baseline, SURGE_TAGS.version, SURGE_TAGS.startedAt]);
      assert.deepEqual(g.resume, SURGE_PROCESSES);
    });

    it("trims back to the baseline, oldest version first, when a newer release supersedes the surge", () => {
      const group = surging([...oldOnes(), ...newOnes(8)], 8);

      const g = only(plan(aSnapshot([group], { version: "1.0.3" }), SURGE));

      assert.equal(g.surge?.phase, "finish");
      assert.deepEqual(g.terminate, ["i-old-1", "i-old-2", "i-old-3"]);
      assert.equal(g.setDesired, 3);
      assert.match(g.reason, /^surge finish: the surge to 1\.0\.2 is superseded by 1\.0\.3/);
    });

    it("finishes a surge even under the replace strategy, so a strategy change never strands the extra capacity", () => {
      const group = surging([...oldOnes(), ...newOnes(8)], 8);

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), { ...DEFAULT_POLICY, strategy: "replace" }));

      assert.equal(g.surge?.phase, "finish");
      assert.equal(g.setDesired, 3);
    });
  });

  describe("abort", () => {
    it("terminates the new instances with decrement after the stall limit, restores the baseline, marks the target failed", () => {
      const failing = newOnes(25, { lbHealth: { [Object.keys(oldOnes()[0].lbHealth)[0]]: "unhealthy" } });
      const group = surging([...oldOnes(), ...failing], 25);

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "abort");
      assert.deepEqual(g.terminate, ["i-new-3", "i-new-2", "i-new-1"], "newest first");
      assert.equal(g.decrement, true);
      assert.equal(g.setDesired, 3);
      assert.deepEqual(g.tags, {
        set: { [SURGE_TAGS.failed]: "1.0.2", [SURGE_TAGS.ended]: `3 ${minutesBefore(25)}` },
        remove: [SURGE_TAGS.baseline, SURGE_TAGS.version, SURGE_TAGS.startedAt],
      });
      assert.deepEqual(g.resume, SURGE_PROCESSES);
      assert.match(g.reason, /^surge abort: the new instances for 1\.0\.2 are not all healthy 20 min after/);
    });

    it("waits, not aborts, before the stall limit", () => {
      const failing = newOnes(15, { asgHealth: "Unhealthy" });
      const group = surging([...oldOnes(), ...failing], 15);

      assert.equal(only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE)).surge?.phase, "waiting");
    });

    it("honours a shorter surgeStallMinutes", () => {
      const failing = newOnes(15, { asgHealth: "Unhealthy" });
      const group = surging([...oldOnes(), ...failing], 15);

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), { ...SURGE, surgeStallMinutes: 10 }));

      assert.equal(g.surge?.phase, "abort");
    });

    it("restores the baseline when instances never launched at all", () => {
      const group = surging(oldOnes(), 30);

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "abort");
      assert.deepEqual(g.terminate, []);
      assert.equal(g.setDesired, 3);
      assert.match(g.reason, /3 instances never launched/);
    });

    it("carries on an abort a failed termination interrupted, without tagging again", () => {
      const tags = { ...surgeTags(3, 40), [SURGE_TAGS.failed]: "1.0.2" };
      const failing = newOnes(40, { asgHealth: "Unhealthy" }).slice(0, 1);
      const group = surging([...oldOnes(), ...failing], 40, { desiredCapacity: 4, tags });

      const g = only(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

      assert.equal(g.surge?.phase, "abort");
      assert.deepEqual(g.terminate, ["i-new-1"]);
      assert.deepEqual(g.tags, {
        set: { [SURGE_TAGS.ended]: `3 ${minutesBefore(40)}` },
        remove: [SURGE_TAGS.baseline, SURGE_TAGS.version, SURGE_TAGS.startedAt],
      });
      assert.equal(g.setDesired, 3);
    });
  });
});
