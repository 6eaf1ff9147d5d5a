// `phoenix doctor`: a read-only pre-flight of one environment, before and after `pulumi up`. Each check becomes one line
// (what was found or what is wrong, and the command that fixes it): credentials and region, the stack's parameters,
// the release bucket and manifest, the groups, the rollout Lambda with its triggers and its last sweep, and the
// recovery side (a recovery stack's replica and image; a home environment's replicas in its recovery regions). Only
// reads, through the DoctorPort; an environment that does not exist is one UsageError line.
import {
  baseImageParameterName,
  MANIFEST_KEY,
  recoveryOfParameterName,
  releaseBucketParameterName,
  releaseReplicaParameterName,
  replicationRuleRegion,
  rolloutFunctionParameterName,
  TAGS,
} from "../contract";
import {
  ago,
  CheckResult,
  DoctorPort,
  DoctorReport,
  FunctionState,
  lastSweep,
  SWEEP_LOG_TERMS,
  sweepWindowMs,
} from "../core/doctor";
import { errorText, UsageError } from "../core/errors";
import { parseManifest } from "../core/manifest";
import type { ReleaseManifest } from "../core/types";

/** What one doctor run needs besides the port. */
export interface DoctorRequest {
  environment: string;
  /** Milliseconds since the epoch: how old the last sweep is. */
  now: number;
}

/** Collects the lines; a check that throws becomes a failed line naming what could not be read. */
class Checks {
  readonly list: CheckResult[] = [];
  ok(check: string, text: string): void {
    this.list.push({ check, status: "ok", text });
  }
  warn(check: string, text: string, fix: string): void {
    this.list.push({ check, status: "warn", text, fix });
  }
  fail(check: string, text: string, fix: string): void {
    this.list.push({ check, status: "fail", text, fix });
  }
  /** Runs a check; an AWS error it did not expect fails it with the error's text. */
  async run(check: string, fix: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      this.fail(check, `could not read: ${errorText(error)}`, fix);
    }
  }
}

/** Runs every check of one environment, in order. Throws UsageError when the environment does not exist here. */
export async function runDoctor(port: DoctorPort, request: DoctorRequest): Promise<DoctorReport> {
  const env = request.environment;
  const checks = new Checks();
  let identity: { account: string; arn: string; region: string };
  try {
    identity = await port.identity();
  } catch (error) {
    checks.fail(
      "credentials",
      `no usable AWS credentials or region: ${errorText(error)}`,
      `export AWS_PROFILE=<profile> and AWS_REGION="$(pulumi config get aws:region --stack ${env})"`,
    );
    return { environment: env, region: "unknown", checks: checks.list };
  }
  checks.ok("credentials", `account ${identity.account} as ${identity.arn}, region ${identity.region}`);
  const deploy = `pulumi up --stack ${env}`;

  const bucket = await port.parameter(releaseBucketParameterName(env));
  if (bucket === undefined) {
    const replica = await port.parameter(releaseReplicaParameterName(env)).catch(() => undefined);
    const here =
      replica === undefined
        ? ""
        : `; ${identity.region} holds its release replica, to recover it here: docs/operating.md#disaster-recovery-rebuild-in-another-region`;
    throw new UsageError(
      `environment "${env}" is not deployed in account ${identity.account}, region ${identity.region} (no SSM parameter ` +
        `${releaseBucketParameterName(env)}): check --env and AWS_REGION, or deploy it with ${deploy}${here}`,
    );
  }

  let functionName: string | undefined;
  await checks.run("parameters", deploy, async () => {
    functionName = await port.parameter(rolloutFunctionParameterName(env));
    const image = await port.parameter(baseImageParameterName(env));
    if (functionName === undefined) {
      checks.fail(
        "parameters",
        `${rolloutFunctionParameterName(env)} does not exist (a deploy older than doctor)`,
        deploy,
      );
      return;
    }
    const imageText =
      image === undefined
        ? `${baseImageParameterName(env)} unset (imagePipeline off: no image is enforced)`
        : `${baseImageParameterName(env)} = ${image}`;
    checks.ok("parameters", `release bucket ${bucket}, rollout function ${functionName}, ${imageText}`);
  });

  const tiers = await checkGroups(port, checks, env, deploy);
  const manifest = await checkStore(port, checks, { env, bucket, tiers, deploy });
  if (functionName !== undefined) {
    await checkRollout(port, checks, { env, bucket, functionName, deploy, now: request.now });
  }
  await checkRecovery(port, checks, { env, bucket, manifest, region: identity.region, deploy });
  return { environment: env, region: identity.region, checks: checks.list };
}

async function checkGroups(port: DoctorPort, checks: Checks, env: string, deploy: string): Promise<string[]> {
  let tiers: string[] = [];
  await checks.run("groups", deploy, async () => {
    const fleet = await port.fleet(env);
    if (fleet.groups.length === 0) {
      checks.fail("groups", `no Auto Scaling groups are tagged ${TAGS.environment}=${env}`, deploy);
      return;
    }
    tiers = [...new Set(fleet.groups.map((g) => g.tier))].sort();
    const groups = [...fleet.groups].sort((a, b) => a.tier.localeCompare(b.tier));
    const text = groups.map((g) => {
      const inService = g.instances.filter((i) => i.lifecycleState === "InService").length;
      return `${g.tier} ${g.name} ${inService}/${g.desiredCapacity} in service`;
    });
    checks.ok("groups", text.join(", "));
  });
  return tiers;
}

async function checkStore(
  port: DoctorPort,
  checks: Checks,
  c: { env: string; bucket: string; tiers: string[]; deploy: string },
): Promise<ReleaseManifest | undefined> {
  let manifest: ReleaseManifest | undefined;
  await checks.run("release bucket", c.deploy, async () => {
    if (!(await port.bucketExists(c.bucket))) {
      checks.fail(
        "release bucket",
        `${c.bucket} (named by ${releaseBucketParameterName(c.env)}) does not exist`,
        c.deploy,
      );
      return;
    }
    checks.ok("release bucket", `${c.bucket} exists`);
    const body = await port.object(c.bucket, MANIFEST_KEY);
    if (body === undefined) {
      const artifacts = (c.tiers.length > 0 ? c.tiers : ["web", "api"]).map((t) => `--artifact ${t}=<zip>`).join(" ");
      checks.warn(
        "manifest",
        `no release yet: ${MANIFEST_KEY} does not exist, so every instance serves the placeholder`,
        `npx phoenix release --env ${c.env} --version <semver> ${artifacts} --wait`,
      );
      return;
    }
    try {
      manifest = parseManifest(body.toString("utf8"));
    } catch (error) {
      checks.fail("manifest", errorText(error), `npx phoenix rollback --env ${c.env} --to <a published version>`);
      return;
    }
    const missing: string[] = [];
    for (const tier of c.tiers) {
      const key = manifest.artifacts[tier];
      if (key === undefined || !(await port.objectExists(c.bucket, key))) missing.push(key ?? `(no ${tier} artifact)`);
    }
    if (missing.length > 0) {
      checks.fail(
        "manifest",
        `${MANIFEST_KEY} names ${manifest.version} but ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing`,
        `npx phoenix releases --env ${c.env}, then npx phoenix rollback --env ${c.env} --to <a complete version>`,
      );
      return;
    }
    checks.ok(
      "manifest",
      `${manifest.version}, published ${manifest.publishedAt}, artifacts of ${c.tiers.join(", ")} present`,
    );
  });
  return manifest;
}

async function checkRollout(
  port: DoctorPort,
  checks: Checks,
  c: { env: string; bucket: string; functionName: string; deploy: string; now: number },
): Promise<void> {
  let fn: FunctionState | undefined;
  await checks.run("rollout function", c.deploy, async () => {
    fn = await port.function(c.functionName);
    if (fn === undefined) {
      checks.fail("rollout function", `${c.functionName} does not exist`, c.deploy);
    } else if (fn.state !== "Active" || fn.lastUpdateStatus === "Failed") {
      checks.fail(
        "rollout function",
        `${c.functionName} is ${fn.state} (last update ${fn.lastUpdateStatus})`,
        c.deploy,
      );
    } else if (fn.reservedConcurrency === 0) {
      checks.fail(
        "rollout function",
        `${c.functionName} has reserved concurrency 0: the terminator is stopped`,
        `${c.deploy} (restores reserved concurrency 1)`,
      );
    } else {
      checks.ok("rollout function", `${c.functionName} is ${fn.state}`);
    }
  });
  const found = fn;
  if (found === undefined) return;

  let schedule: string | undefined;
  await checks.run("triggers", c.deploy, async () => {
    const rules = await port.rulesTargeting(found.arn);
    const enabled = rules.filter((r) => r.state === "ENABLED");
    schedule = enabled.find((r) => r.scheduleExpression !== undefined)?.scheduleExpression;
    const events = enabled.some((r) => r.eventPattern !== undefined);
    const notified = (await port.notifiedFunctions(c.bucket)).some(
      (n) => n.functionArn === found.arn && n.prefix === MANIFEST_KEY,
    );
    const followUps = (await port.eventSources(c.functionName)).some((s) => s.state === "Enabled");
    const missing = [
      schedule === undefined ? "an enabled schedule rule" : undefined,
      events ? undefined : "an enabled instance-event rule",
      notified ? undefined : `${c.bucket}'s notification on ${MANIFEST_KEY}`,
      followUps ? undefined : "an enabled follow-up queue mapping",
    ].filter((m): m is string => m !== undefined);
    if (missing.length > 0) checks.fail("triggers", `missing ${missing.join(", ")}`, c.deploy);
    else checks.ok("triggers", `schedule ${schedule}, instance events, release notification, follow-up queue`);
  });

  const logGroup = found.logGroup;
  if (logGroup === undefined) return;
  const window = sweepWindowMs(schedule);
  const invoke = `aws lambda invoke --function-name ${c.functionName} --payload '{}' /dev/stdout; aws logs tail ${logGroup} --since 1h`;
  await checks.run("last sweep", invoke, async () => {
    const last = lastSweep(await port.logEvents(logGroup, c.now - window, SWEEP_LOG_TERMS));
    const minutes = Math.round(window / 60_000);
    if (last.outcome === "none") {
      checks.fail("last sweep", `none logged in ${logGroup} in the last ${minutes} minutes`, invoke);
    } else if (last.outcome === "failed") {
      checks.fail("last sweep", `the last invocation failed ${ago(last.at, c.now)}: ${last.line}`, invoke);
    } else {
      checks.ok("last sweep", `${ago(last.at, c.now)}: ${last.groups.join(", ")}`);
    }
  });
}

async function checkRecovery(
  port: DoctorPort,
  checks: Checks,
  c: { env: string; bucket: string; manifest?: ReleaseManifest; region: string; deploy: string },
): Promise<void> {
  const recovers = await port.parameter(recoveryOfParameterName(c.env)).catch(() => undefined);
  if (recovers !== undefined) {
    // A recovery stack: it must serve from the lost environment's replica here, and start from its copied image.
    await checks.run("recovery source", c.deploy, async () => {
      const replica = await port.parameter(releaseReplicaParameterName(recovers));
      const image = await port.parameter(baseImageParameterName(recovers));
      if (replica !== c.bucket) {
        checks.fail(
          "recovery source",
          `${releaseReplicaParameterName(recovers)} here is ${replica ?? "missing"}, not the release bucket ${c.bucket}`,
          c.deploy,
        );
      } else if (image === undefined) {
        checks.warn(
          "recovery source",
          `serves ${recovers}'s replica ${replica}; ${baseImageParameterName(recovers)} is missing here, so the image pipeline started from AWS's public image`,
          `aws imagebuilder start-image-pipeline-execution --image-pipeline-arn "$(pulumi stack output imagePipelineArn --stack ${c.env})"`,
        );
      } else {
        checks.ok(
          "recovery source",
          `serves ${recovers}'s replica ${replica}; ${recovers}'s copied image ${image} is here`,
        );
      }
    });
    return;
  }
  await checks.run("recovery regions", c.deploy, async () => {
    const rules = await port.replicationRules(c.bucket);
    if (rules.length === 0) {
      checks.ok("recovery regions", "none (recoveryRegions is empty): nothing is replicated");
      return;
    }
    checks.ok("recovery regions", rules.map((r) => replicationRuleRegion(r.id) ?? r.id).join(", "));
    for (const rule of rules) await checkReplica(port, checks, { ...c, rule });
  });
}

async function checkReplica(
  port: DoctorPort,
  checks: Checks,
  c: {
    env: string;
    manifest?: ReleaseManifest;
    deploy: string;
    rule: { id: string; status: string; destinationBucket: string };
  },
): Promise<void> {
  const region = replicationRuleRegion(c.rule.id);
  const check = `${region ?? c.rule.id} replica`;
  if (region === undefined || c.rule.status !== "Enabled") {
    checks.fail(check, `replication rule ${c.rule.id} is ${c.rule.status} or names no region`, c.deploy);
    return;
  }
  await checks.run(check, c.deploy, async () => {
    const named = await port.parameter(releaseReplicaParameterName(c.env), region);
    const image = await port.parameter(baseImageParameterName(c.env), region);
    if (named !== c.rule.destinationBucket || !(await port.bucketExists(named, region))) {
      checks.fail(
        check,
        `${releaseReplicaParameterName(c.env)} in ${region} is ${named ?? "missing"}, not the replica ${c.rule.destinationBucket}`,
        c.deploy,
      );
      return;
    }
    const body = await port.object(named, MANIFEST_KEY, region);
    const copied = body === undefined ? undefined : parseManifest(body.toString("utf8")).version;
    if (c.manifest !== undefined && copied !== c.manifest.version) {
      checks.warn(
        check,
        `${named} holds ${copied ?? "no manifest"}, home holds ${c.manifest.version}: replication lags or failed`,
        `aws s3api head-object --bucket <release bucket> --key ${MANIFEST_KEY} (ReplicationStatus), then republish`,
      );
    } else if (image === undefined) {
      checks.warn(
        check,
        `${named} holds ${copied ?? "nothing yet"}, but ${baseImageParameterName(c.env)} is missing in ${region}: a recovery would start from AWS's public image`,
        `aws imagebuilder start-image-pipeline-execution --image-pipeline-arn "$(pulumi stack output imagePipelineArn --stack ${c.env})"`,
      );
    } else {
      checks.ok(check, `${named} holds ${copied ?? "nothing yet"}; ${baseImageParameterName(c.env)} = ${image} there`);
    }
  });
}
