// A group's desired-capacity history, from the `Cause` text of its scaling activities, and which groups need it read:
// only one that may be wedged (a surge's processes suspended, or capacity above what its last surge ended at, with no
// surge in progress), where it tells an explicit raise (phoenix's own, or an operator's) from scaling's. Pure.
import { SURGE_PROCESSES, SURGE_TAGS } from "../contract";
import type { CapacityChange, GroupState } from "./types";

/** A surge's end as the group's `phoenix:surge-ended` tag records it: `<baseline> <started-at>`. */
export interface SurgeEnd {
  baseline: number;
  startedAt: string;
}

/** The tag value a surge's end writes. */
export function surgeEndTag(baseline: number, startedAt: string | undefined): string {
  return `${baseline} ${startedAt ?? "unknown"}`;
}

/** Reads a `phoenix:surge-ended` value; undefined when it is not `<whole number> <time>`. */
export function parseSurgeEnd(value: string | undefined): SurgeEnd | undefined {
  const match = /^(\d{1,6}) (\S+)$/.exec(value?.trim() ?? "");
  if (match === null || Number.isNaN(Date.parse(match[2]))) return undefined;
  return { baseline: Number(match[1]), startedAt: match[2] };
}

/**
 * True for a group whose scaling activities a read should include: no surge in progress, and either a surge process
 * suspended or desired capacity above the baseline its last surge ended at. Both are rare, so the extra call is too.
 */
export function needsCapacityHistory(
  group: Pick<GroupState, "tags" | "desiredCapacity" | "suspendedProcesses">,
): boolean {
  if (group.tags[SURGE_TAGS.baseline] !== undefined) return false;
  if ((group.suspendedProcesses ?? []).some((p) => SURGE_PROCESSES.includes(p))) return true;
  const end = parseSurgeEnd(group.tags[SURGE_TAGS.ended]);
  return end !== undefined && group.desiredCapacity > end.baseline;
}

const FIRST_EVENT = /^At (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (.*?)(?:\.\s+At \d{4}-|\.?\s*$)/s;
const EXPLICIT = /changing the desired capacity from (\d+) to (\d+)/;
const DECREMENT = /in response to a user request, shrinking the capacity from (\d+) to (\d+)/;

/**
 * The desired-capacity change an activity's Cause records, or undefined when it records none (a replacement, an
 * instance terminated without decrement). Causes read like "At 2026-11-26T04:00:00Z a user request explicitly set
 * group desired capacity changing the desired capacity from 3 to 6. At ... an instance was started ...".
 */
export function parseCapacityChange(cause: string): CapacityChange | undefined {
  const first = FIRST_EVENT.exec(cause.trim());
  if (first === null) return undefined;
  const [, at, text] = first;
  const explicit = EXPLICIT.exec(text);
  const decrement = explicit === null ? DECREMENT.exec(text) : null;
  const numbers = explicit ?? decrement;
  if (numbers === null) return undefined;
  const by: CapacityChange["by"] =
    decrement !== null || /^a user request/.test(text)
      ? "request"
      : /^a monitor alarm/.test(text)
        ? "alarm"
        : /^a scheduled action/.test(text)
          ? "schedule"
          : "other";
  return { at: new Date(at).toISOString(), from: Number(numbers[1]), to: Number(numbers[2]), by };
}

/** Every change the causes record, newest first (activities are listed newest first already; this keeps it so). */
export function capacityHistory(causes: string[]): CapacityChange[] {
  return causes.flatMap((c) => {
    const change = parseCapacityChange(c);
    return change === undefined ? [] : [change];
  });
}
