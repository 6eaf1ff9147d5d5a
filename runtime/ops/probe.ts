// Probing /version: asks each instance which release it runs, bounded in every direction (one deadline for the whole
// exchange, a cap on the body, no redirects, a fixed number in flight), because a sweep must finish inside a Lambda's
// time and memory whatever 2000 servers do. A probe never throws: every failure is an error recorded on the instance.
import * as http from "node:http";
import { isIP } from "node:net";
import { LIMITS } from "../contract";
import { FRESH_PROBES, PROBE_SETTLE_MS, runPool } from "./probe-pool";
import { UsageError } from "../core/errors";
import { FleetSnapshot, FleetState, GroupSnapshot, InstanceSnapshot, ProbeOptions, ProbeResult } from "../core/types";
import { parseVersionBody } from "../core/version";

/** Characters of an unusable body quoted in its error: enough to recognise an HTML page or a stack trace. */
const QUOTED_BODY_CHARS = 40;

/** Throws UsageError unless every bound is a positive integer (concurrency may be 0: sized from the fleet). */
export function validateProbeOptions(options: ProbeOptions): void {
  for (const key of ["timeoutMs", "maxBodyBytes", "concurrency"] as const) {
    const value = options[key];
    const min = key === "concurrency" ? 0 : 1;
    if (!Number.isInteger(value) || value < min) {
      const what = min === 0 ? "a whole number (0: sized from the fleet)" : "a positive whole number";
      throw new UsageError(`probe ${key} must be ${what}, got ${String(value)}`);
    }
  }
}

/**
 * Probes in flight for a fleet: the configured number, or with 0, one per instance up to the socket budget
 * (LIMITS.probeConcurrency.max). A probe that never answers holds its slot for the whole timeout, so a pool smaller
 * than the fleet finishes only when the answering probes queued behind the silent ones have had their turn: at 64
 * slots, 2000 instances with 5 % silent took over twice the timeout. With a slot per instance every probe starts at
 * once and the sweep takes one timeout however many are silent.
 */
export function probeConcurrencyFor(instances: number, configured: number): number {
  if (configured > 0) return configured;
  return Math.max(1, Math.min(instances, LIMITS.probeConcurrency.max));
}

/**
 * `GET http://ip:port/version`, resolving to the version the instance answered or a short human error
 * ("timeout after 2000 ms", "connection refused", "HTTP 503", "body over 1024 bytes", "not a version: <html>...").
 * The deadline covers connecting, the headers and the whole body. Only a 200 with an accepted body is a version.
 */
export function probeVersion(ip: string, port: number, options: ProbeOptions): Promise<ProbeResult> {
  if (isIP(ip) === 0) {
    // Never hand a name to the resolver: a DNS lookup is neither bounded by the deadline nor what the fleet reported.
    return Promise.resolve({ ok: false, error: `not an IP address: ${quote(ip)}` });
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return Promise.resolve({ ok: false, error: `not a port: ${String(port)}` });
  }
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    // Declared before the closures that use them: Pulumi's closure serializer (the Lambda archive) rejects a nested
    // function that refers to a const declared after it.
    let deadline: NodeJS.Timeout | undefined = undefined;
    let req: http.ClientRequest | undefined = undefined;
    // Every path ends here exactly once; destroying the request also destroys its socket and any response on it.
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req?.destroy();
      resolve(result);
    };
    const fail = (error: string) => finish({ ok: false, error });

    deadline = setTimeout(() => fail(`timeout after ${options.timeoutMs} ms`), options.timeoutMs);
    req = http.request({
      host: ip,
      port,
      path: "/version",
      method: "GET",
      // No pooling: each probe owns one socket and closes it, so thousands of probes never queue behind a
      // shared agent's socket limit nor leave keep-alive sockets open after the sweep.
      agent: false,
      headers: { accept: "text/plain, application/json", connection: "close" },
    });
    // After destroy() Node still emits 'error' on the request; this listener stays for its whole life.
    req.on("error", (err: NodeJS.ErrnoException) => fail(describeError(err)));
    req.on("response", (res) => {
      res.on("error", (err: NodeJS.ErrnoException) => fail(describeError(err)));
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
        fail(`HTTP ${status}${redirect}`);
        return;
      }
      const declared = Number(res.headers["content-length"]);
      if (declared > options.maxBodyBytes) {
        fail(`body over ${options.maxBodyBytes} bytes`);
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      res.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxBodyBytes) {
          fail(`body over ${options.maxBodyBytes} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const version = parseVersionBody(body);
        finish(version === undefined ? { ok: false, error: `not a version: ${quote(body)}` } : { ok: true, version });
      });
      // A connection that ends before the body does ('end' never comes) must not wait for the deadline.
      res.on("close", () => fail("connection closed before the body ended"));
    });
    req.end();
  });
}

/** The least a probe whose turn comes late still gets to answer in: a quarter of the timeout. */
export function lateProbeTimeoutMs(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 4);
}

/**
 * Probes every instance of every group on its group's port, at most `options.concurrency` at a time (and at most
 * FRESH_PROBES being answered: probe-pool.ts), and returns the state with each instance's probe result, in order. An instance without a private IP is not probed.
 * Does not change `state`. Throws UsageError (before probing anything) when the options are not usable bounds.
 *
 * The timeout counts from when probing starts, not from each probe's turn: a probe queued behind others ends by then
 * too, or a quarter of the timeout after its own start if that is later. So probing a fleet takes one timeout, or
 * the time to get through every instance plus a quarter of it, however many never answer; counted from each turn,
 * every round of silent instances added a whole timeout (and could outlast the Lambda's own timeout).
 */
export async function probeFleet(state: FleetState, options: ProbeOptions): Promise<FleetSnapshot> {
  validateProbeOptions(options);
  const began = performance.now();
  const leastMs = lateProbeTimeoutMs(options.timeoutMs);
  const probe = async (ip: string, port: number): Promise<ProbeResult> => {
    const queuedMs = Math.round(performance.now() - began);
    const timeoutMs = Math.max(options.timeoutMs - queuedMs, leastMs);
    const result = await probeVersion(ip, port, { ...options, timeoutMs });
    return timeoutMs < options.timeoutMs && !result.ok && result.error.startsWith("timeout")
      ? { ok: false, error: `${result.error} (started ${queuedMs} ms after probing began)` }
      : result;
  };
  const tasks = state.groups.flatMap((group) =>
    group.instances.map(
      (instance) => () =>
        instance.privateIp === undefined || instance.privateIp === ""
          ? Promise.resolve<ProbeResult>({ ok: false, error: "no private IP" })
          : probe(instance.privateIp, group.port),
    ),
  );
  const results = await runPool(tasks, {
    sockets: probeConcurrencyFor(tasks.length, options.concurrency),
    fresh: FRESH_PROBES,
    settleMs: PROBE_SETTLE_MS,
  });
  let i = 0;
  const groups: GroupSnapshot[] = state.groups.map((group) => ({
    ...group,
    instances: group.instances.map((instance): InstanceSnapshot => ({ ...instance, probe: results[i++] })),
  }));
  return { ...state, groups };
}

function describeError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      // Node says "socket hang up" when the server closed before any response, "aborted" mid-body.
      return err.message === "socket hang up" ? "connection closed before a response" : "connection reset";
    case "EHOSTUNREACH":
      return "host unreachable";
    case "ENETUNREACH":
      return "network unreachable";
    case "EADDRNOTAVAIL":
      return "address not available";
    default:
      if (err.code?.startsWith("HPE_")) {
        return `not HTTP: ${err.message}`;
      }
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}

/** The first characters of a body or value, on one printable line, for an error message. */
function quote(text: string): string {
  const line = text.replace(/[\u0000-\u001f\u007f\ufffd]+/g, " ").trim();
  if (line.length === 0) return "(empty body)";
  return line.length > QUOTED_BODY_CHARS ? `${line.slice(0, QUOTED_BODY_CHARS)}...` : line;
}
