// parseConfig: the real stack files parse, and every environment-wide mistake (network, buckets, logs, stack name,
// region, unknown keys) fails before anything is created, all problems at once, each naming key, value and rule.
import * as assert from "node:assert/strict";
import { parseConfig, RawConfig } from "../../config";
import { assertRejected, parseStack, parseWith, problemsOf, stackRaw } from "../support/stack-config";

describe("stack config", () => {
  describe("the stack files", () => {
    for (const stack of ["live", "test"]) {
      it(`parse for ${stack} without problems`, () => {
        const { raw, region } = stackRaw(stack);

        const config = parseConfig(raw, stack, region);

        assert.equal(config.environment, stack);
        assert.equal(config.region, region);
      });
    }

    it("give live a NAT gateway per zone and test a single one", () => {
      const live = parseStack("live");
      const test = parseStack("test");

      assert.equal(live.natGateways, "perZone");
      assert.equal(test.natGateways, "single");
    });
  });

  describe("rejects before anything is created", () => {
    const cases: [string, RawConfig, RegExp][] = [
      ["a CIDR that is not one", { vpcCidr: "10.0.0.0" }, /phoenix:vpcCidr = "10.0.0.0": is not an IPv4 CIDR/],
      ["a CIDR with an octet above 255", { vpcCidr: "10.300.0.0/16" }, /has an octet above 255/],
      ["a CIDR too large for a VPC", { vpcCidr: "10.0.0.0/8" }, /must have a prefix from \/16 to \/24/],
      ["a CIDR with host bits set", { vpcCidr: "10.0.0.1/16" }, /has host bits set/],
      ["a single availability zone", { availabilityZones: "1" }, /phoenix:availabilityZones = 1: must be from 2 to 6/],
      [
        "an unknown NAT strategy",
        { natGateways: "none" },
        /phoenix:natGateways = "none": must be one of single, perZone/,
      ],
      ["a boolean that is not one", { accessLogs: "yes" }, /phoenix:accessLogs = "yes": must be true or false/],
      [
        "a malformed certificate ARN",
        { certificateArn: "my-cert" },
        /phoenix:certificateArn = "my-cert": must be an ACM certificate ARN/,
      ],
      [
        "a log retention CloudWatch does not offer",
        { bootLogRetentionDays: "10" },
        /phoenix:bootLogRetentionDays = 10: must be one of 1, 3, 5/,
      ],
      ["a misspelt key", { webMinsize: "1" }, /phoenix:webMinsize = "1": is not a phoenix config key/],
    ];
    for (const [what, overrides, message] of cases) {
      it(`rejects ${what}`, () => assertRejected(overrides, message));
    }

    it("reports every problem at once, not only the first", () => {
      const text = problemsOf(() => parseWith({ webPort: "0", apiPlatform: "beos", vpcCidr: "nope" }));

      assert.match(text, /3 problem\(s\)/);
    });

    it("rejects a stack name that cannot name buckets", () => {
      assert.match(
        problemsOf(() => parseWith({}, "Test_Env")),
        /stack name "Test_Env" must start with a lowercase letter/,
      );
    });

    it("rejects a stack name too long for load balancer names", () => {
      assert.match(
        problemsOf(() => parseWith({}, "a-very-long-stack-name")),
        /at most 16 characters/,
      );
    });

    it("rejects a missing region with the command that sets it", () => {
      assert.match(
        problemsOf(() => parseConfig(stackRaw("test").raw, "test", undefined)),
        /pulumi config set aws:region/,
      );
    });
  });
});
