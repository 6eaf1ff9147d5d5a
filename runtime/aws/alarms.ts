// The AWS side of a rollout's alarms: one DescribeAlarms call for every alarm the sweep needs (the role may call it on
// those alarms' ARNs only), metric and composite alarms alike (a stack may name an APM's composite alarm). A name
// CloudWatch does not return is `missing`; the planner then holds the rollout at its checkpoint.
import type { CompositeAlarm, MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { AlarmReader, AlarmState } from "../core/types";
import { AwsClients, sdk } from "./clients";
import { step } from "./errors";

/** DescribeAlarms answers at most 100 alarms a call, and takes at most 100 names. */
const MAX_ALARMS_PER_CALL = 100;

/** CloudWatch's reason for a state can run to a kilobyte; a sweep record keeps the start of it. */
const REASON_CHARS = 200;

export class AwsAlarms implements AlarmReader {
  constructor(private readonly clients: Pick<AwsClients, "cloudwatch">) {}

  async read(names: string[]): Promise<AlarmState[]> {
    const wanted = [...new Set(names)].sort();
    if (wanted.length === 0) return [];
    if (wanted.length > MAX_ALARMS_PER_CALL) {
      throw new Error(
        `${wanted.length} rollout alarms are more than one DescribeAlarms call reads (${MAX_ALARMS_PER_CALL}): name ` +
          "fewer across the environment's tiers (rolloutAlarms in the stack config)",
      );
    }
    const { DescribeAlarmsCommand } = sdk.cloudwatch();
    const out = await step("DescribeAlarms (the rollout alarms)", "", () =>
      this.clients.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: wanted,
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
          MaxRecords: MAX_ALARMS_PER_CALL,
        }),
      ),
    );
    const found = new Map<string, MetricAlarm | CompositeAlarm>();
    for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
      if (a.AlarmName !== undefined) found.set(a.AlarmName, a);
    }
    return wanted.map((name): AlarmState => {
      const a = found.get(name);
      if (a === undefined) return { name, state: "missing" };
      return {
        name,
        state: a.StateValue ?? "INSUFFICIENT_DATA",
        ...(a.StateUpdatedTimestamp !== undefined && { since: new Date(a.StateUpdatedTimestamp).toISOString() }),
        ...(a.StateReason !== undefined && { reason: a.StateReason.slice(0, REASON_CHARS) }),
      };
    });
  }
}
