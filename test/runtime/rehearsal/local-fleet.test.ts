// The local fleet behaves like Auto Scaling behind a load balancer: each instance a real HTTP server on its own
// loopback address, replaced when terminated (Pending, InService, then healthy once its app answers), and only
// healthy InService instances receiving traffic.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import { buildArtifact } from "../../../runtime/rehearsal/artifact";
import { Prng, SimClock } from "../../../runtime/rehearsal/clock";
import { DiskObjectStore } from "../../../runtime/rehearsal/disk-store";
import { defaultTiming } from "../../../runtime/rehearsal/instance-lifecycle";
import { LocalFleet } from "../../../runtime/rehearsal/local-fleet";
import { MANIFEST_KEY } from "../../../runtime/contract";
import { scratchDir } from "../../support/scratch-dir";

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("the local fleet", () => {
  const workDir = scratchDir("phoenix-local-fleet-test-");

  async function fleetWithManifest(name: string): Promise<{ fleet: LocalFleet; clock: SimClock }> {
    const clock = new SimClock(Date.UTC(2026, 0, 1));
    const store = new DiskObjectStore(workDir(name));
    await store.put("releases/1.0.1/web.zip", buildArtifact({ tier: "web", version: "1.0.1", broken: false }));
    await store.put(
      MANIFEST_KEY,
      Buffer.from(
        JSON.stringify({ version: "1.0.1", artifacts: { web: "releases/1.0.1/web.zip" }, publishedAt: clock.iso() }),
      ),
    );
    const fleet = new LocalFleet({
      environment: "t",
      clock,
      random: new Prng(7),
      store,
      timing: defaultTiming(2),
      baseImageId: "ami-1",
      port: 0,
    });
    return { fleet, clock };
  }

  it("serves each instance's version over TCP on its own loopback address", async () => {
    const { fleet } = await fleetWithManifest("fleet-serve");
    try {
      const group = await fleet.addGroup("web", { desired: 2 });
      const [a, b] = group.instances;

      assert.notEqual(a.address, b.address);
      assert.match(a.address, /^127\.\d+\.\d+\.\d+$/);
      assert.deepEqual(await get(`http://${a.address}:${a.server.port}/version`), { status: 200, body: "1.0.1" });
    } finally {
      await fleet.close();
    }
  });

  it("replaces a terminated instance: Pending, then InService, then healthy once its app answers", async () => {
    const { fleet, clock } = await fleetWithManifest("fleet-replace");
    try {
      const group = await fleet.addGroup("web", { desired: 1 });
      const old = group.instances[0];

      const outcomes = await fleet.terminate([{ group: group.name, instanceId: old.id }]);
      const fresh = group.instances.find((i) => i.id !== old.id)!;
      const states = [`${fresh.lifecycle}/${fresh.target}`];
      while (fresh.target !== "healthy" && (await clock.runNext())) {
        if (states.at(-1) !== `${fresh.lifecycle}/${fresh.target}`) states.push(`${fresh.lifecycle}/${fresh.target}`);
      }

      assert.deepEqual(outcomes, [{ group: group.name, instanceId: old.id, status: "terminated" }]);
      assert.deepEqual(states, ["Pending/unused", "InService/initial", "InService/unhealthy", "InService/healthy"]);
      assert.equal(fresh.version, "1.0.1");
      assert.equal(group.instances.includes(old), false);
    } finally {
      await fleet.close();
    }
  });

  it("puts only healthy InService instances behind the load balancer", async () => {
    const { fleet, clock } = await fleetWithManifest("fleet-lb");
    try {
      const group = await fleet.addGroup("web", { desired: 2 });
      const [kept, old] = group.instances;

      await fleet.terminate([{ group: group.name, instanceId: old.id }]);
      const duringBoot = fleet.loadBalancer();
      const fresh = group.instances.find((i) => i !== kept && i !== old)!;
      while (fresh.target !== "healthy" && (await clock.runNext()));

      assert.deepEqual(duringBoot, [
        { tier: "web", targets: [{ id: kept.id, address: kept.address, version: "1.0.1" }] },
      ]);
      assert.deepEqual(
        fleet.loadBalancer()[0].targets.map((t) => t.id),
        [kept.id, fresh.id],
      );
    } finally {
      await fleet.close();
    }
  });

  it("reports an instance that is already gone instead of failing", async () => {
    const { fleet } = await fleetWithManifest("fleet-gone");
    try {
      const group = await fleet.addGroup("web", { desired: 1 });

      const outcomes = await fleet.terminate([{ group: group.name, instanceId: "i-0nothere" }]);

      assert.deepEqual(outcomes, [{ group: group.name, instanceId: "i-0nothere", status: "already-gone" }]);
    } finally {
      await fleet.close();
    }
  });

  it("stops every instance's server when closed", async () => {
    const { fleet } = await fleetWithManifest("fleet-close");
    const group = await fleet.addGroup("web", { desired: 1 });
    const { address, server } = group.instances[0];

    await fleet.close();

    await assert.rejects(get(`http://${address}:${server.port}/version`), /ECONNREFUSED/);
  });
});
