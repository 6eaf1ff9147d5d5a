// The words of a plan: each group's reason and log line, why an instance is stale, and what a group is moving to.
// Operators read them in logs, in `phoenix plan` and in `phoenix explain`; tests and test/fixtures/plans.json pin them.
import { isUnreleased, UNRELEASED_VERSION } from "../../contract";
import { compareVersions } from "../version";
import {
  GroupPlan,
  GroupPolicy,
  GroupSnapshot,
  InstanceDecision,
  InstanceSnapshot,
  StaleReason,
  VersionSource,
} from "../types";
import { versionOf } from "./health";

/** What the original rules decided for a group, for the sentence that says why. */
export interface Explanation {
  group: GroupSnapshot;
  stable: boolean;
  unstable: { id: string; why: string }[];
  groupWhys: string[];
  stale: InstanceDecision[];
  terminate: string[];
  room: number;
  floor: number;
  p: GroupPolicy;
  desired: { version?: string; source: VersionSource };
  desiredImageId?: string;
}

/** The reason of a group under the original rules: converged, unstable (and why), or how many stale go. */
export function explain(e: Explanation): string {
  if (e.group.desiredCapacity === 0 && e.group.instances.length === 0 && e.group.activityInProgress !== true) {
    return "converged: scaled to zero (desired capacity 0, no instances); nothing to do";
  }
  if (!e.stable) {
    const parts = [...e.unstable.map((u) => `${u.id} ${u.why}`), ...e.groupWhys];
    return `unstable: ${parts.join("; ")}; no terminations until every instance is healthy and the group settles`;
  }
  if (e.stale.length === 0) {
    const instances = e.group.instances;
    if (e.desired.version === undefined && instances.length > 0 && instances.every((i) => isUnreleased(versionOf(i)))) {
      const n = count(instances.length, "instance");
      return `no release yet: ${n} serving the placeholder (${UNRELEASED_VERSION}) until the first \`npx phoenix release\``;
    }
    return `converged: all ${count(e.group.instances.length, "instance")} run ${targetText(e)}`;
  }
  return `${limitClause(e)}. Stale: ${staleBreakdown(e.stale, e.p)}. Target: ${targetText(e)}.`;
}

/** "2 stale: terminating i-1, i-2", or why fewer: the floor, or the per-sweep cap. */
function limitClause(e: Explanation): string {
  const which = `terminating ${e.terminate.join(", ")}`;
  if (e.terminate.length === e.stale.length) {
    return `${e.stale.length} stale: ${which}`;
  }
  if (e.room <= e.terminate.length && e.room < (e.p.maxPerSweep ?? Number.POSITIVE_INFINITY)) {
    return e.room === 0
      ? `${e.stale.length} stale but none above the floor of ${e.floor}: waiting for capacity above the floor ` +
          "(surge, or raise desired capacity, to make room)"
      : `${e.stale.length} stale but only ${e.room} above the floor of ${e.floor}: ${which}`;
  }
  return e.terminate.length === 0
    ? `${e.stale.length} stale, at most ${e.p.maxPerSweep} per sweep: terminating none`
    : `${e.stale.length} stale, at most ${e.p.maxPerSweep} per sweep: ${which}`;
}

/** "2 version, 1 image drift, 1 age (older than 336h)": how many are stale for each reason. */
export function staleBreakdown(stale: InstanceDecision[], p: GroupPolicy): string {
  const n = (r: StaleReason) => stale.filter((d) => d.reasons.includes(r)).length;
  return [
    n("version") > 0 ? `${n("version")} version` : undefined,
    n("image") > 0 ? `${n("image")} image drift` : undefined,
    n("age") > 0 ? `${n("age")} age (older than ${p.maxInstanceAgeHours}h)` : undefined,
  ]
    .filter((t) => t !== undefined)
    .join(", ");
}

/** A group's one-line summary for the sweep's log: versions seen, stability, verification, how many go. */
export function logLine(
  group: GroupSnapshot,
  instances: InstanceSnapshot[],
  stable: boolean,
  n: number,
  unverified = false,
): string {
  const versions = instances.map(versionOf).filter((v): v is string => v !== undefined);
  versions.sort(compareVersions);
  const seen =
    group.desiredCapacity === 0 && instances.length === 0
      ? "scaled to zero"
      : versions.length === 0
        ? "no version answered"
        : `lowest version ${versions[0]}, highest version ${versions[versions.length - 1]}`;
  const marks = `${stable ? "" : ", unstable"}${unverified ? ", unverified" : ""}`;
  return `${group.name} => ${seen}${marks}, ${count(n, "instance")} to terminate`;
}

/** Why one instance is stale, in words: `version 1.0.266 (want 1.0.274), image drift ami-1 (want ami-2), age`. */
export function instanceWhy(d: InstanceDecision, g: Pick<GroupPlan, "desiredVersion" | "desiredImageId">): string {
  return d.reasons
    .map((r) =>
      r === "version"
        ? `version ${d.version ?? "?"} (want ${g.desiredVersion ?? "?"})`
        : r === "image"
          ? `image drift ${d.imageId ?? "(none)"} (want ${g.desiredImageId ?? "?"})`
          : "age over the limit",
    )
    .join(", ");
}

/** What a group is moving to: "version 1.0.274 (manifest) on image ami-0abc", or "the same version". */
export function targetText(ctx: Pick<Explanation, "desired" | "desiredImageId">): string {
  return (
    [
      ctx.desired.version === undefined
        ? undefined
        : `version ${ctx.desired.version} (${sourceText(ctx.desired.source)})`,
      ctx.desiredImageId === undefined ? undefined : `image ${ctx.desiredImageId}`,
    ]
      .filter((t) => t !== undefined)
      .join(" on ") || "the same version"
  );
}

function sourceText(source: VersionSource): string {
  return source === "manifest" ? "manifest" : source === "highest-observed" ? "highest observed" : "none";
}

/** "1 instance", "2 instances". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
