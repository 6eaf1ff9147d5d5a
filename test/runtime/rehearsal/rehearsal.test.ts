// The local rehearsal: every scenario, driven by the real runtime at full clock speed, reaches its outcome without
// ever going below the floor, reports the figures that fit it, the same seed takes the same path, and the run draws
// its chart.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { RehearsalResult } from "../../../runtime/rehearsal/measurement";
import { checkOptions, runRehearsal, RehearsalOptions } from "../../../runtime/rehearsal/rehearsal";
import {
  BAD_VERSION,
  COPIED_IMAGE,
  findScenario,
  NEW_IMAGE,
  NEW_VERSION,
  OLD_IMAGE,
  OLD_VERSION,
} from "../../../runtime/rehearsal/scenarios";
import { scratchDir } from "../../support/scratch-dir";

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
  const workDir = scratchDir("phoenix-rehearsal-test-");
  let original: RehearsalResult;
  let chartPath: string;

  function rehearse(scenario: string, extra: Partial<RehearsalOptions> = {}): Promise<RehearsalResult> {
    return runRehearsal({
      scenario,
      workDir: workDir(`${scenario}-${extra.seed ?? 1}-${extra.mode ?? "phoenix"}-${extra.strategy ?? "default"}`),
      ...extra,
    });
  }

  before(async () => {
    chartPath = workDir("chart/rollout.svg");
    original = await rehearse("original", { chartPath });
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

  it("bad-release (replace): one instance is lost to the release, and no sweep terminates anything after", async () => {
    const result = await rehearse("bad-release");

    assert.equal(result.ok, true, result.outcome);
    assert.equal(result.strategy, "replace");
    assert.equal(result.convergedAtMinutes, undefined);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.equal(t.desired, 3);
      assert.equal(t.finalVersions[BAD_VERSION], undefined);
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

  it("bad-release and surge-abort differ in substance: replace loses an instance per tier, surge loses none", async () => {
    const replaced = await rehearse("bad-release");
    const surged = await rehearse("surge-abort");

    assert.deepEqual(
      replaced.tiers.map((t) => [t.lowestInService, t.terminated.release]),
      [
        [2, 1],
        [2, 1],
      ],
    );
    assert.deepEqual(
      surged.tiers.map((t) => [t.lowestInService, t.terminated.release]),
      [
        [3, 0],
        [3, 0],
      ],
    );
    assert.notEqual(replaced.outcome, surged.outcome);
    assert.ok(replaced.findings.some((f) => /release handler terminated/.test(f)));
    assert.ok(surged.findings.some((f) => /surge was aborted at \+\d\d:\d\d/.test(f)));
    assert.ok(surged.findings.some((f) => /kept full capacity/.test(f)));
  });

  it("image: a new base image replaces every instance, the version unchanged, each image its own series", async () => {
    const result = await rehearse("image");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    const series = result.timeline.samples.filter((s) => s.measure === "in service" && s.tier === "web");
    assert.ok(series.some((s) => s.series === `${OLD_VERSION} on ${NEW_IMAGE}` && s.count === 3));
    assert.ok(series.some((s) => s.series === `${OLD_VERSION} on ${OLD_IMAGE}` && s.count === 3));
  });

  it("scale-out by surge: the alarm comes mid-rollout, is held by the surge, and the rollout's time leaves it out", async () => {
    const result = await rehearse("scale-out");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    assert.deepEqual(result.tiers.find((t) => t.tier === "web")!.finalVersions, { [NEW_VERSION]: 6 });
    const [scale] = result.scaleOut!;
    assert.deepEqual([scale.tier, scale.from, scale.to], ["web", 3, 6]);
    assert.ok(scale.alarmAtMinutes < result.convergedAtMinutes!, "the alarm fires before the rollout converges");
    assert.ok(scale.scaledAtMinutes! >= result.convergedAtMinutes!, "the surge holds the alarm until it finishes");
    assert.ok(scale.reachedAtMinutes! > result.convergedAtMinutes!, "the scale-out's capacity comes after");
    assert.match(result.findings.join("\n"), /at \+03:00, mid-rollout; it was held while the surge/);
  });

  it("scale-out by replace: the alarm acts at once, mid-rollout, and every tier converges at its new size", async () => {
    const result = await rehearse("scale-out", { strategy: "replace" });

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    const [scale] = result.scaleOut!;
    assert.equal(scale.scaledAtMinutes, scale.alarmAtMinutes);
    assert.ok(scale.alarmAtMinutes < result.convergedAtMinutes!);
    assert.deepEqual(result.tiers.find((t) => t.tier === "web")!.finalVersions, { [NEW_VERSION]: 6 });
  });

  it("age: every instance past maxInstanceAgeHours is recycled within the floor, oldest first, and says how late", async () => {
    const result = await rehearse("age");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) assert.equal(t.terminated.sweep, 3);
    const ageing = result.ageing!;
    assert.deepEqual([ageing.limitMinutes, ageing.starting, ageing.recycled, ageing.oldestFirst], [60, 6, 6, true]);
    // Found by a sweep within one 5-minute schedule, then replaced after one boot (6 min ±10%) plus health checks.
    for (const late of ageing.pastLimitMinutes) assert.ok(late > 0 && late < 5 + 6.6 + 2, `${late} min past`);
    assert.ok(ageing.oldestServedMinutes > 60);
  });

  it("shares one sweep among the events that reach the Lambda together, so a large fleet costs few sweeps", async () => {
    const result = await rehearse("large");

    assert.equal(result.ok, true, result.outcome);
    // Two tiers of 30 surge together: 60 launches and 60 terminations, each reported, in a handful of instants.
    assert.equal(result.events, 120);
    assert.ok(result.sweeps < result.events / 4, `${result.sweeps} sweeps for ${result.events} events`);
  });

  it("refuses a floor above the instances per tier before creating anything", async () => {
    const dir = workDir("refused-floor");

    await assert.rejects(runRehearsal({ scenario: "original", floor: 5, workDir: dir }), (err: Error) => {
      assert.equal(err.name, "UsageError");
      assert.match(err.message, /--floor 5 is more than the 3 instances per tier: no instance could ever be replaced/);
      return true;
    });
    assert.equal(fs.existsSync(dir), false);
  });

  for (const [what, options, pattern] of [
    ["--strategy surge", { strategy: "surge" }, /--mode original .* but --strategy surge/],
    ["a surge scenario", { scenario: "surge-abort" }, /--mode original .* but the surge-abort scenario surges/],
  ] as const) {
    it(`refuses --mode original with ${what}, which the original system never did`, async () => {
      await assert.rejects(
        runRehearsal({ scenario: "original", mode: "original", workDir: workDir("refused-mode"), ...options }),
        pattern,
      );
    });
  }

  it("lets --mode original replace a surge scenario when --strategy replace says so", () => {
    assert.doesNotThrow(() =>
      checkOptions(findScenario("surge")!, { scenario: "surge", mode: "original", strategy: "replace", workDir: "" }),
    );
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

  it("two-operators: an operator's sweep and the Lambda's race; one holds the lease, the other stands down", async () => {
    const lines: string[] = [];
    const result = await rehearse("two-operators", {
      observer: { log: (_at, source, line) => lines.push(`${source}: ${line}`) },
    });

    assert.equal(result.ok, true, result.outcome);
    assert.equal(result.convergedAtMinutes !== undefined, true);
    assertFloorHeld(result);
    // First the Lambda wins and the operator's `phoenix sweep` exits 4; then the operator wins and the Lambda waits.
    const standDowns = lines.filter((l) => /stood down/.test(l));
    assert.equal(standDowns.length, 2, lines.join("\n"));
    assert.match(
      standDowns[0],
      /^operator: {3}stood down \(exit 4\): the lease is held by \w+ \(lambda local-rollout request schedule-\d+, Scheduled Event\)/,
    );
    assert.match(standDowns[1], /^schedule: stood down: the lease is held by \w+ \(operator@laptop, phoenix sweep\)/);
    assert.ok(
      lines.some((l) => /^operator: {3}local-web => .*surge finish/.test(l)),
      "the operator's sweep finished a surge",
    );
  });

  it("first-release: placeholders serve healthy until the first release, which surges the fleet up at full capacity", async () => {
    const result = await rehearse("first-release");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.equal(t.lowestInService, 3, "the placeholders serve until their replacements do");
      assert.equal(t.launched, 3, "one launch per placeholder: no boot loop, nothing replaced by Auto Scaling");
      assert.equal(t.terminated.asgUnhealthy, 0);
      assert.deepEqual(t.finalVersions, { [NEW_VERSION]: 3 });
    }
    assert.match(result.decisions[0], /lowest version 0\.0\.0-unreleased, highest version 0\.0\.0-unreleased/);
  });

  it("region-loss: live-dr serves live's release from the replica and the copied image, nothing replaced", async () => {
    const result = await rehearse("region-loss");

    assert.equal(result.ok, true, result.outcome);
    assert.match(result.outcome, new RegExp(`converged on ${NEW_VERSION.replace(/\./g, "\\.")} \\(${COPIED_IMAGE}\\)`));
    assert.ok(result.convergedAtMinutes! < 2 * result.bootMinutes, "serving within two boots of the loss");
    for (const t of result.tiers) {
      assert.deepEqual(t.finalVersions, { [NEW_VERSION]: 3 });
      assert.equal(t.launched, 3, "the recovery boots each instance once, straight onto the replicated release");
      assert.deepEqual(t.terminated, { release: 0, sweep: 0, asgUnhealthy: 0, scaleIn: 0 });
    }
    assert.ok(
      result.decisions.every((d) => /live-dr-(web|api)/.test(d)),
      "only the recovery environment is swept",
    );
  });

  it("canary-alarm: a release bad under traffic is caught in the first bake and aborted, no boot spent", async () => {
    const result = await rehearse("canary-alarm");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    const c = result.canary!;
    assert.match(c.stoppedAt ?? "", /^1 of 3 /, "stopped at the first checkpoint");
    // Three one-minute datapoints over the threshold, the first of them begun before the instance served.
    assert.ok(c.alarmAtMinutes! > c.firstServedAtMinutes! + 2, "the alarm needs three breaching minutes");
    assert.equal(c.rolledBackAtMinutes, undefined, "nothing to roll back: the old instances all still serve");
    assert.equal(c.bootsToUndo, 0);
    assert.ok(c.peakShare < 0.15, `${BAD_VERSION} served ${c.peakShare} of the fleet`);
    assert.ok(c.backAtMinutes! - c.stoppedAtMinutes! < 1, "back as soon as the new instances drain");
    for (const t of result.tiers) {
      assert.deepEqual(t.finalVersions, { [OLD_VERSION]: 10 });
      assert.equal(t.lowestInService, 10, "full capacity throughout");
      assert.equal(t.launched, 1, "only the first checkpoint's share ever launched");
    }
    assert.match(result.findings.join("\n"), /time to detect: phoenix-local-(web|api)-5xx in ALARM at \+0\d:\d\d/);
  });

  it("late-alarm: the alarm fires past the 50 % checkpoint, and automatic rollback brings the old version back", async () => {
    const result = await rehearse("late-alarm");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    const c = result.canary!;
    assert.match(c.stoppedAt ?? "", /^3 of 3 /, "stopped once past the second checkpoint");
    assert.ok(c.rolledBackAtMinutes !== undefined && c.backAtMinutes! > c.rolledBackAtMinutes);
    assert.ok(c.bootsToUndo > 0, "old instances were gone: undoing them costs boots");
    for (const t of result.tiers) assert.deepEqual(t.finalVersions, { [OLD_VERSION]: 10 });
    const records = fs
      .readFileSync(result.sweepLogPath, "utf8")
      .split("\n")
      .filter((l) => l.includes('"type":"sweep.rollback"'))
      .map((l) => JSON.parse(l) as { status: string; from: string; to: string; checkpoint: string });
    assert.deepEqual(
      records.map((r) => [r.status, r.from, r.to, r.checkpoint]),
      [["done", BAD_VERSION, OLD_VERSION, "3 of 3"]],
    );
    const record = JSON.parse(
      fs.readFileSync(path.join(workDir("late-alarm-1-phoenix-default"), "bucket", "rollbacks", "latest.json"), "utf8"),
    ) as { from: string; to: string; alarm: string };
    assert.deepEqual([record.from, record.to], [BAD_VERSION, OLD_VERSION]);
    assert.match(record.alarm, /^phoenix-local-(web|api)-5xx$/);
  });

  it("canary-good: a good release passes every checkpoint, each baked, and converges", async () => {
    const result = await rehearse("canary-good");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    const c = result.canary!;
    assert.equal(c.stoppedAtMinutes, undefined);
    assert.deepEqual(
      c.passed.filter((p) => p.tier === "web").map((p) => p.checkpoint),
      ["1 of 3", "2 of 3", "3 of 3"],
    );
    assert.ok(c.bakeMinutes >= 30, `three 10-minute bakes, ${c.bakeMinutes} min`);
    assert.ok(result.convergedAtMinutes! > 30 + 3 * result.bootMinutes * 0.9, "three boots and three bakes");
    for (const t of result.tiers) assert.deepEqual(t.finalVersions, { [NEW_VERSION]: 10 });
  });

  it("canary-good with checkpoints [10, 50, 100] and 5-minute bakes: every checkpoint passes, each baked 5 minutes", async () => {
    const result = await rehearse("canary-good", {
      instances: 3,
      checkpoints: [10, 50, 100],
      bakeMinutes: 5,
      workDir: workDir("canary-good-bake-5"),
    });

    assert.equal(result.ok, true, result.outcome);
    const c = result.canary!;
    assert.deepEqual(
      c.passed.filter((p) => p.tier === "web").map((p) => p.checkpoint),
      ["1 of 3", "2 of 3", "3 of 3"],
    );
    assert.ok(
      c.bakeMinutes >= 15 && c.bakeMinutes < 20,
      `three 5-minute bakes, not the scenario's 10: ${c.bakeMinutes}`,
    );
  });

  it("canary-alarm with checkpoints [100] and a bake: the whole new fleet bakes beside the old, is caught and aborted", async () => {
    const result = await rehearse("canary-alarm", {
      instances: 4,
      checkpoints: [100],
      bakeMinutes: 5,
      workDir: workDir("canary-alarm-100-bake-5"),
    });

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    const c = result.canary!;
    assert.match(c.stoppedAt ?? "", /^1 of 1 /, "one checkpoint, the whole group");
    assert.equal(c.bootsToUndo, 0, "the old instances all still serve: aborting the surge undoes it");
    assert.equal(c.peakShare, 0.5, "4 new beside 4 old: half of those in service ran it");
    for (const t of result.tiers) {
      assert.equal(t.launched, 4, "the whole group launched at once");
      assert.deepEqual(t.finalVersions, { [OLD_VERSION]: 4 });
    }
  });

  it("canary-alarm with checkpoints [100] and no bake converges on the bad release before its alarm can stop it", async () => {
    const result = await rehearse("canary-alarm", {
      instances: 4,
      checkpoints: [100],
      bakeMinutes: 0,
      workDir: workDir("canary-alarm-100-no-bake"),
    });

    assert.equal(result.ok, false, "the scenario expects a stop, and there was none");
    const c = result.canary!;
    assert.equal(c.stoppedAtMinutes, undefined);
    assert.ok(c.alarmAtMinutes! > c.allServedAtMinutes!, "the alarm fired after every old instance was gone");
    for (const t of result.tiers) assert.deepEqual(t.finalVersions, { [BAD_VERSION]: 4 });
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

  it("draws a well-formed SVG chart holding each tier and version series", () => {
    const svg = fs.readFileSync(chartPath, "utf8");

    assert.equal(original.chartPath, chartPath);
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\s*$/);
    assert.equal(unbalancedTag(svg), undefined);
    assert.equal(svg.match(/>floor 1<\/text>/g)?.length, 2, "one floor per tier");
    for (const label of ["web", "api", OLD_VERSION, NEW_VERSION]) assert.ok(svg.includes(`>${label}</text>`), label);
  });
});
