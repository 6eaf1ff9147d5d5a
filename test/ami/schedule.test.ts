// When the monthly base image is built: the meaning of the cron expression, computed (after Patch Tuesday).
import * as assert from "node:assert/strict";
import {
  daysAfterPatchTuesday,
  DEFAULT_SCHEDULE_EXPRESSION,
  nextRuns,
  parseMonthlyCron,
  patchTuesday,
  runsOutsidePatchWindow,
  ScheduleExpressionError,
} from "../../ami/schedule";

describe("the monthly schedule", () => {
  const from = new Date("2026-11-26T00:00:00Z");

  it("finds Patch Tuesday on the second Tuesday of the month", () => {
    assert.equal(patchTuesday(2026, 12).toISOString(), "2026-12-08T00:00:00.000Z");
    assert.equal(patchTuesday(2027, 6).toISOString(), "2027-06-08T00:00:00.000Z");
    assert.equal(patchTuesday(2027, 2).toISOString(), "2027-02-09T00:00:00.000Z");
    assert.equal(patchTuesday(2028, 8).toISOString(), "2028-08-08T00:00:00.000Z");
  });

  it("lists the next runs of the default expression on third Wednesdays at midnight UTC", () => {
    const runs = nextRuns(DEFAULT_SCHEDULE_EXPRESSION, from, 3).map((d) => d.toISOString());

    assert.deepEqual(runs, ["2026-12-16T00:00:00.000Z", "2027-01-20T00:00:00.000Z", "2027-02-17T00:00:00.000Z"]);
  });

  it("runs each of the next 24 months 1 to 8 days after that month's Patch Tuesday", () => {
    const runs = nextRuns(DEFAULT_SCHEDULE_EXPRESSION, from, 24);

    assert.equal(runs.length, 24);
    assert.deepEqual(runsOutsidePatchWindow(DEFAULT_SCHEDULE_EXPRESSION, from, 24), []);
    const days = runs.map(daysAfterPatchTuesday);
    assert.ok(Math.min(...days) >= 1 && Math.max(...days) <= 8, `days after: ${days.join(",")}`);
  });

  it("stays in the window over every calendar shape (28 years of months)", () => {
    assert.deepEqual(runsOutsidePatchWindow(DEFAULT_SCHEDULE_EXPRESSION, new Date("2000-01-01T00:00:00Z"), 336), []);
  });

  it("rejects Patch Tuesday itself (tue#2) as a schedule that is not after it", () => {
    const outside = runsOutsidePatchWindow("cron(0 0 ? * tue#2 *)", from, 24);

    assert.equal(outside.length, 24);
    assert.ok(outside.every((o) => o.daysAfter === 0));
  });

  it("flags the second Wednesday, which falls before Patch Tuesday in some months", () => {
    const outside = runsOutsidePatchWindow("cron(0 0 ? * wed#2 *)", from, 24);

    assert.ok(outside.length > 0);
    assert.ok(outside.every((o) => o.daysAfter < 1));
  });

  it("reads weekday numbers the AWS way (1 = Sunday)", () => {
    assert.deepEqual(parseMonthlyCron("cron(30 4 ? * 4#3 *)"), { minute: 30, hour: 4, weekday: 3, nth: 3 });
  });

  it("rejects expressions outside the monthly subset with a message naming the field", () => {
    assert.throws(() => parseMonthlyCron("cron(0 0 * * ? *)"), /day-of-month must be "\?"/);
    assert.throws(() => parseMonthlyCron("cron(0 0 ? * wed *)"), /day-of-week "wed"/);
    assert.throws(() => parseMonthlyCron("rate(30 days)"), ScheduleExpressionError);
    assert.throws(() => parseMonthlyCron("cron(0 25 ? * wed#3 *)"), /hour "25"/);
  });
});
