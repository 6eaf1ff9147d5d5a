// A group's desired-capacity history read from its scaling activities' Cause text, the `phoenix:surge-ended` tag,
// and which groups a read must fetch the history of.
import * as assert from "node:assert/strict";
import {
  capacityHistory,
  needsCapacityHistory,
  parseCapacityChange,
  parseSurgeEnd,
  surgeEndTag,
} from "../../../runtime/core/capacity-history";
import { SURGE_TAGS } from "../../../runtime/contract";

describe("capacity history", () => {
  it("reads an explicit SetDesiredCapacity as a request, from the first sentence of the cause", () => {
    const cause =
      "At 2026-11-26T04:05:00Z a user request explicitly set group desired capacity changing the desired capacity " +
      "from 3 to 6.  At 2026-11-26T04:05:10Z an instance was started in response to a difference between desired " +
      "and actual capacity, increasing the capacity from 3 to 6.";

    assert.deepEqual(parseCapacityChange(cause), { at: "2026-11-26T04:05:00.000Z", from: 3, to: 6, by: "request" });
  });

  it("tells an alarm's and a scheduled action's changes from a request", () => {
    const alarm =
      "At 2026-11-26T04:00:00Z a monitor alarm TargetTracking-live-web-AlarmHigh-1 in state ALARM triggered policy " +
      "cpu-target changing the desired capacity from 2 to 3.";
    const schedule =
      "At 2026-11-26T06:00:00Z a scheduled action update of AutoScalingGroup constraints to min: 1, max: 6, " +
      "desired: 4 changing the desired capacity from 3 to 4.";

    assert.deepEqual([parseCapacityChange(alarm)?.by, parseCapacityChange(schedule)?.by], ["alarm", "schedule"]);
  });

  it("reads a termination that decremented desired capacity as a request, and one that did not as no change", () => {
    const decrement =
      "At 2026-11-26T04:20:00Z instance i-0abc was taken out of service in response to a user request, shrinking " +
      "the capacity from 6 to 5.";
    const replace = "At 2026-11-26T04:20:00Z instance i-0abc was taken out of service in response to a user request.";

    assert.deepEqual(parseCapacityChange(decrement), { at: "2026-11-26T04:20:00.000Z", from: 6, to: 5, by: "request" });
    assert.equal(parseCapacityChange(replace), undefined);
    assert.deepEqual(capacityHistory([replace, decrement, "junk"]).length, 1);
  });

  it("writes and reads the tag a surge's end leaves, and rejects what it did not write", () => {
    assert.deepEqual(parseSurgeEnd(surgeEndTag(3, "2026-11-26T04:00:00.000Z")), {
      baseline: 3,
      startedAt: "2026-11-26T04:00:00.000Z",
    });
    assert.equal(parseSurgeEnd("three 2026-11-26T04:00:00.000Z"), undefined);
    assert.equal(parseSurgeEnd("3 yesterday"), undefined);
    assert.equal(parseSurgeEnd(undefined), undefined);
  });

  it("is fetched only for a group that may be wedged", () => {
    const tags = { [SURGE_TAGS.ended]: "3 2026-11-26T04:00:00.000Z" };
    const cases = [
      { tags: {}, desiredCapacity: 3, suspendedProcesses: [] },
      { tags: {}, desiredCapacity: 3, suspendedProcesses: ["AlarmNotification"] },
      { tags: {}, desiredCapacity: 3, suspendedProcesses: ["Launch"] },
      { tags, desiredCapacity: 3, suspendedProcesses: [] },
      { tags, desiredCapacity: 6, suspendedProcesses: [] },
      { tags: { ...tags, [SURGE_TAGS.baseline]: "3" }, desiredCapacity: 6, suspendedProcesses: ["AlarmNotification"] },
    ];

    assert.deepEqual(cases.map(needsCapacityHistory), [false, true, false, false, true, false]);
  });
});
