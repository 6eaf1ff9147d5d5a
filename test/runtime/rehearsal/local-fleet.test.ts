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
import { LoopbackAddresses } from "../../../runtime/rehearsal/instance-server";
import { LAMBDA_ENV, MANIFEST_KEY } from "../../../runtime/contract";
import { createSweepHandler } from "../../../runtime/lambda/handlers";
import { EXIT } from "../../../runtime/cli/exit-codes";
import { runCli } from "../../support/fleets";
import { LOOPBACK_PORT } from "../../support/loopback";
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

describe("the local fleet's desired state, verified as AWS's is", () => {
  const workDir = scratchDir("phoenix-local-verify-test-");
  const IMAGE = "ami-0a1b2c3d4e5f60001";

  /** web and api, two instances each on 1.0.1 (published in a disk store), and the rollout Lambda's sweep over them. */
  async function rehearsal(name: string) {
    const clock = new SimClock(Date.UTC(2026, 0, 1));
    const store = new DiskObjectStore(workDir(name));
    const publish = async (version: string, tiers: string[], upload = tiers) => {
      for (const tier of upload) {
        await store.put(`releases/${version}/${tier}.zip`, buildArtifact({ tier, version, broken: false }));
      }
      const artifacts = Object.fromEntries(tiers.map((t) => [t, `releases/${version}/${t}.zip`]));
      await store.put(MANIFEST_KEY, Buffer.from(JSON.stringify({ version, artifacts, publishedAt: clock.iso() })));
    };
    await publish("1.0.1", ["web", "api"]);
    const fleet = new LocalFleet({
      environment: "t",
      clock,
      random: new Prng(7),
      store,
      timing: defaultTiming(2),
      baseImageId: IMAGE,
      port: LOOPBACK_PORT,
      addresses: new LoopbackAddresses(process.pid + 13),
      storeName: "t-releases",
    });
    for (const tier of ["web", "api"]) await fleet.addGroup(tier, { desired: 2, max: 4 });
    const log: string[] = [];
    const handler = createSweepHandler(
      {
        [LAMBDA_ENV.environment]: "t",
        [LAMBDA_ENV.policy]: JSON.stringify({ minHealthy: 1, minHealthyPercent: 0 }),
        [LAMBDA_ENV.probeTimeoutMs]: "1000",
      },
      { fleet: fleet.adapterFor("sweep"), store, log: (l) => log.push(l), metrics: () => {}, now: () => clock.now() },
    );
    const shape = () =>
      fleet.groups.map((g) => `${g.name} ${g.desiredCapacity} ${g.instances.map((i) => i.id).join(",")}`);
    const statusLine = () => log.map((l) => JSON.parse(l) as { type: string }).filter((r) => r.type === "sweep.status");
    return { fleet, publish, handler, shape, statusLine };
  }

  it("leaves a tier alone that a new manifest names no artifact for, and rolls out the other", async () => {
    const r = await rehearsal("missing-tier");
    try {
      const before = r.shape();
      await r.publish("1.0.2", ["web"]);

      const summary = await r.handler({});

      assert.deepEqual(summary.unverified, ["t-api"]);
      assert.equal(r.shape()[1], before[1], "api: same capacity, same instances");
      assert.equal(r.fleet.group("web").desiredCapacity, 4, "web surges to 1.0.2");
      assert.match(
        JSON.stringify(r.statusLine()),
        /t-api.*the manifest \(version 1\.0\.2\) names no artifact for tier api, so a replacement would install nothing/,
      );
    } finally {
      await r.fleet.close();
    }
  });

  it("terminates nothing and changes no capacity when the manifest's artifacts are missing from the store", async () => {
    const r = await rehearsal("missing-artifact");
    try {
      const before = r.shape();
      await r.publish("1.0.2", ["web", "api"], []);

      const summary = await r.handler({});
      const cli = await runCli(r.fleet.adapterFor("sweep"), "sweep", "--env", "t", "--probe-timeout-ms", "1000");

      assert.deepEqual([summary.status, summary.unverified], ["unverified", ["t-api", "t-web"]]);
      assert.deepEqual(r.shape(), before);
      assert.equal(cli.code, EXIT.unverified);
      assert.match(
        cli.err.trimEnd().split("\n").pop() ?? "",
        /^phoenix: desired state not verified: t-api left alone: the manifest names version 1\.0\.2, whose api artifact releases\/1\.0\.2\/api\.zip does not exist in t-releases/,
      );
    } finally {
      await r.fleet.close();
    }
  });

  it("terminates nothing and changes no capacity when the base-image parameter holds garbage", async () => {
    const r = await rehearsal("garbage-image");
    try {
      const before = r.shape();
      r.fleet.setBaseImage("garbage");

      const summary = await r.handler({});

      assert.deepEqual([summary.status, summary.unverified], ["unverified", ["t-api", "t-web"]]);
      assert.deepEqual(r.shape(), before);
      assert.match(
        JSON.stringify(r.statusLine()),
        /\/phoenix\/t\/base-image holds \\"garbage\\", which is not an AMI id/,
      );
    } finally {
      await r.fleet.close();
    }
  });

  it("replaces nothing for an image this fleet does not have, and everything for one it does", async () => {
    const r = await rehearsal("unknown-image");
    try {
      const before = r.shape();
      r.fleet.setBaseImage("ami-0a1b2c3d4e5f60009", { available: false });
      const unknown = await r.handler({});
      const afterUnknown = r.shape();
      r.fleet.setBaseImage("ami-0a1b2c3d4e5f60002");
      const known = await r.handler({});

      assert.deepEqual(unknown.unverified, ["t-api", "t-web"]);
      assert.deepEqual(afterUnknown, before);
      assert.match(JSON.stringify(r.statusLine()), /names ami-0a1b2c3d4e5f60009, which is no image in this region/);
      assert.notDeepEqual(before, r.shape(), "the available image is rolled out");
      assert.equal(known.status, "ok");
    } finally {
      await r.fleet.close();
    }
  });
});
