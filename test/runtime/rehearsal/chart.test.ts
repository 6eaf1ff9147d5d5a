// The rehearsal's chart, read as a picture would be: the failed version's instances and their terminations, desired
// capacity and the total in service, the run's labelled moments, a legend that tells every series apart, a floor that
// hides nothing, and a time axis named after what each scenario does at minute zero.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { countTicks } from "../../../runtime/rehearsal/chart";
import { laneLabels } from "../../../runtime/rehearsal/chart-labels";
import { RehearsalResult } from "../../../runtime/rehearsal/measurement";
import { runRehearsal } from "../../../runtime/rehearsal/rehearsal";
import { BAD_VERSION, NEW_IMAGE, OLD_IMAGE, OLD_VERSION } from "../../../runtime/rehearsal/scenarios";
import { scratchDir } from "../../support/scratch-dir";

const SCENARIOS = [
  "original",
  "bad-release",
  "surge-abort",
  "scale-out",
  "age",
  "image",
  "rollback",
  "canary-alarm",
  "late-alarm",
  "canary-good",
];

describe("the rehearsal's chart", () => {
  const tmp = scratchDir("phoenix-chart-test-");
  const runs = new Map<string, { result: RehearsalResult; svg: string }>();

  before(async function () {
    // A whole rehearsal per scenario, one after the other: seconds on an idle machine, but past mocha's 20 s when
    // other work shares the 2 CPUs (three full runs under load failed here, never on what the charts draw).
    this.timeout(SCENARIOS.length * 15_000);
    for (const scenario of SCENARIOS) {
      const chartPath = tmp(`${scenario}.svg`);
      const result = await runRehearsal({ scenario, workDir: tmp(scenario), chartPath });
      runs.set(scenario, { result, svg: fs.readFileSync(chartPath, "utf8") });
    }
  });

  const run = (scenario: string) => runs.get(scenario)!;
  /** The text of every text element in the SVG. */
  const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  /** Each panel's count axis, as the numbers it labels. */
  const countAxes = (svg: string) =>
    svg
      .split(`aria-label="Y-axis`)
      .slice(1)
      .map((axis) => {
        const labels = axis.slice(axis.indexOf("role-axis-label"));
        return texts(labels.slice(0, labels.indexOf("</g>"))).map(Number);
      });

  for (const scenario of ["bad-release", "surge-abort"]) {
    it(`${scenario}: draws the failed version's instances booting and failing, and marks each termination`, () => {
      const { result, svg } = run(scenario);

      assert.ok(
        svg.includes(`version: ${BAD_VERSION}; line: booting or failing checks`),
        "no line for the failed version",
      );
      assert.ok(texts(svg).includes(BAD_VERSION), "the failed version is not in the legend");
      const marks = result.timeline.terminations.filter((m) => m.series === BAD_VERSION);
      assert.ok(marks.length > 0, "no termination of the failed version marked");
      assert.ok(
        marks.every((m) => m.measure === "booting"),
        "a failed instance was drawn as serving",
      );
      for (const m of marks) {
        assert.ok(svg.includes(`instances: ${m.count}; series: ${BAD_VERSION}; what: terminated`), "× not drawn");
      }
    });
  }

  it("surge: desired capacity rises from 3 to 6 and back, and the total in service is drawn reaching 6", () => {
    const { result, svg } = run("original");
    const web = result.timeline.samples.filter((s) => s.tier === "web");

    assert.deepEqual(
      web.filter((s) => s.measure === "desired").map((s) => s.count),
      [3, 6, 3],
    );
    assert.equal(Math.max(...web.filter((s) => s.measure === "total").map((s) => s.count)), 6);
    assert.ok(svg.includes("line: desired capacity") && svg.includes("line: total in service"));
    for (const legend of ["in service", "booting or failing checks", "total in service", "desired capacity"]) {
      assert.ok(texts(svg).includes(legend), legend);
    }
  });

  for (const [scenario, labels] of [
    ["original", ["release 1.0.274", "surge 3 → 6", "surge finish", "converged"]],
    ["bad-release", ["release 1.0.275 (broken)", "release handler terminates", "Auto Scaling replaces unhealthy"]],
    ["surge-abort", ["release 1.0.275 (broken)", "surge 3 → 6", "surge ABORT"]],
    ["scale-out", ["alarm: web 3 → 6 (held: surge)", "scale-out 3 → 6", "rollout converged", "6 in service"]],
    ["age", ["surge 3 → 4 (age)", "surge finish", "converged"]],
    [
      "canary-alarm",
      ["release 1.0.275 (5xx on 50 %)", "checkpoint 1/3: 10%", "5xx alarm: ALARM", "rollout stopped: surge abort"],
    ],
    [
      "late-alarm",
      ["checkpoint 2/3: 50%", "checkpoint 3/3: 100%", "rollout stopped: roll back", "rolled back to 1.0.266"],
    ],
  ] as const) {
    it(`${scenario}: labels the moments that matter (${labels.join(", ")})`, () => {
      const shown = texts(run(scenario).svg).join("\n");

      for (const label of labels) assert.ok(shown.includes(label), `no "${label}" in:\n${shown}`);
    });
  }

  it("canary-alarm and late-alarm: draw each bake and each alarm period as a band, and name both in the legend", () => {
    for (const scenario of ["canary-alarm", "late-alarm"]) {
      const { result, svg } = run(scenario);
      const periods = result.timeline.periods ?? [];

      for (const kind of ["bake", "alarm in ALARM"] as const) {
        const mine = periods.filter((p) => p.kind === kind);
        assert.ok(mine.length > 0, `${scenario}: no ${kind} period`);
        for (const p of mine) assert.ok(p.to > p.from, `${scenario}: an empty ${kind} period`);
        assert.ok(svg.includes(`rollout: ${kind}"`), `${scenario}: no ${kind} band drawn`);
        assert.ok(texts(svg).includes(kind), `${scenario}: ${kind} is not in the legend`);
      }
      // The alarm fired in the bake it stopped: its period begins inside one.
      const alarm = periods.find((p) => p.kind === "alarm in ALARM")!;
      assert.ok(
        periods.some((p) => p.kind === "bake" && p.tier === alarm.tier && p.from <= alarm.from && alarm.from <= p.to),
      );
    }
  });

  for (const [scenario, highest, ticks] of [
    ["late-alarm", 15, [0, 5, 10, 15]],
    ["original", 6, [0, 2, 4, 6]],
    ["scale-out", 6, [0, 2, 4, 6]],
    ["bad-release", 3, [0, 1, 2, 3]],
  ] as const) {
    it(`${scenario}: counts up to the fleet's highest (${highest}) on every panel alike, the labels in a band above`, () => {
      const { result, svg } = run(scenario);

      assert.equal(Math.max(...result.timeline.samples.map((s) => s.count)), highest);
      assert.deepEqual(countAxes(svg), [ticks, ticks]);
    });
  }

  it("draws the bake and alarm bands, and their legend, only for a run that has them", () => {
    for (const scenario of ["original", "bad-release", "surge-abort", "scale-out"]) {
      const { svg } = run(scenario);

      assert.ok(!texts(svg).includes("bake") && !texts(svg).includes("rollout"), `${scenario}: a legend for no band`);
    }
    assert.ok(texts(run("canary-good").svg).includes("bake"));
  });

  it("late-alarm: hangs each moment's labels off its own rule, all on one side, the alarm's below the checkpoint's", () => {
    const { result } = run("late-alarm");
    const labels = laneLabels(result.timeline.milestones, "web", result.endedAtMinutes);
    const byMoment = new Map<number, (typeof labels)[number][]>();
    for (const l of labels) byMoment.set(l.minutes, [...(byMoment.get(l.minutes) ?? []), l]);

    for (const group of byMoment.values()) {
      assert.equal(
        new Set(group.map((l) => l.align)).size,
        1,
        `mixed alignment: ${group.map((l) => l.label).join(", ")}`,
      );
      assert.deepEqual(
        group.map((l) => l.lane - group[0].lane),
        group.map((_, k) => k),
      );
    }
    const lanes = labels.map((l) => `${l.lane} ${l.label}`);
    assert.ok(lanes.includes("3 5xx alarm: ALARM") && lanes.includes("4 rollout stopped: roll back"), lanes.join("\n"));
  });

  it("image: the legend names both series in full, old image and new", () => {
    const legend = texts(run("image").svg);

    assert.ok(legend.includes(`${OLD_VERSION} on ${OLD_IMAGE}`));
    assert.ok(legend.includes(`${OLD_VERSION} on ${NEW_IMAGE}`));
  });

  it("shades below the floor and paints it first, so a line at the floor's height stays on top", () => {
    const { svg } = run("bad-release");
    const panel = svg.slice(svg.indexOf("role-scope cell"));

    assert.ok(panel.indexOf("rect mark container") >= 0, "no floor shade");
    assert.ok(panel.indexOf("rect mark container") < panel.indexOf("line mark container"));
    assert.ok(!/aria-label="floor: 1"[^>]*aria-roledescription="rule mark"/.test(svg), "a rule drawn at the floor");
  });

  for (const [scenario, title] of [
    ["original", "simulated minutes since the release"],
    ["rollback", "simulated minutes since the rollback"],
    ["image", "simulated minutes since the new base image"],
    ["age", "simulated minutes since the start"],
  ] as const) {
    it(`${scenario}: names its time axis "${title}"`, () => {
      assert.ok(texts(run(scenario).svg).includes(title));
    });
  }
});

describe("the chart's count axis", () => {
  it("ends at the first multiple of a round step at or above the highest count, in at most five steps", () => {
    assert.deepEqual(countTicks(1), [0, 1]);
    assert.deepEqual(countTicks(3), [0, 1, 2, 3]);
    assert.deepEqual(countTicks(6), [0, 2, 4, 6]);
    assert.deepEqual(countTicks(11), [0, 5, 10, 15]);
    assert.deepEqual(countTicks(15), [0, 5, 10, 15]);
    assert.deepEqual(countTicks(60), [0, 20, 40, 60]);
    assert.deepEqual(countTicks(2000), [0, 500, 1000, 1500, 2000]);
  });
});

describe("the chart's moment labels", () => {
  const at = (minutes: number, label: string, tier?: string) => ({ minutes, label, ...(tier && { tier }) });

  it("stacks moments too close to tell apart under one rule, and keeps each tier's own", () => {
    const labels = laneLabels([at(0, "release"), at(0.01, "surge 3 → 6", "web"), at(0.01, "x", "api")], "web", 10);

    assert.deepEqual(
      labels.map((l) => [l.label, l.minutes, l.lane, l.rule]),
      [
        ["release", 0, 0, true],
        ["surge 3 → 6", 0, 1, false],
      ],
    );
  });

  it("puts a label whose rule would cross another label in a lane below it", () => {
    const labels = laneLabels([at(0, "a long label that runs far to the right"), at(1, "next")], "web", 10);

    assert.deepEqual(
      labels.map((l) => l.lane),
      [0, 1],
    );
    assert.ok(labels[1].top > labels[0].top);
  });

  it("aligns a moment's labels alike, ending all at its rule when the widest would run past the right edge", () => {
    const labels = laneLabels([at(9.5, "short"), at(9.5, "a label too long to start at its rule")], "web", 10);

    assert.deepEqual(
      labels.map((l) => [l.lane, l.align]),
      [
        [0, "right"],
        [1, "right"],
      ],
    );
  });

  it("keeps labels far apart in the first lane, and ends one at its rule near the right edge", () => {
    const labels = laneLabels([at(0, "start"), at(5, "middle"), at(9.9, "the very end")], "web", 10);

    assert.deepEqual(
      labels.map((l) => [l.lane, l.align]),
      [
        [0, "left"],
        [0, "left"],
        [0, "right"],
      ],
    );
  });
});
