// `phoenix explain`: its report is its output (stdout, so `| less` pages it), it counts a log's sweeps apart from the
// release handler's decision exactly as the rehearsal that wrote the log does, and a line cut short is reported
// rather than skipped in silence.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { readSweepLog } from "../../../runtime/cli/explain-command";
import { FleetAdapter } from "../../../runtime/core/types";
import { runRehearsal } from "../../../runtime/rehearsal/rehearsal";
import { runCli } from "../../support/fleets";
import { scratchDir } from "../../support/scratch-dir";

const offline: FleetAdapter = {
  readFleet: () => Promise.reject(new Error("explain must not read the fleet")),
  terminate: () => Promise.reject(new Error("explain must not terminate")),
};

describe("phoenix explain", () => {
  const scratch = scratchDir("phoenix-explain-");
  let log: string;
  let sweeps: number;

  before(async function () {
    this.timeout(60_000);
    const result = await runRehearsal({ scenario: "original", workDir: scratch("run") });
    log = fs.readFileSync(result.sweepLogPath, "utf8");
    sweeps = result.sweeps;
  });

  it("counts the sweeps the rehearsal counted, and the release handler's decision apart", async () => {
    const file = scratch("sweeps.jsonl");
    fs.writeFileSync(file, log);

    const result = await runCli(offline, "explain", file);

    assert.equal(result.code, 0, result.err);
    assert.equal(result.out.split("\n")[0], `${file}: ${sweeps} sweeps and 1 release`);
    assert.match(result.out, new RegExp(`^sweep ${sweeps} of ${sweeps}: local at `, "m"));
    assert.doesNotMatch(result.out, new RegExp(`^sweep ${sweeps + 1} `, "m"));
    assert.match(result.out, /^release: the release handler's decision: local at .* \(line \d+\)$/m);
  });

  it("writes its report to stdout and nothing to stderr, so it can be paged", async () => {
    const file = scratch("paged.jsonl");
    fs.writeFileSync(file, log);

    const result = await runCli(offline, "explain", file);

    assert.equal(result.err, "");
    assert.match(result.out, /replayed plan matches the logged plan/);
    assert.match(result.out, /\nevery replayed plan matches its logged plan\n$/);
  });

  it("puts the plans on stdout and the report on stderr with --json", async () => {
    const file = scratch("json.jsonl");
    fs.writeFileSync(file, log);

    const result = await runCli(offline, "explain", file, "--json");
    const doc = result.json();

    assert.equal(doc.plans.length, sweeps + 1);
    assert.equal(doc.decisions.filter((d: { by: string }) => d.by === "sweep").length, sweeps);
    assert.ok(doc.decisions.every((d: { matchesLog: boolean }) => d.matchesLog));
    assert.match(result.err, /^sweep 1 of /m);
  });

  it("reports a last line cut short instead of skipping it in silence", async () => {
    const file = scratch("cut.jsonl");
    const lines = log.trimEnd().split("\n");
    const last = lines.length;
    fs.writeFileSync(file, `${lines.slice(0, -1).join("\n")}\n${lines[last - 1].slice(0, 40)}`);

    const result = await runCli(offline, "explain", file);

    assert.equal(result.code, 0);
    assert.equal(
      result.err,
      `phoenix: line ${last} of ${file} is cut short (not valid JSON); the record on it is not replayed\n`,
    );
    assert.match(result.out, /; 1 line cut short, not replayed\n$/);
  });

  it("tells a record cut short in the middle of a log from the other lines a log interleaves", () => {
    const text = [
      "START RequestId: 1 Version: $LATEST",
      '2026-11-26T04:00:00Z {"type":"sweep.snapshot","snapshot":{"environment":"te',
      '{"_aws":{"Timestamp":1}}',
      "END RequestId: 1",
      "",
    ].join("\n");

    assert.deepEqual(readSweepLog(text).cutShort, [2]);
  });
});
