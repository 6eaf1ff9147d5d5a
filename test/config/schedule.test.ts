// Scheduled actions: five-field Unix crons, IANA time zones, and sizes within the tier's bounds.
import * as assert from "node:assert/strict";
import { cronProblem, parseSchedule, RawConfig } from "../../config";
import { assertRejected } from "../support/stack-config";

describe("schedules", () => {
  it("accepts names, ranges, lists and steps in a cron", () => {
    assert.equal(cronProblem("*/15 7-19 1,15 JAN-MAR mon-fri"), undefined);
  });

  it("rejects a range that runs backwards", () => {
    assert.match(cronProblem("0 19-7 * * *") ?? "", /field 2 \(hour\)/);
  });

  it("lets a schedule take the tier to zero when it lowers the minimum too", () => {
    const { schedule, problems } = parseSchedule("off: 0 19 * * FRI UTC min=0 max=0 desired=0", {
      minSize: 1,
      maxSize: 2,
    });

    assert.deepEqual(problems, []);
    assert.equal(schedule?.desiredCapacity, 0);
  });

  describe("in a stack, rejects before anything is created", () => {
    const cases: [string, RawConfig, RegExp][] = [
      [
        "a bad cron",
        { webSchedules: '["nights: 0 25 * * *  UTC desired=0 min=0"]' },
        /phoenix:webSchedules = .*cron "0 25 \* \* \*" field 2 \(hour\)/,
      ],
      ["a cron with six fields", { webSchedules: ["nights: 0 0 19 * * MON UTC min=0"] }, /is not "<name>: <minute>/],
      [
        "an unknown time zone",
        { webSchedules: ["nights: 0 19 * * * Mars/Olympus min=0 desired=0"] },
        /"Mars\/Olympus" is not an IANA time zone/,
      ],
      [
        "a scheduled size outside min/max",
        { apiSchedules: ["peak: 0 9 * * * UTC desired=5"] },
        /schedule peak: desired=5 is outside its min\/max 1\.\.2/,
      ],
      [
        "a scheduled max above the tier's",
        { apiSchedules: ["peak: 0 9 * * * UTC max=9"] },
        /max=9 is above the tier's maximum 2/,
      ],
      ["a schedule that sets no size", { webSchedules: ["noop: 0 9 * * * UTC"] }, /sets no size/],
    ];
    for (const [what, overrides, message] of cases) {
      it(`rejects ${what}`, () => assertRejected(overrides, message));
    }
  });
});
