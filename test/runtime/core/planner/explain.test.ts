// Example tests of the planner's words where the plans of the other specs do not reach: what nobody answered, the
// singular, and a group with nothing to move to. Most sentences are pinned through plan() in the other specs.
import * as assert from "node:assert/strict";
import { instanceWhy, logLine, staleBreakdown, targetText } from "../../../../runtime/core/planner/explain";
import { DEFAULT_POLICY, InstanceDecision } from "../../../../runtime/core/types";
import { aGroup, anInstance, IMAGES } from "../../../support/arbitraries";

const [OLD_AMI] = IMAGES;

function decision(overrides: Partial<InstanceDecision>): InstanceDecision {
  return { id: "i-1", stale: true, reasons: [], terminate: false, ...overrides };
}

describe("planner words", () => {
  describe("instanceWhy", () => {
    it("names each reason with what the group wants, and marks what is unknown", () => {
      const d = decision({ reasons: ["version", "image", "age"] });

      assert.equal(
        instanceWhy(d, { desiredVersion: "1.0.274" }),
        "version ? (want 1.0.274), image drift (none) (want ?), age over the limit",
      );
    });
  });

  describe("logLine", () => {
    it("says when no instance answered a version and the group is unstable", () => {
      const instances = [anInstance("i-1", "1.0.274", { probe: { ok: false, error: "timeout" } })];

      assert.equal(
        logLine(aGroup("live-web", instances), instances, false, 0),
        "live-web => no version answered, unstable, 0 instances to terminate",
      );
    });

    it("counts one instance in the singular", () => {
      const instances = [anInstance("i-1", "1.0.274"), anInstance("i-2", "1.0.266")];

      assert.equal(
        logLine(aGroup("live-web", instances), instances, true, 1),
        "live-web => lowest version 1.0.266, highest version 1.0.274, 1 instance to terminate",
      );
    });
  });

  describe("targetText", () => {
    it("names the version, where it came from, and the image", () => {
      const text = targetText({ desired: { version: "1.0.274", source: "highest-observed" }, desiredImageId: OLD_AMI });

      assert.equal(text, "version 1.0.274 (highest observed) on image ami-0aaa1111");
    });

    it("says the same version when the group has neither a desired version nor an image", () => {
      assert.equal(targetText({ desired: { source: "none" } }), "the same version");
    });
  });

  describe("staleBreakdown", () => {
    it("leaves out the reasons no instance has", () => {
      const stale = [decision({ reasons: ["image"] }), decision({ id: "i-2", reasons: ["image", "age"] })];

      assert.equal(
        staleBreakdown(stale, { ...DEFAULT_POLICY, maxInstanceAgeHours: 48 }),
        "2 image drift, 1 age (older than 48h)",
      );
    });
  });
});
