// The automatic rollback's record (`rollbacks/latest.json`): what was rolled back from and to, and why (the alarm,
// the tier, the checkpoint). Read back with every fleet, it marks its `from` version: a manifest naming that version
// again is not acted on, and `phoenix release` refuses to publish it, until a newer version is published.
import { ROLLBACK_RECORD_KEY, ROLLBACK_RECORD_KIND } from "../contract";
import type { RollbackRecord } from "./types";
import { normalizeVersion, sameVersion } from "./version";

/** The record as stored: pretty JSON and a newline. */
export function rollbackRecordText(record: Omit<RollbackRecord, "kind">): string {
  return `${JSON.stringify({ kind: ROLLBACK_RECORD_KIND, ...record }, null, 2)}\n`;
}

/**
 * The record, or undefined when the text is not one: a record phoenix did not write guards nothing, and must not
 * stop every sweep either.
 */
export function parseRollbackRecord(text: string): RollbackRecord | undefined {
  let doc: Partial<RollbackRecord>;
  try {
    doc = JSON.parse(text) as Partial<RollbackRecord>;
  } catch {
    return undefined;
  }
  const fields = ["from", "to", "tier", "alarm", "checkpoint", "at", "reason"] as const;
  if (doc?.kind !== ROLLBACK_RECORD_KIND || fields.some((f) => typeof doc[f] !== "string")) return undefined;
  if (normalizeVersion(doc.from!) === undefined) return undefined;
  return {
    kind: doc.kind,
    from: doc.from!,
    to: doc.to!,
    tier: doc.tier!,
    alarm: doc.alarm!,
    checkpoint: doc.checkpoint!,
    at: doc.at!,
    reason: doc.reason!,
  };
}

/** True when `version` is the one the record rolled back from (a marked version). */
export function isRolledBack(record: RollbackRecord | undefined, version: string | undefined): boolean {
  return sameVersion(version, record?.from);
}

/** Why a marked version may not be rolled out, naming the record: one line for a refusal or a left-alone tier. */
export function rolledBackWhy(record: RollbackRecord): string {
  return (
    `version ${record.from} was rolled back automatically at ${record.at} (${record.alarm} in ALARM at checkpoint ` +
    `${record.checkpoint}, ${record.tier}; ${ROLLBACK_RECORD_KEY}): publish a newer version`
  );
}
