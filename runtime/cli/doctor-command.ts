// `phoenix doctor --env <env>`: the read-only pre-flight (runtime/ops/doctor.ts) as one line per check on stdout, what
// is wrong and the command that fixes it, then a summary; exit 0 only when no check failed, 6 when one did.
import { Command } from "commander";
import type { CheckResult, DoctorPort } from "../core/doctor";
import { runDoctor } from "../ops/doctor";
import { awsTimeouts } from "./aws-settings";
import { EXIT, exitCodesHelp, NotReadyError } from "./exit-codes";
import { environmentCommand } from "./flags";

/** What the doctor command talks to; the CLI's context satisfies it, tests inject a fake port. */
export interface DoctorCliContext {
  out(text: string): void;
  err(text: string): void;
  /** @default AWS through the SDK's default chains */
  doctor?(): Promise<DoctorPort>;
  /** @default Date.now */
  now?(): number;
}

const LABEL: Record<CheckResult["status"], string> = { ok: "ok", warn: "warn", fail: "FAIL" };

/** The lines of a report: status, check, what was found, and for anything not ok the fix. */
export function doctorLines(checks: CheckResult[]): string[] {
  const width = Math.max(0, ...checks.map((c) => c.check.length));
  return checks.map(
    (c) => `${LABEL[c.status].padEnd(4)}  ${c.check.padEnd(width)}  ${c.text}${c.fix ? `; fix: ${c.fix}` : ""}`,
  );
}

/**
 * The port over AWS, every region's calls bounded like every other command's (PHOENIX_AWS_TIMEOUT_MS). The region and
 * profile are not checked first, as the other commands do: they are the doctor's own first check.
 */
export async function awsDoctor(env: NodeJS.ProcessEnv = process.env): Promise<DoctorPort> {
  const timeouts = awsTimeouts(env);
  // Loaded on use so that `--help` and the tests never load the SDK.
  const { createClients } = await import("../aws/clients");
  const { AwsDoctor } = await import("../aws/doctor");
  return new AwsDoctor(createClients({}, timeouts), {}, timeouts);
}

/** Adds `doctor` to the program. */
export function registerDoctorCommand(program: Command, ctx: DoctorCliContext): Command {
  return (
    environmentCommand(program, "doctor")
      .description(
        "read-only pre-flight of an environment: credentials and region, parameters, release bucket and manifest, " +
          "groups, the rollout Lambda, its triggers and last sweep, recovery replicas; one line per check",
      )
      .option("--json", "print the report as JSON (the last JSON object on stdout)")
      // 0 also when a check only warns (an environment with no release yet); 2 also for an environment not deployed
      // in this account and region.
      .addHelpText("after", exitCodesHelp([EXIT.ok, EXIT.failed, EXIT.usage, EXIT.unready]))
      .action(async (opts: { env: string; json?: boolean }) => {
        const port = await (ctx.doctor ?? awsDoctor)();
        const report = await runDoctor(port, { environment: opts.env, now: (ctx.now ?? Date.now)() });
        const count = (s: CheckResult["status"]) => report.checks.filter((c) => c.status === s).length;
        const failed = count("fail");
        if (opts.json) {
          ctx.out(`${JSON.stringify({ ...report, ok: failed === 0 })}\n`);
        } else {
          for (const line of doctorLines(report.checks)) ctx.out(`${line}\n`);
          ctx.out(
            `${report.environment} (${report.region}): ${report.checks.length} checks, ${count("ok")} ok, ` +
              `${count("warn")} warning${count("warn") === 1 ? "" : "s"}, ${failed} failed\n`,
          );
        }
        if (failed > 0) {
          throw new NotReadyError(
            `${report.environment}: ${failed} check${failed === 1 ? "" : "s"} failed (see above)`,
          );
        }
      })
  );
}
