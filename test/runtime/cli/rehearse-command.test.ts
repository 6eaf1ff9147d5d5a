// `phoenix rehearse`: its help lists every scenario and knob, follow-ups included, and a bad scenario or follow-up
// delay is refused before anything runs.
import * as assert from "node:assert/strict";
import { Command } from "commander";
import { registerRehearseCommand } from "../../../runtime/cli/rehearse-command";

describe("phoenix rehearse", () => {
  it("lists every scenario and knob in its help", () => {
    const program = new Command("phoenix");
    registerRehearseCommand(program);

    const help = program.commands.find((c) => c.name() === "rehearse")!.helpInformation();

    for (const flag of ["--scenario", "--boot", "--floor", "--instances", "--speed", "--seed", "--chart", "--mode"]) {
      assert.ok(help.includes(flag), flag);
    }
  });

  it("refuses an unknown scenario before running anything", async () => {
    const program = new Command("phoenix").exitOverride().configureOutput({ writeErr: () => undefined });
    registerRehearseCommand(program);
    program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));

    await assert.rejects(program.parseAsync(["node", "phoenix", "rehearse", "--scenario", "nope"]), /Allowed choices/);
  });
});

describe("phoenix rehearse and follow-ups", () => {
  function rehearse(): Command {
    const program = new Command("phoenix").exitOverride().configureOutput({ writeErr: () => undefined });
    registerRehearseCommand(program);
    program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
    return program;
  }

  it("offers the follow-up delay and a switch to turn follow-ups off", () => {
    const help = rehearse()
      .commands.find((c) => c.name() === "rehearse")!
      .helpInformation();

    assert.ok(help.includes("--follow-up <seconds>"));
    assert.ok(help.includes("--no-follow-ups"));
  });

  it("refuses a follow-up delay SQS cannot hold before running anything", async () => {
    await assert.rejects(rehearse().parseAsync(["node", "phoenix", "rehearse", "--follow-up", "901"]), /--follow-up/);
  });
});
