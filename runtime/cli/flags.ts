// Parsers for the CLI's numeric flags, shared by every command: each says what was given and what is allowed.
import { UsageError } from "../core/errors";

/** A commander argParser for a whole number within bounds. */
export function wholeNumber(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range =
        max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`;
      throw new UsageError(`${flag} must be ${range} (got '${value}')`);
    }
    return n;
  };
}
