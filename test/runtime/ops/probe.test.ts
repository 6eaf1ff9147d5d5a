import * as assert from "node:assert/strict";
import { LIMITS } from "../../../runtime/contract";
import { probeConcurrencyFor, probeFleet, probeVersion, validateProbeOptions } from "../../../runtime/ops/probe";
import { FleetState, GroupState, InstanceState, ProbeOptions } from "../../../runtime/core/types";
import { Loopback } from "../../support/loopback";

// A deadline generous enough that a loaded machine never turns an answer into a timeout...
const options: ProbeOptions = { timeoutMs: 10_000, maxBodyBytes: 1024, concurrency: 8 };
// ...and a short one for the servers that are meant to run into it, so the suite stays fast.
const short: ProbeOptions = { ...options, timeoutMs: 400 };

describe("probing /version", () => {
  const loopback = new Loopback("127.21");
  after(() => loopback.close());

  for (const [what, body, expected] of [
    ["a bare version", "1.2.3", "1.2.3"],
    ["a version with a leading v", "v1.2.3\n", "1.2.3"],
    ["a JSON string", '"1.2.3"', "1.2.3"],
    ["a JSON object", '{"version":"1.2.3-rc.1+build.5"}', "1.2.3-rc.1+build.5"],
  ] as const) {
    it(`reads ${what} as a version`, async () => {
      const server = await loopback.serve({ kind: "answer", body });

      const result = await probeVersion(server.ip, server.port, options);

      assert.deepEqual(result, { ok: true, version: expected });
    });
  }

  it("asks for GET /version", async () => {
    let seen = "";
    const server = await loopback.serve({
      kind: "handle",
      handle: (req, res) => {
        seen = `${req.method} ${req.url}`;
        res.end("1.0.0");
      },
    });

    await probeVersion(server.ip, server.port, options);

    assert.equal(seen, "GET /version");
  });

  it("reports a refused connection", async () => {
    const nobody = loopback.address();

    const result = await probeVersion(nobody, loopback.port, options);

    assert.deepEqual(result, { ok: false, error: "connection refused" });
  });

  it("gives up on a server that never answers at the deadline", async () => {
    const server = await loopback.serve({ kind: "hang" });

    const result = await probeVersion(server.ip, server.port, short);

    assert.deepEqual(result, { ok: false, error: "timeout after 400 ms" });
  });

  it("gives up on a server sending one byte at a time at the deadline, though it is never idle that long", async () => {
    // 40 bytes, one per 50 ms: about 2 s in all, never more than 50 ms quiet; an idle timer would wait it out.
    const server = await loopback.serve({ kind: "trickle", body: `${"1.2.3".padEnd(40, " ")}`, intervalMs: 50 });

    const result = await probeVersion(server.ip, server.port, short);

    assert.deepEqual(result, { ok: false, error: "timeout after 400 ms" });
    assert.equal(server.bodyCompleted, false);
  });

  it("rejects an HTML page, quoting its start", async () => {
    const server = await loopback.serve({
      kind: "answer",
      body: "<!DOCTYPE html>\n<html><head><title>It works!</title></head><body>1.2.3</body></html>",
    });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "not a version: <!DOCTYPE html> <html><head><title>It wo..." });
  });

  it("rejects a two-part version", async () => {
    const server = await loopback.serve({ kind: "answer", body: "1.0" });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "not a version: 1.0" });
  });

  it("rejects an empty body", async () => {
    const server = await loopback.serve({ kind: "answer", body: "" });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "not a version: (empty body)" });
  });

  it("rejects 10 MB of junk sent without a length", async () => {
    const server = await loopback.serve({ kind: "huge", bytes: 10 * 1024 * 1024 });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "body over 1024 bytes" });
  });

  it("rejects a declared 10 MB body before reading it", async () => {
    const server = await loopback.serve({ kind: "huge", bytes: 10 * 1024 * 1024, declareLength: true });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "body over 1024 bytes" });
  });

  it("stops reading an oversized body instead of draining it", async () => {
    // Far more than loopback socket buffers hold, so the server can only finish if the prober keeps reading.
    const server = await loopback.serve({ kind: "huge", bytes: 256 * 1024 * 1024 });

    await probeVersion(server.ip, server.port, options);
    await new Promise((resolve) => setTimeout(resolve, 50));

    assert.equal(server.bodyCompleted, false);
    assert.ok(server.bodyBytesSent < 256 * 1024 * 1024);
  });

  it("accepts a body of exactly the cap", async () => {
    const server = await loopback.serve({ kind: "answer", body: "1.2.3".padEnd(1024, "\n") });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: true, version: "1.2.3" });
  });

  it("treats a non-200 status as an error even with a valid version body", async () => {
    const server = await loopback.serve({ kind: "answer", status: 503, body: "1.2.3" });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "HTTP 503" });
  });

  it("treats another 2xx status as an error", async () => {
    const server = await loopback.serve({ kind: "answer", status: 203, body: "1.2.3" });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "HTTP 203" });
  });

  it("does not follow a redirect, even to a server that would answer", async () => {
    const target = await loopback.serve({ kind: "answer", body: "1.2.3" });
    const server = await loopback.serve({ kind: "redirect", location: `${target.url}/version` });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "HTTP 302 (redirects are not followed)" });
    assert.equal(target.requests, 0);
  });

  it("reports a server that closes the connection at once", async () => {
    const server = await loopback.serve({ kind: "close" });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "connection closed before a response" });
  });

  it("reports a server that dies in the middle of the body", async () => {
    const server = await loopback.serve({
      kind: "handle",
      handle: (_req, res) => {
        res.writeHead(200, { "content-length": "10" });
        res.write("1.2", () => res.socket?.destroy());
      },
    });

    const result = await probeVersion(server.ip, server.port, options);

    assert.deepEqual(result, { ok: false, error: "connection reset" });
  });

  it("reports a server that does not speak HTTP", async () => {
    const server = await loopback.serve({
      kind: "handle",
      handle: (req) => req.socket.end("SSH-2.0-OpenSSH_9.6\r\n"),
    });

    const result = await probeVersion(server.ip, server.port, options);

    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.error : "", /^not HTTP: /);
  });

  it("reports a port that cannot exist instead of throwing", async () => {
    const result = await probeVersion("127.21.255.1", 70000, options);

    assert.deepEqual(result, { ok: false, error: "not a port: 70000" });
  });

  it("does not resolve a host name", async () => {
    const result = await probeVersion("localhost", loopback.port, options);

    assert.deepEqual(result, { ok: false, error: "not an IP address: localhost" });
  });

  it("closes its connection after each probe", async () => {
    let closed = 0;
    const server = await loopback.serve({
      kind: "handle",
      handle: (req, res) => {
        req.socket.on("close", () => closed++);
        res.end("1.2.3");
      },
    });

    await probeVersion(server.ip, server.port, options);
    await probeVersion(server.ip, server.port, options);
    // The server hears the close a moment after the probe resolves; a kept-alive socket would never close.
    for (let waited = 0; closed < 2 && waited < 5000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    assert.equal(server.connections, 2);
    assert.equal(closed, 2);
  });
});

describe("probing a fleet", () => {
  const loopback = new Loopback("127.22");
  after(() => loopback.close());

  const instance = (id: string, privateIp?: string): InstanceState => ({
    id,
    lifecycleState: "InService",
    asgHealth: "Healthy",
    lbHealth: {},
    launchTime: "2026-11-26T00:00:00.000Z",
    imageId: "ami-1",
    privateIp,
  });
  const group = (name: string, port: number, instances: InstanceState[]): GroupState => ({
    name,
    tier: name,
    desiredCapacity: instances.length,
    minSize: 1,
    maxSize: 10,
    port,
    targetGroupArns: [],
    tags: {},
    instances,
  });

  it("records each instance's answer in order, on its group's port", async () => {
    const a = await loopback.serve({ kind: "answer", body: "1.0.1" });
    const b = await loopback.serve({ kind: "answer", body: "1.0.2", delayMs: 30 });
    const c = await loopback.serve({ kind: "answer", status: 500, body: "boom" });
    const state: FleetState = {
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      desiredVersion: "1.0.2",
      groups: [
        group("web", loopback.port, [instance("i-a", a.ip), instance("i-b", b.ip)]),
        group("api", loopback.port, [instance("i-c", c.ip)]),
        group("off", loopback.port + 1, [instance("i-d", a.ip)]),
      ],
    };

    const snapshot = await probeFleet(state, options);

    assert.deepEqual(
      snapshot.groups.map((g) => g.instances.map((i) => [i.id, i.probe])),
      [
        [
          ["i-a", { ok: true, version: "1.0.1" }],
          ["i-b", { ok: true, version: "1.0.2" }],
        ],
        [["i-c", { ok: false, error: "HTTP 500" }]],
        [["i-d", { ok: false, error: "connection refused" }]],
      ],
    );
    assert.equal(snapshot.desiredVersion, "1.0.2");
    assert.equal(snapshot.groups[0].instances[0].imageId, "ami-1");
  });

  it("records an instance without a private IP as an error without probing it", async () => {
    const state: FleetState = {
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      groups: [group("web", loopback.port, [instance("i-none")])],
    };

    const snapshot = await probeFleet(state, options);

    assert.deepEqual(snapshot.groups[0].instances[0].probe, { ok: false, error: "no private IP" });
  });

  it("does not change the state it was given", async () => {
    const a = await loopback.serve({ kind: "answer", body: "1.0.1" });
    const state: FleetState = {
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      groups: [group("web", loopback.port, [instance("i-a", a.ip)])],
    };
    const before = structuredClone(state);

    await probeFleet(state, options);

    assert.deepEqual(state, before);
  });

  it("never has more probes in flight than its concurrency", async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = {
      kind: "handle" as const,
      handle: (_req: unknown, res: { end: (body: string) => void }) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        setTimeout(() => {
          // Leave before answering, so the count is never behind what the client can see.
          inFlight--;
          res.end("1.2.3");
        }, 20);
      },
    };
    const servers = await Promise.all(Array.from({ length: 30 }, () => loopback.serve(slow)));
    const state: FleetState = {
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      groups: [
        group(
          "web",
          loopback.port,
          servers.map((s, i) => instance(`i-${i}`, s.ip)),
        ),
      ],
    };

    const snapshot = await probeFleet(state, { ...options, concurrency: 4 });

    assert.equal(peak, 4);
    assert.ok(snapshot.groups[0].instances.every((i) => i.probe.ok));

    peak = 0;
    await probeFleet(state, { ...options, concurrency: 0 });

    assert.equal(peak, 30, "sized from the fleet: every probe at once");
  });

  it("ends a probe queued behind silent instances by the probing deadline, leaving it a quarter of the timeout", async () => {
    const [first, second] = await Promise.all([loopback.serve({ kind: "hang" }), loopback.serve({ kind: "hang" })]);
    const state: FleetState = {
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      groups: [group("web", loopback.port, [instance("i-first", first.ip), instance("i-second", second.ip)])],
    };

    const snapshot = await probeFleet(state, { ...options, timeoutMs: 400, concurrency: 1 });
    const [a, b] = snapshot.groups[0].instances.map((i) => i.probe);

    // The first starts as probing begins, give or take the event loop: the deadline's own time, or a hair less.
    const firstTimeout = /^timeout after (\d+) ms/.exec(a.ok ? "" : a.error);
    assert.ok(
      firstTimeout !== null && Number(firstTimeout[1]) > 300 && Number(firstTimeout[1]) <= 400,
      JSON.stringify(a),
    );
    // The second waits for the first's slot past the deadline, and still gets a quarter of the timeout.
    assert.ok(
      !b.ok && /^timeout after 100 ms \(started \d+ ms after probing began\)$/.test(b.error),
      JSON.stringify(b),
    );
  });

  it("still reads the version of an instance whose probe was queued past the deadline", async () => {
    const [silent, answering] = await Promise.all([
      loopback.serve({ kind: "hang" }),
      loopback.serve({ kind: "answer", body: "1.2.3" }),
    ]);
    const state: FleetState = {
      environment: "test",
      readAt: "2026-11-26T00:00:00.000Z",
      groups: [group("web", loopback.port, [instance("i-silent", silent.ip), instance("i-late", answering.ip)])],
    };

    const snapshot = await probeFleet(state, { ...options, timeoutMs: 400, concurrency: 1 });

    assert.deepEqual(snapshot.groups[0].instances[1].probe, { ok: true, version: "1.2.3" });
  });

  it("sizes the pool from the fleet when given 0: one per instance, never past the socket budget", () => {
    assert.equal(probeConcurrencyFor(30, 0), 30);
    assert.equal(probeConcurrencyFor(2000, 0), LIMITS.probeConcurrency.max);
    assert.equal(probeConcurrencyFor(0, 0), 1);
    assert.equal(probeConcurrencyFor(2000, 64), 64, "a configured number is used as it is");
  });

  it("refuses bounds that are not whole numbers, or a timeout of 0, before probing", async () => {
    const state: FleetState = { environment: "test", readAt: "2026-11-26T00:00:00.000Z", groups: [] };

    await assert.rejects(probeFleet(state, { ...options, concurrency: -1 }), /concurrency must be a whole number/);
    assert.throws(() => validateProbeOptions({ ...options, concurrency: 1.5 }), /concurrency/);
    assert.throws(() => validateProbeOptions({ ...options, timeoutMs: 0 }), /timeoutMs must be a positive/);
    assert.throws(() => validateProbeOptions({ ...options, timeoutMs: Number.NaN }), /timeoutMs/);
  });
});
