// Parsers for the CLI's flags, shared by every command: each says what was given and what is allowed. Bounds come
// from the contract's LIMITS, so a flag accepts exactly what the stack config accepts (0 included where it means
// "unlimited" or "off"), and `--env` follows the stack's own naming rule.
import { Command, Option } from "commander";
import { environmentNameProblem, Limit, LIMITS, LimitName } from "../contract";
import { UsageError } from "../core/errors";

/** A commander argParser for a whole number within bounds; `zero` says what 0 means when it switches a knob off. */
export function wholeNumber(flag: string, min: number, max = Number.MAX_SAFE_INTEGER, zero?: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range =
        max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`;
      throw new UsageError(`${flag} must be ${range}${zero !== undefined ? `, 0 for ${zero}` : ""} (got '${value}')`);
    }
    return n;
  };
}

/** A commander argParser for a knob of LIMITS: the bounds the stack config and the Lambda use. */
export function limitFlag(flag: string, name: LimitName) {
  const limit: Limit = LIMITS[name];
  return wholeNumber(flag, limit.min, limit.max, limit.zero);
}

/** A flag's help text ending in its range and default, both from LIMITS: `..., 0-1000 (default 0: unlimited)`. */
export function limitHelp(text: string, name: LimitName): string {
  const limit: Limit = LIMITS[name];
  const fallback = limit.zero !== undefined && limit.fallback === 0 ? `0: ${limit.zero}` : String(limit.fallback);
  return `${text}, ${limit.min}-${limit.max} (default ${fallback})`;
}

/** A commander argParser for an environment (`--env`, `--from`, `--to`): says why a name cannot be one (the stack's rule). */
export function environmentName(flag: string) {
  return (value: string): string => {
    const problem = environmentNameProblem(value);
    if (problem !== undefined) throw new UsageError(`${flag} '${value}' ${problem}`);
    return value;
  };
}

/**
 * A command of one environment: `--env` is its first option, marked required in its help and usage line, and
 * checked before anything else runs.
 */
export function environmentCommand(program: Command, name: string): Command {
  return program
    .command(name)
    .usage("--env <env> [options]")
    .addOption(
      new Option("--env <env>", "environment (stack) name, e.g. live (required)")
        .makeOptionMandatory()
        .argParser(environmentName("--env")),
    );
}
