// CloudWatch metrics from a sweep, written as Embedded Metric Format (EMF) log lines: Lambda ships its stdout to
// CloudWatch Logs, which extracts the metrics, so no PutMetricData call, no extra permission and no extra latency.
//
// Hand-built rather than @aws-lambda-powertools/metrics: that package pulls in @aws-lambda-powertools/commons and
// @aws/lambda-invoke-store, and the closure serializer ships whole package directories, so the Lambda archive grows
// past the 200 KB budget (measured: `zip -qr9` of the package directories the serializer includes; the archive
// test prints today's size). The EMF document below is the whole of what it would have written for us.
import { Dimension, METRICS_NAMESPACE, MetricName } from "../contract";
import type { GroupActionOutcome, Plan, TerminationOutcome } from "./types";

type Unit = "Count" | "Milliseconds";

interface EmfMetric {
  name: string;
  unit: Unit;
  value: number;
}

/** One EMF document: a set of metrics sharing one set of dimension values. */
export function emfDocument(
  timestampMs: number,
  dimensions: Record<string, string>,
  metrics: EmfMetric[],
): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [Object.keys(dimensions)],
          Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    ...dimensions,
  };
  for (const m of metrics) {
    doc[m.name] = m.value;
  }
  return doc;
}

/** How the planner saw one tier's instances: on the desired version and image, stale, or not answering. */
export interface TierCounts {
  current: number;
  stale: number;
  unknown: number;
  terminations: number;
  skippedUnstable: number;
  /** Groups left alone because their desired state is not verified. */
  unverified: number;
  surgeAborts: number;
  /** Groups the planner found wedged (phase `wedged`): what the wedged alarm watches. */
  wedged: number;
  /** Automatic rollbacks this sweep made, counted against the tier whose alarm asked for it. */
  rollbacks: number;
  byVersion: Record<string, number>;
}

/**
 * Counts per tier from a plan and what carrying it out did. A tier with several groups sums them. An abort counts
 * once its `phoenix:surge-failed` tag is written (the first step of an abort), so a paused or failed sweep that only
 * planned one does not raise the alarm, and the sweeps after it (which see the tag) do not count it again.
 */
export function countByTier(
  plan: Plan,
  outcomes: TerminationOutcome[],
  actions: GroupActionOutcome[] = [],
  rolledBackTier?: string,
): Map<string, TierCounts> {
  const tierOfGroup = new Map(plan.groups.map((g) => [g.name, g.tier]));
  const tiers = new Map<string, TierCounts>();
  const tierCounts = (tier: string): TierCounts => {
    let counts = tiers.get(tier);
    if (!counts) {
      counts = {
        current: 0,
        stale: 0,
        unknown: 0,
        terminations: 0,
        skippedUnstable: 0,
        unverified: 0,
        surgeAborts: 0,
        wedged: 0,
        rollbacks: 0,
        byVersion: {},
      };
      tiers.set(tier, counts);
    }
    return counts;
  };
  for (const group of plan.groups) {
    const counts = tierCounts(group.tier);
    if (!group.stable) counts.skippedUnstable += 1;
    if (group.unverified !== undefined) counts.unverified += 1;
    const tagged = actions.some((a) => a.group === group.name && a.action === "set-tags" && a.status === "done");
    // An abort that is part of a rollback is told by the rollback's own alarm: one message, not two.
    const rolledBack = rolledBackTier !== undefined && group.alarmStop?.rollback === true;
    if (group.surge?.phase === "abort" && tagged && !rolledBack) counts.surgeAborts += 1;
    if (group.surge?.phase === "wedged") counts.wedged += 1;
    for (const instance of group.instances) {
      // Stale wins over unknown: an instance on the wrong image is stale whatever /version said.
      if (instance.stale) counts.stale += 1;
      else if (instance.version === undefined) counts.unknown += 1;
      else counts.current += 1;
      if (instance.version !== undefined) {
        counts.byVersion[instance.version] = (counts.byVersion[instance.version] ?? 0) + 1;
      }
    }
  }
  if (rolledBackTier !== undefined) tierCounts(rolledBackTier).rollbacks += 1;
  for (const outcome of outcomes) {
    const tier = tierOfGroup.get(outcome.group);
    if (tier !== undefined && outcome.status === "terminated") tierCounts(tier).terminations += 1;
  }
  return tiers;
}

/**
 * The EMF documents for one sweep: per tier the instance states, terminations, unstable and unverified groups; per tier and
 * version the instance count; per environment the sweep's duration.
 */
export function sweepMetrics(input: {
  environment: string;
  plan: Plan;
  outcomes: TerminationOutcome[];
  /** The surge's group changes the sweep carried out, if any. */
  actions?: GroupActionOutcome[];
  /** The tier whose alarm made this sweep roll the release back, when it did. */
  rolledBackTier?: string;
  durationMs: number;
  timestampMs: number;
}): Record<string, unknown>[] {
  const { environment, timestampMs } = input;
  const docs: Record<string, unknown>[] = [];
  for (const [tier, c] of countByTier(input.plan, input.outcomes, input.actions, input.rolledBackTier)) {
    docs.push(
      emfDocument(timestampMs, { [Dimension.Environment]: environment, [Dimension.Tier]: tier }, [
        { name: MetricName.InstancesCurrent, unit: "Count", value: c.current },
        { name: MetricName.InstancesStale, unit: "Count", value: c.stale },
        { name: MetricName.InstancesUnknown, unit: "Count", value: c.unknown },
        { name: MetricName.Terminations, unit: "Count", value: c.terminations },
        { name: MetricName.GroupsSkippedUnstable, unit: "Count", value: c.skippedUnstable },
        { name: MetricName.GroupsUnverified, unit: "Count", value: c.unverified },
        { name: MetricName.SurgeAborts, unit: "Count", value: c.surgeAborts },
        { name: MetricName.GroupsWedged, unit: "Count", value: c.wedged },
        { name: MetricName.RolloutRollbacks, unit: "Count", value: c.rollbacks },
      ]),
    );
    for (const [version, count] of Object.entries(c.byVersion)) {
      docs.push(
        emfDocument(
          timestampMs,
          { [Dimension.Environment]: environment, [Dimension.Tier]: tier, [Dimension.Version]: version },
          [{ name: MetricName.InstancesByVersion, unit: "Count", value: count }],
        ),
      );
    }
  }
  docs.push(
    emfDocument(timestampMs, { [Dimension.Environment]: environment }, [
      { name: MetricName.SweepDuration, unit: "Milliseconds", value: input.durationMs },
    ]),
  );
  return docs;
}
