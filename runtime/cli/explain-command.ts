// `phoenix explain <file>`: replays every decision a log holds through the planner, offline, and prints the lines
// `phoenix plan` prints for each, and whether the replay matches the plan that was logged. A log holds two kinds of
// decision: a sweep's (schedule, events, follow-ups, the CLI's `sweep --record`) and the release handler's (right
// after a release wrote the manifest); the report counts them apart, as the rehearsal does. The report is the
// command's output, on stdout (`| less` pages it); with --json the plans are, and the report moves to stderr.
import { Command } from "commander";
import * as fs from "node:fs";
import { UsageError } from "../core/errors";
import { plan as planFleet } from "../core/planner";
import { FleetSnapshot, Plan, Policy } from "../core/types";
import { SweepRecord } from "../ops/sweep";
import { formatPlan, planJson } from "./plan-text";

/** One decision the log holds: what was read, under which policy, and the plan logged after it. */
export interface LoggedDecision {
  /** `release`: the release handler's decision, logged right after its `release.manifest` record. */
  by: "sweep" | "release";
  snapshot: FleetSnapshot;
  policy: Policy;
  /** The plan the run logged for this snapshot, when the log holds it. */
  logged?: Plan;
  /** 1-based line of the snapshot record. */
  line: number;
}

export interface SweepLog {
  /** The sweep records, in order (`sweep.snapshot`, `sweep.plan`, `sweep.terminated`). */
  records: SweepRecord[];
  decisions: LoggedDecision[];
  /** 1-based lines that begin a phoenix record but are not valid JSON: cut short, by a log still being written or a
   * truncated export. */
  cutShort: number[];
}

const SWEEP_TYPES = new Set(["sweep.snapshot", "sweep.plan", "sweep.terminated"]);

/** Reads a log: JSON lines, possibly prefixed (CloudWatch exports add a timestamp), other lines interleaved. */
export function readSweepLog(text: string): SweepLog {
  const records: SweepRecord[] = [];
  const decisions: LoggedDecision[] = [];
  const cutShort: number[] = [];
  const lines = text.split("\n");
  let afterManifest = false;
  lines.forEach((line, index) => {
    const start = line.indexOf("{");
    if (start < 0) return;
    let value: { type?: unknown };
    try {
      value = JSON.parse(line.slice(start)) as { type?: unknown };
    } catch {
      // Records are written with `type` first; the last line of a file with no newline after it is the other tell.
      const isLast = index === lines.length - 1 && line.trim() !== "";
      if (/^\{"type":"(sweep|release)\./.test(line.slice(start)) || isLast) cutShort.push(index + 1);
      return;
    }
    if (typeof value.type !== "string") return;
    if (value.type.startsWith("release.")) afterManifest = value.type === "release.manifest";
    if (!SWEEP_TYPES.has(value.type)) return;
    const record = value as SweepRecord;
    records.push(record);
    if (record.type === "sweep.snapshot") {
      decisions.push({
        by: afterManifest ? "release" : "sweep",
        snapshot: record.snapshot,
        policy: record.policy,
        line: index + 1,
      });
      afterManifest = false;
    } else if (record.type === "sweep.plan" && decisions.length > 0 && decisions.at(-1)!.logged === undefined) {
      decisions.at(-1)!.logged = record.plan;
    }
  });
  return { records, decisions, cutShort };
}

/** Adds `explain` to the program. */
export function registerExplainCommand(
  program: Command,
  ctx: { out(text: string): void; err(text: string): void },
): void {
  program
    .command("explain")
    .description("replay the decisions a log holds offline and print what each decided, and why")
    .argument("<file>", "a log holding sweep records (from the Lambda's log group, `--record` or a rehearsal)")
    .option("--json", "print the replayed plans as JSON on stdout (the report goes to stderr)")
    .action((file: string, opts: { json?: boolean }) => {
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (cause) {
        throw new UsageError(`cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`);
      }
      const log = readSweepLog(text);
      for (const line of log.cutShort) {
        ctx.err(`phoenix: line ${line} of ${file} is cut short (not valid JSON); the record on it is not replayed\n`);
      }
      if (log.decisions.length === 0) {
        throw new UsageError(`${file} holds no sweep records: expected JSON lines with "type":"sweep.snapshot"`);
      }
      const report = (text: string) => (opts.json ? ctx.err(text) : ctx.out(text));
      const sweeps = log.decisions.filter((d) => d.by === "sweep").length;
      const releases = log.decisions.length - sweeps;
      report(`${file}: ${countOf(sweeps, "sweep")}${releases > 0 ? ` and ${countOf(releases, "release")}` : ""}\n`);
      const replayed: { decision: LoggedDecision; plan: Plan; matches?: boolean }[] = [];
      let sweep = 0;
      for (const decision of log.decisions) {
        const plan = planFleet(decision.snapshot, decision.policy);
        const matches = decision.logged && JSON.stringify(decision.logged) === JSON.stringify(plan);
        replayed.push({ decision, plan, matches });
        const { environment, readAt } = decision.snapshot;
        const title =
          decision.by === "sweep" ? `sweep ${++sweep} of ${sweeps}` : "release: the release handler's decision";
        report(`\n${title}: ${environment} at ${readAt} (line ${decision.line})\n`);
        for (const line of formatPlan(plan)) report(`${line}\n`);
        if (matches !== undefined) {
          report(matches ? "replayed plan matches the logged plan\n" : "replayed plan DIFFERS from the logged plan\n");
        }
      }
      const differ = replayed.filter((r) => r.matches === false).length;
      report(
        `\n${differ === 0 ? "every replayed plan matches its logged plan" : `${differ} replayed plans DIFFER from their logged plans`}` +
          (log.cutShort.length > 0 ? `; ${countOf(log.cutShort.length, "line")} cut short, not replayed` : "") +
          "\n",
      );
      if (opts.json) {
        ctx.out(
          `${JSON.stringify({
            plans: replayed.map((r) => planJson(r.plan)),
            decisions: replayed.map((r) => ({
              by: r.decision.by,
              readAt: r.decision.snapshot.readAt,
              line: r.decision.line,
              matchesLog: r.matches ?? null,
            })),
            cutShortLines: log.cutShort,
          })}\n`,
        );
      }
    });
}

function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
