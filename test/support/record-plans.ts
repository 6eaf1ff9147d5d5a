// Records the planner's answers as specs exercise it, for test/fixtures/plans.json (held by
// test/runtime/core/planner/index.recorded.test.ts). Load it before the specs whose inputs you want:
//   PHOENIX_RECORD_PLANS=test/fixtures/plans.json npx mocha --require ts-node/register/transpile-only \
//     --require test/support/record-plans.ts test/runtime/core/planner/{policy,health,replace,index,surge,wedge,checkpoints}.test.ts \
//     test/runtime/cli/plan-text.test.ts test/runtime/ops/sweep.surge.test.ts test/runtime/aws/surge.test.ts \
//     test/runtime/ops/patching.test.ts
// Every plan() call is replayed from its JSON round trip (what a logged sweep holds) and kept once per distinct
// input, with the plan or the error it gave. Re-record only for a deliberate change of the planner's decisions or
// words, and say so in the commit: the file exists to show that a refactoring changed neither.
import * as fs from "node:fs";
import * as planner from "../../runtime/core/planner";
import { FleetSnapshot, Policy } from "../../runtime/core/types";

/** One recorded call: the input as JSON, and the plan (as JSON) or the error it threw. */
export interface RecordedPlan {
  snapshot: FleetSnapshot;
  policy: Policy;
  plan?: unknown;
  error?: { name: string; message: string };
}

/** A planner's answer for an input, in the form the fixture keeps. */
export function answer(
  planWith: typeof planner.plan,
  snapshot: FleetSnapshot,
  policy: Policy,
): Pick<RecordedPlan, "plan" | "error"> {
  try {
    return { plan: JSON.parse(JSON.stringify(planWith(snapshot, policy))) };
  } catch (err) {
    const e = err as Error;
    return { error: { name: e.name, message: e.message } };
  }
}

const out = process.env.PHOENIX_RECORD_PLANS;
if (out !== undefined && out !== "") {
  const original = planner.plan;
  const seen = new Map<string, RecordedPlan>();
  const record = (snapshot: FleetSnapshot, policy: Policy) => {
    const input = JSON.stringify({ snapshot, policy });
    if (seen.has(input)) return;
    const replay = JSON.parse(input) as { snapshot: FleetSnapshot; policy: Policy };
    seen.set(input, { ...replay, ...answer(original, replay.snapshot, replay.policy) });
  };
  // The compiled specs call planner.plan through the module's exports, so replacing the export reaches them all.
  (planner as { plan: typeof planner.plan }).plan = (snapshot, policy) => {
    record(snapshot, policy);
    return original(snapshot, policy);
  };
  process.on("exit", () => {
    // One call per line: compact, and a diff names the calls whose answer changed.
    fs.writeFileSync(out, `[\n${[...seen.values()].map((r) => JSON.stringify(r)).join(",\n")}\n]\n`);
    process.stderr.write(`recorded ${seen.size} plans to ${out}\n`);
  });
}
