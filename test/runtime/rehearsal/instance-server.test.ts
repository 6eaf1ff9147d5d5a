// A local instance's address: rehearsals in other processes may hold the same loopback range at the same port (two
// test runs, a test run beside `npm start`); a clash must move to another range rather than walk into theirs.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import { InstanceServer, LoopbackAddresses } from "../../../runtime/rehearsal/instance-server";
import { LOOPBACK_PORT } from "../../support/loopback";

describe("a local instance's loopback address", () => {
  const held: http.Server[] = [];
  const started: InstanceServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
    await Promise.all(held.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it("moves to another range when another process holds the addresses its range starts with", async () => {
    const port = LOOPBACK_PORT;
    // The other process: the same salt, so the same range, and the first 80 addresses of it (more than 64 tries).
    const theirs = new LoopbackAddresses(4242);
    for (let i = 0; i < 80; i++) {
      const server = http.createServer();
      await new Promise<void>((resolve) => server.listen(port, theirs.take(), resolve));
      held.push(server);
    }

    const ours = await InstanceServer.start(new LoopbackAddresses(4242), port, {
      version: "1.0.0",
      broken: false,
      up: true,
    });
    started.push(ours);

    const range = (address: string) => address.split(".")[1];
    assert.notEqual(range(ours.address), range(theirs.take()));
    const answer = await fetch(`http://${ours.address}:${port}/version`).then((r) => r.text());
    assert.equal(answer, "1.0.0");
  });
});
