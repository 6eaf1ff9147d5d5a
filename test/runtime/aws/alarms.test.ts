// The AWS side of the rollout alarms, against aws-sdk-client-mock: one DescribeAlarms for every name (metric and
// composite alarms both), each answered with its state, since when and why, a name CloudWatch does not return
// answered `missing`; a refused call is one FleetReadError line naming it.
import * as assert from "node:assert/strict";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { AwsAlarms } from "../../../runtime/aws/alarms";
import { createClients } from "../../../runtime/aws/clients";
import { FleetReadError } from "../../../runtime/core/errors";

const TEST_CONFIG = { region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } };

describe("AWS rollout alarms", () => {
  const clients = createClients(TEST_CONFIG);
  const cloudwatch = mockClient(clients.cloudwatch);
  const alarms = new AwsAlarms(clients);

  beforeEach(() => cloudwatch.reset());
  after(() => cloudwatch.restore());

  it("refuses more alarms than one call reads, before calling, saying what to change", async () => {
    const names = Array.from({ length: 101 }, (_, i) => `alarm-${i}`);

    await assert.rejects(
      alarms.read(names),
      /^Error: 101 rollout alarms are more than one DescribeAlarms call reads \(100\): name fewer across the environment's tiers/,
    );
    assert.equal(cloudwatch.commandCalls(DescribeAlarmsCommand).length, 0);
  });

  it("reads every alarm in one call, metric and composite, and answers each name", async () => {
    const since = new Date("2026-11-26T03:58:00.000Z");
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: "web-5xx", StateValue: "ALARM", StateUpdatedTimestamp: since, StateReason: "x".repeat(500) },
      ],
      CompositeAlarms: [{ AlarmName: "apm-errors", StateValue: "OK" }],
    });

    const states = await alarms.read(["web-5xx", "apm-errors", "gone", "web-5xx"]);

    assert.deepEqual(
      cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input),
      [
        {
          AlarmNames: ["apm-errors", "gone", "web-5xx"],
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
          MaxRecords: 100,
        },
      ],
    );
    assert.deepEqual(states, [
      { name: "apm-errors", state: "OK" },
      { name: "gone", state: "missing" },
      { name: "web-5xx", state: "ALARM", since: since.toISOString(), reason: "x".repeat(200) },
    ]);
  });

  it("makes no call for no alarm", async () => {
    assert.deepEqual(await alarms.read([]), []);
    assert.equal(cloudwatch.commandCalls(DescribeAlarmsCommand).length, 0);
  });

  it("fails as one line naming the call when AWS refuses it", async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));

    await assert.rejects(
      alarms.read(["web-5xx"]),
      (err: Error) => err instanceof FleetReadError && /DescribeAlarms \(the rollout alarms\)/.test(err.message),
    );
  });
});
