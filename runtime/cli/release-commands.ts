// The release commands of the `phoenix` CLI: `release` (what a build server's deploy step runs), `rollback`,
// `releases`, and `promote` (registered from its own module, with this one's finish step). They publish through
// runtime/ops/releases.ts and, with --wait, follow the rollout through runtime/ops/watch.ts, drawing one progress line
// per tier on stderr and exiting non-zero unless every tier converged.
import { MANIFEST_KEY } from "../contract";
import { EXIT, ExitCode, exitCodesHelp, IncompleteError } from "./exit-codes";
import { PromotionPorts, PromotionTarget, registerPromoteCommand } from "./promote-command";
import { Command, Option } from "commander";
import { UsageError } from "../core/errors";
import { Clock, DEFAULT_FOLLOW, followRollout, FollowResult, realClock, RolloutProgress } from "../ops/watch";
import {
  checkLocalRelease,
  listReleases,
  publishRelease,
  ReleaseResult,
  requireVersion,
  rollback,
} from "../ops/releases";
import { awsPorts } from "./aws-ports";
import { environmentCommand } from "./flags";
import { requireGroups } from "./sweep-command";
import { promotionSummary } from "../core/promotion";
import { FleetAdapter, ObjectStore, ProbeOptions } from "../core/types";

/** What the release commands talk to; the CLI's own context satisfies it, tests inject fakes. */
export interface ReleaseCliContext {
  out(text: string): void;
  err(text: string): void;
  fleet(): Promise<FleetAdapter>;
  /** The environment's release bucket. @default S3, the bucket named by SSM `/phoenix/<env>/release-bucket` */
  store?(environment: string): Promise<ObjectStore>;
  /** @default real time */
  clock?: Clock;
  /** Rewrite the progress lines in place (a terminal) rather than appending. @default process.stderr.isTTY */
  errIsTTY?: boolean;
  probe?: Partial<ProbeOptions>;
  /** The two environments of `phoenix promote`. @default AWS, see runtime/cli/promote-command.ts */
  promotion?(where: PromotionTarget): Promise<PromotionPorts>;
}

/**
 * The rollout did not converge (timeout, stall, aborted surge): the release was written, but what it decided did not
 * complete, so the command exits 3 (incomplete). The lines above it on stderr say which instances and why.
 */
export class RolloutNotConvergedError extends IncompleteError {
  override name = "RolloutNotConvergedError";
  constructor(
    message: string,
    readonly result: FollowResult,
  ) {
    super(message);
  }
}

interface WaitFlags {
  wait?: boolean;
  timeout: number;
  stall: number;
  poll: number;
  json?: boolean;
}

/** `90s`, `20m`, `1h`, or a bare number of minutes, as milliseconds. */
export function parseDuration(flag: string) {
  return (value: string): number => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match?.[2] ?? "m"] ?? 60_000;
    const ms = match ? Math.round(Number(match[1]) * unit) : NaN;
    if (!Number.isFinite(ms) || ms <= 0) {
      throw new UsageError(
        `${flag} must be a duration such as 90s, 20m or 1h (a bare number is minutes); got '${value}'`,
      );
    }
    return ms;
  };
}

/** `--artifact web=dist/web.zip`, repeatable, into a tier → path map. */
export function collectArtifact(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const match = /^([A-Za-z0-9_-]+)=(.+)$/.exec(value);
  if (!match) {
    throw new UsageError(`--artifact must be <tier>=<path to zip>, e.g. --artifact web=dist/web.zip; got '${value}'`);
  }
  if (match[1] in previous) throw new UsageError(`--artifact names tier ${match[1]} twice`);
  return { ...previous, [match[1]]: match[2] };
}

function addWaitOptions(
  command: Command,
  codes: ExitCode[] = [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.incomplete],
): Command {
  return command
    .option("--wait", "follow the rollout until every tier runs the version (exit 0), or it times out or stalls")
    .addOption(
      new Option("--timeout <duration>", "with --wait: give up after this long (e.g. 45m, 2h)")
        .default(DEFAULT_FOLLOW.timeoutMs, "60m")
        .argParser(parseDuration("--timeout")),
    )
    .addOption(
      new Option("--stall <duration>", "with --wait: fail when no instance became healthy on the version this long")
        .default(DEFAULT_FOLLOW.stallMs, "20m")
        .argParser(parseDuration("--stall")),
    )
    .addOption(
      new Option("--poll <duration>", "with --wait: time between fleet reads")
        .default(DEFAULT_FOLLOW.pollMs, "15s")
        .argParser(parseDuration("--poll")),
    )
    .option("--json", "print the result as JSON (the last JSON object on stdout)")
    .addHelpText("after", exitCodesHelp(codes));
}

/** Adds `release`, `rollback` and `releases` to the program. */
export function registerReleaseCommands(program: Command, ctx: ReleaseCliContext): Command {
  const openStore = (env: string) => (ctx.store ?? awsPorts().store)(env);

  /** The environment's tiers, from its groups' tags: the only place they are declared. */
  async function tiersOf(fleet: FleetAdapter, env: string): Promise<string[]> {
    const state = await fleet.readFleet(env);
    requireGroups(state);
    return [...new Set(state.groups.map((g) => g.tier))].sort();
  }

  async function finish(
    env: string,
    fleet: FleetAdapter,
    result: ReleaseResult,
    opts: WaitFlags,
    json: Record<string, unknown> = {},
  ): Promise<void> {
    const { version } = result.manifest;
    const was = result.previousVersion ? ` (was ${result.previousVersion})` : "";
    ctx.err(
      result.status === "unchanged"
        ? `${env}: ${version} is already current with the same artifacts; nothing written\n`
        : `${env}: ${MANIFEST_KEY} now names ${version}${was}` +
            (result.uploaded.length > 0 ? `; uploaded ${result.uploaded.join(", ")}\n` : "\n"),
    );
    let rollout: FollowResult | undefined;
    if (opts.wait) {
      const display = new ProgressDisplay((text) => ctx.err(text), ctx.errIsTTY ?? process.stderr.isTTY === true);
      rollout = await followRollout({
        fleet,
        environment: env,
        version,
        probe: ctx.probe,
        clock: ctx.clock ?? realClock,
        pollMs: opts.poll,
        timeoutMs: opts.timeout,
        stallMs: opts.stall,
        onProgress: (p) => display.update(p),
      });
      display.done();
    }
    if (opts.json) {
      ctx.out(
        `${JSON.stringify({
          environment: env,
          status: result.status,
          version,
          previousVersion: result.previousVersion ?? null,
          uploaded: result.uploaded,
          ...json,
          ...(rollout && { rollout }),
        })}\n`,
      );
    }
    if (rollout === undefined) return;
    if (rollout.status === "converged") {
      ctx.err(`${env}: every tier runs ${version} (${formatMs(rollout.elapsedMs)})\n`);
      return;
    }
    for (const line of rollout.detail) ctx.err(`  ${line}\n`);
    const why = {
      timeout: `${version} did not reach every instance within ${formatMs(opts.timeout)} (see above)`,
      stalled:
        `the rollout of ${version} stalled: no instance became healthy on it for ${formatMs(opts.stall)} ` +
        "(see above); the terminator stops by itself, fix the release or roll back",
      failed:
        stoppedText(rollout) ??
        `the surge to ${version} was aborted: its new instances never became healthy, so they were removed and the ` +
          "previous version serves at full capacity (see above); publish a fix or roll back",
      "rolled-back": `rolled back automatically: ${rollout.rolledBack?.why ?? "a rollout alarm"}`,
    }[rollout.status];
    throw new RolloutNotConvergedError(`${env}: ${why}`, rollout);
  }

  addWaitOptions(
    environmentCommand(program, "release")
      .usage("--env <env> --version <semver> --artifact <tier=path>... [options]")
      .description(`publish a version: upload each tier's zip, then point ${MANIFEST_KEY} at it`)
      .requiredOption("--version <semver>", "the version to publish, e.g. 1.0.274 (required)")
      .requiredOption(
        "--artifact <tier=path>",
        "a tier's zip, e.g. web=dist/web.zip; repeat once per tier of the environment (required)",
        collectArtifact,
      )
      .option("--allow-downgrade", "publish a version older than the current one"),
  ).action(
    async (
      opts: WaitFlags & { env: string; version: string; artifact: Record<string, string>; allowDowngrade?: boolean },
    ) => {
      // Everything this machine can check, before any AWS call: a typo must not wait on the network or credentials.
      await checkLocalRelease(opts.version, opts.artifact);
      const fleet = await ctx.fleet();
      const tiers = await tiersOf(fleet, opts.env);
      const result = await publishRelease(await openStore(opts.env), {
        version: opts.version,
        artifacts: opts.artifact,
        tiers,
        allowDowngrade: opts.allowDowngrade,
        now: () => new Date(),
      });
      await finish(opts.env, fleet, result, opts);
    },
  );

  addWaitOptions(
    environmentCommand(program, "rollback")
      .description(`point ${MANIFEST_KEY} back at a published version (default: the one before current)`)
      .option("--to <semver>", "the published version to go back to"),
  ).action(async (opts: WaitFlags & { env: string; to?: string }) => {
    if (opts.to !== undefined) requireVersion(opts.to, "--to");
    const fleet = await ctx.fleet();
    const tiers = await tiersOf(fleet, opts.env);
    const result = await rollback(await openStore(opts.env), { to: opts.to, tiers, now: () => new Date() });
    await finish(opts.env, fleet, result, opts);
  });

  environmentCommand(program, "releases")
    .description(
      "list published versions, newest first: which one is current, when each was published, and where each came " +
        "from (released here, or promoted from another environment)",
    )
    .option("--json", "print the list as JSON")
    .addHelpText("after", exitCodesHelp([EXIT.ok, EXIT.failed, EXIT.usage]))
    .action(async (opts: { env: string; json?: boolean }) => {
      const releases = await listReleases(await openStore(opts.env));
      if (opts.json) {
        ctx.out(`${JSON.stringify({ environment: opts.env, releases })}\n`);
        return;
      }
      if (releases.length === 0) {
        ctx.out(`${opts.env}: nothing published yet\n`);
        return;
      }
      const width = Math.max(7, ...releases.map((r) => r.version.length));
      const origin = (r: (typeof releases)[number]) => (r.promotion ? promotionSummary(r.promotion) : "released here");
      const at = Math.max(9, ...releases.map((r) => r.publishedAt.length));
      ctx.out(`  ${"VERSION".padEnd(width)}  ${"PUBLISHED".padEnd(at)}  ORIGIN\n`);
      for (const r of releases) {
        ctx.out(
          `${r.current ? "*" : " "} ${r.version.padEnd(width)}  ${r.publishedAt.padEnd(at)}  ${origin(r)}` +
            `${r.current ? "  (current)" : ""}\n`,
        );
      }
    });

  registerPromoteCommand(program, ctx, {
    finish,
    addWaitOptions: (command) =>
      addWaitOptions(command, [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.incomplete, EXIT.refused]),
  });
  return program;
}

/** `stopped: <alarm> in ALARM at checkpoint 1 of 3 (web)`, when a rollout alarm stopped the rollout. */
function stoppedText(rollout: FollowResult): string | undefined {
  const t = rollout.tiers.find((x) => x.stoppedBy !== undefined);
  return t === undefined
    ? undefined
    : `stopped: ${t.stoppedBy} (${t.tier}); its surge was aborted and the previous version serves (see above)`;
}

/**
 * One line per tier on stderr. On a terminal the lines are redrawn in place each poll; in a log (a build server)
 * a tier's line is appended only when it changed, so a long rollout does not flood the log.
 */
export class ProgressDisplay {
  private drawn = 0;
  private readonly last = new Map<string, string>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
  ) {}

  update(progress: RolloutProgress): void {
    const lines = progressLines(progress);
    if (this.tty) {
      const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
      this.write(up + lines.map((l) => `\r\x1b[2K${l}\n`).join(""));
      this.drawn = lines.length;
      return;
    }
    for (const line of lines) {
      const key = line.split(" ")[0];
      const body = line.replace(/ \(\d+m\d\ds\)$/, "");
      if (this.last.get(key) === body) continue;
      this.last.set(key, body);
      this.write(`${line}\n`);
    }
  }

  done(): void {
    this.drawn = 0;
  }
}

/** `web  test-web  1/2 on 1.0.2, 1 replacing, 1 stale (3m00s)` per tier, then a read error if the last read failed. */
function progressLines(progress: RolloutProgress): string[] {
  const width = Math.max(0, ...progress.tiers.map((t) => t.tier.length));
  const lines = progress.tiers.map((t) => {
    const parts = [`${t.onVersion}/${t.desired} on ${progress.version}`];
    if (t.inFlight > 0) parts.push(`${t.inFlight} replacing`);
    if (t.stale > 0) parts.push(`${t.stale} stale`);
    if (t.converged) parts.push("done");
    return `${t.tier.padEnd(width)}  ${t.group}  ${parts.join(", ")} (${formatMs(progress.elapsedMs)})`;
  });
  if (progress.error !== undefined) lines.push(`fleet read failed, retrying: ${progress.error}`);
  return lines;
}

function formatMs(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
