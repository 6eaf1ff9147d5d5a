// The metric namespace, names and dimensions the Lambda publishes and the dashboard and alarms read.

// ---- metrics -------------------------------------------------------------------------------------------------------

/** The CloudWatch namespace every phoenix metric lives in. The dashboard and the alarms read it. */
export const METRICS_NAMESPACE = "Phoenix";

/** Metric names, shared with the dashboard so a rename breaks a test rather than a graph. */
export const MetricName = {
  InstancesCurrent: "InstancesCurrent",
  InstancesStale: "InstancesStale",
  InstancesUnknown: "InstancesUnknown",
  Terminations: "Terminations",
  GroupsSkippedUnstable: "GroupsSkippedUnstable",
  /** Groups left alone because their desired state could not be verified (a missing artifact, a bad image, ...). */
  GroupsUnverified: "GroupsUnverified",
  /** Surges aborted by this sweep because their new instances never became healthy: a failed release. */
  SurgeAborts: "SurgeAborts",
  /** Groups left wedged (surge processes suspended or capacity raised with no surge in progress): `sweep --repair`. */
  GroupsWedged: "GroupsWedged",
  /** Releases written back automatically because a rollout alarm fired past a checkpoint (one per rollback). */
  RolloutRollbacks: "RolloutRollbacks",
  /** Instances per answered version (dimension `Version`): the fleet by version during a rollout. */
  InstancesByVersion: "Instances",
  SweepDuration: "SweepDuration",
} as const;

/** Minutes a group may stay wedged before its alarm fires (a sweep that is just finishing a surge never trips it). */
export const WEDGED_ALARM_MINUTES = 15;

/** Dimension names. `Environment` and `Tier` match the `phoenix:environment` / `phoenix:tier` tags. */
export const Dimension = { Environment: "Environment", Tier: "Tier", Version: "Version" } as const;
