// Plan text: what `phoenix plan`, `phoenix sweep` and `phoenix explain` print for a plan. The planner's sentences
// come from runtime/core/planner/explain.ts; this only lays them out for a terminal.
import { instanceWhy } from "../core/planner";
import { GroupPlan, InstanceDecision, Plan } from "../core/types";

/**
 * The lines the CLI prints for a plan: per group its log line, one line per instance to terminate with why, and
 * the group's reason.
 */
export function formatPlan(p: Plan): string[] {
  const lines: string[] = [];
  for (const g of p.groups) {
    lines.push(g.log);
    for (const id of g.terminate) {
      const d = g.instances.find((i) => i.id === id);
      lines.push(`  terminate ${id}: ${terminationWhy(id, d, g)}`);
    }
    lines.push(`  ${g.reason}`);
  }
  return lines;
}

/** Why one instance is terminated: why it is stale, or (a surge's abort or trim) why it goes although current. */
function terminationWhy(id: string, d: InstanceDecision | undefined, g: GroupPlan): string {
  if (d !== undefined && d.reasons.length > 0) return instanceWhy(d, g);
  const unhealthy = g.unstable.find((u) => u.id === id)?.why;
  if (g.surge?.phase === "abort") return `new instance of the aborted surge${unhealthy ? ` (${unhealthy})` : ""}`;
  if (g.surge?.phase === "finish") return `surplus over the baseline of ${g.surge.baseline} (newest current first)`;
  return unhealthy ?? "stale";
}

/** The `--json` shape of a plan: stable, small, for scripts. */
export function planJson(plan: Plan) {
  return {
    environment: plan.environment,
    groups: plan.groups.map((g) => ({
      name: g.name,
      tier: g.tier,
      desiredVersion: g.desiredVersion ?? null,
      versionSource: g.versionSource,
      desiredImageId: g.desiredImageId ?? null,
      ...(g.unverified !== undefined && { unverified: g.unverified }),
      terminate: g.terminate,
      // Only when a surge starts, finishes or aborts: the desired capacity the sweep sets (the reason says which).
      ...(g.setDesired !== undefined && { setDesired: g.setDesired }),
      ...(g.surge !== undefined && { surge: g.surge.phase }),
      reason: g.reason,
    })),
  };
}
