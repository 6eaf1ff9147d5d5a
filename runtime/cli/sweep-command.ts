// `phoenix plan` and `phoenix sweep` run: the plan lock-free, the sweep under the environment's lease (taken before
// anything is read, given back last, and given back early on Ctrl-C), `--repair` for wedged groups, `--break-lease`
// for a holder that is dead, and the exit code that says how it went (runtime/cli/exit-codes.ts).
import * as fs from "node:fs";
import * as os from "node:os";
import { noGroupsError } from "../core/errors";
import { describeLease } from "../core/lease";
import { isLeaseHeld, newHolderId, peekLease } from "../ops/lease";
import { Prober, sweep, SweepResult, SweepStatus, sweepStatus } from "../ops/sweep";
import { FleetAdapter, FleetSnapshot, FleetState, ObjectStore, Plan, Policy, ProbeOptions } from "../core/types";
import { HeldError, IncompleteError, UnverifiedError } from "./exit-codes";
import { formatPlan, planJson } from "./plan-text";

/** What plan and sweep talk to; the CLI's context satisfies it. */
export interface SweepCliContext {
  out(text: string): void;
  err(text: string): void;
  fleet(): Promise<FleetAdapter>;
  /** The environment's release bucket, where the lease lives. */
  store(environment: string): Promise<ObjectStore>;
  /** @default Date.now */
  now?(): number;
  /** Who this sweeper is, as the lease records it. @default `<user>@<host> pid <pid>` */
  who?(): string;
  /** @default probeFleet */
  prober?: Prober;
  /** Called with a function to run on the first Ctrl-C; returns the function that stops listening. */
  onInterrupt?(handler: () => void): () => void;
}

export interface SweepFlags {
  env: string;
  json?: boolean;
  record?: string;
  repair?: boolean;
  breakLease?: string;
}

/** Fails with a clear line when an environment has no groups: a typo in --env or the wrong account/region. */
export function requireGroups(state: Pick<FleetState, "environment" | "groups">): void {
  if (state.groups.length === 0) {
    throw noGroupsError(
      state.environment,
      `check --env, AWS_REGION and AWS_PROFILE, or deploy the environment with \`pulumi up --stack ${state.environment}\``,
    );
  }
}

/** `alice@laptop pid 4242`: who a CLI sweep is, cheaply. */
function localWho(): string {
  let user = process.env.USER ?? process.env.USERNAME ?? "someone";
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (a container): the environment's name will do.
  }
  return `${user}@${os.hostname()} pid ${process.pid}`;
}

/** Ctrl-C: the first one lets the current step finish, starts no other and gives the lease back; a second kills. */
function processInterrupt(handler: () => void): () => void {
  process.once("SIGINT", handler);
  return () => process.removeListener("SIGINT", handler);
}

/** `plan` (dry) or `sweep`: one sweep, its lines on stderr, its result on stdout, its exit code by what happened. */
export async function runSweep(
  ctx: SweepCliContext,
  opts: SweepFlags,
  run: { dry: boolean; policy: (snapshot: FleetSnapshot) => Policy; probe: Partial<ProbeOptions> },
): Promise<void> {
  const records: string[] = [];
  const now = () => (ctx.now !== undefined ? ctx.now() : Date.now());
  let interrupted: string | undefined;
  const stopListening = run.dry
    ? undefined
    : (ctx.onInterrupt ?? processInterrupt)(() => {
        interrupted = "interrupted (Ctrl-C): no new step starts and the lease is given back";
        ctx.err(`phoenix: ${interrupted}\n`);
      });
  let result: SweepResult;
  try {
    const lease = run.dry
      ? undefined
      : {
          deps: { store: await ctx.store(opts.env), now },
          claim: {
            holder: newHolderId(),
            who: (ctx.who ?? localWho)(),
            purpose: opts.repair ? "phoenix sweep --repair" : "phoenix sweep",
            ...(opts.breakLease !== undefined && { breakLease: opts.breakLease }),
          },
        };
    result = await sweep(
      {
        fleet: await ctx.fleet(),
        probe: run.probe,
        log: (line) => records.push(line),
        ...(lease !== undefined && { lease }),
        interrupted: () => interrupted,
        ...(ctx.prober !== undefined && { prober: ctx.prober }),
      },
      { environment: opts.env, policy: run.policy, dryRun: run.dry, repair: opts.repair === true },
    );
  } catch (err) {
    if (isLeaseHeld(err)) throw new HeldError(`${opts.env}: ${err.message}`);
    throw err;
  } finally {
    stopListening?.();
    if (opts.record) fs.appendFileSync(opts.record, records.map((r) => `${r}\n`).join(""));
  }
  requireGroups(result.snapshot);
  if (result.lease?.tookOver !== undefined) {
    ctx.err(`took the sweep lease over from ${result.lease.tookOver.from} (${result.lease.tookOver.why})\n`);
  }
  for (const line of records.map(releaseProblem).filter((x) => x !== undefined)) ctx.err(`phoenix: ${line}\n`);
  for (const line of formatPlan(result.plan)) ctx.err(`${line}\n`);
  for (const o of result.outcomes)
    ctx.err(`${o.group}: ${o.instanceId} ${o.status}${o.error ? ` (${o.error})` : ""}\n`);
  for (const a of result.actions ?? [])
    ctx.err(`${a.group}: ${a.action} ${a.status}${a.error ? ` (${a.error})` : ""}\n`);

  const refused = opts.repair ? refusedRepairs(result.plan) : [];
  const status = sweepStatus(result);
  if (opts.json) {
    const executed = run.dry
      ? {}
      : {
          outcomes: result.outcomes,
          ...(result.actions && { actions: result.actions }),
          ...(result.lease && { lease: result.lease }),
          ...(opts.repair && { refused }),
        };
    ctx.out(`${JSON.stringify({ ...planJson(result.plan), ...executed, ...status })}\n`);
  } else if (opts.repair) {
    printRepairs(ctx, result, refused);
  } else if (!run.dry) {
    const done = result.outcomes.filter((o) => o.status === "terminated").length;
    ctx.out(`terminated ${done} instance${done === 1 ? "" : "s"}\n`);
    const failed = (result.actions ?? []).filter((a) => a.status !== "done").length;
    for (const g of result.plan.groups.filter((x) => x.setDesired !== undefined)) {
      ctx.out(
        `${failed > 0 ? "tried to set" : "set"} ${g.name} desired capacity to ${g.setDesired} (surge ${g.surge?.phase})\n`,
      );
    }
  } else {
    const n = result.plan.groups.reduce((sum, g) => sum + g.terminate.length, 0);
    ctx.out(`would terminate ${n} instance${n === 1 ? "" : "s"}\n`);
    for (const g of result.plan.groups.filter((x) => x.setDesired !== undefined)) {
      ctx.out(`would set ${g.name} desired capacity to ${g.setDesired} (surge ${g.surge?.phase})\n`);
    }
  }
  if (refused.length > 0) {
    throw new IncompleteError(
      `${opts.env}: --repair left ${refused.map((r) => r.group).join(", ")} as it is (see above); nothing else was done`,
    );
  }
  failUnlessDone(status);
}

/**
 * Ends a plan or sweep with the exit code its result deserves: 3 when a write failed or was skipped, 5 when a group
 * was left alone unverified. The message is one line naming each problem and where.
 */
function failUnlessDone(status: SweepStatus): void {
  if (status.status === "incomplete") {
    throw new IncompleteError(
      `${status.failures.length} of the sweep's writes failed or were skipped: ${status.failures.join("; ")}`,
    );
  }
  if (status.status === "unverified") {
    const byWhy = new Map<string, string[]>();
    for (const u of status.unverified) byWhy.set(u.why, [...(byWhy.get(u.why) ?? []), u.group]);
    const lines = [...byWhy].map(([why, groups]) => `${groups.join(", ")} left alone: ${why}`);
    throw new UnverifiedError(`desired state not verified: ${lines.join("; ")}`);
  }
}

/** Wedged groups --repair would not touch, and why. */
function refusedRepairs(plan: Plan): { group: string; why: string }[] {
  return plan.groups.flatMap((g) =>
    g.surge?.phase === "wedged" && g.repair !== undefined && !g.repair.ok ? [{ group: g.name, why: g.repair.why }] : [],
  );
}

function printRepairs(ctx: SweepCliContext, result: SweepResult, refused: { group: string; why: string }[]): void {
  const wedged = result.plan.groups.filter((g) => g.surge?.phase === "wedged");
  if (wedged.length === 0) {
    ctx.out("nothing to repair: no group is wedged\n");
    return;
  }
  for (const g of wedged) {
    const refusal = refused.find((r) => r.group === g.name);
    if (refusal !== undefined) {
      ctx.out(`left ${g.name} as it is: ${refusal.why}\n`);
      continue;
    }
    const mine = (result.actions ?? []).filter((a) => a.group === g.name);
    const ok = mine.length > 0 && mine.every((a) => a.status === "done");
    const what = g.repair?.ok
      ? [
          ...(g.repair.setDesired !== undefined ? [`desired capacity back to ${g.repair.setDesired}`] : []),
          ...(g.repair.resume.length > 0 ? [`${g.repair.resume.join(", ")} resumed`] : []),
        ].join(", ")
      : "";
    ctx.out(ok ? `repaired ${g.name}: ${what}\n` : `could not repair ${g.name} (see above)\n`);
  }
}

/** The problem a `sweep.lease-released` record reports, if any. */
function releaseProblem(line: string): string | undefined {
  const record = JSON.parse(line) as { type?: string; problem?: string };
  return record.type === "sweep.lease-released" ? record.problem : undefined;
}

/** `phoenix status`'s lease line: who holds it, or why it could not be read. */
export async function leaseStatus(
  ctx: Pick<SweepCliContext, "store" | "now">,
  environment: string,
): Promise<{ line: string; json: unknown }> {
  try {
    const view = await peekLease({ store: await ctx.store(environment), now: ctx.now ?? Date.now });
    return { line: `sweep lease: ${describeLease(view)}`, json: view };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { line: `sweep lease: unknown (${message})`, json: { state: "unknown", error: message } };
  }
}
