// The sweep bench's fake AWS must answer every read a sweep makes, or `npm run bench sweep` dies instead of measuring
// (it did once a sweep began reading the last rollback's record). One small sweep through the bench's own mocks and
// fake instances, as the bench runs it.
import * as assert from "node:assert/strict";
import { countCalls, ENV, layout, mockAws, startServers } from "../../bench/sweep-fleet";
import { createClients } from "../../runtime/aws/clients";
import { AwsFleet } from "../../runtime/aws/fleet";
import { DEFAULT_POLICY } from "../../runtime/core/types";
import { sweep } from "../../runtime/ops/sweep";
import { LOOPBACK_PORT } from "../support/loopback";

describe("the sweep bench's fake AWS", () => {
  it("answers every read of a sweep, which terminates the stale instance of the group whose probes all answer", async () => {
    const shape = { groups: 2, perGroup: 3, base: "127.187" };
    const fakes = layout(shape);
    const servers = await startServers(shape.base, LOOPBACK_PORT, fakes);
    const clients = createClients({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "x" },
    });
    const stubs = mockAws(clients, shape, fakes, servers.ips, LOOPBACK_PORT);
    try {
      // As the bench sweeps: the adapter's reads and terminations, without surge (the mocks answer no scaling writes).
      const aws = new AwsFleet(clients);
      const fleet = {
        readFleet: (e: string) => aws.readFleet(e),
        terminate: aws.terminate.bind(aws),
        checks: aws.checks,
      };
      const result = await sweep(
        { fleet, probe: { timeoutMs: 300, concurrency: 0 }, log: () => undefined },
        { environment: ENV, policy: DEFAULT_POLICY },
      );

      // Group 0 holds the bench's never-answering instance, so it is unstable and left alone; group 1's old one goes.
      assert.deepEqual(
        result.outcomes.map((o) => [o.group, o.status]),
        [[`${ENV}-tier1`, "terminated"]],
      );
      assert.equal(countCalls(stubs).get("GetObject"), 2, "the manifest and the last rollback's record");
    } finally {
      for (const stub of stubs.values()) stub.restore();
      servers.stop();
    }
  });
});
