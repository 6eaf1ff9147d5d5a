// What a rehearsal prints says what it runs: the header names the instances and the strategy actually used, and the
// summary gives the figures that fit the scenario (a rollout's time, a scale-out apart from it, an ageing run's lag).
import * as assert from "node:assert/strict";
import { RehearsalOptions, runRehearsal } from "../../../runtime/rehearsal/rehearsal";
import { describeScenario, SCENARIOS } from "../../../runtime/rehearsal/scenarios";
import { formatSummary, TerminalView } from "../../../runtime/rehearsal/view";
import { scratchDir } from "../../support/scratch-dir";

describe("the rehearsal's text", () => {
  const tmp = scratchDir("phoenix-view-test-");

  /** Runs a scenario and returns everything the terminal view printed. */
  async function printed(scenario: string, extra: Partial<RehearsalOptions> = {}): Promise<string> {
    let text = "";
    const view = new TerminalView({ write: (t) => (text += t), live: false, color: false, speed: Infinity });
    const result = await runRehearsal({
      scenario,
      workDir: tmp(`${scenario}-${extra.mode}`),
      observer: view,
      ...extra,
    });
    view.end(result);
    return text;
  }

  it("describes every scenario with the instances it runs, never a fixed count", () => {
    for (const scenario of SCENARIOS) {
      const text = describeScenario(scenario, 7);

      assert.doesNotMatch(text, /\b(3|6|30|60)\b/, `${scenario.name}: ${text}`);
    }
    assert.match(
      describeScenario(
        SCENARIOS.find((s) => s.name === "scale-out")!,
        7,
      ),
      /web 7 → 14/,
    );
  });

  it("names the strategy the run uses: the planner's surge by default, replace with --mode original", async () => {
    const phoenix = (await printed("original", { instances: 2 })).split("\n").slice(0, 3).join("\n");
    const original = (await printed("original", { instances: 2, mode: "original" })).split("\n").slice(0, 3).join("\n");

    assert.match(phoenix, /web and API tiers of 2 on 1\.0\.266/);
    assert.match(phoenix, /strategy surge \(the planner's default\)/);
    assert.match(original, /strategy replace \(--mode original\)/);
    assert.doesNotMatch(phoenix + original, /original system's rollout|tiers of 3/);
  });

  it("times a scale-out apart from the rollout it interrupts", async () => {
    const text = await printed("scale-out");

    assert.match(text, /time for the rollout to converge: [\d.]+ simulated minutes/);
    assert.match(text, /scale-out: the alarm asked for web 3 → 6 at \+\d\d:\d\d, mid-rollout; .* web served 6 at/);
  });

  it("reports an ageing run by how long instances served past their limit, not by a time to converge", async () => {
    const text = await printed("age");

    assert.doesNotMatch(text, /time to converge|boots of/);
    assert.match(text, /recycled 6 of 6 starting instances past the 60-minute limit, oldest first/);
    assert.match(text, /served past the limit: [\d.]+–[\d.]+ min each/);
  });

  it("prints a different summary for a failed release under replace and under surge", async () => {
    const summary = async (scenario: string) => {
      const result = await runRehearsal({ scenario, workDir: tmp(`summary-${scenario}`) });
      return formatSummary(result).join("\n");
    };
    const replaced = await summary("bad-release");
    const surged = await summary("surge-abort");

    assert.match(replaced, /capacity lost: web down to 2 of 3/);
    assert.match(surged, /surge was aborted at \+\d\d:\d\d/);
    assert.match(surged, /1\.0\.266 kept full capacity throughout/);
  });
});
