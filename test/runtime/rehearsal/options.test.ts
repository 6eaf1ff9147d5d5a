// A rehearsal's options: checkpoints and a bake asked for by the caller (the bench, `--checkpoints`, `--bake`) are
// checked before anything runs, with what was wrong and what to give, and become the policy the run's Lambda uses,
// over the scenario's own; the run's header says which it uses.
import * as assert from "node:assert/strict";
import { checkOptions, RehearsalOptions, runPolicy } from "../../../runtime/rehearsal/options";
import { describeScenario, findScenario } from "../../../runtime/rehearsal/scenarios";

const RUN = { environment: "local", tiers: ["web", "api"] };

function options(scenario: string, extra: Partial<RehearsalOptions> = {}): RehearsalOptions {
  return { scenario, workDir: "", ...extra };
}

describe("rehearsal options: checkpoints and bake", () => {
  const refused: [string, Partial<RehearsalOptions>, RegExp][] = [
    ["checkpoints not ending in 100", { checkpoints: [10, 50] }, /^--checkpoints 10,50 must end in 100: the last/],
    ["checkpoints that do not increase", { checkpoints: [50, 10, 100] }, /^--checkpoints 50,10,100 must increase/],
    ["a checkpoint of 0", { checkpoints: [0, 100] }, /^--checkpoints 0,100 must hold whole percentages from 1 to 100/],
    ["a checkpoint over 100", { checkpoints: [50, 150] }, /must hold whole percentages from 1 to 100/],
    [
      "no checkpoint at all",
      { checkpoints: [] },
      /^--checkpoints \(none\) must be a list of 1 to 10 percentages ending/,
    ],
    ["a negative bake", { bakeMinutes: -1 }, /^--bake must be a whole number of minutes from 0 to 1440 \(got -1\)$/],
    ["a bake of a fraction of a minute", { bakeMinutes: 2.5 }, /^--bake must be a whole number of minutes/],
    ["a bake over a day", { bakeMinutes: 1441 }, /^--bake must be a whole number of minutes from 0 to 1440/],
  ];
  for (const [what, extra, pattern] of refused) {
    it(`refuses ${what}, saying what to give`, () => {
      assert.throws(
        () => checkOptions(findScenario("canary-alarm")!, options("canary-alarm", extra)),
        (err: Error) => err.name === "UsageError" && pattern.test(err.message),
      );
    });
  }

  it("says how to write checkpoints as a flag after what was wrong with them", () => {
    assert.throws(
      () => checkOptions(findScenario("canary-alarm")!, options("canary-alarm", { checkpoints: [10, 50] })),
      /; give comma-separated whole percentages, e\.g\. --checkpoints 10,50,100$/,
    );
  });

  it("refuses checkpoints or a bake with --mode original, whose system had neither", () => {
    for (const extra of [{ checkpoints: [10, 100] }, { bakeMinutes: 5 }]) {
      assert.throws(
        () => checkOptions(findScenario("original")!, options("original", { mode: "original", ...extra })),
        /--mode original rehearses the original system, which had no checkpoints or bakes/,
      );
    }
  });

  it("accepts the checkpoints and bakes the stack config accepts", () => {
    for (const extra of [
      { checkpoints: [100], bakeMinutes: 0 },
      { checkpoints: [1, 2, 100], bakeMinutes: 1440 },
    ]) {
      assert.doesNotThrow(() => checkOptions(findScenario("canary-good")!, options("canary-good", extra)));
    }
  });

  it("gives the run's Lambda the checkpoints and bake asked for, over the scenario's", () => {
    const scenario = findScenario("canary-alarm")!;

    const policy = runPolicy(scenario, options("canary-alarm", { checkpoints: [100], bakeMinutes: 5 }), "phoenix", RUN);

    assert.deepEqual([policy.checkpoints, policy.bakeMinutes], [[100], 5]);
    assert.equal(policy.autoRollback, true, "the rest of the scenario's policy stays");
    assert.deepEqual(policy.tiers?.web.rolloutAlarms, ["phoenix-local-web-5xx", "phoenix-local-web-latency"]);
  });

  it("keeps the scenario's checkpoints and bake when none are asked for", () => {
    const scenario = findScenario("canary-alarm")!;

    const policy = runPolicy(scenario, options("canary-alarm"), "phoenix", RUN);

    assert.deepEqual([policy.checkpoints, policy.bakeMinutes], [scenario.policy!.checkpoints, 10]);
  });

  it("describes a canary run with the checkpoints and bake it uses", () => {
    const scenario = findScenario("canary-alarm")!;

    assert.match(describeScenario(scenario, 30), /in checkpoints of 10, 50 and 100 % with 10-minute bakes:/);
    assert.match(
      describeScenario(scenario, 30, { checkpoints: [100], bakeMinutes: 5 }),
      /in one step to 100 % with a 5-minute bake:/,
    );
    assert.match(
      describeScenario(findScenario("canary-good")!, 3, { checkpoints: [25, 100], bakeMinutes: 0 }),
      /tiers of 3 in checkpoints of 25 and 100 % with no bake under/,
    );
  });
});
