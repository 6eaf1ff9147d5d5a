// One row of the key table (config/keys.ts): what a declared key holds, and how its range and description read in
// words. Pulumi.yaml's descriptions and docs/configuration.md's range column are these words, so no bound is typed
// twice.
import type { LimitName } from "../runtime/contract";

interface KeyBase {
  key: string;
  /** What the key does, as one or more sentences ending in a period; the range is added by describeKey. */
  description: string;
  /** A rule beyond the bounds, often naming another key: `more than imageKeepCount`. */
  rule?: string;
}

/** A whole number within min..max (inclusive), or one of `allowed` when given. */
export interface IntegerKey extends KeyBase {
  type: "integer";
  default: number;
  min: number;
  max: number;
  /** What 0 means when it switches the knob off: `off`, `unlimited`. */
  zero?: string;
  /** The only values accepted, when the service takes a fixed list. */
  allowed?: readonly number[];
  /** The contract's limit this key's bounds and default come from: the runtime enforces the same ones. */
  shared?: LimitName;
}

/** Free text (checked by its own rule in the parser), or one of `choices`. */
export interface StringKey extends KeyBase {
  type: "string";
  default: string;
  choices?: readonly string[];
}

export interface BooleanKey extends KeyBase {
  type: "boolean";
  default: boolean;
}

/** A YAML list of strings, or of whole numbers (`items: "integer"`). */
export interface ArrayKey extends KeyBase {
  type: "array";
  /** What the list holds. @default "string" */
  items?: "string" | "integer";
  default: readonly string[] | readonly number[];
}

/** A declared config key: one row of the table Pulumi.yaml and docs/configuration.md are rendered from. */
export type ConfigKey = IntegerKey | StringKey | BooleanKey | ArrayKey;

/** A titled group of keys, for the docs; Pulumi.yaml lists the keys in the same order. */
export interface KeySection {
  title: string;
  keys: ConfigKey[];
}

/** A number's bounds in words: `1 to 3650`, `0 to 1000, 0 is unlimited`. */
export function boundsText(key: IntegerKey): string {
  return `${key.min} to ${key.max}${key.zero ? `, 0 is ${key.zero}` : ""}`;
}

/** What values a key takes, in words: `1 to 3650`, `2 to 1000; more than imageKeepCount`, `one of single, perZone`. */
export function rangeText(key: ConfigKey): string {
  const parts: string[] = [];
  if (key.type === "integer") {
    parts.push(key.allowed ? `one of ${key.allowed.join(", ")}` : boundsText(key));
  } else if (key.type === "string" && key.choices) {
    parts.push(`one of ${key.choices.join(", ")}`);
  }
  if (key.rule) parts.push(key.rule);
  return parts.join("; ");
}

/**
 * The description Pulumi.yaml declares: the prose with the range before its final period, e.g. "Days access logs are
 * kept (1 to 3650)." Keys with choices list them in their own prose, so only their rule (if any) is added.
 */
export function describeKey(key: ConfigKey): string {
  const range = key.type === "string" && key.choices ? (key.rule ?? "") : rangeText(key);
  return range === "" ? key.description : `${key.description.replace(/\.$/, "")} (${range}).`;
}
