// `phoenix promote --from test --to live`: what a build server's second stage runs. Prints the gate one check a line,
// copies and publishes through runtime/ops/promote.ts, and with --wait follows the target's rollout exactly as
// `phoenix release --wait` does (the same finish step, handed over by registerReleaseCommands).
import { Command, Option } from "commander";
import { CONVERGENCE_KEY, LIMITS, MANIFEST_KEY } from "../contract";
import { UsageError } from "../core/errors";
import { GateResult, ServerSideCopy, soakAlone } from "../core/promotion";
import { FleetAdapter } from "../core/types";
import { normalizeVersion } from "../core/version";
import { promote, PromoteResult, PromoteSide, PromotionRefusedError } from "../ops/promote";
import { ReleaseResult } from "../ops/releases";
import { Clock, realClock } from "../ops/watch";
import { awsTimeouts } from "./aws-settings";
import { RefusedError } from "./exit-codes";
import { environmentName, wholeNumber } from "./flags";

/** The two environments of a promotion and what reaches them; AWS by default, fakes in tests. */
export interface PromotionPorts {
  source: PromoteSide;
  target: PromoteSide;
  /** Present when one identity reaches both release buckets. */
  serverSideCopy?: ServerSideCopy;
  /** The caller's ARN (sts:GetCallerIdentity with the target's credentials), for a --force. */
  caller(): Promise<string>;
}

/** Where the promotion's two sides are: their names and the profile each side's credentials come from. */
export interface PromotionTarget {
  from: string;
  to: string;
  fromProfile?: string;
  toProfile?: string;
}

export interface PromoteCliContext {
  out(text: string): void;
  err(text: string): void;
  /** @default AWS, a set of clients per profile (one set, and server-side copies, when both sides share it) */
  promotion?(where: PromotionTarget): Promise<PromotionPorts>;
  /** @default real time */
  clock?: Clock;
}

interface PromoteFlags {
  from: string;
  to: string;
  version?: string;
  soak: number;
  force?: boolean;
  allowDowngrade?: boolean;
  fromProfile?: string;
  toProfile?: string;
  waitForSoak?: boolean;
  wait?: boolean;
  timeout: number;
  stall: number;
  poll: number;
  json?: boolean;
}

/** What the release commands hand over: their finish step (report, --wait, --json) and their wait flags. */
export interface ReleaseSteps {
  finish(
    env: string,
    fleet: FleetAdapter,
    result: ReleaseResult,
    opts: { wait?: boolean; timeout: number; stall: number; poll: number; json?: boolean },
    json?: Record<string, unknown>,
  ): Promise<void>;
  addWaitOptions(command: Command): Command;
}

/** How often --wait-for-soak reads the source again: its sweeps move the soak on every few minutes. */
const SOAK_POLL_MS = 60_000;
/** Beyond the soak itself, how long --wait-for-soak waits for a sweep to see it through (a schedule is 5 minutes). */
const SOAK_MARGIN_MS = 15 * 60_000;

/** Adds `promote` to the program. */
export function registerPromoteCommand(program: Command, ctx: PromoteCliContext, steps: ReleaseSteps): Command {
  const soak = LIMITS.promoteSoakMinutes;
  const command = steps.addWaitOptions(
    program
      .command("promote")
      .description(
        "copy the version an environment proved (converged and soaked) to the next one, byte for byte, and publish " +
          "it there as `phoenix release` would",
      )
      .usage("--from <env> --to <env> [options]")
      .addOption(
        new Option("--from <env>", "the environment that proved the version, e.g. test (required)")
          .makeOptionMandatory()
          .argParser(environmentName("--from")),
      )
      .addOption(
        new Option("--to <env>", "the environment to publish it to, e.g. live (required)")
          .makeOptionMandatory()
          .argParser(environmentName("--to")),
      )
      .option("--version <semver>", "the version to promote (default: --from's current release)")
      .addOption(
        new Option("--soak <minutes>", `how long --from must have stayed converged on it (${soak.min}-${soak.max})`)
          .default(soak.fallback)
          .argParser(wholeNumber("--soak", soak.min, soak.max)),
      )
      .option("--wait-for-soak", "when the soak is the only check not passed yet, wait for it rather than refuse")
      .option("--force", "skip the gate; the release record says so, and by whom (the caller's ARN)")
      .option("--allow-downgrade", "publish it even if --to runs a newer version")
      .option("--from-profile <profile>", "AWS profile for --from (default: the SDK's default chain)")
      .option("--to-profile <profile>", "AWS profile for --to (default: the SDK's default chain)")
      .addHelpText("after", promoteHelp()),
  );

  command.action(async (opts: PromoteFlags) => {
    checkFlags(opts);
    const ports = await (ctx.promotion ?? awsPromotion)({
      from: opts.from,
      to: opts.to,
      fromProfile: opts.fromProfile,
      toProfile: opts.toProfile,
    });
    const run = () =>
      promote(ports, {
        version: opts.version,
        soakMinutes: opts.soak,
        force: opts.force,
        allowDowngrade: opts.allowDowngrade,
        now: () => new Date(),
      });
    let result: PromoteResult;
    try {
      result = opts.waitForSoak ? await whenSoaked(run, ctx, opts) : await run();
    } catch (err) {
      if (!(err instanceof PromotionRefusedError)) throw err;
      printGate(ctx, opts, err.gate);
      throw new RefusedError(err.message);
    }
    if ("skipped" in result.gate) {
      ctx.err(
        `promote ${opts.from} → ${opts.to}: ${result.manifest.version}, gate skipped (--force) by ${result.gate.by}\n`,
      );
    } else {
      printGate(ctx, opts, result.gate, result.manifest.version);
    }
    const copied = result.copied.filter((c) => c.method !== "already there");
    if (copied.length > 0) {
      ctx.err(
        `${opts.to}: ${copied.map((c) => `${c.key} (${c.method})`).join(", ")}; each sha256 matches ${opts.from}'s record\n`,
      );
    }
    await steps.finish(opts.to, ports.target.fleet, result, opts, {
      from: opts.from,
      gate: result.promotion.gate,
      evidence: result.promotion.evidence,
      copied: result.copied,
    });
  });
  return command;
}

/** Everything the command line alone can say is wrong, before any AWS call. */
function checkFlags(opts: PromoteFlags): void {
  if (opts.from === opts.to) {
    throw new UsageError(`--from and --to are both ${opts.from}: promote from one environment to another`);
  }
  if (opts.version !== undefined && normalizeVersion(opts.version) !== opts.version) {
    throw new UsageError(`--version ${JSON.stringify(opts.version)} is not a semantic version like 1.0.274`);
  }
  if (opts.force && opts.waitForSoak) {
    throw new UsageError("--force skips the gate, so there is no soak to wait for: pass one of them");
  }
}

/** `promote test → live: 1.0.274` then one line per check: `  ok    soak       42m of the 30m soak: ...`. */
function printGate(ctx: PromoteCliContext, opts: PromoteFlags, gate: GateResult, version?: string): void {
  ctx.err(
    `promote ${opts.from} → ${opts.to}${version ? `: ${version}` : ""}, gate ${gate.passed ? "passed" : "refused"}\n`,
  );
  for (const check of gate.checks) {
    ctx.err(`  ${(check.ok ? "ok" : "FAIL").padEnd(4)}  ${check.name.padEnd(9)}  ${check.detail}\n`);
  }
}

/**
 * Promotes as soon as the soak is the only check left and it passes: re-reads the source every SOAK_POLL_MS, for at
 * most the soak plus SOAK_MARGIN_MS. Any other failing check (or a soak still short by then) is a refusal.
 */
async function whenSoaked(
  run: () => Promise<PromoteResult>,
  ctx: PromoteCliContext,
  opts: PromoteFlags,
): Promise<PromoteResult> {
  const clock = ctx.clock ?? realClock;
  const giveUpAt = clock.now() + opts.soak * 60_000 + SOAK_MARGIN_MS;
  let said: string | undefined;
  for (;;) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof PromotionRefusedError)) throw err;
      const soak = soakAlone(err.gate);
      if (soak === undefined || clock.now() >= giveUpAt) throw err;
      if (soak.detail !== said) ctx.err(`${opts.from}: waiting for the soak: ${soak.detail}\n`);
      said = soak.detail;
      await clock.sleep(SOAK_POLL_MS);
    }
  }
}

function promoteHelp(): string {
  return `
The gate (skipped by --force), each check one line on stderr:
  current    the version is --from's current release
  converged  every tier of --from runs it on healthy instances, as its rollout Lambda's last sweep recorded
             (${CONVERGENCE_KEY}) and as its fleet still is
  soak       it has stayed converged for --soak minutes, measured between --from's own sweep records
  alarms     none of --from's rollout alarms is in ALARM

The bytes: each artifact is copied server-side when one identity reaches both buckets (no --from-profile or
--to-profile, or the same one), downloaded and uploaded otherwise, and its SHA-256 verified against --from's release
record before ${MANIFEST_KEY} of --to is written. The publish is \`phoenix release\`'s: a newer --to is refused
without --allow-downgrade, and a promotion repeated writes nothing. The record of the version in --to says where it
came from, when, on what evidence, and whether the gate passed or was skipped and by whom (\`phoenix releases\`).

The identity needs read on --from's release store and fleet, and write on --to's release store only: the policy of
each side is in docs/security.md. A build server's pipeline:
  npx phoenix release --env test --version <v> --artifact ... --wait &&
    npx phoenix promote --from test --to live --wait-for-soak --wait
`;
}

/** The two sides over AWS: one set of clients per profile, and server-side copies when both sides share one. */
export async function awsPromotion(where: PromotionTarget): Promise<PromotionPorts> {
  // Loaded on use so that `--help` and the tests never load the SDK.
  const { createClients } = await import("../aws/clients");
  const { AwsFleet } = await import("../aws/fleet");
  const { S3ObjectStore } = await import("../aws/s3-object-store");
  const { EnvironmentNotDeployedError, readReleaseBucket } = await import("../aws/parameters");
  const { S3ServerSideCopy } = await import("../aws/s3-copy");
  const { callerArn } = await import("../aws/identity");
  const { checkAwsSettings, sharedProfiles } = await import("../aws/settings");
  const timeouts = awsTimeouts(process.env);
  const clientsFor = (profile?: string) => createClients(profile !== undefined ? { profile } : {}, timeouts);
  const sameIdentity = where.fromProfile === where.toProfile;
  const source = clientsFor(where.fromProfile);
  const target = sameIdentity ? source : clientsFor(where.toProfile);
  // The operator's own settings first, each side's, before any AWS call: a profile no shared file defines, no region.
  const check = async (clients: typeof source, profile: string | undefined, flag: string) => {
    if (profile === undefined) return checkAwsSettings(clients);
    const shared = sharedProfiles(process.env);
    if (!shared.profiles.has(profile)) {
      const known = [...shared.profiles].sort().join(", ") || "none";
      throw new UsageError(
        `${flag} ${profile} is not a profile in ${shared.files.join(" or ")} (they define ${known})`,
      );
    }
    try {
      await clients.ssm.config.region();
    } catch (cause) {
      throw new UsageError(`${flag} ${profile}: no AWS region configured for it in ~/.aws/config`, { cause });
    }
  };
  await check(source, where.fromProfile, "--from-profile");
  if (!sameIdentity) await check(target, where.toProfile, "--to-profile");
  const bucketOf = async (clients: typeof source, env: string, flag: string) => {
    try {
      return await readReleaseBucket(clients.ssm, env);
    } catch (err) {
      // An environment that does not exist where its credentials point is a mistake on the command line.
      if (err instanceof EnvironmentNotDeployedError) throw new UsageError(`${flag} ${env}: ${err.message}`);
      throw err;
    }
  };
  const [sourceBucket, targetBucket] = await Promise.all([
    bucketOf(source, where.from, "--from"),
    bucketOf(target, where.to, "--to"),
  ]);
  return {
    source: { environment: where.from, store: new S3ObjectStore(source.s3, sourceBucket), fleet: new AwsFleet(source) },
    target: { environment: where.to, store: new S3ObjectStore(target.s3, targetBucket), fleet: new AwsFleet(target) },
    ...(sameIdentity && { serverSideCopy: new S3ServerSideCopy(target.s3, sourceBucket, targetBucket) }),
    caller: () => callerArn(target),
  };
}
