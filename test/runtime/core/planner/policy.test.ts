// Example tests of the planner's policy: a tier's overrides, the bounds checked before a sweep acts, the healthy
// floor, and which strategy a group runs under.
import * as assert from "node:assert/strict";
import { UsageError } from "../../../../runtime/core/errors";
import { effectivePolicy, floorFor, plan, strategyFor, validatePolicy } from "../../../../runtime/core/planner";
import { DEFAULT_POLICY, Policy } from "../../../../runtime/core/types";
import { aGroup, aSnapshot } from "../../../support/arbitraries";
import { oldOnes, only } from "../../../support/plans";

describe("planner policy", () => {
  describe("effectivePolicy", () => {
    it("applies a tier's overrides on top of the fleet-wide policy", () => {
      const policy: Policy = { minHealthy: 1, minHealthyPercent: 0, maxPerSweep: 2, tiers: { web: { minHealthy: 3 } } };

      assert.deepEqual(effectivePolicy(policy, "web"), {
        minHealthy: 3,
        minHealthyPercent: 0,
        maxPerSweep: 2,
        maxInstanceAgeHours: undefined,
      });
      assert.equal(effectivePolicy(policy, "api").minHealthy, 1);
    });

    it("ignores an override whose value is undefined, as a JSON round trip would", () => {
      const policy: Policy = { ...DEFAULT_POLICY, maxPerSweep: 2, tiers: { web: { maxPerSweep: undefined } } };

      assert.equal(effectivePolicy(policy, "web").maxPerSweep, 2);
    });
  });

  describe("validatePolicy", () => {
    for (const [what, policy, message] of [
      ["a negative minHealthy", { minHealthy: -1, minHealthyPercent: 0 }, /minHealthy is -1; it must be a whole/],
      ["a percent over 100", { minHealthy: 1, minHealthyPercent: 150 }, /minHealthyPercent is 150; .* 0 to 100/],
      ["a fractional maxPerSweep", { minHealthy: 1, minHealthyPercent: 0, maxPerSweep: 1.5 }, /maxPerSweep is 1.5/],
      ["a zero age limit", { minHealthy: 1, minHealthyPercent: 0, maxInstanceAgeHours: 0 }, /positive number of hours/],
      ["a bad tier override", { ...DEFAULT_POLICY, tiers: { web: { minHealthy: -2 } } }, /tier web: minHealthy is -2/],
    ] as const) {
      it(`rejects ${what} with a UsageError naming it`, () => {
        assert.throws(
          () => validatePolicy(policy),
          (e: unknown) => {
            assert.ok(e instanceof UsageError);
            assert.match(e.message, message);
            return true;
          },
        );
      });
    }

    it("is applied by plan, so a bad policy never drives a sweep", () => {
      assert.throws(() => plan(aSnapshot([]), { minHealthy: 1, minHealthyPercent: -5 }), UsageError);
    });

    it("refuses an unknown strategy and a surge percent outside 1-100", () => {
      assert.throws(() => validatePolicy({ ...DEFAULT_POLICY, strategy: "sideways" as "surge" }), UsageError);
      assert.throws(() => validatePolicy({ ...DEFAULT_POLICY, maxSurgePercent: 0 }), /maxSurgePercent is 0/);
      assert.throws(() => validatePolicy({ ...DEFAULT_POLICY, surgeStallMinutes: -1 }), /surgeStallMinutes is -1/);
    });
  });

  describe("floorFor", () => {
    it("is minHealthy by default (the original behaviour)", () => {
      assert.equal(floorFor(10, DEFAULT_POLICY), 1);
    });

    it("rounds the percentage of desired capacity up", () => {
      assert.equal(floorFor(3, { minHealthy: 1, minHealthyPercent: 50 }), 2);
      assert.equal(floorFor(4, { minHealthy: 1, minHealthyPercent: 75 }), 3);
    });

    it("takes minHealthy when it is the larger", () => {
      assert.equal(floorFor(2, { minHealthy: 2, minHealthyPercent: 10 }), 2);
    });
  });

  describe("strategyFor", () => {
    it("takes the strategy from the group's phoenix:strategy tag, and a policy's strategy over the tag", () => {
      const tagged = aGroup("live-web", oldOnes(), {
        tags: { "phoenix:environment": "live", "phoenix:tier": "web", "phoenix:strategy": "surge" },
      });

      assert.equal(only(plan(aSnapshot([tagged], { version: "1.0.2" }), DEFAULT_POLICY)).setDesired, 6);
      assert.deepEqual(
        only(plan(aSnapshot([tagged], { version: "1.0.2" }), { ...DEFAULT_POLICY, strategy: "replace" })).terminate,
        ["i-old-1", "i-old-2"],
      );
      assert.equal(strategyFor(tagged, {}), "surge");
    });
  });
});
