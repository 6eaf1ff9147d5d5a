// Sweep benchmark (issue 2): the real sweep() with the real AwsFleet adapter over mocked SDK clients, probing one real
// HTTP server per instance on loopback, 5% of which accept and never answer. Prints AWS calls per sweep by operation,
// wall time as a multiple of the probe timeout and memory, each next to the target.
//
// The fake instances run in a child process (this same file, forked) so that the figures measure the sweep alone:
// 2000 servers answering in the bench's own event loop would inflate both its memory and its wall time.
import { execFile, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  Instance as Ec2Instance,
  Reservation,
} from "@aws-sdk/client-ec2";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetBucketTaggingCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { createClients } from "../runtime/aws/clients";
import { AwsFleet } from "../runtime/aws/fleet";
import { sweep } from "../runtime/ops/sweep";
import { DEFAULT_POLICY, DEFAULT_PROBE_OPTIONS, FleetAdapter, ProbeOptions } from "../runtime/core/types";
import { Behaviour, Loopback } from "../test/support/loopback";

const ENV = "bench";
const PORT = 18090;
const DESIRED = "1.0.2";
const OLD = "1.0.1";
const IMAGE = "ami-0be0c0de";
/** Every 20th instance accepts the connection and never answers: 5% of the fleet. */
const HUNG_EVERY = 20;
const MB = 1024 * 1024;

interface FleetShape {
  groups: number;
  perGroup: number;
  /** The loopback /16 its servers live in, distinct per fleet so a rerun never meets a previous child's servers. */
  base: string;
}

/** One fake instance: where it lives and what it answers. */
interface FakeInstance {
  group: number;
  id: string;
  behaviour: Behaviour;
}

export async function sweepBench(): Promise<void> {
  const [load] = loadavg();
  console.log("## sweep: real sweep() + AwsFleet over aws-sdk-client-mock, one loopback HTTP server per instance");
  console.log(
    `   5% of instances accept and never answer; probe timeout ${DEFAULT_PROBE_OPTIONS.timeoutMs} ms; ` +
      `default policy; ${cpus().length} CPUs, load average ${load.toFixed(1)} at start\n`,
  );
  const baselineRss = await lambdaLikeBaselineRss();
  const runs: { shape: FleetShape; probe: ProbeOptions }[] = [
    { shape: { groups: 10, perGroup: 3, base: "127.200" }, probe: DEFAULT_PROBE_OPTIONS },
    { shape: { groups: 200, perGroup: 10, base: "127.201" }, probe: DEFAULT_PROBE_OPTIONS },
    // 100 hung probes each hold a slot for the whole timeout, so with 64 slots the sweep needs two rounds of it
    // whatever the CPU: show what a pool wide enough to hold every hung probe at once does.
    { shape: { groups: 200, perGroup: 10, base: "127.202" }, probe: { ...DEFAULT_PROBE_OPTIONS, concurrency: 256 } },
  ];
  for (const run of runs) {
    await benchFleet(run.shape, run.probe, baselineRss);
  }
}

async function benchFleet(shape: FleetShape, probe: ProbeOptions, baselineRss: number): Promise<void> {
  const fakes = layout(shape);
  const servers = await startServers(shape.base, fakes);
  try {
    const clients = createClients({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "x" },
    });
    const stubs = mockAws(clients, shape, fakes, servers.ips);
    const aws = new AwsFleet(clients);
    // Timed pass-through, so the wall time can be split into AWS reads, probing + planning, and terminations.
    const phases = { readMs: 0, terminateMs: 0 };
    const fleet: FleetAdapter = {
      readFleet: async (environment) => {
        const t = performance.now();
        const state = await aws.readFleet(environment);
        phases.readMs = performance.now() - t;
        return state;
      },
      terminate: async (requests) => {
        const t = performance.now();
        const outcomes = await aws.terminate(requests);
        phases.terminateMs = performance.now() - t;
        return outcomes;
      },
      checks: aws.checks,
    };

    let logBytes = 0;
    collectGarbage();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 5);
    const cpuBefore = process.cpuUsage();
    const serverCpuBefore = servers.cpuMs();
    const started = performance.now();
    const result = await sweep(
      { fleet, probe, log: (line) => (logBytes += line.length) },
      { environment: ENV, policy: DEFAULT_POLICY },
    );
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpuMs = servers.cpuMs() - serverCpuBefore;
    clearInterval(sampler);
    const after = process.memoryUsage();
    peakRss = Math.max(peakRss, after.rss);
    peakHeap = Math.max(peakHeap, after.heapUsed);
    for (const stub of stubs.values()) stub.restore();

    const calls = countCalls(stubs);
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    const instances = shape.groups * shape.perGroup;
    const targetGroups = shape.groups; // one attached per group
    const terminations = result.outcomes.length;
    // Verifying the release on its first sweep: the bucket's tags, the image's state, one HEAD per tier's artifact
    // (each group is its own tier here; an environment has a handful). Later sweeps of the same version skip them.
    const verification = 2 + shape.groups;
    const callTarget =
      Math.ceil(shape.groups / 100) + Math.ceil(instances / 1000) + targetGroups + terminations + 3 + verification;
    const hung = fakes.filter((f) => f.behaviour.kind === "hang").length;
    const answered = result.snapshot.groups.flatMap((g) => g.instances).filter((i) => i.probe.ok).length;
    const multiple = wallMs / probe.timeoutMs;
    // After a collection the heap can grow into pages rss already counts, so rss alone understates the sweep's
    // own need: charge it the larger of the two growths.
    const sweepBytes = Math.max(peakRss - before.rss, peakHeap - before.heapUsed);
    const estimate = baselineRss + sweepBytes;
    const mark = (ok: boolean) => (ok ? "ok" : "MISSED");

    console.log(
      `${shape.groups} groups x ${shape.perGroup} = ${instances} instances (${hung} never answer), ` +
        `probe concurrency ${probe.concurrency}: ${answered} answered, ${terminations} terminated`,
    );
    console.log(
      `  AWS calls   ${String(total).padStart(7)}      target <= ${callTarget} ` +
        `= ceil(${shape.groups}/100) + ceil(${instances}/1000) + ${targetGroups} target groups + ` +
        `${terminations} terminations + 3 + ${verification} verifying   ${mark(total <= callTarget)}`,
    );
    for (const [operation, n] of [...calls.entries()].sort()) {
      console.log(`    ${operation.padEnd(36)} ${String(n).padStart(4)}`);
    }
    console.log(
      `  wall time   ${multiple.toFixed(2).padStart(7)} x    target < 1.5 x the probe timeout` +
        (instances >= 2000 ? `   ${mark(multiple < 1.5)}` : " (set for the 2000-instance fleet)"),
    );
    console.log(
      `    ${Math.round(wallMs)} ms: AWS reads ${Math.round(phases.readMs)}, probing + planning + logging ` +
        `${Math.round(wallMs - phases.readMs - phases.terminateMs)}, terminations ${Math.round(phases.terminateMs)}; ` +
        `CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms here, ${Math.round(serverCpuMs)} ms in the fake instances' process`,
    );
    // Each never-answering instance holds a pool slot for the whole timeout, so this is a floor no CPU can beat.
    const floor = Math.max(1, hung / probe.concurrency);
    console.log(
      `    floor from the pool alone: ${hung} never-answering probes x timeout / ${probe.concurrency} slots ` +
        `= ${floor.toFixed(2)} x; the rest is the time to get through the answering ones`,
    );
    console.log(`  memory      ${mb(estimate).padStart(7)} MB   target < 200 MB   ${mark(estimate < 200 * MB)}`);
    console.log(
      `    = ${mb(baselineRss)} MB rss of Node with the five SDK clients loaded (no ts-node) ` +
        `+ ${mb(sweepBytes)} MB the sweep added at its peak (the larger of rss +${mb(peakRss - before.rss)} and ` +
        `heap +${mb(peakHeap - before.heapUsed)}; its JSON log was ${(logBytes / 1024).toFixed(0)} KiB)`,
    );
    console.log(`    this bench process peaked at ${mb(peakRss)} MB rss, ts-node, TypeScript and the mocks included\n`);
  } finally {
    servers.stop();
  }
}

/** Rss of a plain Node process holding what a sweep Lambda holds before it sweeps: the SDK clients, no ts-node. */
function lambdaLikeBaselineRss(): Promise<number> {
  const script = [
    "const c = [require('@aws-sdk/client-auto-scaling').AutoScalingClient, require('@aws-sdk/client-ec2').EC2Client,",
    " require('@aws-sdk/client-elastic-load-balancing-v2').ElasticLoadBalancingV2Client,",
    " require('@aws-sdk/client-s3').S3Client, require('@aws-sdk/client-ssm').SSMClient];",
    "require('semver'); require('node:http');",
    "globalThis.keep = c.map((C) => new C({ region: 'us-east-1' }));",
    "process.stdout.write(String(process.memoryUsage().rss));",
  ].join("\n");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script], { cwd: process.cwd() }, (err, stdout) => {
      if (err) reject(new Error(`cannot measure the baseline: ${err.message}`, { cause: err }));
      else resolve(Number(stdout));
    });
  });
}

/** A full collection before each baseline, so garbage from the previous fleet does not count against this one. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** Which instances answer what: every 20th hangs, each group's last answers the old version, the rest the new. */
function layout(shape: FleetShape): FakeInstance[] {
  const fakes: FakeInstance[] = [];
  for (let g = 0; g < shape.groups; g++) {
    for (let i = 0; i < shape.perGroup; i++) {
      const n = fakes.length;
      const behaviour: Behaviour =
        n % HUNG_EVERY === 0
          ? { kind: "hang" }
          : { kind: "answer", body: i === shape.perGroup - 1 ? OLD : `{"version":"${DESIRED}"}` };
      fakes.push({ group: g, id: `i-${n.toString(16).padStart(17, "0")}`, behaviour });
    }
  }
  return fakes;
}

/** What the bench needs of a client mock: the calls it saw, and a way to put the real client back. */
type Stubs = Map<string, { calls(): { args: unknown[] }[]; restore(): void }>;

/** Answers every read the adapter makes the way AWS would for this fleet, paginated by the page sizes asked for. */
function mockAws(
  clients: ReturnType<typeof createClients>,
  shape: FleetShape,
  fakes: FakeInstance[],
  ips: string[],
): Stubs {
  const groupName = (g: number) => `${ENV}-tier${g}`;
  const tgArn = (g: number) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tier${g}/${g}`;
  const tags = (g: number) => [
    { Key: "phoenix:environment", Value: ENV },
    { Key: "phoenix:tier", Value: `tier${g}` },
    { Key: "phoenix:port", Value: String(PORT) },
  ];
  const asgs: AutoScalingGroup[] = Array.from({ length: shape.groups }, (_, g) => ({
    AutoScalingGroupName: groupName(g),
    MinSize: 1,
    MaxSize: shape.perGroup * 2,
    DesiredCapacity: shape.perGroup,
    DefaultCooldown: 300,
    AvailabilityZones: ["us-east-1a"],
    HealthCheckType: "ELB",
    CreatedTime: new Date("2026-11-01T00:00:00Z"),
    TargetGroupARNs: [tgArn(g)],
    Tags: tags(g).map((t) => ({ ...t, ResourceId: groupName(g), ResourceType: "auto-scaling-group" })),
    Instances: fakes
      .filter((f) => f.group === g)
      .map((f) => ({
        InstanceId: f.id,
        LifecycleState: "InService",
        HealthStatus: "Healthy",
        AvailabilityZone: "us-east-1a",
        ProtectedFromScaleIn: false,
      })),
  }));
  const ec2Instances: Ec2Instance[] = fakes.map((f, n) => ({
    InstanceId: f.id,
    ImageId: IMAGE,
    PrivateIpAddress: ips[n],
    LaunchTime: new Date(Date.parse("2026-11-20T00:00:00Z") + n * 1000),
    Tags: tags(f.group),
  }));
  const page = <T>(items: T[], token: string | undefined, size: number | undefined) => {
    const start = token ? Number(token) : 0;
    const end = start + (size ?? items.length);
    return { items: items.slice(start, end), next: end < items.length ? String(end) : undefined };
  };

  const autoScaling = mockClient(clients.autoScaling);
  autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake((input: { NextToken?: string; MaxRecords?: number }) => {
    const p = page(asgs, input.NextToken, input.MaxRecords ?? 50);
    return { AutoScalingGroups: p.items, NextToken: p.next };
  });
  autoScaling.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});

  const ec2 = mockClient(clients.ec2);
  ec2.on(DescribeInstancesCommand).callsFake((input: { NextToken?: string; MaxResults?: number }) => {
    const p = page(ec2Instances, input.NextToken, input.MaxResults ?? 1000);
    // One reservation per instance, as an Auto Scaling group launches them.
    const reservations: Reservation[] = p.items.map((i) => ({ Instances: [i] }));
    return { Reservations: reservations, NextToken: p.next };
  });

  const elbv2 = mockClient(clients.elbv2);
  elbv2.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn?: string }) => {
    const g = Number(input.TargetGroupArn?.split("/").pop());
    return {
      TargetHealthDescriptions: fakes
        .filter((f) => f.group === g)
        .map((f) => ({ Target: { Id: f.id, Port: PORT }, TargetHealth: { State: "healthy" } })),
    };
  });

  const ssm = mockClient(clients.ssm);
  ssm.on(GetParameterCommand, { Name: `/phoenix/${ENV}/release-bucket` }).resolves({
    Parameter: { Name: `/phoenix/${ENV}/release-bucket`, Value: "phoenix-bench-releases" },
  });
  ssm.on(GetParameterCommand, { Name: `/phoenix/${ENV}/base-image` }).resolves({
    Parameter: { Name: `/phoenix/${ENV}/base-image`, Value: IMAGE },
  });

  ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: IMAGE, State: "available" }] });

  const manifest = JSON.stringify({
    version: DESIRED,
    artifacts: Object.fromEntries(
      Array.from({ length: shape.groups }, (_, g) => [`tier${g}`, `releases/${DESIRED}/tier${g}.zip`]),
    ),
    publishedAt: "2026-11-26T00:00:00.000Z",
  });
  const s3 = mockClient(clients.s3);
  s3.on(GetObjectCommand).callsFake(() => ({
    Body: { transformToString: () => Promise.resolve(manifest) },
  }));
  s3.on(HeadObjectCommand).resolves({ ContentLength: 2 });
  s3.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: "phoenix:environment", Value: ENV }] });

  return new Map<string, { calls(): { args: unknown[] }[]; restore(): void }>([
    ["autoScaling", autoScaling],
    ["ec2", ec2],
    ["elbv2", elbv2],
    ["ssm", ssm],
    ["s3", s3],
  ]);
}

/** Calls recorded by every mock, by operation (the command's name without `Command`). */
function countCalls(stubs: Stubs): Map<string, number> {
  const counts = new Map<string, number>();
  for (const stub of stubs.values()) {
    for (const call of stub.calls()) {
      const operation = (call.args[0] as object).constructor.name.replace(/Command$/, "");
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
    }
  }
  return counts;
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

/** Starts the fake instances in a child process and returns their addresses, in the order given. */
async function startServers(
  base: string,
  fakes: FakeInstance[],
): Promise<{ ips: string[]; stop: () => void; cpuMs: () => number }> {
  const child = fork(__filename, [], {
    execArgv: ["-r", "ts-node/register/transpile-only"],
    env: { ...process.env, PHOENIX_BENCH_SERVERS: "1" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const stop = () => {
    if (child.exitCode === null) child.kill();
  };
  try {
    const ips = await new Promise<string[]>((resolve, reject) => {
      child.once("message", (m: { ips?: string[]; error?: string }) =>
        m.ips ? resolve(m.ips) : reject(new Error(`fake instances did not start: ${m.error}`)),
      );
      child.once("exit", (code) => reject(new Error(`fake instance process exited with ${code} before starting`)));
      child.send({ base, behaviours: fakes.map((f) => f.behaviour) });
    });
    return { ips, stop, cpuMs: () => processCpuMs(child.pid) };
  } catch (err) {
    stop();
    throw err;
  }
}

/** CPU a process has used (user + system), from /proc; NaN where there is no /proc. */
function processCpuMs(pid: number | undefined): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name, in clock ticks (100 per second).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** The child: one server per behaviour on consecutive addresses of `base`, until the parent kills it. */
function serveFakes(): void {
  process.once("message", (m: { base: string; behaviours: Behaviour[] }) => {
    const loopback = new Loopback(m.base, PORT);
    const ips = m.behaviours.map(() => loopback.address());
    Promise.all(m.behaviours.map((b, i) => loopback.serve(b, ips[i]))).then(
      () => process.send?.({ ips }),
      (err: Error) => process.send?.({ error: err.message }),
    );
    // Exit with the parent however it ends, rather than keep 2000 listeners alive.
    process.once("disconnect", () => process.exit(0));
  });
}

if (require.main === module && process.env.PHOENIX_BENCH_SERVERS === "1") {
  serveFakes();
}
