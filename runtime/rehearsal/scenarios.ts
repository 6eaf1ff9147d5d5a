// The rehearsal's scenarios: a starting fleet, what happens to it at minute zero (a release, a bad release, a
// rollback, a new base image, a scale-out, instances ageing out), and the outcome the real runtime must reach.
import { GroupPolicy } from "../core/types";
import type { RegionLossPlan } from "./region-loss";

export const OLD_VERSION = "1.0.266";
export const NEW_VERSION = "1.0.274";
export const BAD_VERSION = "1.0.275";
export const OLD_IMAGE = "ami-0a1b2c3d4e5f60001";
export const NEW_IMAGE = "ami-0a1b2c3d4e5f60002";
/** OLD_IMAGE as the image pipeline copied it to the recovery region: AMI ids are regional, so the copy has its own. */
export const COPIED_IMAGE = "ami-0b1b2c3d4e5f60001";

/** What the scenario does at minute zero of the rollout (and later, for a scale-out). */
export type ScenarioAction =
  /** A release: `broken` never becomes healthy; `errorRate` passes every check but fails that share of requests. */
  | { type: "publish"; version: string; broken?: boolean; errorRate?: number }
  | { type: "rollback" }
  | { type: "image"; imageId: string }
  /** A target-tracking alarm asks for `factor` × the tier's instances, `atBoots` boots after minute zero. */
  | { type: "scale"; tier: string; factor: number; atBoots: number }
  /**
   * An operator runs `phoenix sweep` at the same moment as a scheduled Lambda sweep; `first` starts a moment before
   * the other and takes the sweep lease, the other stands down.
   */
  | { type: "operator-sweep"; atBoots: number; first: "operator" | "lambda" }
  /** The home region disappears; the recovery stack is built in the recovery region (scenario.regionLoss). */
  | { type: "lose-region" }
  | { type: "none" };

export interface Scenario {
  name: string;
  /**
   * One line for --help and the run's header; a function is given the instances per tier the run uses and its
   * checkpoints and bake (the scenario's, or the flags').
   */
  summary: string | ((instances: number, gates: Gates) => string);
  /**
   * Versions published before the rehearsal starts, oldest first; the last is current and the fleet runs it. None: the
   * fleet boots the no-release placeholder, as a freshly deployed environment does.
   */
  published: string[];
  /** Instances per tier unless --instances says otherwise. */
  instances: number;
  actions: ScenarioAction[];
  /**
   * What the fleet must end as. `converge`: every instance on the version and image (and, with `replaceAll`, none of
   * the instances it started with), each tier at its instances times any `scale` action's factor. `stop`: the rollout
   * must stop itself, the old version serving. `rollback`: the rollout must roll itself back automatically, and the
   * fleet converge back on `version`.
   */
  expect:
    | { outcome: "converge"; version: string; imageId: string; replaceAll?: boolean }
    | { outcome: "stop"; version: string }
    | { outcome: "rollback"; version: string };
  /**
   * Each tier's rollout alarms gate its rollout: the run sends the tiers traffic and evaluates their 5xx-rate alarms
   * as CloudWatch would (load.ts), and the Lambda's policy names them.
   */
  alarms?: boolean;
  /** Policy on top of the defaults (a scenario about ageing needs a maximum age, one about surge the strategy). */
  policy?: Partial<GroupPolicy>;
  /** Each group's max size for a desired capacity. @default twice the desired capacity (room for a full surge) */
  maxSize?: (desired: number) => number;
  /** Minutes before minute zero that the starting instances were launched, by index (ageing needs a spread). */
  launchedMinutesAgo?: (index: number, count: number) => number;
  /**
   * A region-loss drill: before minute zero the lost environment serves in its home region, replicating into the
   * recovery region; the run's own fleet and store are the recovery environment's, empty until the region is lost.
   */
  regionLoss?: RegionLossPlan;
  /** The name of the environment the run's fleet is. @default "local" */
  environment?: string;
  /** Simulated minutes to run at most, as a multiple of one boot plus a constant. */
  horizon: { boots: number; minutes: number };
}

/** A run's checkpoints and bake, which a canary scenario's summary tells. */
export type Gates = Pick<GroupPolicy, "checkpoints" | "bakeMinutes">;

/** The scenario's one-line summary for a run with `instances` per tier and `gates` (else the scenario's). */
export function describeScenario(
  scenario: Scenario,
  instances: number = scenario.instances,
  gates: Gates = scenario.policy ?? {},
): string {
  return typeof scenario.summary === "function" ? scenario.summary(instances, gates) : scenario.summary;
}

/** `checkpoints of 10, 50 and 100 % with 10-minute bakes`, `one step to 100 % with a 5-minute bake`. */
function gatesText({ checkpoints = [100], bakeMinutes = 0 }: Gates): string {
  const steps =
    checkpoints.length === 1
      ? "one step to 100 %"
      : `checkpoints of ${checkpoints.slice(0, -1).join(", ")} and ${checkpoints.at(-1)} %`;
  const bakes = checkpoints.length === 1 ? `a ${bakeMinutes}-minute bake` : `${bakeMinutes}-minute bakes`;
  return `${steps} with ${bakeMinutes > 0 ? bakes : "no bake"}`;
}

/** What minute zero is in a scenario, for a chart's time axis: "the release", "the rollback", ... */
export function minuteZeroOf(scenario: Scenario): string {
  const first = scenario.actions[0]?.type;
  if (first === "publish") return "the release";
  if (first === "rollback") return "the rollback";
  if (first === "image") return "the new base image";
  if (first === "lose-region") return "the region's loss";
  return "the start";
}

/** Each tier's desired capacity once the scenario's scale actions have acted, for `instances` per tier. */
export function expectedDesired(scenario: Scenario, tier: string, instances: number): number {
  let desired = instances;
  for (const a of scenario.actions) if (a.type === "scale" && a.tier === tier) desired = Math.ceil(desired * a.factor);
  return desired;
}

const tiersOf = (n: number) => `web and API tiers of ${n}`;

/** The checkpoints and bakes of the canary scenarios: what Pulumi.live.yaml sets. */
const CANARY = { strategy: "surge" as const, checkpoints: [10, 50, 100], bakeMinutes: 10, autoRollback: true };

export const SCENARIOS: Scenario[] = [
  {
    name: "original",
    summary: (n) => `${tiersOf(n)} on ${OLD_VERSION}; ${NEW_VERSION} is published`,
    published: [OLD_VERSION],
    instances: 3,
    actions: [{ type: "publish", version: NEW_VERSION }],
    expect: { outcome: "converge", version: NEW_VERSION, imageId: OLD_IMAGE },
    horizon: { boots: 8, minutes: 30 },
  },
  {
    // The replace half of the broken-release pair (surge-abort is the surge half): what the original system risked.
    name: "bad-release",
    summary:
      `${BAD_VERSION} never becomes healthy; replaced in place, the release takes one ${OLD_VERSION} per tier ` +
      "and the rollout must stop there",
    published: [OLD_VERSION],
    instances: 3,
    actions: [{ type: "publish", version: BAD_VERSION, broken: true }],
    policy: { strategy: "replace" },
    expect: { outcome: "stop", version: OLD_VERSION },
    horizon: { boots: 4, minutes: 20 },
  },
  {
    name: "rollback",
    summary: (n) => `${tiersOf(n)} on ${NEW_VERSION}; \`phoenix rollback\` repoints the manifest to ${OLD_VERSION}`,
    published: [OLD_VERSION, NEW_VERSION],
    instances: 3,
    actions: [{ type: "rollback" }],
    expect: { outcome: "converge", version: OLD_VERSION, imageId: OLD_IMAGE },
    horizon: { boots: 8, minutes: 30 },
  },
  {
    name: "image",
    summary: `a new base image ${NEW_IMAGE} is published to SSM (the monthly patch); the version stays ${OLD_VERSION}`,
    published: [OLD_VERSION],
    instances: 3,
    actions: [{ type: "image", imageId: NEW_IMAGE }],
    expect: { outcome: "converge", version: OLD_VERSION, imageId: NEW_IMAGE },
    horizon: { boots: 8, minutes: 30 },
  },
  {
    name: "large",
    summary: (n) => `${tiersOf(n)} on ${OLD_VERSION}; ${NEW_VERSION} is published`,
    published: [OLD_VERSION],
    instances: 30,
    actions: [{ type: "publish", version: NEW_VERSION }],
    expect: { outcome: "converge", version: NEW_VERSION, imageId: OLD_IMAGE },
    horizon: { boots: 10, minutes: 30 },
  },
  {
    name: "scale-out",
    summary: (n) =>
      `${NEW_VERSION} is published; half a boot later, mid-rollout, a scaling alarm asks for web ${n} → ${2 * n}`,
    published: [OLD_VERSION],
    instances: 3,
    actions: [
      { type: "publish", version: NEW_VERSION },
      { type: "scale", tier: "web", factor: 2, atBoots: 0.5 },
    ],
    expect: { outcome: "converge", version: NEW_VERSION, imageId: OLD_IMAGE },
    horizon: { boots: 10, minutes: 30 },
  },
  {
    name: "age",
    summary: "no release: instances older than maxInstanceAgeHours (1 h here) are recycled, oldest first",
    published: [OLD_VERSION],
    instances: 3,
    actions: [{ type: "none" }],
    policy: { maxInstanceAgeHours: 1 },
    // Spread over the hour before minute zero, so they age out one after another during the run.
    launchedMinutesAgo: (index, count) => 50 - (40 * index) / Math.max(1, count - 1),
    expect: { outcome: "converge", version: OLD_VERSION, imageId: OLD_IMAGE, replaceAll: true },
    horizon: { boots: 12, minutes: 60 },
  },
  {
    name: "surge",
    summary: `${NEW_VERSION} is published and rolled out by surge: replacements launch first, full capacity throughout`,
    published: [OLD_VERSION],
    instances: 3,
    actions: [{ type: "publish", version: NEW_VERSION }],
    policy: { strategy: "surge" },
    expect: { outcome: "converge", version: NEW_VERSION, imageId: OLD_IMAGE },
    horizon: { boots: 8, minutes: 30 },
  },
  {
    name: "surge-abort",
    summary:
      `${BAD_VERSION} (broken) is rolled out by surge: its instances launch beside ${OLD_VERSION}, never become ` +
      "healthy, and the surge is aborted; no capacity is lost",
    published: [OLD_VERSION],
    instances: 3,
    actions: [{ type: "publish", version: BAD_VERSION, broken: true }],
    policy: { strategy: "surge", surgeStallMinutes: 20 },
    expect: { outcome: "stop", version: OLD_VERSION },
    horizon: { boots: 4, minutes: 30 },
  },
  {
    name: "two-operators",
    summary:
      `${NEW_VERSION} is rolled out by surge; mid-surge an operator runs \`phoenix sweep\` as the Lambda sweeps: ` +
      "one takes the sweep lease, the other stands down",
    published: [OLD_VERSION],
    instances: 3,
    actions: [
      { type: "publish", version: NEW_VERSION },
      { type: "operator-sweep", atBoots: 0.5, first: "lambda" },
      { type: "operator-sweep", atBoots: 1.15, first: "operator" },
    ],
    policy: { strategy: "surge" },
    expect: { outcome: "converge", version: NEW_VERSION, imageId: OLD_IMAGE },
    horizon: { boots: 8, minutes: 30 },
  },
  {
    name: "first-release",
    summary: (n) =>
      `a fresh environment, ${tiersOf(n)}: nothing published, every instance serves the no-release placeholder, ` +
      `healthy; the first release ${NEW_VERSION} surges the fleet up`,
    published: [],
    instances: 3,
    actions: [{ type: "publish", version: NEW_VERSION }],
    expect: { outcome: "converge", version: NEW_VERSION, imageId: OLD_IMAGE },
    horizon: { boots: 8, minutes: 30 },
  },
  {
    name: "region-loss",
    summary: `live serves ${NEW_VERSION} in eu-west-1, replicating releases to eu-central-1; eu-west-1 is lost, and live-dr is built in eu-central-1 from the replica and the copied image`,
    published: [OLD_VERSION, NEW_VERSION],
    instances: 3,
    actions: [{ type: "lose-region" }],
    regionLoss: {
      recoverFrom: "live",
      homeRegion: "eu-west-1",
      region: "eu-central-1",
      homeImageId: OLD_IMAGE,
      copiedImageId: COPIED_IMAGE,
    },
    environment: "live-dr",
    expect: { outcome: "converge", version: NEW_VERSION, imageId: COPIED_IMAGE },
    horizon: { boots: 4, minutes: 20 },
  },
  {
    name: "surge-no-room",
    summary: `surge is asked for but max size equals desired capacity: the rollout falls back to replace`,
    published: [OLD_VERSION],
    instances: 3,
    actions: [{ type: "publish", version: NEW_VERSION }],
    policy: { strategy: "surge" },
    maxSize: (desired) => desired,
    expect: { outcome: "converge", version: NEW_VERSION, imageId: OLD_IMAGE },
    horizon: { boots: 8, minutes: 30 },
  },
  {
    name: "canary-alarm",
    summary: (n, g) =>
      `${BAD_VERSION} is bad under traffic (healthy to every check, 5xx on half its requests), rolled out to ` +
      `${tiersOf(n)} in ${gatesText(g)}: its 5xx alarm fires in the first bake, ` +
      `the surge is aborted and ${OLD_VERSION} serves at full capacity`,
    published: [OLD_VERSION],
    instances: 10,
    actions: [{ type: "publish", version: BAD_VERSION, errorRate: 0.5 }],
    policy: CANARY,
    alarms: true,
    expect: { outcome: "stop", version: OLD_VERSION },
    horizon: { boots: 4, minutes: 30 },
  },
  {
    name: "late-alarm",
    summary: (n, g) =>
      `${BAD_VERSION} fails 2 % of its requests, rolled out to ${tiersOf(n)} in ${gatesText(g)}: under the 1 % alarm ` +
      `while its share is small, over it once the last checkpoint's share serves, after old instances are gone; ` +
      `automatic rollback brings ${OLD_VERSION} back`,
    published: [OLD_VERSION],
    instances: 10,
    actions: [{ type: "publish", version: BAD_VERSION, errorRate: 0.02 }],
    policy: CANARY,
    alarms: true,
    expect: { outcome: "rollback", version: OLD_VERSION },
    horizon: { boots: 12, minutes: 60 },
  },
  {
    name: "canary-good",
    summary: (n, g) =>
      `${NEW_VERSION} (good) is rolled out to ${tiersOf(n)} in ${gatesText(g)} under its 5xx alarms: every ` +
      "checkpoint passes",
    published: [OLD_VERSION],
    instances: 10,
    actions: [{ type: "publish", version: NEW_VERSION }],
    policy: CANARY,
    alarms: true,
    expect: { outcome: "converge", version: NEW_VERSION, imageId: OLD_IMAGE },
    horizon: { boots: 10, minutes: 60 },
  },
];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
