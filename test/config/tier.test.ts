// A tier's keys: sizes that nest, ports phoenix never opens, platforms and their root volumes, strategies, scaling
// targets and scheduled actions, each mistake named with its key before anything is created.
import * as assert from "node:assert/strict";
import { RawConfig } from "../../config";
import { assertRejected, parseStack } from "../support/stack-config";

describe("a tier's config", () => {
  describe("in the stack files", () => {
    it("recycles live's instances after 14 days and leaves test's alone", () => {
      const live = parseStack("live");
      const test = parseStack("test");

      assert.deepEqual([live.tiers.web.maxInstanceAgeHours, live.tiers.api.maxInstanceAgeHours], [336, 336]);
      assert.deepEqual(
        [test.tiers.web.maxInstanceAgeHours, test.tiers.api.maxInstanceAgeHours],
        [undefined, undefined],
      );
    });

    it("lets a floor equal the desired capacity (a surge can still replace) and ignore a schedule's zero", () => {
      const config = parseStack("test");

      assert.equal(config.tiers.web.minHealthy, config.tiers.web.desiredCapacity);
      assert.ok(config.tiers.web.schedules.some((s) => s.desiredCapacity === 0));
    });

    it("scales test to zero at the end of every working day", () => {
      const test = parseStack("test");

      for (const tier of [test.tiers.web, test.tiers.api]) {
        const end = tier.schedules.find((s) => s.desiredCapacity === 0);
        assert.deepEqual(end, {
          name: "workday-end",
          cron: "0 19 * * MON-FRI",
          timeZone: "Europe/London",
          minSize: 0,
          maxSize: 0,
          desiredCapacity: 0,
        });
      }
    });
  });

  describe("rejects before anything is created", () => {
    const cases: [string, RawConfig, RegExp][] = [
      [
        "a minimum above the maximum",
        { webMinSize: "3", webMaxSize: "2" },
        /phoenix:webMinSize = 3: must not exceed phoenix:webMaxSize \(2\)/,
      ],
      [
        "a desired capacity outside min..max",
        { apiDesiredCapacity: "5" },
        /phoenix:apiDesiredCapacity = 5: must be within .*\(1\.\.2\)/,
      ],
      ["a port above 65535", { webPort: "70000" }, /phoenix:webPort = 70000: must be from 1 to 65535/],
      ["port 22", { apiPort: "22" }, /phoenix:apiPort = 22: 22 and 3389 are administrative ports/],
      ["port 3389", { webPort: 3389 }, /phoenix:webPort = 3389/],
      ["a port that is not a number", { webPort: "eighty" }, /phoenix:webPort = "eighty": must be a whole number/],
      [
        "an unknown platform",
        { webPlatform: "solaris" },
        /phoenix:webPlatform = "solaris": must be one of linux, windows/,
      ],
      [
        "a Windows root volume under 30 GiB",
        { apiPlatform: "windows", apiRootVolumeSizeGiB: "8" },
        /phoenix:apiRootVolumeSizeGiB = 8: Windows images need/,
      ],
      [
        "an unknown rollout strategy",
        { webStrategy: "yolo" },
        /phoenix:webStrategy = "yolo": must be one of surge, replace/,
      ],
      [
        "a CPU target above 100%",
        { webCpuTargetPercent: "150" },
        /phoenix:webCpuTargetPercent = 150: must be from 0 to 100/,
      ],
      [
        "a negative request target",
        { apiRequestsPerTarget: "-5" },
        /phoenix:apiRequestsPerTarget = -5: must be from 0 to 1000000/,
      ],
      [
        "two schedules with one name",
        { webSchedules: ["a: 0 9 * * * UTC min=1", "a: 0 10 * * * UTC min=1"] },
        /schedule name a is used twice/,
      ],
      [
        "a floor above the desired capacity, which would let no instance be replaced",
        { webMinHealthy: "5", webMaxSize: "6", webDesiredCapacity: "3" },
        /phoenix:webMinHealthy = 5: is above phoenix:webDesiredCapacity \(3\): .*none could ever be replaced; use at most 3/,
      ],
      [
        "a floor above the desired capacity a schedule sets",
        {
          apiMinHealthy: "2",
          apiMaxSize: "4",
          apiDesiredCapacity: "2",
          apiSchedules: ["nights: 0 20 * * * UTC desired=1"],
        },
        /phoenix:apiMinHealthy = 2: is above schedule nights's desired \(1\)/,
      ],
      [
        "schedules that are not a list",
        { webSchedules: "nights" },
        /phoenix:webSchedules = "nights": must be a YAML list of strings/,
      ],
    ];
    for (const [what, overrides, message] of cases) {
      it(`rejects ${what}`, () => assertRejected(overrides, message));
    }
  });
});
