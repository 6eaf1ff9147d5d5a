// Sweep benchmark: the real sweep() with the real AwsFleet adapter over mocked SDK clients, probing one real HTTP
// server per instance on loopback, 5% of which accept and never answer (bench/sweep-fleet.ts). Prints AWS calls per
// sweep by operation, wall time as a multiple of the probe timeout and memory, each next to its target.
//
// Wall time depends on what else the machine is doing, so each fleet is swept several times and the median is the
// figure (the runs are listed beside it); memory is the largest of the runs. Each fleet's servers are started once.
import { cpus, loadavg } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createClients } from "../runtime/aws/clients";
import { AwsFleet } from "../runtime/aws/fleet";
import { lateProbeTimeoutMs, probeConcurrencyFor } from "../runtime/ops/probe";
import { sweep, SweepResult } from "../runtime/ops/sweep";
import { DEFAULT_POLICY, DEFAULT_PROBE_OPTIONS, FleetAdapter, ProbeOptions } from "../runtime/core/types";
import {
  benchPort,
  countCalls,
  ENV,
  FakeInstance,
  FleetShape,
  lambdaLikeBaselineRss,
  layout,
  mockAws,
  startServers,
} from "./sweep-fleet";
import { mark, median, Target } from "./targets";

const MB = 1024 * 1024;
/** The wall-time target, as a multiple of the probe timeout, for the default settings on 2000 instances or more. */
const WALL_TARGET = 1.5;
const MEMORY_TARGET_MB = 200;

interface Row {
  shape: FleetShape;
  probe: ProbeOptions;
  /** Sweeps of the same fleet; the median wall time is the figure. */
  runs: number;
  /** Why the row is there when it is not the defaults: it is shown for comparison and its wall time has no target. */
  comparison?: string;
}

/** One sweep's measurements. */
interface Measured {
  result: SweepResult;
  wallMs: number;
  readMs: number;
  terminateMs: number;
  cpuMs: number;
  serverCpuMs: number;
  /** The sweep's own memory at its peak: the larger of the rss and the heap growth. */
  sweepBytes: number;
  peakRss: number;
  logBytes: number;
  calls: Map<string, number>;
}

export async function sweepBench(): Promise<Target[]> {
  const [load] = loadavg();
  console.log("## sweep: real sweep() + AwsFleet over aws-sdk-client-mock, one loopback HTTP server per instance");
  console.log(
    `   5% of instances accept and never answer; probe timeout ${DEFAULT_PROBE_OPTIONS.timeoutMs} ms; ` +
      `default policy; ${cpus().length} CPUs, load average ${load.toFixed(1)} at start`,
  );
  const baselines = await lambdaLikeBaselineRss(5);
  // Two levels some 20 MB apart, by where the collector happens to be: the target is charged the higher.
  const baselineRss = Math.max(...baselines);
  console.log(
    `   Node with the five SDK clients loaded: ${mb(baselineRss)} MB rss, the largest of ${baselines.length} processes ` +
      `(${baselines.map(mb).join(", ")})\n`,
  );
  const rows: Row[] = [
    { shape: { groups: 10, perGroup: 3, base: "127.200" }, probe: DEFAULT_PROBE_OPTIONS, runs: 3 },
    { shape: { groups: 200, perGroup: 10, base: "127.201" }, probe: DEFAULT_PROBE_OPTIONS, runs: 5 },
    {
      shape: { groups: 200, perGroup: 10, base: "127.202" },
      probe: { ...DEFAULT_PROBE_OPTIONS, concurrency: 64 },
      runs: 5,
      comparison: "64 in flight, the default before issue 13",
    },
  ];
  const targets: Target[] = [];
  for (const row of rows) targets.push(...(await benchRow(row, baselineRss)));
  return targets;
}

async function benchRow(row: Row, baselineRss: number): Promise<Target[]> {
  const { shape, probe } = row;
  const fakes = layout(shape);
  const port = await benchPort(shape.base);
  const servers = await startServers(shape.base, port, fakes);
  const runs: Measured[] = [];
  try {
    for (let i = 0; i < row.runs; i++) runs.push(await sweepOnce(shape, fakes, servers, port, probe));
  } finally {
    servers.stop();
  }
  const instances = shape.groups * shape.perGroup;
  const concurrency = probeConcurrencyFor(instances, probe.concurrency);
  const multiples = runs.map((r) => r.wallMs / probe.timeoutMs);
  const multiple = median(multiples);
  // The run the median comes from (runs are odd in number), for the split of its wall time.
  const order = runs.map((_, i) => i).sort((a, b) => multiples[a] - multiples[b]);
  const typical = runs[order[Math.floor(order.length / 2)]];
  const { result, calls } = typical;
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  const terminations = result.outcomes.length;
  // Verifying the release on its first sweep: the bucket's tags, the image's state, one HEAD per tier's artifact
  // (each group is its own tier here; an environment has a handful). Each run's adapter is new, so each verifies.
  const verification = 2 + shape.groups;
  // The desired state: the release bucket's and the base image's parameters, the manifest, and the last automatic
  // rollback's record (issue 18: a version it rolled back from is never rolled out again).
  const desiredState = 4;
  const callTarget =
    Math.ceil(shape.groups / 100) +
    Math.ceil(instances / 1000) +
    shape.groups +
    terminations +
    desiredState +
    verification;
  const hung = fakes.filter((f) => f.behaviour.kind === "hang").length;
  const answered = result.snapshot.groups.flatMap((g) => g.instances).filter((i) => i.probe.ok).length;
  const sweepBytes = Math.max(...runs.map((r) => r.sweepBytes));
  const estimate = baselineRss + sweepBytes;
  const targets: Target[] = [];
  const label = `${instances} instances${row.comparison ? ` at ${probe.concurrency} in flight` : ""}`;

  const sized = probe.concurrency === 0 ? " (0: sized from the fleet)" : "";
  console.log(
    `${shape.groups} groups x ${shape.perGroup} = ${instances} instances (${hung} never answer), ` +
      `probe concurrency ${concurrency}${sized}${row.comparison ? `, for comparison: ${row.comparison}` : ""}: ` +
      `${answered} answered, ${terminations} terminated`,
  );
  const callsOk = total <= callTarget;
  targets.push({ what: `${label}: ${total} AWS calls <= ${callTarget}`, ok: callsOk });
  console.log(
    `  AWS calls   ${String(total).padStart(7)}      target <= ${callTarget} ` +
      `= ceil(${shape.groups}/100) + ceil(${instances}/1000) + ${shape.groups} target groups + ` +
      `${terminations} terminations + ${desiredState} desired state + ${verification} verifying   ${mark(callsOk)}`,
  );
  for (const [operation, n] of [...calls.entries()].sort()) {
    console.log(`    ${operation.padEnd(36)} ${String(n).padStart(4)}`);
  }
  const wallTargeted = instances >= 2000 && row.comparison === undefined;
  const wallOk = multiple < WALL_TARGET;
  if (wallTargeted) {
    targets.push({
      what: `${label}: wall time ${multiple.toFixed(2)} x the probe timeout < ${WALL_TARGET}`,
      ok: wallOk,
    });
  }
  console.log(
    `  wall time   ${multiple.toFixed(2).padStart(7)} x    target < ${WALL_TARGET} x the probe timeout` +
      (wallTargeted
        ? `   ${mark(wallOk)}`
        : row.comparison
          ? " (none for a comparison row)"
          : " (set for the 2000-instance fleet)") +
      `; median of ${runs.length}: ${[...multiples]
        .sort((a, b) => a - b)
        .map((m) => m.toFixed(2))
        .join(" ")}`,
  );
  console.log(
    `    median run ${Math.round(typical.wallMs)} ms: AWS reads ${Math.round(typical.readMs)}, probing + planning + ` +
      `logging ${Math.round(typical.wallMs - typical.readMs - typical.terminateMs)}, terminations ` +
      `${Math.round(typical.terminateMs)}; CPU ${Math.round(typical.cpuMs)} ms here, ` +
      `${Math.round(typical.serverCpuMs)} ms in the fake instances' process`,
  );
  // Without the probing deadline each round of silent instances held the pool for a whole timeout: this many.
  const rounds = Math.max(1, hung / concurrency);
  console.log(
    `    ${hung} never-answering probes / ${concurrency} slots = ${rounds.toFixed(2)} rounds of silence; each probe ` +
      `ends ${probe.timeoutMs} ms after probing began, or ${lateProbeTimeoutMs(probe.timeoutMs)} ms after its turn if later`,
  );
  const memoryOk = estimate < MEMORY_TARGET_MB * MB;
  targets.push({ what: `${label}: memory ${mb(estimate)} MB < ${MEMORY_TARGET_MB} MB`, ok: memoryOk });
  console.log(`  memory      ${mb(estimate).padStart(7)} MB   target < ${MEMORY_TARGET_MB} MB   ${mark(memoryOk)}`);
  console.log(
    `    = ${mb(baselineRss)} MB rss of Node with the five SDK clients loaded (no ts-node, the largest above) ` +
      `+ ${mb(sweepBytes)} MB the sweep added at its peak, the largest of ${runs.length} runs (the larger of rss and ` +
      `heap growth; its JSON log was ${(typical.logBytes / 1024).toFixed(0)} KiB)`,
  );
  const peak = Math.max(...runs.map((r) => r.peakRss));
  console.log(`    this bench process peaked at ${mb(peak)} MB rss, ts-node, TypeScript and the mocks included\n`);
  return targets;
}

/** One sweep over fresh clients and mocks, timed by phase, its memory sampled every 5 ms. */
async function sweepOnce(
  shape: FleetShape,
  fakes: FakeInstance[],
  servers: { ips: string[]; cpuMs: () => number },
  port: number,
  probe: ProbeOptions,
): Promise<Measured> {
  const clients = createClients({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "x" },
  });
  const stubs = mockAws(clients, shape, fakes, servers.ips, port);
  try {
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
    return {
      result,
      wallMs,
      ...phases,
      cpuMs: (cpu.user + cpu.system) / 1000,
      serverCpuMs,
      // After a collection the heap can grow into pages rss already counts, so rss alone understates the sweep's
      // own need: charge it the larger of the two growths.
      sweepBytes: Math.max(peakRss - before.rss, peakHeap - before.heapUsed),
      peakRss,
      logBytes,
      calls: countCalls(stubs),
    };
  } finally {
    for (const stub of stubs.values()) stub.restore();
  }
}

/** A full collection before each baseline, so garbage from the previous sweep does not count against this one. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}
