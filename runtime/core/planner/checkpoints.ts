// A rollout's gates: its checkpoints (the shares of the group it stops at), the bake each checkpoint's new instances
// serve before the rollout goes on, and the rollout alarms that stop it. Pure: the checkpoint reached and the bake's
// start come from the group's phoenix:surge-* tags, the alarms' states from the snapshot, "now" from its readAt, so a
// crash, a replayed event or `phoenix explain` decide the same.
import { DEFAULT_CHECKPOINTS, SURGE_TAGS } from "../../contract";
import { AlarmState, CheckpointState, FleetSnapshot, GroupPolicy } from "../types";

const MINUTE_MS = 60_000;

/** `phoenix:surge-checkpoint` read back: the checkpoint (1-based) of `count` a rollout to `target` works on. */
export interface CheckpointTag {
  index: number;
  count: number;
  target: string;
}

/** What the rollout alarms say this sweep. */
export type AlarmVerdict =
  /** The tier has no rollout alarm: nothing to wait for. */
  | { kind: "none" }
  /** Every alarm was read and none is in ALARM. */
  | { kind: "clear" }
  | { kind: "firing"; alarm: AlarmState }
  /** Some alarm could not be read (not read this sweep, or no such alarm): no checkpoint is passed. */
  | { kind: "unknown"; why: string };

/** One group's gates, worked out once per sweep. */
export interface RolloutGate {
  /**
   * The rollout goes back to an older version (a rollback, automatic or by hand): it is not held at checkpoints, bakes
   * or alarms, which are the reason for it. Every other field then says "no gate".
   */
  rollingBack: boolean;
  checkpoints: number[];
  bakeMinutes: number;
  /** Several checkpoints: the rollout keeps the one it works on in a tag between its surges. */
  stepped: boolean;
  /** A bake, several checkpoints or alarms: a replace rollout keeps its checkpoint in a tag too. */
  gated: boolean;
  /** The checkpoint tag, when it names the group's current target. */
  tag?: CheckpointTag;
  /** The rollout is between its start and having converged and baked: its alarms count. */
  inWindow: boolean;
  alarm: AlarmVerdict;
}

/** `2/3 1.0.274` (the target may hold a space: `1.0.274 ami-0abc`). */
export function checkpointTag(index: number, total: number, target: string): string {
  return `${index}/${total} ${target}`;
}

export function readCheckpointTag(value: string | undefined): CheckpointTag | undefined {
  const m = /^(\d{1,2})\/(\d{1,2}) (.+)$/.exec(value ?? "");
  if (m === null) return undefined;
  const index = Number(m[1]);
  const total = Number(m[2]);
  return index >= 1 && index <= total ? { index, count: total, target: m[3] } : undefined;
}

/** The instances a checkpoint wants on the target: its share of the group, rounded up, at least one, at most all. */
export function shareOf(baseline: number, percent: number): number {
  return Math.min(baseline, Math.max(1, Math.ceil((baseline * percent) / 100)));
}

/** The checkpoint a rollout with `onTarget` instances already on its target works towards: the first not reached. */
export function checkpointFor(checkpoints: number[], baseline: number, onTarget: number): CheckpointState {
  const at = checkpoints.findIndex((c) => shareOf(baseline, c) > onTarget);
  const index = at < 0 ? checkpoints.length - 1 : at;
  return state(checkpoints, baseline, index + 1);
}

/** Checkpoint `index` (1-based) of the list, with its share of `baseline`. */
export function state(checkpoints: number[], baseline: number, index: number): CheckpointState {
  const i = Math.min(Math.max(1, index), checkpoints.length);
  const percent = checkpoints[i - 1];
  return { index: i, count: checkpoints.length, percent, share: shareOf(baseline, percent) };
}

/** The `phoenix:surge-alarm` tag a stop leaves: `<alarm> in ALARM at checkpoint <i> of <n>`. */
export function alarmTag(alarm: string, where: string): string {
  return `${alarm} in ALARM at checkpoint ${where}`;
}

/** The alarm and the checkpoint (`2 of 3`) of an alarmTag value; the whole value as the alarm when it is not one. */
export function readAlarmTag(value: string): { alarm: string; checkpoint: string } {
  const m = /^(.+) in ALARM at checkpoint (\d+ of \d+)$/.exec(value);
  return m === null ? { alarm: value, checkpoint: "?" } : { alarm: m[1], checkpoint: m[2] };
}

/** `checkpoint 2 of 3 (50 %)`. */
export function checkpointText(cp: Pick<CheckpointState, "index" | "count" | "percent">): string {
  return `checkpoint ${cp.index} of ${cp.count} (${cp.percent}%)`;
}

/**
 * True when a rollout alarm could matter this sweep: the tier has some, and a surge is in progress or a checkpoint
 * tag says a rollout is under way. The sweep reads alarms only then (runtime/ops/alarms.ts); the planner's own
 * window (RolloutGate.inWindow) also checks that the tag's rollout is the current one.
 */
export function mayNeedAlarms(tags: Record<string, string>, p: Pick<GroupPolicy, "rolloutAlarms">): boolean {
  return (
    (p.rolloutAlarms ?? []).length > 0 &&
    (tags[SURGE_TAGS.baseline] !== undefined ||
      tags[SURGE_TAGS.checkpoint] !== undefined ||
      tags[SURGE_TAGS.bakeStartedAt] !== undefined)
  );
}

/** The policy asks for checkpoints, a bake or rollout alarms: a gated rollout (which a rollback goes without). */
export function isGated(p: Pick<GroupPolicy, "checkpoints" | "bakeMinutes" | "rolloutAlarms">): boolean {
  return (
    (p.checkpoints ?? DEFAULT_CHECKPOINTS).length > 1 || (p.bakeMinutes ?? 0) > 0 || (p.rolloutAlarms ?? []).length > 0
  );
}

/** The gates of one group for the rollout to `target`; `rollingBack` when it goes back to an older version. */
export function rolloutGate(
  p: GroupPolicy,
  tags: Record<string, string>,
  snapshot: Pick<FleetSnapshot, "alarms">,
  target: string,
  rollingBack = false,
): RolloutGate {
  if (rollingBack) {
    return {
      rollingBack,
      checkpoints: [...DEFAULT_CHECKPOINTS],
      bakeMinutes: 0,
      stepped: false,
      gated: false,
      inWindow: false,
      alarm: { kind: "none" },
    };
  }
  const checkpoints = [...(p.checkpoints ?? DEFAULT_CHECKPOINTS)];
  const bakeMinutes = p.bakeMinutes ?? 0;
  const names = p.rolloutAlarms ?? [];
  const read = readCheckpointTag(tags[SURGE_TAGS.checkpoint]);
  const tag = read !== undefined && read.target === target && read.count === checkpoints.length ? read : undefined;
  const surging = tags[SURGE_TAGS.baseline] !== undefined;
  return {
    rollingBack,
    checkpoints,
    bakeMinutes,
    stepped: checkpoints.length > 1,
    gated: isGated(p),
    ...(tag !== undefined && { tag }),
    inWindow: names.length > 0 && (surging || tag !== undefined),
    alarm: alarmVerdict(names, snapshot.alarms),
  };
}

/**
 * The alarms' verdict: the first in ALARM (by name) wins; then any not read, missing or unreadable; else clear.
 * INSUFFICIENT_DATA is quiet: a tier without traffic has no 5xx rate, and the program's own alarms read no data as OK.
 */
export function alarmVerdict(names: string[], states: AlarmState[] | undefined): AlarmVerdict {
  if (names.length === 0) return { kind: "none" };
  const sorted = [...names].sort();
  const found = sorted.map((name) => states?.find((s) => s.name === name));
  const firing = found.find((s) => s?.state === "ALARM");
  if (firing !== undefined) return { kind: "firing", alarm: firing };
  if (states === undefined) return { kind: "unknown", why: `the states of ${sorted.join(", ")} were not read` };
  const whys = sorted.flatMap((name, i) => {
    const s = found[i];
    if (s === undefined) return [`${name} was not read`];
    if (s.state === "missing") return [`no alarm named ${name} exists (create it or drop it from the rollout alarms)`];
    if (s.state !== "OK" && s.state !== "INSUFFICIENT_DATA") {
      return [`${name} could not be read (${s.reason ?? s.state})`];
    }
    return [];
  });
  return whys.length > 0 ? { kind: "unknown", why: whys.join("; ") } : { kind: "clear" };
}

/** The bake of the checkpoint whose instances have been all healthy since `startedAt`: when it ends, and if it has. */
export function bakeOf(
  gate: RolloutGate,
  startedAt: string | undefined,
  readAt: string,
): { endsAt?: string; done: boolean; leftMinutes: number } {
  if (gate.bakeMinutes <= 0) return { done: true, leftMinutes: 0 };
  const start = startedAt === undefined ? NaN : Date.parse(startedAt);
  // An unreadable start restarts the bake: never past a checkpoint on a guess.
  if (Number.isNaN(start)) return { done: false, leftMinutes: gate.bakeMinutes };
  const end = start + gate.bakeMinutes * MINUTE_MS;
  const left = (end - Date.parse(readAt)) / MINUTE_MS;
  return { endsAt: new Date(end).toISOString(), done: left <= 0, leftMinutes: Math.max(0, left) };
}

/** `1.0.275 in ALARM (since 09:14:00Z: Threshold Crossed ...)` for a reason text. */
export function alarmText(alarm: AlarmState): string {
  const since = alarm.since !== undefined ? ` since ${alarm.since}` : "";
  return `${alarm.name} in ALARM${since}`;
}

/** `baking checkpoint 1 of 3 (10%): 3 of 30 healthy on 1.0.275, 4 min of the 5-min bake left`. */
export function bakingText(
  cp: CheckpointState,
  onTarget: number,
  of: number,
  target: string,
  bake: { bakeMinutes: number; leftMinutes: number },
): string {
  const left = bake.leftMinutes < 1 ? "under a minute" : `${Math.ceil(bake.leftMinutes)} min`;
  return `baking ${checkpointText(cp)}: ${onTarget} of ${of} healthy on ${target}, ${left} of the ${bake.bakeMinutes}-min bake left`;
}
