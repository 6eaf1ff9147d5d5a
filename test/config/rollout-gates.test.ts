// A tier's checkpoints, bake, rollout alarms and automatic rollback: the defaults (one step, no bake, the program's
// two alarms, no rollback), live's canary settings, the policy the Lambda and the group's tag carry, and every
// mistake named with its key before anything is created.
import * as assert from "node:assert/strict";
import { encodePolicyTag } from "../../runtime/contract";
import { rolloutGateWarnings, tierPolicy } from "../../config";
import { assertRejected, parseStack, parseWith } from "../support/stack-config";

describe("a tier's checkpoints and rollout alarms", () => {
  it("default to one step, no bake, the two alarms the program creates and no automatic rollback", () => {
    const web = parseStack("test").tiers.web;

    assert.deepEqual(
      [
        web.checkpoints,
        web.bakeMinutes,
        web.rolloutAlarms,
        web.autoRollback,
        web.rollout5xxPercent,
        web.rolloutResponseTimeMs,
      ],
      [[100], 0, [], false, 1, 2000],
    );
    assert.deepEqual(tierPolicy(web, "test", "manifest"), {
      minHealthy: 1,
      minHealthyPercent: 0,
      rolloutAlarms: ["phoenix-test-web-5xx", "phoenix-test-web-latency"],
    });
  });

  it("roll live out in checkpoints of 10, 50 and 100 % with 10-minute bakes, rolling back automatically", () => {
    const live = parseStack("live");

    for (const tier of [live.tiers.web, live.tiers.api]) {
      assert.deepEqual([tier.checkpoints, tier.bakeMinutes, tier.autoRollback], [[10, 50, 100], 10, true]);
      const policy = tierPolicy(tier, "live", "manifest");
      assert.deepEqual([policy.checkpoints, policy.bakeMinutes, policy.autoRollback], [[10, 50, 100], 10, true]);
      assert.ok(encodePolicyTag(policy).length <= 256, "the group's phoenix:policy tag fits AWS's limit");
    }
  });

  it("adds the stack's own alarms, by name, whether given as names or ARNs", () => {
    const web = parseWith({
      webRolloutAlarms: JSON.stringify(["apm-errors", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:apm-latency"]),
    }).tiers.web;

    assert.deepEqual(tierPolicy(web, "test", "manifest").rolloutAlarms, [
      "phoenix-test-web-5xx",
      "phoenix-test-web-latency",
      "apm-errors",
      "apm-latency",
    ]);
  });

  for (const [value, message] of [
    ["[10, 50]", /phoenix:webCheckpoints = \[10,50\]: must end in 100/],
    ["[50, 10, 100]", /phoenix:webCheckpoints = \[50,10,100\]: must increase/],
    ["[0, 100]", /phoenix:webCheckpoints = \[0,100\]: must hold whole percentages from 1 to 100/],
    ["[10, 100, 150]", /phoenix:webCheckpoints = \[10,100,150\]: must hold whole percentages from 1 to 100/],
    ["[12.5, 100]", /phoenix:webCheckpoints = \[12\.5,100\]: must be a YAML list of whole numbers/],
    ["ten", /phoenix:webCheckpoints = "ten": must be a YAML list of whole numbers/],
  ] as const) {
    it(`refuses checkpoints ${value}, naming the key`, () => assertRejected({ webCheckpoints: value }, message));
  }

  it("refuses a negative bake, naming the key", () => {
    assertRejected({ apiBakeMinutes: "-5" }, /phoenix:apiBakeMinutes = -5: must be from 0 to 1440/);
  });

  for (const [alarm, message] of [
    ["web-*", /must not hold \* or \?/],
    ["", /must be an alarm name of 1 to 255 characters/],
    ["arn:aws:sns:eu-west-1:123456789012:alerts", /is not a CloudWatch alarm ARN/],
    ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:x", /is in us-east-1, not the stack's region eu-west-1/],
  ] as const) {
    it(`refuses the rollout alarm ${JSON.stringify(alarm)}, naming the key`, () => {
      assertRejected(
        { webRolloutAlarms: JSON.stringify([alarm]) },
        new RegExp(
          `phoenix:webRolloutAlarms = ${JSON.stringify(JSON.stringify(alarm))
            .slice(1, -1)
            .replace(/[*?.[\]()]/g, "\\$&")}: ${message.source}`,
        ),
      );
    });
  }

  it("refuses an alarm named twice, too many alarms, and names too long for the group's policy tag", () => {
    assertRejected({ webRolloutAlarms: '["a", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a"]' }, /names a twice/);
    assertRejected(
      { webRolloutAlarms: JSON.stringify(Array.from({ length: 9 }, (_, i) => `a${i}`)) },
      /phoenix:webRolloutAlarms = .*: holds 9; at most 8/,
    );
    assertRejected(
      { webRolloutAlarms: JSON.stringify(Array.from({ length: 5 }, (_, i) => `${"apm-".repeat(8)}${i}`)) },
      /phoenix:webRolloutAlarms = .*: makes the group's phoenix:policy tag \d+ characters, more than the 256 AWS allows/,
    );
  });

  it("refuses an automatic rollback that is not true or false, and thresholds out of range", () => {
    assertRejected({ webAutoRollback: "yes" }, /phoenix:webAutoRollback = "yes": must be true or false/);
    assertRejected({ apiRollout5xxPercent: "0" }, /phoenix:apiRollout5xxPercent = 0: must be from 1 to 100/);
    assertRejected({ rolloutAlarmMinutes: "31" }, /phoenix:rolloutAlarmMinutes = 31: must be from 1 to 30/);
  });

  it("warns, naming the keys, when checkpoints or an automatic rollback bake no longer than the alarms take to fire", () => {
    const warnings = rolloutGateWarnings(
      parseWith({
        webCheckpoints: "[10, 100]",
        webBakeMinutes: "3",
        apiAutoRollback: "true",
        rolloutAlarmMinutes: "3",
      }),
    );

    assert.deepEqual(warnings, [
      "phoenix:webCheckpoints [10, 100] with phoenix:webBakeMinutes 3: its rollout alarms need 3 minutes " +
        "(phoenix:rolloutAlarmMinutes) of a share's traffic to fire, so the rollout can pass a checkpoint or finish " +
        "before they could; set phoenix:webBakeMinutes above 3 (live bakes 10)",
      "phoenix:apiAutoRollback with phoenix:apiBakeMinutes 0: its rollout alarms need 3 minutes " +
        "(phoenix:rolloutAlarmMinutes) of a share's traffic to fire, so the rollout can pass a checkpoint or finish " +
        "before they could; set phoenix:apiBakeMinutes above 3 (live bakes 10)",
    ]);
  });

  it("has no warning for live's canary settings, nor for test's one-step rollouts", () => {
    assert.deepEqual(rolloutGateWarnings(parseStack("live")), []);
    assert.deepEqual(rolloutGateWarnings(parseStack("test")), []);
    assert.deepEqual(rolloutGateWarnings(parseWith({ webCheckpoints: "[10, 100]", webBakeMinutes: "4" })), []);
  });
});
