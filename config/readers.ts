// Reading raw stack values against the key table: each reader takes the key's default and bounds from config/keys.ts,
// records a problem (key, value, what is allowed) instead of throwing, and returns a usable value so that parsing
// goes on and every problem is reported at once.
import { boundsText } from "./declared-key";
import { ConfigKey, configKey } from "./keys";
import { PROJECT } from "./types";

/** Raw values by key (without the `phoenix:` prefix): strings as Pulumi stores them, or already-typed values. */
export type RawConfig = Record<string, unknown>;

/** Collects every problem so one run reports them all. */
export class Problems {
  readonly list: string[] = [];

  /** One problem of one key: `phoenix:<key> = <value>: <what is allowed>`. */
  add(key: string, value: unknown, allowed: string): void {
    this.list.push(`${PROJECT}:${key} = ${JSON.stringify(value)}: ${allowed}`);
  }
}

function declared<T extends ConfigKey["type"]>(key: string, type: T): Extract<ConfigKey, { type: T }> {
  const k = configKey(key);
  if (k.type !== type) throw new Error(`config key ${key} is declared as ${k.type}, read as ${type}`);
  return k as Extract<ConfigKey, { type: T }>;
}

function absent(v: unknown): boolean {
  return v === undefined || v === null || v === "";
}

/** Any text; absent is the key's default. Checking its form is the caller's. */
export function readString(raw: RawConfig, key: string): string {
  const v = raw[key];
  if (v === undefined || v === null) return declared(key, "string").default;
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** A whole number within the key's bounds (and among its allowed values, when it has a list). */
export function readInteger(raw: RawConfig, key: string, problems: Problems): number {
  const k = declared(key, "integer");
  const v = raw[key];
  if (absent(v)) return k.default;
  const text = typeof v === "string" ? v.trim() : "";
  const n = typeof v === "number" ? v : /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n)) {
    problems.add(key, v, `must be a whole number from ${boundsText(k)}`);
    return k.default;
  }
  if (n < k.min || n > k.max) problems.add(key, n, `must be from ${boundsText(k)}`);
  else if (k.allowed && !k.allowed.includes(n)) problems.add(key, n, `must be one of ${k.allowed.join(", ")}`);
  return n;
}

export function readBoolean(raw: RawConfig, key: string, problems: Problems): boolean {
  const k = declared(key, "boolean");
  const v = raw[key];
  if (absent(v)) return k.default;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  problems.add(key, v, "must be true or false");
  return k.default;
}

/** A list of strings, given as a YAML list (Pulumi hands it over as JSON text) or an array. */
export function readArray(raw: RawConfig, key: string, problems: Problems): string[] {
  const list = readList(raw, key, problems, (e) => typeof e === "string", "must be a YAML list of strings");
  return (list ?? []).map(String);
}

/** One of the key's declared choices; T is the union those choices make (the table holds the same constant). */
export function readChoice<T extends string>(raw: RawConfig, key: string, problems: Problems): T {
  const choices = declared(key, "string").choices;
  if (!choices) throw new Error(`config key ${key} declares no choices`);
  const v = readString(raw, key);
  if (!choices.includes(v)) {
    problems.add(key, v, `must be one of ${choices.join(", ")}`);
    return declared(key, "string").default as T;
  }
  return v as T;
}

/** A list of whole numbers, as a YAML list (`[10, 50, 100]`); the caller checks the values against its own rule. */
export function readIntegerList(raw: RawConfig, key: string, problems: Problems): number[] {
  const wanted = "must be a YAML list of whole numbers, e.g. [10, 50, 100]";
  const list = readList(raw, key, problems, Number.isInteger, wanted);
  return (list ?? declared(key, "array").default).map(Number);
}

/**
 * The key's list (its default when absent) when every item passes `isItem`; otherwise the problem, `wanted`, is
 * recorded and undefined returned, for the caller to choose what parsing goes on with.
 */
function readList(
  raw: RawConfig,
  key: string,
  problems: Problems,
  isItem: (item: unknown) => boolean,
  wanted: string,
): unknown[] | undefined {
  const k = declared(key, "array");
  const v = raw[key];
  if (absent(v)) return [...k.default];
  let parsed: unknown = v;
  if (typeof v === "string") {
    try {
      parsed = JSON.parse(v);
    } catch {
      problems.add(key, v, wanted);
      return undefined;
    }
  }
  if (!Array.isArray(parsed) || !parsed.every(isItem)) {
    problems.add(key, parsed, wanted);
    return undefined;
  }
  return parsed as unknown[];
}
