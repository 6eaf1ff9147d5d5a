// The replace strategy, phoenix's original rules. They also decide for a surge group that has no room to surge,
// and for a replace group with no surge of its own in progress.
import { GroupContext } from "./context";
import { explain } from "./explain";

/** The original rules: terminate stale instances, most stale first, while the group is stable and above its floor. */
export function planReplace(ctx: GroupContext): { terminate: string[]; reason: string } {
  const { candidates, stable, healthy, floor, p } = ctx;
  const room = Math.max(0, healthy - floor);
  const limit = p.maxPerSweep ?? Number.POSITIVE_INFINITY;
  const n = stable ? Math.max(0, Math.min(candidates.length, room, limit)) : 0;
  const terminate = candidates.slice(0, n).map((i) => i.id);
  for (const id of terminate) ctx.decisions.get(id)!.terminate = true;
  const why = { ...ctx, terminate, room };
  return { terminate, reason: explain(why) };
}
