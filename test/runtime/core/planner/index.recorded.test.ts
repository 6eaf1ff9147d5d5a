// The planner's decisions and words, held against answers recorded from the planner as it was before it was split
// into policy, health, replace, surge and explain (issue 12), re-recorded since on purpose (issue 14: wedged groups
// and the tag a surge's end leaves; issue 15: unverified groups; issue 18: checkpoints, bakes and rollout alarms, the
// placeholder's health examples since added): the 128 distinct inputs its example specs, the AWS surge spec and the
// patching spec build, replayed from JSON as a logged sweep would be. A refactoring must leave
// every plan JSON-identical, key order included, and every refusal worded the same. test/support/record-plans.ts
// says how the file is made.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { plan } from "../../../../runtime/core/planner";
import { answer, RecordedPlan } from "../../../support/record-plans";

const recorded = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "..", "..", "fixtures", "plans.json"), "utf8"),
) as RecordedPlan[];

describe("planner against recorded plans", () => {
  it("has recorded plans of every surge phase and of the original rules to compare with", () => {
    const phases = new Set(
      recorded.flatMap((r) =>
        ((r.plan as { groups?: { surge?: { phase: string } }[] } | undefined)?.groups ?? []).map(
          (g) => g.surge?.phase ?? "replace",
        ),
      ),
    );
    assert.deepEqual([...phases].sort(), [
      "abort",
      "baking",
      "blocked",
      "fallback-replace",
      "finish",
      "replace",
      "start",
      "stopped",
      "waiting",
      "wedged",
    ]);
  });

  recorded.forEach((r, n) => {
    it(`gives the recorded answer for input ${n + 1} (${r.snapshot.groups.map((g) => g.name).join(", ") || "no groups"})`, () => {
      const { plan: expected, error } = r;
      assert.equal(JSON.stringify(answer(plan, r.snapshot, r.policy)), JSON.stringify({ plan: expected, error }));
    });
  });
});
