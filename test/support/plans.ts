// Building blocks for the planner's example specs: the one group of a plan, a plan under the original (replace) rules,
// and web groups at each point of a surge (baseline 3, old instances on 1.0.1, new ones on 1.0.2).
import * as assert from "node:assert/strict";
import { SURGE_PROCESSES, SURGE_TAGS } from "../../runtime/contract";
import { plan } from "../../runtime/core/planner";
import {
  DEFAULT_POLICY,
  FleetSnapshot,
  GroupPlan,
  GroupSnapshot,
  InstanceSnapshot,
  Plan,
  Policy,
} from "../../runtime/core/types";
import { aGroup, anInstance, READ_AT } from "./arbitraries";

/** The replace strategy's rules (issues 2 and 8) are what most examples pin; surge has surge.test.ts. */
export function planReplacing(snapshot: FleetSnapshot, policy: Policy): Plan {
  return plan(snapshot, { strategy: "replace", ...policy });
}

/** The plan's only group, failing when there is not exactly one. */
export function only(p: Plan): GroupPlan {
  assert.equal(p.groups.length, 1);
  return p.groups[0];
}

/** The default policy with the surge strategy. */
export const SURGE: Policy = { ...DEFAULT_POLICY, strategy: "surge" };
const MINUTE_MS = 60_000;

/** The ISO time `minutes` before READ_AT. */
export function minutesBefore(minutes: number): string {
  return new Date(Date.parse(READ_AT) - minutes * MINUTE_MS).toISOString();
}

/** Three instances on 1.0.1, launched days ago. */
export function oldOnes(): InstanceSnapshot[] {
  return [
    anInstance("i-old-1", "1.0.1", { ageDays: 3 }),
    anInstance("i-old-2", "1.0.1", { ageDays: 2 }),
    anInstance("i-old-3", "1.0.1", { ageDays: 1 }),
  ];
}

/** Three instances launched after a surge that started `startedMinutesAgo`, each as `overrides` says. */
export function newOnes(startedMinutesAgo: number, overrides: Partial<InstanceSnapshot> = {}): InstanceSnapshot[] {
  return [1, 2, 3].map((n) =>
    anInstance(`i-new-${n}`, "1.0.2", { launchTime: minutesBefore(startedMinutesAgo - n), ...overrides }),
  );
}

/** A web group's tags during a surge from `baseline` to `version` that started `startedMinutesAgo`. */
export function surgeTags(baseline: number, startedMinutesAgo: number, version = "1.0.2"): Record<string, string> {
  return {
    "phoenix:environment": "live",
    "phoenix:tier": "web",
    [SURGE_TAGS.baseline]: String(baseline),
    [SURGE_TAGS.version]: version,
    [SURGE_TAGS.startedAt]: minutesBefore(startedMinutesAgo),
  };
}

/** A web group mid-surge: baseline 3, desired 6, started `startedMinutesAgo`, processes suspended. */
export function surging(
  instances: InstanceSnapshot[],
  startedMinutesAgo: number,
  overrides: Partial<GroupSnapshot> = {},
) {
  return aGroup("live-web", instances, {
    desiredCapacity: 6,
    tags: surgeTags(3, startedMinutesAgo),
    suspendedProcesses: [...SURGE_PROCESSES],
    ...overrides,
  });
}
