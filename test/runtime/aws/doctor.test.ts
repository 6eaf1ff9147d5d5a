// `phoenix doctor`'s AWS reads against aws-sdk-client-mock: what each call asks, how AWS's answers map onto the port,
// "does not exist" told apart from a refusal, and another region read with clients of its own.
import * as assert from "node:assert/strict";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeRuleCommand, EventBridgeClient, ListRuleNamesByTargetCommand } from "@aws-sdk/client-eventbridge";
import { GetFunctionCommand, LambdaClient, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import {
  GetBucketNotificationConfigurationCommand,
  GetBucketReplicationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  NoSuchKey,
  S3Client,
} from "@aws-sdk/client-s3";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { createClients } from "../../../runtime/aws/clients";
import { AwsDoctor } from "../../../runtime/aws/doctor";
import { DOCTOR_CALLS } from "../../../runtime/contract";
import * as fs from "node:fs";
import * as path from "node:path";

const CONFIG = { region: "eu-west-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } };
const FN = "arn:aws:lambda:eu-west-1:123456789012:function:live-rollout-fn";

/** An object body as the SDK hands it over, reduced to what the adapter reads. */
function body(text: string) {
  return { transformToByteArray: () => Promise.resolve(new Uint8Array(Buffer.from(text))) } as never;
}

function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

describe("phoenix doctor's AWS reads", () => {
  // Mocked for every client of these classes (another region's clients are built inside AwsDoctor), so only from
  // before to after: mocked at load, they would answer other specs' real clients too, whichever spec ran first.
  let sts: AwsClientStub<STSClient>;
  let ssm: AwsClientStub<SSMClient>;
  let s3: AwsClientStub<S3Client>;
  let lambda: AwsClientStub<LambdaClient>;
  let events: AwsClientStub<EventBridgeClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  let doctor: AwsDoctor;
  before(() => {
    sts = mockClient(STSClient);
    ssm = mockClient(SSMClient);
    s3 = mockClient(S3Client);
    lambda = mockClient(LambdaClient);
    events = mockClient(EventBridgeClient);
    logs = mockClient(CloudWatchLogsClient);
  });
  beforeEach(() => {
    for (const m of [sts, ssm, s3, lambda, events, logs]) m.reset();
    doctor = new AwsDoctor(createClients(CONFIG), CONFIG);
  });
  after(() => {
    for (const m of [sts, ssm, s3, lambda, events, logs]) m.restore();
  });

  it("names the account, caller and region of the credentials", async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: "123456789012", Arn: "arn:aws:iam::123456789012:user/ops" });

    assert.deepEqual(await doctor.identity(), {
      account: "123456789012",
      arn: "arn:aws:iam::123456789012:user/ops",
      region: "eu-west-1",
    });
  });

  it("reads a parameter, undefined when it does not exist, and refusals as errors", async () => {
    ssm.on(GetParameterCommand, { Name: "/phoenix/live/release-bucket" }).resolves({ Parameter: { Value: "b" } });
    ssm
      .on(GetParameterCommand, { Name: "/phoenix/tset/release-bucket" })
      .rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
    ssm.on(GetParameterCommand, { Name: "/phoenix/other/release-bucket" }).rejects(awsError("AccessDeniedException"));

    assert.equal(await doctor.parameter("/phoenix/live/release-bucket"), "b");
    assert.equal(await doctor.parameter("/phoenix/tset/release-bucket"), undefined);
    await assert.rejects(doctor.parameter("/phoenix/other/release-bucket"), /AccessDeniedException/);
  });

  it("reads another region with clients of that region", async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: "live-releases-eu-central-1" } });

    await doctor.parameter("/phoenix/live/release-replica", "eu-central-1");

    const client = ssm.call(0).thisValue as SSMClient;
    assert.equal(await client.config.region(), "eu-central-1");
  });

  it("tells a missing bucket and object apart from a present one", async () => {
    s3.on(HeadBucketCommand, { Bucket: "gone" }).rejects(awsError("NotFound"));
    s3.on(HeadBucketCommand, { Bucket: "here" }).resolves({});
    s3.on(GetObjectCommand, { Key: "releases/current.json" }).rejects(new NoSuchKey({ message: "x", $metadata: {} }));
    s3.on(GetObjectCommand, { Key: "releases/1.0.0/web.zip" }).resolves({
      Body: body("zip"),
    });

    assert.equal(await doctor.bucketExists("gone"), false);
    assert.equal(await doctor.bucketExists("here"), true);
    assert.equal(await doctor.object("here", "releases/current.json"), undefined);
    assert.equal((await doctor.object("here", "releases/1.0.0/web.zip"))?.toString(), "zip");
  });

  it("reads the function's state, reserved concurrency and log group; undefined when it does not exist", async () => {
    lambda.on(GetFunctionCommand, { FunctionName: "live-rollout-fn" }).resolves({
      Configuration: {
        FunctionArn: FN,
        State: "Active",
        LastUpdateStatus: "Successful",
        LoggingConfig: { LogGroup: "live-rollout-logs" },
      },
      Concurrency: { ReservedConcurrentExecutions: 1 },
    });
    lambda.on(GetFunctionCommand, { FunctionName: "nope" }).rejects(awsError("ResourceNotFoundException"));

    assert.deepEqual(await doctor.function("live-rollout-fn"), {
      arn: FN,
      state: "Active",
      lastUpdateStatus: "Successful",
      reservedConcurrency: 1,
      logGroup: "live-rollout-logs",
    });
    assert.equal(await doctor.function("nope"), undefined);
  });

  it("lists the rules that target the function, page by page, each with its state and schedule or pattern", async () => {
    events
      .on(ListRuleNamesByTargetCommand, { TargetArn: FN })
      .resolvesOnce({ RuleNames: ["schedule"], NextToken: "t" })
      .resolvesOnce({ RuleNames: ["events"] });
    events
      .on(DescribeRuleCommand, { Name: "schedule" })
      .resolves({ State: "ENABLED", ScheduleExpression: "rate(5 minutes)" });
    events.on(DescribeRuleCommand, { Name: "events" }).resolves({ State: "DISABLED", EventPattern: "{}" });

    assert.deepEqual(await doctor.rulesTargeting(FN), [
      { name: "schedule", state: "ENABLED", scheduleExpression: "rate(5 minutes)" },
      { name: "events", state: "DISABLED", eventPattern: "{}" },
    ]);
    assert.equal(events.commandCalls(ListRuleNamesByTargetCommand)[1].args[0].input.NextToken, "t");
  });

  it("reads the bucket's notifications and the function's event sources", async () => {
    s3.on(GetBucketNotificationConfigurationCommand).resolves({
      LambdaFunctionConfigurations: [
        {
          LambdaFunctionArn: FN,
          Events: ["s3:ObjectCreated:*"],
          Filter: {
            Key: {
              FilterRules: [
                // S3 answers with capitalized names, which the SDK's type spells in lower case.
                { Name: "Prefix" as never, Value: "releases/current.json" },
                { Name: "Suffix" as never, Value: "releases/current.json" },
              ],
            },
          },
        },
      ],
    });
    lambda
      .on(ListEventSourceMappingsCommand)
      .resolves({ EventSourceMappings: [{ EventSourceArn: "q", State: "Enabled" }] });

    assert.deepEqual(await doctor.notifiedFunctions("b"), [
      { functionArn: FN, prefix: "releases/current.json", suffix: "releases/current.json" },
    ]);
    assert.deepEqual(await doctor.eventSources("live-rollout-fn"), [{ sourceArn: "q", state: "Enabled" }]);
  });

  it("filters the log for any of the terms since the window's start, oldest first across pages", async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [{ timestamp: 5, message: "b" }], nextToken: "n" })
      .resolvesOnce({ events: [{ timestamp: 3, message: "a" }] });

    assert.deepEqual(await doctor.logEvents("g", 1000, ["sweep.plan", "Task timed out"]), [
      { timestamp: 3, message: "a" },
      { timestamp: 5, message: "b" },
    ]);
    assert.deepEqual(logs.commandCalls(FilterLogEventsCommand)[0].args[0].input, {
      logGroupName: "g",
      startTime: 1000,
      filterPattern: '?"sweep.plan" ?"Task timed out"',
    });
  });

  it("reads replication rules with their destination bucket's name, none when the bucket replicates nowhere", async () => {
    s3.on(GetBucketReplicationCommand, { Bucket: "live-releases" }).resolves({
      ReplicationConfiguration: {
        Role: "r",
        Rules: [
          {
            ID: "releases-to-eu-central-1",
            Status: "Enabled",
            Destination: { Bucket: "arn:aws:s3:::live-releases-eu-central-1" },
          },
        ],
      },
    });
    s3.on(GetBucketReplicationCommand, { Bucket: "test-releases" }).rejects(
      awsError("ReplicationConfigurationNotFoundError"),
    );

    assert.deepEqual(await doctor.replicationRules("live-releases"), [
      { id: "releases-to-eu-central-1", status: "Enabled", destinationBucket: "live-releases-eu-central-1" },
    ]);
    assert.deepEqual(await doctor.replicationRules("test-releases"), []);
  });

  it("sends exactly the operations DOCTOR_CALLS lists, so the operator policy in the docs covers them", () => {
    const source = fs.readFileSync(path.join(__dirname, "..", "..", "..", "runtime", "aws", "doctor.ts"), "utf8");
    const sent = [...new Set([...source.matchAll(/\b([A-Z][A-Za-z0-9]+)Command\b/g)].map((m) => m[1]))].sort();

    assert.deepEqual(sent, [...new Set(DOCTOR_CALLS.map((c) => c.operation))].sort());
  });
});
