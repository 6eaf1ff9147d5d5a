// The rollout component under Pulumi mocks: the function's settings, its role statement by statement, its network,
// single flight, failure handling, and its four triggers (the fourth: its follow-up queue) with the permissions that let them invoke it.
import * as assert from "node:assert/strict";
import {
  EXCLUDED_PACKAGES,
  Rollout,
  checkSerializable,
  RolloutArgs,
  instanceEventPattern,
  rolloutPolicyDocument,
  validateRolloutArgs,
} from "../../../components/rollout";
import { MOCK_ACCOUNT_ID, PulumiMocks, RecordedResource, settle, setupMocks } from "../../support/pulumi-mocks";
import {
  CONVERGENCE_KEY,
  FOLLOW_UP_QUEUE_ACTIONS,
  LAMBDA_ENV,
  MANIFEST_KEY,
  SURGE_ACTIONS,
  SURGE_TAGS,
} from "../../../runtime/contract";

const BUCKET = "phoenix-test-releases";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;

function args(overrides: Partial<RolloutArgs> = {}): RolloutArgs {
  return {
    environment: "test",
    vpcId: "vpc-0123",
    vpcCidrBlock: "10.20.0.0/16",
    privateSubnetIds: ["subnet-a", "subnet-b"],
    releaseBucketName: BUCKET,
    releaseBucketArn: BUCKET_ARN,
    tiers: [
      { name: "web", port: 8080, autoScalingGroupName: "test-web-asg" },
      { name: "api", port: 8081, autoScalingGroupName: "test-api-asg", policy: { maxPerSweep: 1 } },
    ],
    policy: { minHealthy: 1, minHealthyPercent: 50 },
    probeTimeoutMs: 2000,
    memorySizeMb: 256,
    timeoutSeconds: 90,
    ...overrides,
  };
}

interface Statement {
  Sid: string;
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

describe("the rollout component", () => {
  let mocks: PulumiMocks;
  let fn: RecordedResource;
  let statements: Statement[];

  before(async () => {
    await checkSerializable();
    mocks = await setupMocks("test");
    new Rollout("test-rollout", args());
    await settle();
    fn = mocks.one("aws:lambda/function:Function", "test-rollout-fn");
    const policy = mocks.one("aws:iam/rolePolicy:RolePolicy", "test-rollout-policy");
    statements = (JSON.parse(policy.inputs.policy as string) as { Statement: Statement[] }).Statement;
  });

  const sid = (name: string) => statements.find((s) => s.Sid === name)!;
  const resources = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

  it("runs on nodejs22.x with the memory and timeout it was given", () => {
    assert.equal(fn.inputs.runtime, "nodejs22.x");
    assert.equal(fn.inputs.memorySize, 256);
    assert.equal(fn.inputs.timeout, 90);
  });

  it("publishes the function's name at /phoenix/<env>/rollout-function, where phoenix doctor finds it", () => {
    const parameter = mocks.one("aws:ssm/parameter:Parameter", "test-rollout-function-parameter").inputs;

    assert.deepEqual([parameter.name, parameter.value], ["/phoenix/test/rollout-function", fn.state.name]);
  });

  it("is single flight: reserved concurrency 1", () => {
    assert.equal(fn.inputs.reservedConcurrentExecutions, 1);
  });

  it("passes the environment, the per-tier policy, the probe deadline and the bucket as variables", () => {
    assert.deepEqual(fn.inputs.environment.variables, {
      [LAMBDA_ENV.environment]: "test",
      [LAMBDA_ENV.policy]: JSON.stringify({ minHealthy: 1, minHealthyPercent: 50, tiers: { api: { maxPerSweep: 1 } } }),
      [LAMBDA_ENV.probeTimeoutMs]: "2000",
      [LAMBDA_ENV.probeConcurrency]: "0",
      [LAMBDA_ENV.dryRun]: "false",
      [LAMBDA_ENV.releaseBucket]: BUCKET,
      [LAMBDA_ENV.followUpQueueUrl]: mocks.one("aws:sqs/queue:Queue", "test-rollout-follow-up").state.url,
      [LAMBDA_ENV.followUpDelaySeconds]: "15",
      // Three quarters of the 90 s timeout: the sweep ends with its own line, never Lambda's "Task timed out".
      [LAMBDA_ENV.sweepDeadlineMs]: "67500",
    });
  });

  it("uses its own role and none of the callback function's default managed policies", () => {
    const role = mocks.one("aws:iam/role:Role", "test-rollout-role");
    assert.equal(fn.inputs.role, role.state.arn);
    assert.equal(mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0);
    assert.equal(mocks.ofType("aws:iam/role:Role").length, 1);
    assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0].Principal, {
      Service: "lambda.amazonaws.com",
    });
  });

  it("grants no wildcard action anywhere", () => {
    for (const s of statements) {
      for (const action of s.Action) {
        assert.ok(!action.includes("*"), `${s.Sid} grants ${action}`);
      }
    }
  });

  it("grants every write on named resources, never on *", () => {
    const reads = /^[a-z0-9]+:(Describe|Get|List)/;
    for (const s of statements) {
      if (s.Action.every((a) => reads.test(a))) continue;
      for (const resource of resources(s)) {
        assert.notEqual(resource, "*", `${s.Sid} writes on *`);
      }
    }
  });

  it("reads the fleet with exactly the describe calls the adapter makes", () => {
    assert.deepEqual(sid("ReadFleet").Action, [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeScalingActivities",
      "ec2:DescribeInstances",
      "elasticloadbalancing:DescribeTargetHealth",
    ]);
  });

  it("reads this environment's manifest only, and checks artifacts exist", () => {
    assert.deepEqual(sid("ReadManifest"), {
      Sid: "ReadManifest",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: `${BUCKET_ARN}/${MANIFEST_KEY}`,
    });
    assert.equal(sid("CheckArtifactsExist").Resource, `${BUCKET_ARN}/releases/*.zip`);
    assert.deepEqual(sid("TellMissingManifestApart").Action, ["s3:ListBucket"]);
  });

  it("reads and writes the sweep lease and the convergence record, and no other key of the bucket", () => {
    assert.deepEqual(sid("SweepLease"), {
      Sid: "SweepLease",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: `${BUCKET_ARN}/leases/sweep.json`,
    });
    const writes = statements.filter((s) => s.Action.includes("s3:PutObject"));
    assert.deepEqual(
      writes.map((s) => s.Sid),
      ["SweepLease", "RecordConvergence"],
    );
    assert.equal(sid("TellMissingManifestApart").Resource, BUCKET_ARN);
  });

  it("may check that the bucket is this environment's and the base image available, and nothing more", () => {
    assert.deepEqual(sid("VerifyReleaseBucketIsOwn"), {
      Sid: "VerifyReleaseBucketIsOwn",
      Effect: "Allow",
      Action: ["s3:GetBucketTagging"],
      Resource: BUCKET_ARN,
    });
    assert.deepEqual(sid("VerifyBaseImage"), {
      Sid: "VerifyBaseImage",
      Effect: "Allow",
      Action: ["ec2:DescribeImages"],
      Resource: "*",
    });
  });

  it("reads and writes the convergence record and no other key of the bucket", () => {
    assert.deepEqual(sid("RecordConvergence"), {
      Sid: "RecordConvergence",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: `${BUCKET_ARN}/${CONVERGENCE_KEY}`,
    });
  });

  it("reads parameters under /phoenix/<env>/ only", () => {
    assert.deepEqual(sid("ReadEnvironmentParameters").Action, ["ssm:GetParameter"]);
    assert.equal(
      sid("ReadEnvironmentParameters").Resource,
      `arn:aws:ssm:${mocks.region}:${MOCK_ACCOUNT_ID}:parameter/phoenix/test/*`,
    );
  });

  it("terminates only in groups of this account and region tagged with this environment", () => {
    assert.deepEqual(sid("TerminateOwnEnvironmentOnly"), {
      Sid: "TerminateOwnEnvironmentOnly",
      Effect: "Allow",
      Action: ["autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: `arn:aws:autoscaling:${mocks.region}:${MOCK_ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/*`,
      Condition: { StringEquals: { "autoscaling:ResourceTag/phoenix:environment": "test" } },
    });
  });

  it("may run a surge (desired capacity, scaling processes) only on this environment's groups", () => {
    const surge = sid("SurgeOwnEnvironmentOnly");
    const tags = sid("TagSurgeStateOnly");
    const granted = [...surge.Action, ...tags.Action];
    for (const action of SURGE_ACTIONS) assert.ok(granted.includes(action), `${action} is not granted`);
    for (const s of [surge, tags]) {
      assert.equal(
        s.Resource,
        `arn:aws:autoscaling:${mocks.region}:${MOCK_ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/*`,
      );
      assert.deepEqual(s.Condition!.StringEquals, { "autoscaling:ResourceTag/phoenix:environment": "test" });
    }
  });

  it("writes and removes only the surge's own tags, never phoenix:environment", () => {
    const tags = sid("TagSurgeStateOnly");
    const allowed = new RegExp(`^${tags.Condition!["ForAllValues:StringLike"]["aws:TagKeys"].replace("*", ".*")}$`);
    for (const key of Object.values(SURGE_TAGS)) assert.match(key, allowed);
    assert.doesNotMatch("phoenix:environment", allowed);
  });

  it("writes its own log group and its dead-letter queue only", () => {
    const logGroup = mocks.one("aws:cloudwatch/logGroup:LogGroup", "test-rollout-logs");
    const queue = mocks.one("aws:sqs/queue:Queue", "test-rollout-dlq");
    assert.equal(sid("WriteOwnLogs").Resource, `${logGroup.state.arn}:*`);
    assert.equal(fn.inputs.loggingConfig.logGroup, logGroup.state.name);
    assert.equal(sid("SendFailuresToDeadLetterQueue").Resource, queue.state.arn);
  });

  it("sends, counts, receives and deletes follow-ups on its own follow-up queue only", () => {
    const queue = mocks.one("aws:sqs/queue:Queue", "test-rollout-follow-up");
    assert.deepEqual(sid("FollowUpQueue"), {
      Sid: "FollowUpQueue",
      Effect: "Allow",
      Action: [
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
      ],
      Resource: queue.state.arn,
    });
    assert.deepEqual(FOLLOW_UP_QUEUE_ACTIONS, FOLLOW_UP_QUEUE_ACTIONS, "the role allows what the SQS adapter uses");
    assert.ok(queue.state.url.length > 0);
  });

  it("keeps follow-ups encrypted, short-lived and invisible while the function may still hold one", () => {
    const queue = mocks.one("aws:sqs/queue:Queue", "test-rollout-follow-up");
    assert.equal(queue.inputs.sqsManagedSseEnabled, true);
    assert.equal(queue.inputs.messageRetentionSeconds, 3600);
    assert.ok(queue.inputs.visibilityTimeoutSeconds >= fn.inputs.timeout);
  });

  it("receives follow-ups one at a time from its own queue, concurrency left to the reserved 1", () => {
    const queue = mocks.one("aws:sqs/queue:Queue", "test-rollout-follow-up");
    const source = mocks.one("aws:lambda/eventSourceMapping:EventSourceMapping", "test-rollout-follow-up-source");
    assert.equal(source.inputs.eventSourceArn, queue.state.arn);
    assert.equal(source.inputs.functionName, fn.state.name);
    assert.equal(source.inputs.batchSize, 1);
    assert.equal(source.inputs.scalingConfig, undefined);
  });

  it("creates network interfaces only in its subnets with its security group", () => {
    const sg = mocks.one("aws:ec2/securityGroup:SecurityGroup", "test-rollout-sg");
    const arn = (r: string) => `arn:aws:ec2:${mocks.region}:${MOCK_ACCOUNT_ID}:${r}`;
    assert.deepEqual(sid("VpcCreateInterfaces").Resource, [
      arn("network-interface/*"),
      arn("subnet/subnet-a"),
      arn("subnet/subnet-b"),
      arn(`security-group/${sg.id}`),
    ]);
    assert.deepEqual(sid("VpcDescribeInterfaces").Action, ["ec2:DescribeNetworkInterfaces"]);
  });

  it("runs in the private subnets behind its own security group", () => {
    const sg = mocks.one("aws:ec2/securityGroup:SecurityGroup", "test-rollout-sg");
    assert.deepEqual(fn.inputs.vpcConfig.subnetIds, ["subnet-a", "subnet-b"]);
    assert.deepEqual(fn.inputs.vpcConfig.securityGroupIds, [sg.id]);
  });

  it("accepts no inbound traffic and reaches only the tiers' ports in the VPC and HTTPS", () => {
    const sg = mocks.one("aws:ec2/securityGroup:SecurityGroup", "test-rollout-sg");
    assert.deepEqual(sg.inputs.ingress, []);
    const egress = (
      sg.inputs.egress as { protocol: string; fromPort: number; toPort: number; cidrBlocks: string[] }[]
    ).map((e) => [e.protocol, e.fromPort, e.toPort, e.cidrBlocks]);
    assert.deepEqual(egress, [
      ["tcp", 8080, 8080, ["10.20.0.0/16"]],
      ["tcp", 8081, 8081, ["10.20.0.0/16"]],
      ["tcp", 443, 443, ["0.0.0.0/0"]],
    ]);
  });

  it("bounds async retries and sends failures to the dead-letter queue", () => {
    const config = mocks.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
    const queue = mocks.one("aws:sqs/queue:Queue", "test-rollout-dlq");
    assert.equal(config.inputs.functionName, fn.state.name);
    assert.equal(config.inputs.maximumRetryAttempts, 1);
    assert.equal(config.inputs.maximumEventAgeInSeconds, 3600);
    assert.equal(config.inputs.destinationConfig.onFailure.destination, queue.state.arn);
  });

  it("raises an alarm when an invocation lands in the dead-letter queue", () => {
    const alarm = mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", "test-rollout-failed-invocations");
    const queue = mocks.one("aws:sqs/queue:Queue", "test-rollout-dlq");
    assert.equal(alarm.inputs.namespace, "AWS/SQS");
    assert.equal(alarm.inputs.metricName, "ApproximateNumberOfMessagesVisible");
    assert.deepEqual(alarm.inputs.dimensions, { QueueName: queue.state.name });
    assert.equal(alarm.inputs.comparisonOperator, "GreaterThanThreshold");
    assert.equal(alarm.inputs.threshold, 0);
  });

  it("sweeps every five minutes by default", () => {
    const rule = mocks.one("aws:cloudwatch/eventRule:EventRule", "test-rollout-schedule");
    const target = mocks.one("aws:cloudwatch/eventTarget:EventTarget", "test-rollout-schedule-target");
    const permission = mocks.one("aws:lambda/permission:Permission", "test-rollout-from-schedule");
    assert.equal(rule.inputs.scheduleExpression, "rate(5 minutes)");
    assert.equal(target.inputs.rule, rule.state.name);
    assert.equal(target.inputs.arn, fn.state.arn);
    assert.deepEqual(
      [permission.inputs.principal, permission.inputs.action, permission.inputs.sourceArn, permission.inputs.function],
      ["events.amazonaws.com", "lambda:InvokeFunction", rule.state.arn, fn.state.name],
    );
  });

  it("sweeps when an instance of this environment's groups launches or terminates", () => {
    const rule = mocks.one("aws:cloudwatch/eventRule:EventRule", "test-rollout-instance-events");
    const target = mocks.one("aws:cloudwatch/eventTarget:EventTarget", "test-rollout-instance-events-target");
    const permission = mocks.one("aws:lambda/permission:Permission", "test-rollout-from-instance-events");
    assert.deepEqual(JSON.parse(rule.inputs.eventPattern as string), {
      source: ["aws.autoscaling"],
      "detail-type": ["EC2 Instance Launch Successful", "EC2 Instance Terminate Successful"],
      detail: { AutoScalingGroupName: ["test-api-asg", "test-web-asg"] },
    });
    assert.equal(target.inputs.arn, fn.state.arn);
    assert.equal(permission.inputs.principal, "events.amazonaws.com");
    assert.equal(permission.inputs.sourceArn, rule.state.arn);
  });

  it("is invoked by S3 for releases/current.json only, and S3 may invoke it from this bucket and account", () => {
    const notification = mocks.one("aws:s3/bucketNotification:BucketNotification");
    const permission = mocks.one("aws:lambda/permission:Permission", "test-rollout-from-s3");
    assert.equal(notification.inputs.bucket, BUCKET);
    assert.deepEqual(notification.inputs.lambdaFunctions, [
      {
        lambdaFunctionArn: fn.state.arn,
        events: ["s3:ObjectCreated:*"],
        filterPrefix: MANIFEST_KEY,
        filterSuffix: MANIFEST_KEY,
      },
    ]);
    assert.deepEqual(
      [permission.inputs.principal, permission.inputs.sourceArn, permission.inputs.sourceAccount],
      ["s3.amazonaws.com", BUCKET_ARN, MOCK_ACCOUNT_ID],
    );
  });

  it("keeps the SDK, the CLI's and the charts' packages out of the archive", () => {
    for (const name of ["@aws-sdk/client-auto-scaling", "@aws-sdk/client-s3", "commander", "vega", "vega-lite"]) {
      assert.ok(EXCLUDED_PACKAGES.includes(name), name);
    }
  });
});

describe("rollout arguments", () => {
  it("refuse a timeout that does not cover the probe deadline and the sweep's AWS calls", () => {
    assert.throws(
      () => validateRolloutArgs(args({ probeTimeoutMs: 5000, timeoutSeconds: 30 })),
      /timeoutSeconds is 30/,
    );
  });

  it("refuse a schedule that is neither rate() nor cron()", () => {
    assert.throws(() => validateRolloutArgs(args({ scheduleExpression: "every 5 minutes" })), /scheduleExpression/);
  });

  it("refuse a follow-up delay SQS cannot hold", () => {
    assert.throws(() => validateRolloutArgs(args({ followUpDelaySeconds: 901 })), /followUpDelaySeconds is 901/);
  });

  it("refuse more than two async retries", () => {
    assert.throws(() => validateRolloutArgs(args({ maximumRetryAttempts: 3 })), /maximumRetryAttempts/);
  });

  it("refuse an environment the stack config would refuse, with the contract's reason", () => {
    assert.throws(
      () => validateRolloutArgs(args({ environment: "a-very-long-environment" })),
      /rollout: environment "a-very-long-environment" must be at most 16 characters/,
    );
    assert.throws(() => validateRolloutArgs(args({ environment: "test-" })), /single hyphens/);
  });

  it("accept the defaults", () => {
    assert.doesNotThrow(() => validateRolloutArgs(args({ timeoutSeconds: undefined, memorySizeMb: undefined })));
  });
});

describe("the rollout policy document", () => {
  it("puts the partition, region and account in every ARN it builds", () => {
    const doc = rolloutPolicyDocument({
      partition: "aws-cn",
      region: "cn-north-1",
      accountId: "111122223333",
      environment: "live",
      bucketArn: "arn:aws-cn:s3:::b",
      logGroupArn: "arn:aws-cn:logs:cn-north-1:111122223333:log-group:l",
      deadLetterQueueArn: "arn:aws-cn:sqs:cn-north-1:111122223333:q",
      followUpQueueArn: "arn:aws-cn:sqs:cn-north-1:111122223333:f",
      subnetIds: ["subnet-1"],
      securityGroupId: "sg-1",
    });

    const terminate = doc.Statement.find((s) => s.Sid === "TerminateOwnEnvironmentOnly")!;
    assert.equal(
      terminate.Resource,
      "arn:aws-cn:autoscaling:cn-north-1:111122223333:autoScalingGroup:*:autoScalingGroupName/*",
    );
    assert.deepEqual(terminate.Condition, {
      StringEquals: { "autoscaling:ResourceTag/phoenix:environment": "live" },
    });
  });

  it("lists the group names of the instance-event pattern in a stable order", () => {
    assert.deepEqual(instanceEventPattern(["b", "a"]).detail, { AutoScalingGroupName: ["a", "b"] });
  });
});
