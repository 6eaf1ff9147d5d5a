// `phoenix status`: one table per tier of what every instance runs, how healthy it is and how old, marked against
// what the planner decided (image drift, version, age), so the operator sees the same facts the sweep acted on.
import { FleetSnapshot, GroupPlan, Plan } from "../core/types";

/** "3d 4h", "5h 12m", "7m": ages at the precision an operator reads them. */
function describeAge(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes % 60}m`;
  return `${minutes}m`;
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function health(instance: FleetSnapshot["groups"][number]["instances"][number]): string {
  const lb = Object.values(instance.lbHealth);
  const lbText = lb.length === 0 ? "" : `/lb:${lb.join(",")}`;
  return `${instance.asgHealth}${lbText}`;
}

/**
 * The first line of `status` for an environment without a manifest: that nothing is released yet (its instances serve
 * the placeholder, healthy, with no churn) and the command that changes it.
 */
function noReleaseLine(snapshot: FleetSnapshot): string {
  const tiers = [...new Set(snapshot.groups.map((g) => g.tier))].sort();
  const artifacts = tiers.map((t) => `--artifact ${t}=<zip>`).join(" ");
  return (
    `no release yet: publish one with npx phoenix release --env ${snapshot.environment} --version <semver> ` +
    `${artifacts} --wait`
  );
}

/** One table per group; an instance past its tier's age limit (the plan's "age" reason) is marked. */
export function formatStatus(snapshot: FleetSnapshot, plan: Plan): string {
  const now = Date.parse(snapshot.readAt);
  const byName = new Map<string, GroupPlan>(plan.groups.map((g) => [g.name, g]));
  const sections = snapshot.groups.map((group) => {
    const decided = byName.get(group.name);
    const wanted = decided?.desiredVersion
      ? `${decided.desiredVersion} (${decided.versionSource === "manifest" ? "manifest" : "highest observed, no manifest"})`
      : "none (no release manifest names one)";
    const imageVerified = snapshot.verification?.image === undefined;
    const image =
      snapshot.desiredImageId === undefined
        ? "any (no base-image parameter)"
        : `${snapshot.desiredImageId}${imageVerified ? "" : " (not verified)"}`;
    const header =
      `${group.tier} — ${group.name}: desired ${group.desiredCapacity} (min ${group.minSize}, max ${group.maxSize}), ` +
      `version ${wanted}, image ${image}`;
    const rows = [["INSTANCE", "STATE", "HEALTH", "VERSION", "IMAGE", "AGE"]];
    for (const instance of group.instances) {
      const decision = decided?.instances.find((d) => d.id === instance.id);
      const ageMs = now - Date.parse(instance.launchTime);
      const pastLimit = decision?.reasons.includes("age") ?? false;
      const imageMark =
        snapshot.desiredImageId === undefined || !imageVerified
          ? ""
          : decision?.reasons.includes("image")
            ? " (drift)"
            : " (current)";
      rows.push([
        instance.id,
        instance.lifecycleState,
        health(instance),
        instance.probe.ok ? instance.probe.version : `error: ${instance.probe.error}`,
        `${instance.imageId ?? "-"}${imageMark}`,
        `${describeAge(ageMs)}${pastLimit ? " (past limit)" : ""}`,
      ]);
    }
    const verdict = decided ? `${decided.log}\n  ${decided.reason}` : "";
    return `${header}\n${table(rows)}\n${verdict}\n`;
  });
  const head = snapshot.desiredVersion === undefined ? `${noReleaseLine(snapshot)}\n\n` : "";
  return `${head}${sections.join("\n")}`;
}
