// The `phoenix` CLI: the operator's view of the same runtime the Lambdas run (status, plan, sweep, explain), with
// the release and rehearsal commands registered from their own modules. Human output goes to stdout, logs to
// stderr; with --json the document is the last JSON object on stdout.
import { Command, CommanderError, Option } from "commander";
import * as fs from "node:fs";
import { UsageError } from "../core/errors";
import { wholeNumber } from "./flags";
import { DESIRED_VERSION_SOURCES, DesiredVersionSource, decodePolicyTag, TAGS } from "../contract";
import { awsTimeouts } from "./aws-settings";
import { EXIT, exitCodeOf, exitCodesHelp } from "./exit-codes";
import { plan as planFleet, validatePolicy } from "../core/planner";
import type { DoctorPort } from "../core/doctor";
import { registerDoctorCommand } from "./doctor-command";
import { formatPlan, planJson } from "./plan-text";
import { registerRehearseCommand } from "./rehearse-command";
import { awsStore, registerReleaseCommands } from "./release-commands";
import { leaseStatus, requireGroups, runSweep, SweepCliContext, SweepFlags } from "./sweep-command";
import { readVerifiedSnapshot, SweepRecord } from "../ops/sweep";
import {
  DEFAULT_POLICY,
  FleetAdapter,
  GroupPolicy,
  GroupState,
  ObjectStore,
  Plan,
  Policy,
  ProbeOptions,
  Strategy,
} from "../core/types";
import { formatStatus } from "./status-table";

export { planJson } from "./plan-text";

/** Where the CLI writes and what it talks to; tests inject their own. */
export interface CliContext extends Omit<SweepCliContext, "store"> {
  out(text: string): void;
  err(text: string): void;
  /** The fleet adapter for AWS (or a stand-in). Built lazily so that `--help` never loads the SDK. */
  fleet(): Promise<FleetAdapter>;
  /** The environment's release bucket (releases and the sweep lease). @default S3, named by SSM */
  store?(environment: string): Promise<ObjectStore>;
  /** What `phoenix doctor` reads. @default AWS, built lazily */
  doctor?(): Promise<DoctorPort>;
}

const defaultContext: CliContext = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  fleet: async () => {
    const { createClients } = await import("../aws/clients");
    const { AwsFleet } = await import("../aws/fleet");
    return new AwsFleet(createClients({}, awsTimeouts(process.env)));
  },
};

interface PolicyFlags {
  strategy?: Strategy;
  minHealthy?: number;
  minHealthyPercent?: number;
  maxPerSweep?: number;
  maxInstanceAgeHours?: number;
  probeTimeoutMs?: number;
  probeConcurrency?: number;
  desiredVersion?: DesiredVersionSource;
}

/** The policy fields the flags set; each overrides the tagged value of every tier. */
function flagOverrides(flags: PolicyFlags): Partial<GroupPolicy> {
  return {
    ...(flags.minHealthy !== undefined && { minHealthy: flags.minHealthy }),
    ...(flags.minHealthyPercent !== undefined && { minHealthyPercent: flags.minHealthyPercent }),
    ...(flags.maxPerSweep !== undefined && { maxPerSweep: flags.maxPerSweep }),
    ...(flags.maxInstanceAgeHours !== undefined && { maxInstanceAgeHours: flags.maxInstanceAgeHours }),
    ...(flags.strategy !== undefined && { strategy: flags.strategy }),
    ...(flags.desiredVersion !== undefined && { desiredVersion: flags.desiredVersion }),
  };
}

/**
 * The policy a plan or sweep runs with: the defaults, then each tier's policy as the infrastructure tagged it on its
 * groups (`phoenix:policy`: the values the Lambda runs with), then whichever flags were given.
 */
export function policyFor(groups: Pick<GroupState, "name" | "tier" | "tags">[], flags: PolicyFlags): Policy {
  const overrides = flagOverrides(flags);
  const tiers: Record<string, Partial<GroupPolicy>> = {};
  for (const group of groups) {
    const text = group.tags[TAGS.policy];
    if (text === undefined) continue;
    const decoded = decodePolicyTag(text);
    if ("error" in decoded) {
      throw new UsageError(`group ${group.name}: ${decoded.error}; redeploy the stack (pulumi up) to rewrite it`);
    }
    tiers[group.tier] = { ...(decoded.policy as Partial<GroupPolicy>), ...overrides };
  }
  const policy: Policy = { ...DEFAULT_POLICY, ...overrides, ...(Object.keys(tiers).length > 0 && { tiers }) };
  validatePolicy(policy);
  return policy;
}

/** Parses --desired-version, or says what was given and what is allowed. */
export function desiredVersionFlag(value: string): DesiredVersionSource {
  const source = DESIRED_VERSION_SOURCES.find((s) => s === value);
  if (source === undefined) {
    throw new UsageError(`--desired-version must be ${DESIRED_VERSION_SOURCES.join(" or ")} (got '${value}')`);
  }
  return source;
}

/** `--desired-version`, for every command that decides what is stale. */
function addDesiredVersionOption(command: Command): Command {
  return command.addOption(
    new Option(
      `--desired-version <${DESIRED_VERSION_SOURCES.join("|")}>`,
      "where the target version comes from without a release manifest: nowhere (manifest), or the highest version " +
        "at least two instances answer (highest-observed) (default: each group's phoenix:policy tag, else manifest)",
    ).argParser(desiredVersionFlag),
  );
}

/** Parses --strategy, or says what was given and what is allowed. */
export function strategyFlag(value: string): Strategy {
  if (value !== "surge" && value !== "replace") {
    throw new UsageError(`--strategy must be surge or replace (got '${value}')`);
  }
  return value;
}

function probeFromFlags(flags: PolicyFlags): Partial<ProbeOptions> {
  return {
    ...(flags.probeTimeoutMs !== undefined && { timeoutMs: flags.probeTimeoutMs }),
    ...(flags.probeConcurrency !== undefined && { concurrency: flags.probeConcurrency }),
  };
}

/** `--probe-timeout-ms` and `--probe-concurrency`, for every command that probes the fleet. */
function addProbeOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--probe-timeout-ms <ms>", "deadline for each GET /version (default 2000)").argParser(
        wholeNumber("--probe-timeout-ms", 1, 60_000),
      ),
    )
    .addOption(
      new Option("--probe-concurrency <n>", "GET /version probes in flight at once (default 64)").argParser(
        wholeNumber("--probe-concurrency", 1, 1024),
      ),
    );
}

function addPolicyOptions(command: Command): Command {
  return addDesiredVersionOption(command)
    .addOption(
      new Option(
        "--strategy <surge|replace>",
        "surge: launch replacements first, terminate after; replace: terminate first (default: each group's " +
          `${TAGS.strategy} tag)`,
      ).argParser(strategyFlag),
    )
    .addOption(
      new Option("--min-healthy <n>", "never fewer healthy instances per group than this (default 1)").argParser(
        wholeNumber("--min-healthy", 0),
      ),
    )
    .addOption(
      new Option(
        "--min-healthy-percent <pct>",
        "never fewer healthy instances than this % of desired capacity (default 0)",
      ).argParser(wholeNumber("--min-healthy-percent", 0, 100)),
    )
    .addOption(
      new Option("--max-per-sweep <n>", "at most this many terminations per group (default unlimited)").argParser(
        wholeNumber("--max-per-sweep", 1),
      ),
    )
    .addOption(
      new Option("--max-instance-age-hours <h>", "replace instances older than this (default off)").argParser(
        wholeNumber("--max-instance-age-hours", 1),
      ),
    );
}

/** Reads sweep records from a log file: JSON lines, possibly prefixed (CloudWatch exports add a timestamp). */
export function readSweepRecords(text: string): SweepRecord[] {
  const records: SweepRecord[] = [];
  for (const line of text.split("\n")) {
    const start = line.indexOf("{");
    if (start < 0) continue;
    try {
      const value = JSON.parse(line.slice(start)) as { type?: unknown };
      if (value.type === "sweep.snapshot" || value.type === "sweep.plan" || value.type === "sweep.terminated") {
        records.push(value as SweepRecord);
      }
    } catch {
      // Not a record: log files interleave other lines.
    }
  }
  return records;
}

/** Builds the program; exported so tests can drive it with an injected context. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("phoenix")
    .description("Immutable rollouts on AWS: see, plan and converge a fleet to its release and base image.")
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) });

  addDesiredVersionOption(addProbeOptions(program.command("status")))
    .description("show every instance of an environment: state, health, version, image, age")
    .addHelpText("after", exitCodesHelp([EXIT.ok, EXIT.failed, EXIT.usage]))
    .requiredOption("--env <env>", "environment (stack) name, e.g. live")
    .addOption(
      new Option("--max-instance-age-hours <h>", "mark instances older than this").argParser(
        wholeNumber("--max-instance-age-hours", 1),
      ),
    )
    .option("--json", "print the snapshot as JSON")
    .action(async (opts: PolicyFlags & { env: string; json?: boolean }) => {
      const { snapshot, policy } = await readVerifiedSnapshot(await ctx.fleet(), opts.env, {
        policy: (read) => policyFor(read.groups, opts),
        probe: probeFromFlags(opts),
        prober: ctx.prober,
      });
      requireGroups(snapshot);
      const plan = planFleet(snapshot, policy);
      // Lock-free: the lease is only read, to say who is sweeping now.
      const lease = await leaseStatus({ store: (env) => (ctx.store ?? awsStore)(env), now: ctx.now }, opts.env);
      if (opts.json) {
        ctx.out(`${JSON.stringify({ snapshot, plan: planJson(plan), lease: lease.json })}\n`);
      } else {
        ctx.out(`${formatStatus(snapshot, plan)}\n${lease.line}\n`);
      }
    });

  for (const dry of [true, false]) {
    const command = program
      .command(dry ? "plan" : "sweep")
      .description(
        dry
          ? "dry run: what the next sweep would terminate, and why (takes no lease)"
          : "one real sweep, the same code the Lambda runs, holding the environment's sweep lease: terminate stale " +
              "instances within the floor",
      )
      .requiredOption("--env <env>", "environment (stack) name, e.g. live")
      .option("--json", "print the plan as JSON (the last JSON object on stdout)")
      .option("--record <file>", "append the sweep's snapshot and plan as JSON lines (replay with `phoenix explain`)");
    if (!dry) {
      command
        .option(
          "--repair",
          "put wedged groups back (desired capacity to its baseline, processes resumed), nothing else",
        )
        .option(
          "--break-lease <holder-id>",
          "take the sweep lease even from this holder (the id a refused sweep printed): only when it is dead",
        );
    }
    command.addHelpText(
      "after",
      exitCodesHelp(
        dry
          ? [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.unverified]
          : [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.incomplete, EXIT.held, EXIT.unverified],
      ),
    );
    addProbeOptions(addPolicyOptions(command)).action((opts: PolicyFlags & SweepFlags) =>
      runSweep({ ...ctx, store: (env) => (ctx.store ?? awsStore)(env) }, opts, {
        dry,
        policy: (snapshot) => policyFor(snapshot.groups, opts),
        probe: probeFromFlags(opts),
      }),
    );
  }

  program
    .command("explain")
    .description("replay a logged sweep offline and print the decisions it made, and why")
    .argument("<file>", "a log holding sweep records (from the Lambda's log group or `--record`)")
    .option("--json", "print the replayed plans as JSON")
    .action((file: string, opts: { json?: boolean }) => {
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (cause) {
        throw new UsageError(`cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`);
      }
      const records = readSweepRecords(text);
      const snapshots = records.filter((r) => r.type === "sweep.snapshot");
      if (snapshots.length === 0) {
        throw new UsageError(`${file} holds no sweep records: expected JSON lines with "type":"sweep.snapshot"`);
      }
      const replayed: Plan[] = [];
      snapshots.forEach((record, i) => {
        const replay = planFleet(record.snapshot, record.policy);
        replayed.push(replay);
        const logged = records.slice(records.indexOf(record) + 1).find((r) => r.type === "sweep.plan");
        ctx.err(`sweep ${i + 1} of ${snapshots.length}: ${record.snapshot.environment} at ${record.snapshot.readAt}\n`);
        for (const line of formatPlan(replay)) ctx.err(`${line}\n`);
        if (logged?.type === "sweep.plan") {
          const same = JSON.stringify(logged.plan) === JSON.stringify(replay);
          ctx.err(same ? "replayed plan matches the logged plan\n" : "replayed plan DIFFERS from the logged plan\n");
        }
      });
      if (opts.json) ctx.out(`${JSON.stringify({ plans: replayed.map(planJson) })}\n`);
    });

  registerReleaseCommands(program, ctx);
  registerDoctorCommand(program, ctx);
  registerRehearseCommand(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. Errors become one line on stderr, never a stack trace. */
export async function main(argv: string[], ctx: CliContext = defaultContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (unknown option, missing --env, help).
      return err.exitCode === 0 ? 0 : 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    ctx.err(`phoenix: ${message}\n`);
    return exitCodeOf(err);
  }
}
