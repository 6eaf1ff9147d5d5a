// Pulumi mock harness shared by every spec that builds resources: sets the mocks and the real stack config, records
// every resource, answers the invokes the program makes, and loads the program freshly under those mocks.
//
// How to use it (one mocha process, one Pulumi runtime, many spec files):
//
//   describe("the test stack", () => {
//     let mocks: PulumiMocks;
//     let program: typeof import("../index");
//     before(async () => {
//       mocks = await setupMocks("test");          // 1. mocks + Pulumi.test.yaml config, recorder emptied
//       program = loadProgram<typeof import("../index")>(); // 2. index.ts evaluated NOW, under these mocks
//       await settle();                             // 3. every registration answered and recorded
//     });
//     it("...", async () => { assert.equal(await unwrap(program.bucketName), ...); mocks.ofType("aws:s3/bucket:Bucket") });
//   });
//
// Rules that keep several spec files from stepping on each other:
// * Call setupMocks only inside a `before` hook, never at a file's top level or in a describe body: mocha loads
//   every spec file before running any hook, so top-level setup in file B would replace file A's mocks before A's
//   tests run.
// * Never `import` index.ts (or any module that creates resources at load time) statically in a spec: Node caches
//   it, so it would run once, possibly before the mocks exist (every output then resolves to undefined), and never
//   again for the next stack. loadProgram() evicts index.ts from the require cache and evaluates it again, so each
//   stack gets its own program run. Component modules (components/*.ts) create nothing at load time and may be
//   imported statically; a spec may also construct a component directly (`new Environment(...)`) after setupMocks.
// * setupMocks first waits for the previous spec's registrations to drain, then empties the recorder, so each
//   spec's recorder holds only its own resources. Mocks do not detect duplicate names: do not rely on them to.
// * The mocks run with preview = false, so every output is known and unwrap() never hangs on an unknown value.
// * Resources never fail in newResource (a throwing mock hangs the runtime instead of failing the test). An invoke
//   nobody taught the mocks is recorded in `unanswered` and makes settle() reject with its token, instead of the
//   resources waiting on it hanging until mocha's timeout: add an answer via `options.calls`.
// * Answered by default: getAvailabilityZones, getCallerIdentity, getRegion, getPartition, elb getServiceAccount,
//   ssm getParameter (every parameter reads as ami-0123456789abcdef0) and route53 getZone (the configured
//   hostedZoneName). Inputs are recorded with secrets revealed.
// * Names: ids are `<name>-id` (buckets, groups, log groups and parameters use their physical name), physical names
//   are the `name` input or `<name>-<7 hex>`, ARNs use MOCK_ACCOUNT_ID and the stack's aws:region.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";

/** The project root: Pulumi.yaml and the stack files live here. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "phoenix";

/** Resource inputs and state as the engine carries them: untyped JSON that tests reach into. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- engine JSON has no static shape
export type Props = Record<string, any>;
/** The account id every mocked ARN and caller identity reports. */
export const MOCK_ACCOUNT_ID = "123456789012";

/** One resource as the program registered it and as the mocks answered it. */
export interface RecordedResource {
  /** Type token, e.g. `aws:ec2/securityGroup:SecurityGroup` or `phoenix:fleet:AppTier`. */
  type: string;
  /** Logical name. */
  name: string;
  /** Inputs exactly as the program passed them (outputs resolved, secrets unwrapped). */
  inputs: Props;
  /** What the mocks returned as the resource's state. */
  state: Props;
  id: string;
  /** False for component resources. */
  custom: boolean;
  /** Provider reference (`<urn>::<id>`) when the resource uses an explicit provider. */
  provider?: string;
}

/** One invoke the program made. */
export interface RecordedCall {
  token: string;
  inputs: Props;
}

export type CallAnswer = (inputs: Props) => Props;
export type StateAnswer = (args: pulumi.runtime.MockResourceArgs) => Props;

export interface MockOptions {
  /** Stack file to read instead of Pulumi.<stack>.yaml: a copy made with `pulumi stack init --copy-config-from`. */
  configFrom?: string;
  /** Config values that override (or add to) the stack file, by full key: `{ "phoenix:webMinSize": "0" }`. */
  config?: Record<string, string>;
  /** Extra or replacement invoke answers by token (`aws:ssm/getParameter:getParameter`). */
  calls?: Record<string, CallAnswer>;
  /** Extra state by resource type, merged over the default state (inputs + id + arn + name). */
  states?: Record<string, StateAnswer>;
}

/** What one setupMocks() recorded. The same instance is reused across specs and emptied by each setupMocks(). */
export class PulumiMocks {
  readonly resources: RecordedResource[] = [];
  readonly calls: RecordedCall[] = [];
  /** Invokes nobody answered: settle() fails with their tokens instead of hanging. */
  readonly unanswered: string[] = [];
  /**
   * Every resource's URN as the Pulumi engine would compute it (the whole chain of parent types, then the name),
   * each followed by its parent's name: a resource's identity in a deployed stack. Renaming a resource, changing its
   * type or moving it under another parent changes its URN, which the engine treats as delete-and-create.
   */
  readonly urns: string[] = [];
  stack = "";
  region = "";

  /** Empties the recorder (setupMocks does this; call it yourself only between two program runs in one spec). */
  reset(): void {
    this.resources.length = 0;
    this.calls.length = 0;
    this.unanswered.length = 0;
    this.urns.length = 0;
  }

  /** Custom and component resources of a type token. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource of a type (optionally whose name matches); throws listing what exists otherwise. */
  one(type: string, name?: string | RegExp): RecordedResource {
    const matches = this.ofType(type).filter(
      (r) => name === undefined || (typeof name === "string" ? r.name === name : name.test(r.name)),
    );
    if (matches.length !== 1) {
      const names = this.ofType(type)
        .map((r) => r.name)
        .join(", ");
      throw new Error(
        `expected exactly one ${type}${name ? ` named ${String(name)}` : ""}, found ${matches.length}: [${names}]`,
      );
    }
    return matches[0];
  }

  /** Resource counts by type, for asserting the shape of a whole stack. */
  countsByType(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
  }
}

/** The single recorder all specs share (there is only one Pulumi runtime in the process). */
export const recorder = new PulumiMocks();

/**
 * The config the Pulumi CLI would give the program for a stack: project defaults from Pulumi.yaml's `config:`
 * declarations, overlaid with Pulumi.<stack>.yaml. Keys are full (`phoenix:web`, `aws:region`), values strings
 * (objects and arrays as JSON), as `pulumi.runtime.setAllConfig` wants them.
 */
export function loadStackConfig(stack: string, root = PROJECT_ROOT): Record<string, string> {
  const result: Record<string, string> = {};
  const project = (parseYaml(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) ?? {}) as {
    config?: Record<string, unknown>;
  };
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (decl !== null && typeof decl === "object" && !Array.isArray(decl)) {
      const d = decl as { default?: unknown; value?: unknown };
      const value = d.value !== undefined ? d.value : d.default;
      if (value !== undefined) result[fullKey] = toConfigString(value);
    } else if (decl !== undefined && decl !== null) {
      result[fullKey] = toConfigString(decl);
    }
  }
  const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    throw new Error(`no stack file ${stackFile}: create Pulumi.${stack}.yaml or pass an existing stack name`);
  }
  const stackDoc = (parseYaml(fs.readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  for (const [key, value] of Object.entries(stackDoc.config ?? {})) {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    result[fullKey] = toConfigString(value);
  }
  return result;
}

/** Pulumi's marker for a serialized secret: `{ [SECRET_SIG]: SECRET_VALUE, value }`. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Inputs with every secret replaced by its plain value, so tests compare values, not envelopes. */
export function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value !== null && typeof value === "object") {
    const obj = value as Props;
    if (obj[SECRET_SIG] === SECRET_VALUE) return revealSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

function toConfigString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A short stable suffix, standing in for Pulumi's random auto-name suffix. */
function suffix(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, "0").slice(0, 7);
}

/** The service segment of an ARN for a type token (`aws:ec2/securityGroup:SecurityGroup` → `ec2`). */
function service(type: string): string {
  const module = type.split(":")[1]?.split("/")[0] ?? "unknown";
  return module === "lb" || module === "alb" ? "elasticloadbalancing" : module;
}

/** State the mocks return for one resource: its inputs plus whatever AWS would compute. */
function defaultState(args: pulumi.runtime.MockResourceArgs, region: string): { id: string; state: Props } {
  const inputs = (args.inputs ?? {}) as Props;
  const physicalName: string =
    typeof inputs.name === "string" ? inputs.name : `${args.name}-${suffix(args.type + args.name)}`;
  const id = `${args.name}-id`;
  const arn = `arn:aws:${service(args.type)}:${region}:${MOCK_ACCOUNT_ID}:${args.type.split(":").pop()!.toLowerCase()}/${physicalName}`;
  const state: Props = { name: physicalName, arn, ...inputs };
  switch (args.type) {
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      const bucket: string = inputs.bucket ?? `${args.name}-${suffix(args.type + args.name)}`;
      Object.assign(state, {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketDomainName: `${bucket}.s3.amazonaws.com`,
        bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
        region,
      });
      return { id: bucket, state };
    }
    case "aws:iam/role:Role":
      state.arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${physicalName}`;
      state.uniqueId = `AROA${suffix(args.name).toUpperCase()}`;
      break;
    case "aws:iam/policy:Policy":
      state.arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/${physicalName}`;
      break;
    case "aws:iam/instanceProfile:InstanceProfile":
      state.arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:instance-profile/${physicalName}`;
      break;
    case "aws:lb/loadBalancer:LoadBalancer":
    case "aws:alb/loadBalancer:LoadBalancer":
      Object.assign(state, {
        arn: `arn:aws:elasticloadbalancing:${region}:${MOCK_ACCOUNT_ID}:loadbalancer/app/${physicalName}/0123456789abcdef`,
        arnSuffix: `app/${physicalName}/0123456789abcdef`,
        dnsName: `${physicalName}-1234567890.${region}.elb.amazonaws.com`,
        zoneId: "Z35SXDOTRQ7X7K",
      });
      break;
    case "aws:lb/targetGroup:TargetGroup":
    case "aws:alb/targetGroup:TargetGroup":
      Object.assign(state, {
        arn: `arn:aws:elasticloadbalancing:${region}:${MOCK_ACCOUNT_ID}:targetgroup/${physicalName}/0123456789abcdef`,
        arnSuffix: `targetgroup/${physicalName}/0123456789abcdef`,
      });
      break;
    case "aws:autoscaling/group:Group":
      state.arn = `arn:aws:autoscaling:${region}:${MOCK_ACCOUNT_ID}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${physicalName}`;
      return { id: physicalName, state };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      Object.assign(state, { latestVersion: 1, defaultVersion: 1 });
      break;
    case "aws:ssm/parameter:Parameter":
      state.arn = `arn:aws:ssm:${region}:${MOCK_ACCOUNT_ID}:parameter${physicalName.startsWith("/") ? "" : "/"}${physicalName}`;
      return { id: physicalName, state };
    case "aws:lambda/function:Function":
      Object.assign(state, {
        arn: `arn:aws:lambda:${region}:${MOCK_ACCOUNT_ID}:function:${physicalName}`,
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${region}:${MOCK_ACCOUNT_ID}:function:${physicalName}/invocations`,
        qualifiedArn: `arn:aws:lambda:${region}:${MOCK_ACCOUNT_ID}:function:${physicalName}:$LATEST`,
        version: "$LATEST",
      });
      break;
    case "aws:sqs/queue:Queue":
      // The queue URL the rollout hands its function for follow-ups.
      state.url = `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT_ID}/${physicalName}`;
      // SQS ARNs end in the queue's name, with no resource type before it.
      state.arn = `arn:aws:sqs:${region}:${MOCK_ACCOUNT_ID}:${physicalName}`;
      break;
    case "aws:acm/certificate:Certificate":
      // ACM answers with the one DNS record that proves the domain is ours.
      state.arn = `arn:aws:acm:${region}:${MOCK_ACCOUNT_ID}:certificate/00000000-0000-0000-0000-${suffix(args.name)}00000`;
      state.domainValidationOptions = [
        {
          domainName: inputs.domainName,
          resourceRecordName: `_0123456789abcdef.${inputs.domainName}.`,
          resourceRecordType: "CNAME",
          resourceRecordValue: "_fedcba9876543210.acm-validations.aws.",
        },
      ];
      break;
    case "aws:route53/record:Record":
      state.fqdn = String(inputs.name).replace(/\.$/, "");
      break;
    case "aws:ec2/vpcEndpoint:VpcEndpoint":
      // An interface endpoint's regional name; a gateway endpoint's prefix list.
      state.dnsEntries = [
        {
          dnsName: `vpce-${suffix(args.name)}.${String(inputs.serviceName).split(".").pop()}.${region}.vpce.amazonaws.com`,
          hostedZoneId: "Z7HUB22UULQXV",
        },
      ];
      state.prefixListId = "pl-6da54004";
      break;
    case "aws:cloudwatch/logGroup:LogGroup":
      state.arn = `arn:aws:logs:${region}:${MOCK_ACCOUNT_ID}:log-group:${physicalName}`;
      return { id: physicalName, state };
    case "awsx:ec2:Vpc": {
      // A remote component: the mock sees only this one resource and must supply every output the program reads.
      const zones: number = inputs.numberOfAvailabilityZones ?? inputs.availabilityZoneNames?.length ?? 3;
      const azs: string[] = inputs.availabilityZoneNames ?? zoneNames(region, zones);
      const subnets = (kind: string) =>
        azs.map((az, i) => ({ id: `${args.name}-${kind}-${i + 1}`, availabilityZone: az }));
      const natCount =
        inputs.natGateways?.strategy === "None" ? 0 : inputs.natGateways?.strategy === "Single" ? 1 : zones;
      Object.assign(state, {
        vpcId: `${args.name}-vpc-id`,
        publicSubnetIds: subnets("public").map((s) => s.id),
        privateSubnetIds: subnets("private").map((s) => s.id),
        isolatedSubnetIds: [],
        subnets: [...subnets("public"), ...subnets("private")],
        natGateways: Array.from({ length: natCount }, (_, i) => ({ id: `${args.name}-nat-${i + 1}` })),
        eips: [],
        // Plain objects with an id stand in for the RouteTable resources awsx returns.
        routeTables: [...subnets("public"), ...subnets("private")].map((s) => ({
          id: s.id.replace(/-(public|private)-/, "-rt-$1-"),
        })),
        routeTableAssociations: [],
        routes: [],
        vpcEndpoints: [],
        subnetLayout: [],
      });
      break;
    }
    default:
      break;
  }
  return { id: args.custom === false ? "" : id, state };
}

function zoneNames(region: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${region}${String.fromCharCode(97 + i)}`);
}

function defaultCalls(region: string, config: Record<string, string>): Record<string, CallAnswer> {
  const azs = zoneNames(region, 3);
  return {
    // The hosted zone the stack names is the one it says it is (a spec overrides this to test a wrong zone).
    "aws:route53/getZone:getZone": (inputs) => ({
      id: inputs.zoneId,
      zoneId: inputs.zoneId,
      name: config["phoenix:hostedZoneName"] ?? "example.com",
      privateZone: false,
    }),
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
      id: region,
      names: azs,
      zoneIds: azs.map((_, i) => `use1-az${i + 1}`),
      groupNames: [region],
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
      id: MOCK_ACCOUNT_ID,
      accountId: MOCK_ACCOUNT_ID,
      arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/phoenix-tests`,
      userId: "AIDAPHOENIXTESTS",
    }),
    "aws:index/getRegion:getRegion": () => ({
      id: region,
      name: region,
      region,
      endpoint: `ec2.${region}.amazonaws.com`,
      description: region,
    }),
    "aws:elb/getServiceAccount:getServiceAccount": () => ({
      id: "156460612806",
      arn: "arn:aws:iam::156460612806:root",
    }),
    // The image settings resolve SSM parameters at plan time in places (the pipeline's seed image).
    "aws:ssm/getParameter:getParameter": (inputs) => ({
      id: inputs.name,
      name: inputs.name,
      arn: `arn:aws:ssm:${region}:${MOCK_ACCOUNT_ID}:parameter${inputs.name}`,
      type: "String",
      value: "ami-0123456789abcdef0",
      insecureValue: "ami-0123456789abcdef0",
      version: 1,
      withDecryption: true,
    }),
    "aws:index/getPartition:getPartition": () => ({
      id: "aws",
      partition: "aws",
      dnsSuffix: "amazonaws.com",
      reverseDnsPrefix: "com.amazonaws",
    }),
  };
}

/**
 * Switches the Pulumi runtime to mocks for `stack` with the real Pulumi.<stack>.yaml config (plus overrides) and
 * empties the shared recorder. Waits for the previous program's registrations first, so they land in the old
 * recording, not this one. Call it in a `before` hook, then loadProgram() or construct components.
 */
export async function setupMocks(stack: string, options: MockOptions = {}): Promise<PulumiMocks> {
  // The previous spec's program may have stalled on an unanswered invoke; that was its failure, not this one's.
  if (recorder.unanswered.length === 0) await settle();
  const config = { ...loadStackConfig(options.configFrom ?? stack), ...(options.config ?? {}) };
  const region = config["aws:region"] ?? "us-east-1";
  const calls = { ...defaultCalls(region, config), ...(options.calls ?? {}) };
  const states = options.states ?? {};
  recorder.reset();
  recorder.stack = stack;
  recorder.region = region;

  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      // Never throw here: a throwing newResource hangs the runtime instead of failing the test.
      let result: { id: string; state: Props };
      try {
        result = defaultState(args, region);
        const extra = states[args.type];
        if (extra) Object.assign(result.state, extra(args));
      } catch (error) {
        result = { id: `${args.name}-id`, state: { ...(args.inputs ?? {}), mockError: String(error) } };
      }
      recorder.resources.push({
        type: args.type,
        name: args.name,
        inputs: revealSecrets(args.inputs ?? {}) as Props,
        state: result.state,
        id: result.id,
        custom: args.custom !== false,
        provider: args.provider,
      });
      return result;
    },
    call(args) {
      recorder.calls.push({ token: args.token, inputs: (args.inputs ?? {}) as Props });
      const answer = calls[args.token];
      if (!answer) {
        recorder.unanswered.push(args.token);
        throw new Error(
          `pulumi-mocks: no answer for invoke ${args.token}; add one with setupMocks(stack, { calls: { "${args.token}": (inputs) => ({...}) } })`,
        );
      }
      return answer((args.inputs ?? {}) as Props);
    },
  };
  await pulumi.runtime.setMocks(mocks, PROJECT, stack, false);
  recordUrns(stack);
  pulumi.runtime.setAllConfig(config);
  return recorder;
}

/**
 * The mock monitor names a child `<parent's last type>$<type>`; the engine names it with the whole chain of parent
 * types. Replace the naming with the engine's, and record every URN with its parent's name.
 */
function recordUrns(stack: string): void {
  // getMonitor is internal to @pulumi/pulumi but stable across 3.x; under mocks it returns the MockMonitor.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): unknown };
  const monitor = settings.getMonitor() as { newUrn(parent: string | undefined, type: string, name: string): string };
  monitor.newUrn = (parent, type, name) => {
    const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
    const urn = `urn:pulumi:${stack}::${PROJECT}::${qualified}::${name}`;
    recorder.urns.push(`${urn} (parent: ${parent ? parent.split("::").pop() : "none"})`);
    return urn;
  };
}

/**
 * Requires a module afresh (evicting it from Node's cache first), so that a program module that creates resources
 * at load time runs again under the current mocks. Only the named module is evicted; its imports stay cached.
 */
export function requireFresh<T>(modulePath: string): T {
  const resolved = require.resolve(path.resolve(PROJECT_ROOT, modulePath));
  delete require.cache[resolved];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(resolved) as T;
}

/** Evaluates index.ts afresh under the current mocks and returns its exports (the stack outputs). */
export function loadProgram<T = Record<string, unknown>>(): T {
  return requireFresh<T>("index.ts");
}

/**
 * Waits until every registration and invoke in flight has been answered, so the recorder is complete. An invoke the
 * mocks could not answer leaves the runtime waiting forever; settle() fails at once naming it instead.
 */
export async function settle(): Promise<void> {
  const problem = () =>
    new Error(
      `pulumi-mocks: the program called invokes the mocks do not answer: ${[...new Set(recorder.unanswered)].join(", ")}; ` +
        "pass answers with setupMocks(stack, { calls: { ... } })",
    );
  let timer: NodeJS.Timeout | undefined;
  const unanswered = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (recorder.unanswered.length > 0) reject(problem());
    }, 10);
  });
  try {
    await Promise.race([drain(), unanswered]);
  } finally {
    clearInterval(timer);
  }
  if (recorder.unanswered.length > 0) throw problem();
}

async function drain(): Promise<void> {
  // waitForRPCs is internal to @pulumi/pulumi but stable across 3.x; it is what `disconnect` waits on.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (settings.waitForRPCs) await settings.waitForRPCs();
  }
}

/** The value of an output (or a plain value), for assertions. */
export function unwrap<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise<T>((resolve) => {
    pulumi.output(o).apply((v) => {
      resolve(v as T);
      return v;
    });
  });
}
