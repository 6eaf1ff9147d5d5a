// The rollout Lambda's keys and each tier's rollout policy: defaults from the contract's LIMITS, the Lambda's timeout
// outliving a probe, and every out-of-range value named with its key.
import * as assert from "node:assert/strict";
import { parseConfig } from "../../config";

describe("the rollout's stack config", () => {
  it("defaults to a five-minute schedule, 256 MB, 120 s, a 2 s probe sized from the fleet and a floor of one", () => {
    const config = parseConfig({}, "scratch", "eu-west-1");

    assert.deepEqual(config.rollout, {
      scheduleExpression: "rate(5 minutes)",
      memorySizeMb: 256,
      timeoutSeconds: 120,
      probeTimeoutMs: 2000,
      probeConcurrency: 0,
      paused: false,
      desiredVersion: "manifest",
      stuckMinutes: 60,
      alarmMinutes: 3,
    });
    assert.deepEqual(
      [config.tiers.web.minHealthy, config.tiers.web.minHealthyPercent, config.tiers.web.maxPerSweep],
      [1, 0, undefined],
    );
  });

  it("reads each tier's floor and limit, and the alarm email", () => {
    const config = parseConfig(
      {
        apiMinHealthy: "2",
        apiDesiredCapacity: "2",
        apiMinHealthyPercent: "50",
        apiMaxPerSweep: "1",
        alarmEmail: "ops@example.com",
      },
      "scratch",
      "eu-west-1",
    );

    assert.deepEqual(
      [config.tiers.api.minHealthy, config.tiers.api.minHealthyPercent, config.tiers.api.maxPerSweep],
      [2, 50, 1],
    );
    assert.equal(config.rollout.alarmEmail, "ops@example.com");
  });

  it("passes each tier's instance age limit to the Lambda's policy, and none when it is 0", () => {
    const config = parseConfig({ webMaxInstanceAgeHours: "336", apiMaxInstanceAgeHours: "0" }, "scratch", "eu-west-1");

    assert.deepEqual([config.tiers.web.maxInstanceAgeHours, config.tiers.api.maxInstanceAgeHours], [336, undefined]);
  });

  for (const [raw, pattern] of [
    [{ rolloutTimeoutSeconds: "30" }, /phoenix:rolloutTimeoutSeconds = 30: must exceed the probe timeout plus 30 s/],
    [{ rolloutSchedule: "every 5 minutes" }, /phoenix:rolloutSchedule = "every 5 minutes": must be rate/],
    [
      { rolloutSchedule: "rate(1 minutes)" },
      /phoenix:rolloutSchedule = "rate\(1 minutes\)": must say rate\(1 minute\)/,
    ],
    [{ rolloutSchedule: "rate(10 minute)" }, /"rate\(10 minute\)": must say rate\(10 minutes\)/],
    [{ rolloutSchedule: "rate(0 minutes)" }, /"rate\(0 minutes\)": must be a rate of at least 1/],
    [
      { rolloutSchedule: "cron(0/5 * * * ?)" },
      /"cron\(0\/5 \* \* \* \?\)": must be rate\(<n> minutes\) or cron\(<6 fields>\)/,
    ],
    [{ webMinHealthyPercent: "150" }, /phoenix:webMinHealthyPercent = 150: must be from 0 to 100/],
    [{ apiMaxInstanceAgeHours: "9000" }, /phoenix:apiMaxInstanceAgeHours = 9000: must be from 0 to 8760/],
    [{ probeConcurrency: "1024" }, /phoenix:probeConcurrency = 1024: must be from 0 to 768, 0 is one per instance/],
    [{ alarmEmail: "ops" }, /phoenix:alarmEmail = "ops": must be an email address or empty/],
    [{ desiredVersion: "newest" }, /phoenix:desiredVersion = "newest": must be one of manifest, highest-observed/],
  ] as const) {
    it(`rejects ${JSON.stringify(raw)} naming the key`, () => {
      assert.throws(() => parseConfig({ ...raw }, "scratch", "eu-west-1"), pattern);
    });
  }
});
