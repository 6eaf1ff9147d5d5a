// Example tests of the plan text the CLI prints: log lines, one line per termination with why, and reasons.
import * as assert from "node:assert/strict";
import { formatPlan } from "../../../runtime/cli/plan-text";
import { DEFAULT_POLICY } from "../../../runtime/core/types";
import { aGroup, anInstance, aSnapshot, IMAGES } from "../../support/arbitraries";
import { newOnes, oldOnes, planReplacing as plan, SURGE, surging } from "../../support/plans";

const [OLD_AMI, NEW_AMI] = IMAGES;

describe("formatPlan", () => {
  it("prints each group's log line, each termination with why, and the reason", () => {
    const snapshot = aSnapshot(
      [
        aGroup("live-web", [
          anInstance("i-1", "1.0.266", { imageId: OLD_AMI }),
          anInstance("i-2", "1.0.274", { imageId: NEW_AMI, ageDays: 30 }),
          anInstance("i-3", "1.0.274", { imageId: NEW_AMI }),
        ]),
        aGroup("live-api", [anInstance("i-4", "1.0.274", { imageId: NEW_AMI, lifecycleState: "Pending" })]),
      ],
      { version: "1.0.274", imageId: NEW_AMI },
    );

    const lines = formatPlan(plan(snapshot, { ...DEFAULT_POLICY, maxInstanceAgeHours: 24 * 14 }));

    assert.deepEqual(lines, [
      "live-api => lowest version 1.0.274, highest version 1.0.274, unstable, 0 instances to terminate",
      "  unstable: i-4 is Pending; no terminations until every instance is healthy and the group settles",
      "live-web => lowest version 1.0.266, highest version 1.0.274, 2 instances to terminate",
      "  terminate i-1: version 1.0.266 (want 1.0.274), image drift ami-0aaa1111 (want ami-0bbb2222)",
      "  terminate i-2: age over the limit",
      "  2 stale: terminating i-1, i-2. Stale: 1 version, 1 image drift, 1 age (older than 336h). " +
        "Target: version 1.0.274 (manifest) on image ami-0bbb2222.",
    ]);
  });

  it("prints why each new instance is terminated in the plan's lines", () => {
    const failing = newOnes(25, { asgHealth: "Unhealthy" });
    const group = surging([...oldOnes(), ...failing], 25);

    const lines = formatPlan(plan(aSnapshot([group], { version: "1.0.2" }), SURGE));

    assert.ok(
      lines.includes("  terminate i-new-3: new instance of the aborted surge (is Unhealthy in the Auto Scaling group)"),
      lines.join("\n"),
    );
  });
});
