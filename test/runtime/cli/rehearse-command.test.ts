// `phoenix rehearse`: its help lists every scenario, mode and knob with an example, and bad flags, contradictory
// flags and paths it cannot write are refused with one line and exit 2 before anything runs.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command } from "commander";
import { registerRehearseCommand } from "../../../runtime/cli/rehearse-command";
import { FleetAdapter } from "../../../runtime/core/types";
import { runCli } from "../../support/fleets";

/** A program of `rehearse` alone that throws where the real one would exit, and prints no errors. */
function rehearse(): Command {
  const program = new Command("phoenix").exitOverride().configureOutput({ writeErr: () => undefined });
  registerRehearseCommand(program);
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
  return program;
}

/** What `phoenix rehearse --help` prints. */
function rehearseHelp(): string {
  const command = rehearse().commands.find((c) => c.name() === "rehearse")!;
  let help = "";
  command.configureOutput({ writeOut: (text) => (help += text) });
  command.outputHelp();
  return help;
}

describe("phoenix rehearse", () => {
  it("lists every scenario and knob in its help", () => {
    const help = rehearseHelp();

    for (const flag of ["--scenario", "--boot", "--floor", "--instances", "--speed", "--seed", "--chart", "--mode"]) {
      assert.ok(help.includes(flag), flag);
    }
  });

  it("explains every mode, on-healthy included, and shows npm start with its --", () => {
    const help = rehearseHelp();

    assert.match(help.replace(/\s+/g, " "), /on-healthy \(phoenix's plus a sweep the moment a target turns healthy/);
    assert.match(help, /npm start -- --scenario /);
    assert.match(help, /Exit codes: 0 .* 1 .* 2 /);
  });

  it("lists the promote scenario, with the knobs it uses", () => {
    const help = rehearseHelp();

    assert.match(
      help.replace(/\s+/g, " "),
      /promote test and live, each its own store and fleet: 1\.0\.274 converges in test/,
    );
    assert.match(help, /choices: .*"promote"/s);
  });

  it("refuses an unknown scenario before running anything", async () => {
    await assert.rejects(
      rehearse().parseAsync(["node", "phoenix", "rehearse", "--scenario", "nope"]),
      /Allowed choices/,
    );
  });
});

describe("phoenix rehearse and follow-ups", () => {
  it("offers the follow-up delay and a switch to turn follow-ups off", () => {
    const help = rehearseHelp();

    assert.ok(help.includes("--follow-up <seconds>"));
    assert.ok(help.includes("--no-follow-ups"));
  });

  it("refuses a follow-up delay SQS cannot hold before running anything", async () => {
    await assert.rejects(rehearse().parseAsync(["node", "phoenix", "rehearse", "--follow-up", "901"]), /--follow-up/);
  });
});

describe("phoenix rehearse refuses, before anything runs, what it could not do", () => {
  let tmp: string;
  let file: string;
  const unusedFleet = {} as FleetAdapter;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-rehearse-command-test-"));
    file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "");
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases: [string, string[], RegExp][] = [
    ["a --dir that is a file", ["--dir", "<file>"], /--dir .*a-file is a file, not a directory/],
    ["a --chart under a file", ["--chart", "<file>/rollout.svg"], /--chart .*a-file is a file, not a directory/],
    ["a --chart that is a directory", ["--chart", "<tmp>"], /--chart .* is a directory; give a file name/],
    ["--mode original with --strategy surge", ["--mode", "original", "--strategy", "surge"], /--mode original/],
    ["--mode original with a surge scenario", ["--mode", "original", "--scenario", "surge"], /surge scenario surges/],
    ["a floor above the instances", ["--floor", "5"], /--floor 5 is more than the 3 instances per tier/],
    ["a floor above --instances", ["--instances", "2", "--floor", "3"], /--floor 3 is more than the 2 instances/],
    ["more instances than it runs", ["--instances", "1001"], /--instances must be a whole number from 1 to 1000/],
    ["a --max-per-sweep past its limit", ["--max-per-sweep", "1001"], /from 0 to 1000, 0 for unlimited/],
    ["checkpoints that are not numbers", ["--checkpoints", "10,x"], /--checkpoints must be comma-separated whole/],
    ["checkpoints not ending in 100", ["--checkpoints", "10,50"], /--checkpoints 10,50 must end in 100/],
    ["a negative bake", ["--bake", "-1"], /--bake must be a whole number from 0 to 1440 \(got '-1'\)/],
    ["--mode original with a bake", ["--mode", "original", "--bake", "5"], /which had no checkpoints or bakes/],
  ];
  for (const [what, flags, pattern] of cases) {
    it(`refuses ${what} with one line and exit 2`, async () => {
      const dir = path.join(tmp, what.replace(/\W+/g, "-"));
      const args = flags.map((f) => f.replace("<file>", file).replace("<tmp>", tmp));

      const { code, out, err } = await runCli(unusedFleet, "rehearse", "--speed", "max", "--dir", dir, ...args);

      assert.equal(code, 2);
      assert.match(err, pattern);
      assert.equal(err.trim().split("\n").length, 1, err);
      assert.equal(out, "");
      assert.equal(fs.existsSync(path.join(dir, "sweeps.jsonl")), false, "it ran");
    });
  }

  it("takes --max-per-sweep 0 for unlimited, as plan and sweep do", async () => {
    const dir = path.join(tmp, "unlimited");

    const { code, err } = await runCli(unusedFleet, "rehearse", "--speed", "max", "--dir", dir, "--max-per-sweep", "0");

    assert.equal(code, 0, err);
    assert.equal(fs.existsSync(path.join(dir, "sweeps.jsonl")), true, "it ran");
  });

  it("refuses a --dir under /proc with exit 2 instead of spinning (a child process, so a hang fails the test)", () => {
    const run = spawnSync(process.execPath, ["bin/phoenix.js", "rehearse", "--dir", "/proc/phoenix-nope/run"], {
      encoding: "utf8",
      timeout: 60_000,
    });

    assert.equal(run.signal, null, "killed after a minute: it hung");
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^phoenix: --dir \/proc\/phoenix-nope\/run: cannot create \/proc\/phoenix-nope/);
  });
});

describe("phoenix rehearse --checkpoints and --bake", () => {
  let tmp: string;

  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-rehearse-checkpoints-test-"))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("offers checkpoints and a bake, with an example", () => {
    const help = rehearseHelp();

    assert.ok(help.includes("--checkpoints <list>"));
    assert.ok(help.includes("--bake <minutes>"));
    assert.match(help, /--scenario canary-alarm --instances 30 --checkpoints 100 --bake 5/);
  });

  it("runs with the checkpoints and bake its flags ask for, over the scenario's (a child process: --json prints)", () => {
    const dir = path.join(tmp, "checkpoints-flags");
    const flags = ["--scenario", "canary-alarm", "--instances", "4", "--checkpoints", "100", "--bake", "5"];

    const run = spawnSync(
      process.execPath,
      ["bin/phoenix.js", "rehearse", ...flags, "--speed", "max", "--no-chart", "--json", "--dir", dir],
      { encoding: "utf8", timeout: 60_000 },
    );

    assert.equal(run.status, 0, run.stderr);
    const { canary } = JSON.parse(run.stdout.trim().split("\n").pop()!) as {
      canary: { stoppedAt: string; peakShare: number; bootsToUndo: number };
    };
    assert.match(canary.stoppedAt, /^1 of 1 /, "one checkpoint, not the scenario's three");
    assert.deepEqual([canary.peakShare, canary.bootsToUndo], [0.5, 0]);
    assert.match(run.stderr, /in one step to 100 % with a 5-minute bake/);
  });
});
