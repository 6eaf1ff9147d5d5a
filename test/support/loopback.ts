// Real HTTP servers on loopback addresses, one per fake instance, for tests and benches that need a fleet to probe.
//
// Linux routes all of 127.0.0.0/8 to the loopback interface, so every fake instance gets its own 127.x.y.z address
// and they all listen on the same port, exactly as a real group's instances share the group's `phoenix:port`.
// Each test file picks its own /16 (e.g. `new Loopback("127.20")`) so files running in one mocha process never
// collide; addresses inside it come from a counter.
//
//   const loopback = new Loopback("127.20");
//   const web = await loopback.serve({ kind: "answer", body: "1.2.3" });   // web.ip, web.port, web.url
//   const dead = loopback.address();                                       // an address nobody listens on
//   after(() => loopback.close());
import * as http from "node:http";
import type { Socket } from "node:net";

/** What a fake instance does with a request. */
export type Behaviour =
  /** Answer `status` (default 200) with `body`, after `delayMs` (default 0). */
  | { kind: "answer"; body: string | Buffer; status?: number; headers?: Record<string, string>; delayMs?: number }
  /** Answer a redirect (default 302) to `location`. */
  | { kind: "redirect"; location: string; status?: number }
  /** Accept the connection, read the request, never answer. */
  | { kind: "hang" }
  /** Send 200 and its headers at once, then `body` one byte every `intervalMs` (default 1000). */
  | { kind: "trickle"; body: string; intervalMs?: number }
  /** Stream `bytes` of junk as fast as the client reads; with `declareLength`, say so in Content-Length up front. */
  | { kind: "huge"; bytes: number; declareLength?: boolean }
  /** Destroy every connection as soon as it is accepted, before any request is read. */
  | { kind: "close" }
  /** Anything else: a plain Node request listener. */
  | { kind: "handle"; handle: http.RequestListener };

/** One running fake instance and what it has seen. */
export interface LoopbackServer {
  ip: string;
  port: number;
  /** `http://ip:port` */
  url: string;
  behaviour: Behaviour;
  /** Connections accepted so far. */
  connections: number;
  /** Requests received so far. */
  requests: number;
  /** Body bytes handed to the socket so far (`huge` and `trickle`). */
  bodyBytesSent: number;
  /** True once a `huge` or `trickle` body was sent in full (false means the client stopped reading). */
  bodyCompleted: boolean;
}

/**
 * Default port for loopback fleets: unprivileged, and unlikely to be used by anything else on 127.x.y.z. Two test runs
 * on one machine (two checkouts) collide on it; give each its own with PHOENIX_TEST_PORT.
 */
export const LOOPBACK_PORT = Number(process.env.PHOENIX_TEST_PORT ?? 18080);

export class Loopback {
  private next = 1;
  private readonly servers: { server: http.Server; sockets: Set<Socket>; timers: Set<NodeJS.Timeout> }[] = [];
  private readonly prefix: string;

  /**
   * @param base the first two octets of this user's /16, e.g. `"127.20"`; pick a different one per test file.
   * @param port the port every server listens on. @default LOOPBACK_PORT
   */
  constructor(
    base: string,
    readonly port: number = LOOPBACK_PORT,
  ) {
    if (!/^127\.\d{1,3}$/.test(base) || Number(base.split(".")[1]) > 255) {
      throw new Error(`loopback base ${JSON.stringify(base)} must be "127.<0-255>", e.g. "127.20"`);
    }
    this.prefix = base;
  }

  /** The next unused address of this /16. Nothing listens on it until `serve` is given it. */
  address(): string {
    if (this.next > 65534) {
      throw new Error(`loopback base ${this.prefix} has no addresses left (65534 per base)`);
    }
    const n = this.next++;
    return `${this.prefix}.${n >> 8}.${n & 255}`;
  }

  /** Starts a server with this behaviour on `ip` (default: the next address). Rejects if it cannot listen. */
  async serve(behaviour: Behaviour, ip: string = this.address()): Promise<LoopbackServer> {
    const sockets = new Set<Socket>();
    const timers = new Set<NodeJS.Timeout>();
    const state: LoopbackServer = {
      ip,
      port: this.port,
      url: `http://${ip}:${this.port}`,
      behaviour,
      connections: 0,
      requests: 0,
      bodyBytesSent: 0,
      bodyCompleted: false,
    };
    const server = http.createServer((req, res) => {
      state.requests++;
      respond(behaviour, state, req, res, timers);
    });
    server.on("connection", (socket: Socket) => {
      state.connections++;
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      // A client that goes away mid-answer is normal here (that is what the prober does to junk); never crash.
      socket.on("error", () => undefined);
      if (behaviour.kind === "close") {
        socket.destroy();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) =>
        reject(new Error(`cannot listen on ${ip}:${this.port}: ${err.message} (is another test using this base?)`)),
      );
      server.listen({ host: ip, port: this.port, backlog: 511 }, () => resolve());
    });
    this.servers.push({ server, sockets, timers });
    return state;
  }

  /** Stops every server and drops every open connection (hung and trickling ones included). */
  async close(): Promise<void> {
    const all = this.servers.splice(0);
    await Promise.all(
      all.map(
        ({ server, sockets, timers }) =>
          new Promise<void>((resolve) => {
            timers.forEach(clearTimeout);
            server.close(() => resolve());
            sockets.forEach((s) => s.destroy());
          }),
      ),
    );
  }
}

function respond(
  behaviour: Behaviour,
  state: LoopbackServer,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  timers: Set<NodeJS.Timeout>,
): void {
  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };
  switch (behaviour.kind) {
    case "answer": {
      const send = () => {
        res.writeHead(behaviour.status ?? 200, { "content-type": "text/plain", ...behaviour.headers });
        res.end(behaviour.body);
      };
      if (behaviour.delayMs) later(behaviour.delayMs, send);
      else send();
      return;
    }
    case "redirect":
      res.writeHead(behaviour.status ?? 302, { location: behaviour.location });
      res.end();
      return;
    case "hang":
      return;
    case "trickle": {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      let i = 0;
      const drip = () => {
        if (res.destroyed) return;
        if (i >= behaviour.body.length) {
          state.bodyCompleted = true;
          res.end();
          return;
        }
        res.write(behaviour.body[i++]);
        state.bodyBytesSent++;
        later(behaviour.intervalMs ?? 1000, drip);
      };
      drip();
      return;
    }
    case "huge": {
      const chunk = Buffer.alloc(64 * 1024, "junk ");
      const headers: http.OutgoingHttpHeaders = { "content-type": "text/plain" };
      if (behaviour.declareLength) headers["content-length"] = behaviour.bytes;
      res.writeHead(200, headers);
      const pump = () => {
        while (!res.destroyed && state.bodyBytesSent < behaviour.bytes) {
          const n = Math.min(chunk.length, behaviour.bytes - state.bodyBytesSent);
          state.bodyBytesSent += n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            res.once("drain", pump);
            return;
          }
        }
        if (!res.destroyed) {
          res.end(() => (state.bodyCompleted = true));
        }
      };
      pump();
      return;
    }
    case "close":
      req.socket.destroy();
      return;
    case "handle":
      behaviour.handle(req, res);
      return;
  }
}
