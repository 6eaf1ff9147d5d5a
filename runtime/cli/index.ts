// The `phoenix` CLI: the operator's view of the same runtime the Lambdas run (status, plan, sweep, explain), with
// the release and rehearsal commands registered from their own modules. Human output goes to stdout, logs to
// stderr; with --json the document is the last JSON object on stdout.
import { Command, CommanderError, Option } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../core/errors";
import { DESIRED_VERSION_SOURCES, DesiredVersionSource, decodePolicyTag, STRATEGIES, TAGS } from "../contract";
import { awsPorts } from "./aws-ports";
import { EXIT, exitCodeOf, exitCodesHelp } from "./exit-codes";
import { registerExplainCommand } from "./explain-command";
import { environmentCommand, limitFlag, limitHelp } from "./flags";
import { plan as planFleet, validatePolicy } from "../core/planner";
import type { DoctorPort } from "../core/doctor";
import { registerDoctorCommand } from "./doctor-command";
import { planJson } from "./plan-text";
import { registerRehearseCommand } from "./rehearse-command";
import { registerReleaseCommands } from "./release-commands";
import { leaseStatus, requireGroups, runSweep, SweepCliContext, SweepFlags } from "./sweep-command";
import { readVerifiedSnapshot } from "../ops/sweep";
import {
  DEFAULT_POLICY,
  FleetAdapter,
  GroupPolicy,
  GroupState,
  ObjectStore,
  Policy,
  ProbeOptions,
  Strategy,
} from "../core/types";
import { formatStatus } from "./status-table";

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
  ...awsPorts(),
};

/** The release store when the context names none: S3, through the CLI's checked AWS ports. */
const defaultStore = (environment: string) => awsPorts().store(environment);

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

/** Limits a flag lifts when given as 0 ("unlimited", "off"), as the stack config reads 0 for them. */
const LIFTED_BY_ZERO = ["maxPerSweep", "maxInstanceAgeHours"] as const;

/** The policy fields the flags set; each overrides the tagged value of every tier. */
function flagOverrides(flags: PolicyFlags): Partial<GroupPolicy> {
  return {
    ...(flags.minHealthy !== undefined && { minHealthy: flags.minHealthy }),
    ...(flags.minHealthyPercent !== undefined && { minHealthyPercent: flags.minHealthyPercent }),
    // 0 is not a value here but the absence of a limit: policyFor lifts it.
    ...(flags.maxPerSweep ? { maxPerSweep: flags.maxPerSweep } : {}),
    ...(flags.maxInstanceAgeHours ? { maxInstanceAgeHours: flags.maxInstanceAgeHours } : {}),
    ...(flags.strategy !== undefined && { strategy: flags.strategy }),
    ...(flags.desiredVersion !== undefined && { desiredVersion: flags.desiredVersion }),
  };
}

/**
 * The policy a plan or sweep runs with: the defaults, then each tier's policy as the infrastructure tagged it on its
 * groups (`phoenix:policy`: the values the Lambda runs with), then whichever flags were given. A limit flag given as
 * 0 lifts that limit from every tier, as 0 does in the stack config: a policy says "unlimited" by leaving it out.
 */
export function policyFor(groups: Pick<GroupState, "name" | "tier" | "tags">[], flags: PolicyFlags): Policy {
  const overrides = flagOverrides(flags);
  const lifted = LIFTED_BY_ZERO.filter((key) => flags[key] === 0);
  const tiers: Record<string, Partial<GroupPolicy>> = {};
  for (const group of groups) {
    const text = group.tags[TAGS.policy];
    if (text === undefined) continue;
    const decoded = decodePolicyTag(text);
    if ("error" in decoded) {
      throw new UsageError(`group ${group.name}: ${decoded.error}; redeploy the stack (pulumi up) to rewrite it`);
    }
    const tagged = { ...(decoded.policy as Partial<GroupPolicy>) };
    for (const key of lifted) delete tagged[key];
    tiers[group.tier] = { ...tagged, ...overrides };
  }
  const policy: Policy = { ...DEFAULT_POLICY, ...overrides, ...(Object.keys(tiers).length > 0 && { tiers }) };
  validatePolicy(policy);
  return policy;
}

/** Parses --desired-version, or says what was given and what is allowed. */
function desiredVersionFlag(value: string): DesiredVersionSource {
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
function strategyFlag(value: string): Strategy {
  const strategy = STRATEGIES.find((s) => s === value);
  if (strategy === undefined) {
    throw new UsageError(`--strategy must be ${STRATEGIES.join(" or ")} (got '${value}')`);
  }
  return strategy;
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
      new Option(
        "--probe-timeout-ms <ms>",
        limitHelp("deadline of the GET /version probes, from when probing begins", "probeTimeoutMs"),
      ).argParser(limitFlag("--probe-timeout-ms", "probeTimeoutMs")),
    )
    .addOption(
      new Option(
        "--probe-concurrency <n>",
        limitHelp("GET /version probes in flight at once", "probeConcurrency"),
      ).argParser(limitFlag("--probe-concurrency", "probeConcurrency")),
    );
}

function addPolicyOptions(command: Command): Command {
  return addDesiredVersionOption(command)
    .addOption(
      new Option(
        `--strategy <${STRATEGIES.join("|")}>`,
        "surge: launch replacements first, terminate after; replace: terminate first (default: each group's " +
          `${TAGS.strategy} tag)`,
      ).argParser(strategyFlag),
    )
    .addOption(
      new Option(
        "--min-healthy <n>",
        limitHelp("never fewer healthy instances per group than this", "minHealthy"),
      ).argParser(limitFlag("--min-healthy", "minHealthy")),
    )
    .addOption(
      new Option(
        "--min-healthy-percent <pct>",
        limitHelp("never fewer healthy instances than this % of desired capacity", "minHealthyPercent"),
      ).argParser(limitFlag("--min-healthy-percent", "minHealthyPercent")),
    )
    .addOption(
      new Option(
        "--max-per-sweep <n>",
        limitHelp("at most this many terminations per group; 0 lifts a deployed limit", "maxPerSweep"),
      ).argParser(limitFlag("--max-per-sweep", "maxPerSweep")),
    )
    .addOption(maxAgeOption("replace instances older than this; 0 lifts a deployed limit"));
}

function maxAgeOption(text: string): Option {
  return new Option("--max-instance-age-hours <h>", limitHelp(text, "maxInstanceAgeHours")).argParser(
    limitFlag("--max-instance-age-hours", "maxInstanceAgeHours"),
  );
}

/** The package's version, from the package.json above this file (runtime/cli/, or dist/runtime/cli/ when built). */
function packageVersion(): string {
  for (let dir = __dirname, up = 0; up < 4; dir = path.dirname(dir), up++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "phoenix" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // No package.json here: look one level up.
    }
  }
  return "unknown";
}

/** Builds the program; exported so tests can drive it with an injected context. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("phoenix")
    .description("Immutable rollouts on AWS: see, plan and converge a fleet to its release and base image.")
    .version(packageVersion(), "-V, --version", "print phoenix's version")
    // Program options only before the command: `release --version <semver>` is the release's own flag.
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) });

  addDesiredVersionOption(
    addProbeOptions(
      environmentCommand(program, "status")
        .description("show every instance of an environment: state, health, version, image, age")
        .addHelpText("after", exitCodesHelp([EXIT.ok, EXIT.failed, EXIT.usage]))
        .addOption(maxAgeOption("mark instances older than this"))
        .option("--json", "print the snapshot as JSON"),
    ),
  ).action(async (opts: PolicyFlags & { env: string; json?: boolean }) => {
    const { snapshot, policy } = await readVerifiedSnapshot(await ctx.fleet(), opts.env, {
      policy: (read) => policyFor(read.groups, opts),
      probe: probeFromFlags(opts),
      prober: ctx.prober,
    });
    requireGroups(snapshot);
    const plan = planFleet(snapshot, policy);
    // Lock-free: the lease is only read, to say who is sweeping now.
    const lease = await leaseStatus({ store: (env) => (ctx.store ?? defaultStore)(env), now: ctx.now }, opts.env);
    if (opts.json) {
      ctx.out(`${JSON.stringify({ snapshot, plan: planJson(plan), lease: lease.json })}\n`);
    } else {
      ctx.out(`${formatStatus(snapshot, plan)}\n${lease.line}\n`);
    }
  });

  for (const dry of [true, false]) {
    const command = environmentCommand(program, dry ? "plan" : "sweep")
      .description(
        dry
          ? "dry run: what the next sweep would terminate, and why (takes no lease)"
          : "one real sweep, the same code the Lambda runs, holding the environment's sweep lease: terminate stale " +
              "instances within the floor",
      )
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
      runSweep({ ...ctx, store: (env) => (ctx.store ?? defaultStore)(env) }, opts, {
        dry,
        policy: (snapshot) => policyFor(snapshot.groups, opts),
        probe: probeFromFlags(opts),
      }),
    );
  }

  registerExplainCommand(program, ctx);
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
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (unknown option, missing --env, help).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    ctx.err(`phoenix: ${message}\n`);
    return exitCodeOf(err);
  }
}
