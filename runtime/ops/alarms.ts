// Reading the rollout alarms for a sweep: only for the tiers whose rollout is in its alarm window (a surge in
// progress, or a checkpoint tag between two surges), all of them in one call, into the snapshot the planner reads (so
// `phoenix explain` replays an alarm-driven decision). An alarm that cannot be read is recorded as such: the planner
// then holds that tier's rollout at its checkpoint, and every other tier goes on.
import { errorText } from "../core/errors";
import { effectivePolicy, mayNeedAlarms } from "../core/planner";
import { AlarmState, FleetAdapter, FleetState, GroupState, Policy } from "../core/types";

/** The alarm names the sweep must read: each tier's rollout alarms, for the tiers in their alarm window. */
export function alarmsToRead(state: Pick<FleetState<GroupState>, "groups">, policy: Policy): string[] {
  const names = new Set<string>();
  for (const g of state.groups) {
    const p = effectivePolicy(policy, g.tier);
    if (mayNeedAlarms(g.tags ?? {}, p)) for (const name of p.rolloutAlarms ?? []) names.add(name);
  }
  return [...names].sort();
}

/**
 * The snapshot with the alarms it needs (unchanged when it needs none). A fleet that cannot read alarms, or a read
 * that fails, leaves each alarm `unreadable` with why: the planner holds those rollouts rather than guess.
 */
export async function withAlarms<S extends FleetState<GroupState>>(
  fleet: FleetAdapter,
  snapshot: S,
  policy: Policy,
): Promise<S> {
  const names = alarmsToRead(snapshot, policy);
  if (names.length === 0) return snapshot;
  let alarms: AlarmState[];
  if (fleet.alarms === undefined) {
    alarms = names.map((name) => ({ name, state: "unreadable", reason: "this fleet adapter cannot read alarms" }));
  } else {
    try {
      alarms = await fleet.alarms.read(names);
    } catch (err) {
      alarms = names.map((name) => ({ name, state: "unreadable", reason: errorText(err) }));
    }
  }
  return { ...snapshot, alarms };
}
