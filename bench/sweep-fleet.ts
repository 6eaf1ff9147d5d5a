// The sweep bench's fleet: fake instances (one loopback HTTP server each, in a child process so that 2000 servers
// answering do not load the bench's own event loop), and mocked SDK clients that answer every read the AWS adapter
// makes the way AWS would for that fleet. bench/sweep.ts measures sweeps over it.
import { execFile, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
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
import { GetBucketTaggingCommand, GetObjectCommand, HeadObjectCommand, NoSuchKey } from "@aws-sdk/client-s3";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { createClients } from "../runtime/aws/clients";
import { MANIFEST_KEY } from "../runtime/contract";
import { Behaviour, Loopback } from "../test/support/loopback";

export const ENV = "bench";
const DESIRED = "1.0.2";
const OLD = "1.0.1";
const IMAGE = "ami-0be0c0de";
/** Every 20th instance accepts the connection and never answers: 5% of the fleet. */
const HUNG_EVERY = 20;

export interface FleetShape {
  groups: number;
  perGroup: number;
  /** The loopback /16 its servers live in, distinct per fleet so a rerun never meets a previous child's servers. */
  base: string;
}

/** One fake instance: where it lives and what it answers. */
export interface FakeInstance {
  group: number;
  id: string;
  behaviour: Behaviour;
}

/** The port the fake instances listen on: PHOENIX_TEST_PORT (one per user of the machine), else a free one. */
export async function benchPort(base: string): Promise<number> {
  const fromEnv = Number(process.env.PHOENIX_TEST_PORT);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, `${base}.0.1`, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Rss of a plain Node process holding what a sweep Lambda holds before it sweeps: the SDK clients, no ts-node. It
 * varies by some 20 MB from one process to the next (where the collector happens to be), so it is measured `runs`
 * times; each measurement is returned, in order.
 */
export async function lambdaLikeBaselineRss(runs: number): Promise<number[]> {
  const script = [
    "const c = [require('@aws-sdk/client-auto-scaling').AutoScalingClient, require('@aws-sdk/client-ec2').EC2Client,",
    " require('@aws-sdk/client-elastic-load-balancing-v2').ElasticLoadBalancingV2Client,",
    " require('@aws-sdk/client-s3').S3Client, require('@aws-sdk/client-ssm').SSMClient];",
    "require('semver'); require('node:http');",
    "globalThis.keep = c.map((C) => new C({ region: 'us-east-1' }));",
    "process.stdout.write(String(process.memoryUsage().rss));",
  ].join("\n");
  const once = () =>
    new Promise<number>((resolve, reject) => {
      execFile(process.execPath, ["-e", script], { cwd: process.cwd() }, (err, stdout) => {
        if (err) reject(new Error(`cannot measure the baseline: ${err.message}`, { cause: err }));
        else resolve(Number(stdout));
      });
    });
  const measured: number[] = [];
  for (let i = 0; i < runs; i++) measured.push(await once());
  return measured;
}

/** Which instances answer what: every 20th hangs, each group's last answers the old version, the rest the new. */
export function layout(shape: FleetShape): FakeInstance[] {
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
export type Stubs = Map<string, { calls(): { args: unknown[] }[]; restore(): void }>;

/** Answers every read the adapter makes the way AWS would for this fleet, paginated by the page sizes asked for. */
export function mockAws(
  clients: ReturnType<typeof createClients>,
  shape: FleetShape,
  fakes: FakeInstance[],
  ips: string[],
  port: number,
): Stubs {
  const groupName = (g: number) => `${ENV}-tier${g}`;
  const tgArn = (g: number) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tier${g}/${g}`;
  const tags = (g: number) => [
    { Key: "phoenix:environment", Value: ENV },
    { Key: "phoenix:tier", Value: `tier${g}` },
    { Key: "phoenix:port", Value: String(port) },
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
        .map((f) => ({ Target: { Id: f.id, Port: port }, TargetHealth: { State: "healthy" } })),
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
  // The manifest; every other key a sweep reads (the last rollback's record, the lease) has never been written.
  s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }));
  s3.on(GetObjectCommand, { Key: MANIFEST_KEY }).callsFake(() => ({
    Body: {
      transformToString: () => Promise.resolve(manifest),
      transformToByteArray: () => Promise.resolve(new TextEncoder().encode(manifest)),
    },
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
export function countCalls(stubs: Stubs): Map<string, number> {
  const counts = new Map<string, number>();
  for (const stub of stubs.values()) {
    for (const call of stub.calls()) {
      const operation = (call.args[0] as object).constructor.name.replace(/Command$/, "");
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
    }
  }
  return counts;
}

/** Starts the fake instances in a child process and returns their addresses, in the order given. */
export async function startServers(
  base: string,
  port: number,
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
      child.send({ base, port, behaviours: fakes.map((f) => f.behaviour) });
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
  process.once("message", (m: { base: string; port: number; behaviours: Behaviour[] }) => {
    const loopback = new Loopback(m.base, m.port);
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
