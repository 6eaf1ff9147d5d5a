// Rollout: the rollout Lambda's schedule, size and probes, where a version comes from, and the rollout alarms.
import {
  DEFAULT_DESIRED_VERSION_SOURCE,
  DEFAULT_SWEEP_SCHEDULE,
  DESIRED_VERSION_SOURCES,
  SWEEP_OVERHEAD_SECONDS,
} from "../../runtime/contract";
import { ConfigKey } from "../declared-key";
import { limit } from "./limit";

/** The "Rollout" section, in Pulumi.yaml's order. */
export const ROLLOUT: ConfigKey[] = [
  {
    key: "rolloutSchedule",
    type: "string",
    default: DEFAULT_SWEEP_SCHEDULE,
    description: "When the rollout Lambda sweeps without any event: an EventBridge rate(...) or cron(...) expression.",
  },
  {
    key: "rolloutMemoryMb",
    ...limit("rolloutMemoryMb"),
    description: "Memory of the rollout Lambda in MB.",
  },
  {
    key: "rolloutTimeoutSeconds",
    ...limit("rolloutTimeoutSeconds"),
    description: "Timeout of the rollout Lambda in seconds.",
    rule: `more than the probe timeout plus ${SWEEP_OVERHEAD_SECONDS}`,
  },
  {
    key: "probeTimeoutMs",
    ...limit("probeTimeoutMs"),
    description:
      "Deadline of the GET /version probes in milliseconds, counted from when a sweep begins probing; a probe whose turn comes later still gets a quarter of it.",
  },
  {
    key: "probeConcurrency",
    ...limit("probeConcurrency"),
    description:
      "GET /version probes in flight at once. 0 sizes it from the fleet, so a sweep of thousands of instances takes one probe timeout however many never answer; the maximum leaves the Lambda's file descriptors room for the SDK's sockets.",
  },
  {
    key: "rolloutPaused",
    type: "boolean",
    default: false,
    description: "Pause rollouts: the Lambda still sweeps, plans and logs, but terminates nothing.",
  },
  {
    key: "desiredVersion",
    type: "string",
    default: DEFAULT_DESIRED_VERSION_SOURCE,
    choices: DESIRED_VERSION_SOURCES,
    description:
      "Where a tier's target version comes from when no release manifest names one: manifest (nowhere: nothing is " +
      "replaced for its version) or highest-observed (the highest version at least two instances answer, for fleets " +
      "without a release store).",
  },
  {
    key: "rolloutStuckMinutes",
    ...limit("rolloutStuckMinutes"),
    description: "Minutes a tier may keep stale instances before the rollout-stuck alarm fires.",
  },
  {
    key: "rolloutAlarmMinutes",
    ...limit("rolloutAlarmMinutes"),
    description:
      "One-minute periods in a row a tier's 5xx-rate or response-time rollout alarm must breach before it is in ALARM " +
      "and stops the rollout.",
  },
  {
    key: "alarmEmail",
    type: "string",
    default: "",
    description:
      "Email address subscribed to the environment's alarm topic (it must confirm); empty subscribes nobody.",
  },
];
