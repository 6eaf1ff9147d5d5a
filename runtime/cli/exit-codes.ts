// The `phoenix` CLI's exit codes, shared by every command, so that a script or a build server can tell a refused
// write from success and an unverified release from a hung endpoint. Each command documents the ones it can return
// in its --help (exitCodesHelp).
import { EnvironmentNotDeployedError, UsageError } from "../core/errors";

/** Every exit code the CLI returns. A new meaning gets a new number; a number never changes meaning. */
export const EXIT = {
  /** Every action decided was done, or nothing needed doing. */
  ok: 0,
  /** AWS could not be read or written (error, throttle, access denied, timeout); nothing acted on after it. */
  failed: 1,
  /** Bad flags or input; nothing was done. */
  usage: 2,
  /** Some decided action failed or was skipped (each listed on stderr and in --json). */
  incomplete: 3,
  /** Another sweeper holds the environment's lease; nothing was done. */
  held: 4,
  /** The desired state could not be verified (missing artifact, bad image id, foreign bucket); those tiers were left alone. */
  unverified: 5,
  /** `phoenix doctor`: a pre-flight check failed (each FAIL line says what is wrong and the command that fixes it). */
  unready: 6,
  /** A gate refused the action (`phoenix promote`: not converged, not soaked, an alarm firing); nothing was written. */
  refused: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const MEANING: Record<ExitCode, string> = {
  0: "ok: every action decided was done, or nothing needed doing",
  1: "failed: AWS could not be read or written (error, throttle, access denied, timeout); nothing acted on after it",
  2: "usage: bad flags or input; nothing was done",
  3: "incomplete: some decided action failed or was skipped (each listed on stderr and in --json)",
  4: "held: another sweeper holds the environment's lease; nothing was done",
  5: "unverified: the desired state could not be verified (missing artifact, bad image id, foreign bucket); the affected tiers were left alone",
  6: "unready: a pre-flight check failed (each FAIL line says what is wrong and the command that fixes it)",
  7: "refused: the gate did not pass (each failing check on stderr); nothing was written; re-run once it passes",
};

/** The `Exit codes:` block of a command's --help, listing the codes it can return. */
export function exitCodesHelp(codes: readonly ExitCode[]): string {
  return `\nExit codes:\n${codes.map((c) => `  ${c}  ${MEANING[c]}`).join("\n")}\n`;
}

/** The command ran, but some action it decided failed or was skipped: exit 3. The lines above say which. */
export class IncompleteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IncompleteError";
  }
}

/** The command ran, but left tiers alone whose desired state it could not verify: exit 5. */
export class UnverifiedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnverifiedError";
  }
}

/** Another sweeper holds the environment's sweep lease; nothing was read or changed: exit 4. */
export class HeldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HeldError";
  }
}

/** `phoenix doctor` ran every check it could, and at least one failed: exit 6. The FAIL lines above say which. */
export class NotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotReadyError";
  }
}

/** A gate refused what the command was asked to do, and nothing was written: exit 7. The lines above say why. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedError";
  }
}

/** The exit code for an error a command ended with (anything unknown is a failed read or write). */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UsageError || causes(err).some((e) => e instanceof EnvironmentNotDeployedError)) return EXIT.usage;
  if (err instanceof IncompleteError) return EXIT.incomplete;
  if (err instanceof UnverifiedError) return EXIT.unverified;
  if (err instanceof HeldError) return EXIT.held;
  if (err instanceof NotReadyError) return EXIT.unready;
  if (err instanceof RefusedError) return EXIT.refused;
  return EXIT.failed;
}

/** The error and every `cause` behind it: a read wraps what it could not read (runtime/aws/errors.ts step). */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && chain.length < 8; e = e instanceof Error ? e.cause : undefined) chain.push(e);
  return chain;
}
