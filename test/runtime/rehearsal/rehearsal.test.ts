// The local rehearsal: every scenario, driven by the real runtime at full clock speed, reaches its outcome without
// ever going below the floor, the same seed takes the same path, and the run draws its chart.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RehearsalResult } from "../../../runtime/rehearsal/measurement";
import { runRehearsal, RehearsalOptions } from "../../../runtime/rehearsal/rehearsal";
import { BAD_VERSION, NEW_IMAGE, NEW_VERSION, OLD_VERSION } from "../../../runtime/rehearsal/scenarios";

let tmp: string;

function workDir(name: string): string {
  return path.join(tmp, name);
}

function rehearse(scenario: string, extra: Partial<RehearsalOptions> = {}): Promise<RehearsalResult> {
  return runRehearsal({
    scenario,
    workDir: workDir(`${scenario}-${extra.seed ?? 1}-${extra.mode ?? "phoenix"}-${extra.strategy ?? "default"}`),
    ...extra,
  });
}

/** Tags open and close in order (a well-formedness check without an XML parser); returns the first problem. */
function unbalancedTag(xml: string): string | undefined {
  const stack: string[] = [];
  for (const [, closing, name, selfClosing] of xml.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) return `</${name}> closes nothing open`;
  }
  return stack.length === 0 ? undefined : `<${stack.at(-1)}> is never closed`;
}

describe("rehearsal scenarios, driven by the real runtime", () => {
  let original: RehearsalResult;
  let chartPath: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-rehearsal-test-"));
    chartPath = path.join(tmp, "chart", "rollout.svg");
    original = await rehearse("original", { chartPath });
  });

  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function assertFloorHeld(result: RehearsalResult) {
    assert.deepEqual(result.breaches, []);
    assert.equal(result.floorBreached, false);
    for (const t of result.tiers)
      assert.ok(t.lowestInService >= Math.min(t.floor, 3), `${t.tier} went below the floor`);
  }

  it("original: web and API converge from 1.0.266 on 1.0.274 without going below the floor", () => {
    const result = original;

    assert.equal(result.ok, true, result.outcome);
    assert.ok(result.convergedAtMinutes !== undefined && result.convergedAtMinutes > result.bootMinutes);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.deepEqual(t.finalVersions, { [NEW_VERSION]: 3 });
      assert.equal(t.launched, 3, "one launch per replaced instance");
      assert.equal(t.desired, 3);
    }
  });

  it("the original behaviour (schedule only, replace, floor 1): one replaced at release, the rest down to the floor", async () => {
    const scheduleOnly = await rehearse("original", { mode: "original" });

    assert.equal(scheduleOnly.ok, true, scheduleOnly.outcome);
    assert.ok(scheduleOnly.convergedAtMinutes! >= original.convergedAtMinutes!, "never sooner than phoenix's");
    for (const t of scheduleOnly.tiers) {
      assert.equal(t.terminated.release, 1, "the release handler replaces exactly one instance per tier");
      assert.equal(t.lowestInService, 1);
    }
    assert.ok(
      scheduleOnly.decisions.some((d) =>
        / => lowest version 1\.0\.266, highest version 1\.0\.274, 2 instances/.test(d),
      ),
    );
  });

  it("bad-release: the rollout stops itself, the old version still serving with capacity intact", async () => {
    const result = await rehearse("bad-release");

    assert.equal(result.ok, true, result.outcome);
    assert.equal(result.convergedAtMinutes, undefined);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.equal(t.desired, 3);
      assert.ok(t.finalVersions[OLD_VERSION] >= 2);
      assert.equal(t.finalVersions[BAD_VERSION], undefined);
    }
  });

  it("bad-release by replace: one instance is lost to the release, and no sweep terminates anything after", async () => {
    const result = await rehearse("bad-release", { strategy: "replace" });

    assert.equal(result.ok, true, result.outcome);
    for (const t of result.tiers) {
      assert.equal(t.terminated.release, 1);
      assert.equal(t.terminated.sweep, 0, "no sweep terminates anything in a group that never becomes stable");
      assert.deepEqual(t.finalVersions, { [OLD_VERSION]: 2 });
    }
  });

  it("rollback: the fleet converges back on 1.0.266", async () => {
    fs.mkdirSync(workDir("rollback-1-phoenix-default"), { recursive: true });
    fs.writeFileSync(path.join(workDir("rollback-1-phoenix-default"), "keep.txt"), "not the rehearsal's");
    fs.writeFileSync(path.join(workDir("rollback-1-phoenix-default"), "sweeps.jsonl"), "a previous run's log\n");

    const result = await rehearse("rollback");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) assert.deepEqual(t.finalVersions, { [OLD_VERSION]: 3 });
    assert.ok(
      fs.existsSync(path.join(workDir("rollback-1-phoenix-default"), "keep.txt")),
      "only its own files are replaced",
    );
    assert.doesNotMatch(fs.readFileSync(result.sweepLogPath, "utf8"), /a previous run/);
  });

  it("image: a new base image replaces every instance, the version unchanged", async () => {
    const result = await rehearse("image");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    assert.ok(result.samples.some((s) => s.series === `${OLD_VERSION} on ${NEW_IMAGE}` && s.inService === 3));
  });

  for (const strategy of ["surge", "replace"] as const) {
    it(`scale-out by ${strategy}: the web tier grows from 3 to 6 mid-rollout and still converges`, async () => {
      const result = await rehearse("scale-out", { strategy });

      assert.equal(result.ok, true, result.outcome);
      assertFloorHeld(result);
      assert.deepEqual(result.tiers.find((t) => t.tier === "web")!.finalVersions, { [NEW_VERSION]: 6 });
    });
  }

  it("age: every instance past maxInstanceAgeHours is recycled within the floor", async () => {
    const result = await rehearse("age");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) assert.equal(t.terminated.sweep, 3);
  });

  it("a larger fleet (6 per tier) replaced in place converges with a floor of half its capacity, never below it", async () => {
    const result = await rehearse("large", { instances: 6, floorPercent: 50, strategy: "replace" });

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.equal(t.floor, 3);
      assert.equal(t.lowestInService, 3);
    }
  });

  it("surge: replacements launch first, so every tier keeps full capacity and converges", async () => {
    const result = await rehearse("surge");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.equal(t.lowestInService, 3);
      assert.deepEqual(t.finalVersions, { [NEW_VERSION]: 3 });
      assert.equal(t.desired, 3, "desired capacity is back at its baseline");
    }
  });

  it("surge-abort: a broken release is aborted, the old version serving at full capacity throughout", async () => {
    const result = await rehearse("surge-abort");

    assert.equal(result.ok, true, result.outcome);
    for (const t of result.tiers) {
      assert.equal(t.lowestInService, 3);
      assert.equal(t.desired, 3, "the abort restores the baseline");
      assert.deepEqual(t.finalVersions, { [OLD_VERSION]: 3 });
    }
  });

  it("surge-no-room: with max size at desired capacity the rollout falls back to replace and converges", async () => {
    const result = await rehearse("surge-no-room");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) assert.ok(t.lowestInService < 3, "replace takes instances out before replacing them");
  });

  it("a replace rollout the floor forbids does not converge, and the outcome says why", async () => {
    const result = await rehearse("original", { floor: 3, strategy: "replace" });

    assert.equal(result.ok, false);
    assert.equal(result.convergedAtMinutes, undefined);
    assert.match(result.outcome, /did not converge on 1\.0\.274 .*none above the floor of 3/);
    for (const t of result.tiers) assert.equal(t.launched, 0);
  });

  it("the same seed takes the same path", async () => {
    const again = await rehearse("original", { seed: 1 });

    assert.deepEqual(again.decisions, original.decisions);
    assert.equal(again.convergedAtMinutes, original.convergedAtMinutes);
  });

  it("draws an SVG chart holding each tier and version series", () => {
    const svg = fs.readFileSync(chartPath, "utf8");

    assert.equal(original.chartPath, chartPath);
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\s*$/);
    assert.equal(unbalancedTag(svg), undefined);
    assert.equal(svg.match(/aria-label="floor: 1"/g)?.length, 2, "one floor rule per tier");
    for (const label of ["web", "api", OLD_VERSION, NEW_VERSION]) assert.ok(svg.includes(`>${label}</text>`), label);
  });
});
