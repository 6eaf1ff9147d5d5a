// Scheduled capacity over a week: what the test stack's scheduled actions add up to, in winter and in summer, and the
// cron matching it rests on (the figure `npm run bench -- scheduled-capacity` prints).
import * as assert from "node:assert/strict";
import { cronMatcher, settledWeeklyInstanceHours, weeklyInstanceHours } from "../../bench/scheduled-capacity";
import { parseStack } from "../support/stack-config";

describe("scheduled capacity", () => {
  const test = () => parseStack("test");

  it("runs each test tier 60 of the week's 168 hours: 07:00 to 19:00 London time, Monday to Friday", () => {
    const hours = weeklyInstanceHours(test().tiers.web.schedules, 0, "2026-11-30T00:00:00Z");

    assert.equal(hours, 60);
  });

  it("keeps the same hours in British Summer Time, because the schedule follows London's clock", () => {
    assert.equal(weeklyInstanceHours(test().tiers.api.schedules, 0, "2026-06-01T00:00:00Z"), 60);
  });

  it("runs a tier without schedules all week at its capacity", () => {
    assert.equal(weeklyInstanceHours([], 3, "2026-11-30T00:00:00Z"), 504);
  });

  it("starts a week from the capacity the previous week's schedules left, not from the creation capacity", () => {
    const tier = { ...test().tiers.web, desiredCapacity: 1 };

    // Starting at 1 on Monday 00:00 would count the seven hours before the 07:00 action as well.
    assert.equal(weeklyInstanceHours(tier.schedules, 1, "2026-11-30T00:00:00Z"), 67);
    assert.equal(settledWeeklyInstanceHours(tier, "2026-11-30T00:00:00Z"), 60);
  });

  it("matches a cron on day of month or day of week when both are restricted, as cron does", () => {
    const matches = cronMatcher("0 9 1 * MON");
    const at = { minute: 0, hour: 9, month: 12 };

    assert.equal(matches({ ...at, day: 1, weekday: 2 }), true);
    assert.equal(matches({ ...at, day: 7, weekday: 1 }), true);
    assert.equal(matches({ ...at, day: 8, weekday: 2 }), false);
  });
});
