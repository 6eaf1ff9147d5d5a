// The orders a plan is built in. Every tie settles on an id or a name, so the order AWS happened to list groups and
// instances in never changes a plan.
import { compareVersions } from "../version";
import { InstanceSnapshot, StaleReason } from "../types";
import { versionOf } from "./health";

/**
 * Most stale first: wrong image and wrong version, then wrong version or image (oldest version first, then oldest
 * launch), then instances stale only by age (oldest launch first); the instance id settles every tie.
 */
export function compareStaleness(
  a: InstanceSnapshot,
  aReasons: StaleReason[],
  b: InstanceSnapshot,
  bReasons: StaleReason[],
): number {
  const rank = (r: StaleReason[]) =>
    r.includes("image") && r.includes("version") ? 0 : r.includes("image") || r.includes("version") ? 1 : 2;
  const byRank = rank(aReasons) - rank(bReasons);
  if (byRank !== 0) return byRank;
  if (rank(aReasons) < 2) {
    const byVersion = compareOptionalVersions(versionOf(a), versionOf(b));
    if (byVersion !== 0) return byVersion;
  }
  return launchMs(a) - launchMs(b) || byString(a.id, b.id);
}

function compareOptionalVersions(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compareVersions(a, b);
}

/** Launch time in ms; an unreadable one counts as the latest possible, so it never passes for an old instance. */
export function launchMs(instance: InstanceSnapshot): number {
  const t = Date.parse(instance.launchTime);
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

/** Plain code-unit order, the same on every machine (localeCompare is not). */
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
