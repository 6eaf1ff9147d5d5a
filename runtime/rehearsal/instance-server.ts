// A local instance's application: a real HTTP server on its own loopback address (127.x.y.z) answering
// GET /version, so the real probe code reaches it over TCP exactly as the Lambda reaches an instance's private IP.
import * as http from "node:http";
import { AddressInfo } from "node:net";

/** Hands out loopback addresses no other local instance of this process holds. */
export class LoopbackAddresses {
  private next = 0;
  private second: number;

  /**
   * `salt` picks the second octet (127.<200-249>.y.z), so rehearsals running at the same time in different processes
   * (a test run beside `npm start`) usually take different ranges; a clash moves this one to another range.
   */
  constructor(salt: number = process.pid) {
    this.second = 200 + (Math.abs(Math.trunc(salt)) % 50);
  }

  take(): string {
    const n = this.next++;
    const third = Math.floor(n / 254) % 256;
    const fourth = (n % 254) + 1;
    return `127.${this.second}.${third}.${fourth}`;
  }

  /**
   * An address was in use: another process took the same range, and holds the addresses after it too, so the next
   * address there would clash again. Moves to another range (a step prime to 50 visits all 50 before repeating).
   */
  clashed(): void {
    this.second = 200 + ((this.second - 200 + 17) % 50);
  }
}

/**
 * What the app answers: nothing until it is `up` (the connection is dropped, as while the instance boots), then its
 * version, or (a broken build) a 500 on every request. A build bad under traffic answers /version (its health check)
 * but every other request in `errorRate` with a 500. Read at each request, so the fleet flips `up` when booted.
 */
export interface AppBehaviour {
  version: string;
  broken: boolean;
  up: boolean;
  /** Share (0-1) of the app's requests answered with 500; /version always answers. @default 0 */
  errorRate?: number;
}

/** One running app. `close` ends open connections too, so a terminated instance stops answering at once. */
export class InstanceServer {
  private constructor(
    readonly address: string,
    readonly port: number,
    private readonly server: http.Server,
  ) {}

  /**
   * Binds the instance's address at launch (so its private IP is known while it boots) on the first free address
   * from `addresses`, at `port` (0 for any).
   */
  static async start(addresses: LoopbackAddresses, port: number, app: AppBehaviour): Promise<InstanceServer> {
    let served = 0;
    const server = http.createServer((req, res) => {
      if (app.broken) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("the application failed to start\n");
      } else if (req.method === "GET" && req.url === "/version") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(app.version);
      } else if (failsNext(served++, app.errorRate ?? 0)) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`internal error in ${app.version}\n`);
      } else if (req.method === "GET" && req.url === "/") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(`hello from ${app.version}\n`);
      } else {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found\n");
      }
    });
    server.on("connection", (socket) => {
      if (!app.up) socket.destroy();
    });
    server.keepAliveTimeout = 1000;
    for (let attempt = 0; attempt < 64; attempt++) {
      const address = addresses.take();
      try {
        await listen(server, address, port);
        return new InstanceServer(address, (server.address() as AddressInfo).port, server);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EMFILE" || code === "ENFILE") {
          // Each local instance holds a listening socket, and a surge doubles them: say what to change.
          throw new Error(
            `too many open files for another local instance (${code}); raise the limit (ulimit -n) or rehearse ` +
              "fewer --instances",
          );
        }
        if (code !== "EADDRINUSE") throw error;
        addresses.clashed();
      }
    }
    throw new Error(`no free loopback address for a local instance after 64 tries at port ${port}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/**
 * Whether request `n` (0-based) of an app failing a share `rate` of its requests fails: evenly spread and the same
 * every run (request n fails when it carries the running count of failures over a whole number).
 */
export function failsNext(n: number, rate: number): boolean {
  return Math.floor((n + 1) * rate) > Math.floor(n * rate);
}

function listen(server: http.Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, address);
  });
}
