// Carrying out one group's surge (or repair) steps so that no interleaving can wedge the group. Auto Scaling has no
// conditional writes, so each step reads the group again right before it acts and goes ahead only if the group is
// still what the plan was made from: a start raises desired capacity only from the baseline it read and only while
// its own surge tags are on the group; it suspends processes only under its own tags; a finish or abort acts only on
// the surge it planned. A guard (the sweep lease still ours, the operator has not pressed Ctrl-C) is asked first.
import { SURGE_TAGS } from "../contract";
import { errorText } from "../core/errors";
import type {
  FleetAdapter,
  GroupActionOutcome,
  GroupControl,
  GroupPlan,
  GroupState,
  SurgeOperations,
  TerminationOutcome,
} from "../core/types";

/** Why to stop before a change (the lease is lapsing or was taken, the operator interrupted); undefined to go on. */
export type Guard = () => Promise<string | undefined>;

/** What a step expects of the group it is about to change: why not, or undefined when it may go ahead. */
type Expectation = (now: GroupControl) => string | undefined;

interface Step {
  action: GroupActionOutcome["action"];
  run: () => Promise<void>;
  expect?: Expectation;
}

/** The steps' outcomes and the terminations they made. */
export interface GroupResult {
  outcomes: TerminationOutcome[];
  actions: GroupActionOutcome[];
}

const CHANGED = "the group changed since the plan read it";

/** The group's surge tags are still those `read` had (the same surge, or none). */
function sameSurge(read: Record<string, string>): Expectation {
  return (now) => {
    for (const key of [SURGE_TAGS.baseline, SURGE_TAGS.startedAt]) {
      if (now.tags[key] !== read[key]) {
        const was = read[key] === undefined ? "absent" : `${read[key]}`;
        const is = now.tags[key] === undefined ? "gone" : `now ${now.tags[key]}`;
        return `${CHANGED}: tag ${key} was ${was}, ${is}`;
      }
    }
    return undefined;
  };
}

function desiredIs(expected: number, what: string): Expectation {
  return (now) =>
    now.desiredCapacity === expected
      ? undefined
      : `${CHANGED}: desired capacity is ${now.desiredCapacity}, not the ${expected} ${what}`;
}

function both(...checks: Expectation[]): Expectation {
  return (now) => checks.map((c) => c(now)).find((why) => why !== undefined);
}

/**
 * A surge group's steps in a crash-safe order: tags first (so a raised capacity is never unexplained), then
 * suspension, terminations (decrementing), and only when every termination went through: desired capacity,
 * resumption, and removing the tags last (so processes are never left suspended without the tags that say phoenix
 * did it). A failed or refused step stops that group's remaining steps. With `read` (the group as the plan saw it),
 * every step is preceded by its check.
 */
export async function executeGroup(
  fleet: FleetAdapter,
  g: GroupPlan,
  read: GroupState | undefined,
  guard: Guard | undefined,
): Promise<GroupResult> {
  const ops = fleet.surge;
  const starting = g.surge?.phase === "start";
  const readTags = read?.tags ?? {};
  // A start's own tags, as it is about to write them: suspension and the raise happen only under them.
  const ownTags = { ...readTags, ...(g.tags?.set ?? {}) };
  const underOwnTags = sameSurge(ownTags);
  const beforeAny = read === undefined ? undefined : both(sameSurge(readTags), desiredIs(read.desiredCapacity, "read"));
  const later = read === undefined ? undefined : starting ? underOwnTags : sameSurge(readTags);

  const pre: Step[] = [];
  const set = g.tags?.set;
  if (set && Object.keys(set).length > 0) {
    pre.push({ action: "set-tags", run: () => ops!.setTags(g.name, set), expect: beforeAny });
  }
  const suspend = g.suspend ?? [];
  if (suspend.length > 0) {
    pre.push({ action: "suspend", run: () => ops!.suspendProcesses(g.name, suspend), expect: later });
  }
  const post: Step[] = [];
  const desired = g.setDesired;
  if (desired !== undefined) {
    const raise =
      starting && read !== undefined
        ? both(underOwnTags, desiredIs(read.desiredCapacity, "the surge raises from"))
        : later;
    post.push({ action: "set-desired", run: () => ops!.setDesiredCapacity(g.name, desired), expect: raise });
  }
  const resume = g.resume ?? [];
  if (resume.length > 0) {
    post.push({ action: "resume", run: () => ops!.resumeProcesses(g.name, resume), expect: later });
  }
  const remove = g.tags?.remove ?? [];
  if (remove.length > 0) {
    post.push({ action: "remove-tags", run: () => ops!.removeTags(g.name, remove), expect: later });
  }
  // A start raises capacity last, after its tags and suspension: the pre steps then the raise.
  const steps = starting ? [...pre, ...post] : pre;
  const after = starting ? [] : post;
  if (ops === undefined) {
    const error = "this fleet cannot change desired capacity, tags or scaling processes; nothing was changed";
    return {
      outcomes: [],
      actions: [...steps, ...after].map((s) => ({ group: g.name, action: s.action, status: "skipped", error })),
    };
  }

  const actions: GroupActionOutcome[] = [];
  if (!(await runSteps(ops, g.name, steps, actions, guard, after))) return { outcomes: [], actions };

  const requests = g.terminate.map((instanceId) => ({ group: g.name, instanceId }));
  let outcomes: TerminationOutcome[] = [];
  if (requests.length > 0) {
    // Nothing of ours has changed the surge tags or desired capacity yet: the group must still be exactly as read.
    const why = await whyStop(ops, g.name, guard, beforeAny);
    if (why !== undefined) {
      outcomes = requests.map((r) => ({ ...r, status: "skipped", error: why }));
      skipAll(actions, g.name, after, "an earlier step was not done");
      return { outcomes, actions };
    }
    outcomes = g.decrement === true ? await ops.terminateAndDecrement(requests) : await fleet.terminate(requests);
  }
  if (outcomes.some((o) => o.status !== "terminated")) {
    // Desired capacity did not drop for that one: setting it, or clearing the tags, would now be wrong. The next
    // sweep sees the surge still in progress and finishes it.
    skipAll(actions, g.name, after, "a termination did not go through");
    return { outcomes, actions };
  }
  await runSteps(ops, g.name, after, actions, guard, []);
  return { outcomes, actions };
}

/**
 * `phoenix sweep --repair` for one wedged group: desired capacity back to the baseline first (its processes still
 * suspended, so no alarm fights it), then the processes resumed, each only if the group is still as read.
 */
export async function repairGroup(
  fleet: FleetAdapter,
  g: GroupPlan,
  read: GroupState,
  guard: Guard | undefined,
): Promise<GroupActionOutcome[]> {
  const ops = fleet.surge;
  const repair = g.repair;
  if (repair === undefined || !repair.ok) return [];
  const untouched = both(sameSurge(read.tags), desiredIs(read.desiredCapacity, "read"));
  const steps: Step[] = [];
  const target = repair.setDesired;
  if (target !== undefined) {
    steps.push({ action: "set-desired", run: () => ops!.setDesiredCapacity(g.name, target), expect: untouched });
  }
  if (repair.resume.length > 0) {
    steps.push({
      action: "resume",
      run: () => ops!.resumeProcesses(g.name, repair.resume),
      expect: both(sameSurge(read.tags), desiredIs(target ?? read.desiredCapacity, "repair left")),
    });
  }
  const actions: GroupActionOutcome[] = [];
  if (ops === undefined) {
    const error = "this fleet cannot change desired capacity or scaling processes; nothing was changed";
    return steps.map((s) => ({ group: g.name, action: s.action, status: "skipped", error }));
  }
  await runSteps(ops, g.name, steps, actions, guard, []);
  return actions;
}

/** Runs steps in order, each after the guard and its check; false (the rest and `then` skipped) at the first miss. */
async function runSteps(
  ops: SurgeOperations,
  group: string,
  steps: Step[],
  actions: GroupActionOutcome[],
  guard: Guard | undefined,
  then: Step[],
): Promise<boolean> {
  for (let i = 0; i < steps.length; i++) {
    const why = await whyStop(ops, group, guard, steps[i].expect);
    if (why !== undefined) {
      actions.push({ group, action: steps[i].action, status: "skipped", error: why });
      skipAll(actions, group, [...steps.slice(i + 1), ...then], "an earlier step was not done");
      return false;
    }
    try {
      await steps[i].run();
      actions.push({ group, action: steps[i].action, status: "done" });
    } catch (err) {
      actions.push({ group, action: steps[i].action, status: "failed", error: errorText(err) });
      skipAll(actions, group, [...steps.slice(i + 1), ...then], "an earlier step failed");
      return false;
    }
  }
  return true;
}

/** The guard's reason, the group's refusal, or a failed re-read: why not to act now. */
async function whyStop(
  ops: SurgeOperations,
  group: string,
  guard: Guard | undefined,
  expect: Expectation | undefined,
): Promise<string | undefined> {
  const stop = await guard?.();
  if (stop !== undefined) return stop;
  if (expect === undefined) return undefined;
  try {
    const why = expect(await ops.readGroup(group));
    return why === undefined ? undefined : `${why}; nothing more is done to it, the next sweep decides again`;
  } catch (err) {
    return `could not read the group again before changing it: ${errorText(err)}`;
  }
}

function skipAll(actions: GroupActionOutcome[], group: string, steps: Step[], error: string): void {
  for (const s of steps) actions.push({ group, action: s.action, status: "skipped", error });
}
