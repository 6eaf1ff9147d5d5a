// `phoenix doctor`'s reads of AWS (the DoctorPort): every call is a read (STS, SSM, S3, Auto Scaling through the fleet
// adapter, Lambda, EventBridge, CloudWatch Logs), "does not exist" is told apart from every other error, and another
// region is read with clients of its own. The SDK packages are loaded on first use, like every client's.
import { errorName } from "./errors";
import { AwsClients, ClientOverrides, ClientTimeouts, createClients, sdk } from "./clients";
import { AwsFleet } from "./fleet";
import type { DoctorPort, FunctionState, LogEvent, RuleState } from "../core/doctor";
import type { FleetState } from "../core/types";

/** FilterLogEvents pages read at most: enough for a sweep window of a large fleet's plans. */
const LOG_PAGES = 50;
/** ListRuleNamesByTarget pages read at most (a function has a handful of rules). */
const RULE_PAGES = 10;

const NOT_FOUND = new Set(["NotFound", "NoSuchKey", "NoSuchBucket", "ParameterNotFound", "ResourceNotFoundException"]);

/** Runs a read; undefined when AWS says the thing does not exist, the error itself otherwise. */
async function unlessMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (NOT_FOUND.has(errorName(error))) return undefined;
    throw error;
  }
}

export class AwsDoctor implements DoctorPort {
  private readonly regional = new Map<string, AwsClients>();

  /**
   * @param overrides client settings for every region's clients (tests pass a fake request handler).
   * @param timeouts the bounds of every region's calls, as `clients` were built with (the CLI's PHOENIX_AWS_TIMEOUT_MS).
   */
  constructor(
    private readonly clients: AwsClients,
    private readonly overrides: ClientOverrides = {},
    private readonly timeouts: ClientTimeouts = {},
  ) {}

  async identity(): Promise<{ account: string; arn: string; region: string }> {
    const region = await this.clients.sts.config.region();
    const { GetCallerIdentityCommand } = sdk.sts();
    const who = await this.clients.sts.send(new GetCallerIdentityCommand({}));
    return { account: who.Account ?? "unknown", arn: who.Arn ?? "unknown", region };
  }

  async parameter(name: string, region?: string): Promise<string | undefined> {
    const { GetParameterCommand } = sdk.ssm();
    const out = await unlessMissing(() => this.in(region).ssm.send(new GetParameterCommand({ Name: name })));
    const value = out?.Parameter?.Value?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  async bucketExists(bucket: string, region?: string): Promise<boolean> {
    const { HeadBucketCommand } = sdk.s3();
    return (
      (await unlessMissing(() => this.in(region).s3.send(new HeadBucketCommand({ Bucket: bucket })))) !== undefined
    );
  }

  async object(bucket: string, key: string, region?: string): Promise<Buffer | undefined> {
    const { GetObjectCommand } = sdk.s3();
    const out = await unlessMissing(() => this.in(region).s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    if (out === undefined) return undefined;
    return Buffer.from(out.Body ? await out.Body.transformToByteArray() : new Uint8Array());
  }

  async objectExists(bucket: string, key: string, region?: string): Promise<boolean> {
    const { HeadObjectCommand } = sdk.s3();
    const out = await unlessMissing(() => this.in(region).s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    return out !== undefined;
  }

  fleet(environment: string): Promise<FleetState> {
    return new AwsFleet(this.clients).readFleet(environment);
  }

  async function(name: string): Promise<FunctionState | undefined> {
    const { GetFunctionCommand } = sdk.lambda();
    const out = await unlessMissing(() => this.clients.lambda.send(new GetFunctionCommand({ FunctionName: name })));
    const config = out?.Configuration;
    if (out === undefined || config === undefined) return undefined;
    return {
      arn: config.FunctionArn ?? name,
      state: config.State ?? "unknown",
      lastUpdateStatus: config.LastUpdateStatus ?? "unknown",
      ...(out.Concurrency?.ReservedConcurrentExecutions !== undefined && {
        reservedConcurrency: out.Concurrency.ReservedConcurrentExecutions,
      }),
      ...(config.LoggingConfig?.LogGroup !== undefined && { logGroup: config.LoggingConfig.LogGroup }),
    };
  }

  async rulesTargeting(functionArn: string): Promise<RuleState[]> {
    const { ListRuleNamesByTargetCommand, DescribeRuleCommand } = sdk.events();
    const names: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < RULE_PAGES; page++) {
      const out = await this.clients.events.send(
        new ListRuleNamesByTargetCommand({ TargetArn: functionArn, ...(token !== undefined && { NextToken: token }) }),
      );
      names.push(...(out.RuleNames ?? []));
      token = out.NextToken;
      if (token === undefined) break;
    }
    const rules: RuleState[] = [];
    for (const name of names) {
      const rule = await this.clients.events.send(new DescribeRuleCommand({ Name: name }));
      rules.push({
        name,
        state: rule.State ?? "unknown",
        ...(rule.ScheduleExpression !== undefined && { scheduleExpression: rule.ScheduleExpression }),
        ...(rule.EventPattern !== undefined && { eventPattern: rule.EventPattern }),
      });
    }
    return rules;
  }

  async notifiedFunctions(bucket: string): Promise<{ functionArn: string; prefix?: string; suffix?: string }[]> {
    const { GetBucketNotificationConfigurationCommand } = sdk.s3();
    const out = await this.clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    return (out.LambdaFunctionConfigurations ?? []).map((c) => {
      const rules = c.Filter?.Key?.FilterRules ?? [];
      const rule = (name: string) => rules.find((r) => r.Name?.toLowerCase() === name)?.Value;
      const prefix = rule("prefix");
      const suffix = rule("suffix");
      return {
        functionArn: c.LambdaFunctionArn ?? "",
        ...(prefix !== undefined && { prefix }),
        ...(suffix !== undefined && { suffix }),
      };
    });
  }

  async eventSources(functionName: string): Promise<{ sourceArn: string; state: string }[]> {
    const { ListEventSourceMappingsCommand } = sdk.lambda();
    const out = await this.clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName }));
    return (out.EventSourceMappings ?? []).map((m) => ({ sourceArn: m.EventSourceArn ?? "", state: m.State ?? "" }));
  }

  async logEvents(logGroup: string, sinceMs: number, terms: string[]): Promise<LogEvent[]> {
    const { FilterLogEventsCommand } = sdk.logs();
    const events: LogEvent[] = [];
    let token: string | undefined;
    for (let page = 0; page < LOG_PAGES; page++) {
      const out = await this.clients.logs.send(
        new FilterLogEventsCommand({
          logGroupName: logGroup,
          startTime: sinceMs,
          filterPattern: terms.map((t) => `?"${t}"`).join(" "),
          ...(token !== undefined && { nextToken: token }),
        }),
      );
      for (const e of out.events ?? []) events.push({ timestamp: e.timestamp ?? 0, message: e.message ?? "" });
      token = out.nextToken;
      if (token === undefined) break;
    }
    return events.sort((a, b) => a.timestamp - b.timestamp);
  }

  async replicationRules(bucket: string): Promise<{ id: string; status: string; destinationBucket: string }[]> {
    const { GetBucketReplicationCommand } = sdk.s3();
    try {
      const out = await this.clients.s3.send(new GetBucketReplicationCommand({ Bucket: bucket }));
      return (out.ReplicationConfiguration?.Rules ?? []).map((r) => ({
        id: r.ID ?? "",
        status: r.Status ?? "",
        destinationBucket: (r.Destination?.Bucket ?? "").replace(/^arn:[a-z-]+:s3:::/, ""),
      }));
    } catch (error) {
      if (errorName(error) === "ReplicationConfigurationNotFoundError") return [];
      throw error;
    }
  }

  /** This region's clients, or another region's (built once each). */
  private in(region: string | undefined): AwsClients {
    if (region === undefined) return this.clients;
    let clients = this.regional.get(region);
    if (clients === undefined) {
      clients = createClients({ ...this.overrides, region }, this.timeouts);
      this.regional.set(region, clients);
    }
    return clients;
  }
}
