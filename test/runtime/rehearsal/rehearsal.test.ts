// The local rehearsal: its disk release store and local fleet behave like S3 and Auto Scaling, and every scenario,
// driven by the real runtime at full clock speed, reaches its outcome without ever going below the floor.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { Command } from "commander";
import { PreconditionFailedError } from "../../../runtime/core/errors";
import { buildArtifact, readArtifact } from "../../../runtime/rehearsal/artifact";
import { Prng, SimClock } from "../../../runtime/rehearsal/clock";
import { registerRehearseCommand } from "../../../runtime/cli/rehearse-command";
import { DiskObjectStore } from "../../../runtime/rehearsal/disk-store";
import { defaultTiming, LocalFleet } from "../../../runtime/rehearsal/local-fleet";
import { runRehearsal, RehearsalOptions, RehearsalResult } from "../../../runtime/rehearsal/rehearsal";
import { BAD_VERSION, NEW_IMAGE, NEW_VERSION, OLD_VERSION } from "../../../runtime/rehearsal/scenarios";
import { MANIFEST_KEY } from "../../../runtime/contract";

let tmp: string;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-rehearsal-test-"));
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function workDir(name: string): string {
  return path.join(tmp, name);
}

function rehearse(scenario: string, extra: Partial<RehearsalOptions> = {}): Promise<RehearsalResult> {
  return runRehearsal({
    scenario,
    workDir: workDir(`${scenario}-${extra.seed ?? 1}-${extra.mode ?? "phoenix"}-${extra.strategy ?? "default"}`),
    ...extra,
  });
}

/** Tags open and close in order (a well-formedness check without an XML parser); returns the first problem. */
function unbalancedTag(xml: string): string | undefined {
  const stack: string[] = [];
  for (const [, closing, name, selfClosing] of xml.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) return `</${name}> closes nothing open`;
  }
  return stack.length === 0 ? undefined : `<${stack.at(-1)}> is never closed`;
}

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

describe("the rehearsal's disk release store", () => {
  it("returns what was put, with an S3-style entity tag and the sha256 it verified", async () => {
    const store = new DiskObjectStore(workDir("store-basic"));
    const body = Buffer.from("hello");
    const sha256 = createHash("sha256").update(body).digest("base64");

    const { etag } = await store.put("releases/1.0.0/web.zip", body, { sha256 });

    assert.deepEqual(await store.get("releases/1.0.0/web.zip"), { body, etag });
    assert.deepEqual(await store.head("releases/1.0.0/web.zip"), { etag, size: 5, sha256 });
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.equal(await store.get("releases/9.9.9/web.zip"), undefined);
  });

  it("refuses a body whose sha256 does not match and writes nothing", async () => {
    const store = new DiskObjectStore(workDir("store-sha"));

    await assert.rejects(store.put("a/b.zip", Buffer.from("x"), { sha256: "AAAA" }), /does not match/);

    assert.equal(await store.head("a/b.zip"), undefined);
  });

  it("loses conditional writes cleanly: ifNoneMatch on an existing key, ifMatch on a changed one", async () => {
    const store = new DiskObjectStore(workDir("store-conditions"));
    const first = await store.put(MANIFEST_KEY, Buffer.from("1"), { ifNoneMatch: "*" });
    await store.put(MANIFEST_KEY, Buffer.from("2"), { ifMatch: first.etag });

    await assert.rejects(store.put(MANIFEST_KEY, Buffer.from("3"), { ifNoneMatch: "*" }), PreconditionFailedError);
    await assert.rejects(store.put(MANIFEST_KEY, Buffer.from("3"), { ifMatch: first.etag }), PreconditionFailedError);

    assert.equal((await store.get(MANIFEST_KEY))?.body.toString(), "2");
  });

  it("lists keys under a prefix in lexical order, never its own metadata", async () => {
    const store = new DiskObjectStore(workDir("store-list"));
    for (const key of ["releases/1.0.10/web.zip", "releases/1.0.9/web.zip", "releases/current.json", "other/x"]) {
      await store.put(key, Buffer.from(key));
    }

    const keys = await store.list("releases/");

    assert.deepEqual(keys, ["releases/1.0.10/web.zip", "releases/1.0.9/web.zip", "releases/current.json"]);
  });

  it("rejects keys that would escape its directory", async () => {
    const store = new DiskObjectStore(workDir("store-keys"));

    await assert.rejects(store.put("../escape", Buffer.from("x")), /not a plain relative key/);
  });
});

describe("the rehearsal's artifacts", () => {
  it("are zip files the release code accepts, carrying the build an instance installs", () => {
    const zip = buildArtifact({ tier: "web", version: "1.2.3", broken: true });

    assert.equal(zip.readUInt32LE(0), 0x04034b50);
    assert.deepEqual(readArtifact(zip), { tier: "web", version: "1.2.3", broken: true });
  });
});

describe("the local fleet", () => {
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

describe("rehearsal scenarios, driven by the real runtime", () => {
  let original: RehearsalResult;
  let chartPath: string;

  before(async () => {
    chartPath = path.join(tmp, "chart", "rollout.svg");
    original = await rehearse("original", { chartPath });
  });

  function assertFloorHeld(result: RehearsalResult) {
    assert.deepEqual(result.breaches, []);
    assert.equal(result.floorBreached, false);
    for (const t of result.tiers)
      assert.ok(t.lowestInService >= Math.min(t.floor, 3), `${t.tier} went below the floor`);
  }

  it("original: web and API converge from 1.0.266 on 1.0.274 without going below the floor", () => {
    const result = original;

    assert.equal(result.ok, true, result.outcome);
    assert.ok(result.convergedAtMinutes !== undefined && result.convergedAtMinutes > result.bootMinutes);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.deepEqual(t.finalVersions, { [NEW_VERSION]: 3 });
      assert.equal(t.launched, 3, "one launch per replaced instance");
      assert.equal(t.desired, 3);
    }
  });

  it("the original behaviour (schedule only, replace, floor 1): one replaced at release, the rest down to the floor", async () => {
    const scheduleOnly = await rehearse("original", { mode: "original" });

    assert.equal(scheduleOnly.ok, true, scheduleOnly.outcome);
    assert.ok(scheduleOnly.convergedAtMinutes! >= original.convergedAtMinutes!, "never sooner than phoenix's");
    for (const t of scheduleOnly.tiers) {
      assert.equal(t.terminated.release, 1, "the release handler replaces exactly one instance per tier");
      assert.equal(t.lowestInService, 1);
    }
    assert.ok(
      scheduleOnly.decisions.some((d) =>
        / => lowest version 1\.0\.266, highest version 1\.0\.274, 2 instances/.test(d),
      ),
    );
  });

  it("bad-release: the rollout stops itself, the old version still serving with capacity intact", async () => {
    const result = await rehearse("bad-release");

    assert.equal(result.ok, true, result.outcome);
    assert.equal(result.convergedAtMinutes, undefined);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.equal(t.desired, 3);
      assert.ok(t.finalVersions[OLD_VERSION] >= 2);
      assert.equal(t.finalVersions[BAD_VERSION], undefined);
    }
  });

  it("bad-release by replace: one instance is lost to the release, and no sweep terminates anything after", async () => {
    const result = await rehearse("bad-release", { strategy: "replace" });

    assert.equal(result.ok, true, result.outcome);
    for (const t of result.tiers) {
      assert.equal(t.terminated.release, 1);
      assert.equal(t.terminated.sweep, 0, "no sweep terminates anything in a group that never becomes stable");
      assert.deepEqual(t.finalVersions, { [OLD_VERSION]: 2 });
    }
  });

  it("rollback: the fleet converges back on 1.0.266", async () => {
    fs.mkdirSync(workDir("rollback-1-phoenix-default"), { recursive: true });
    fs.writeFileSync(path.join(workDir("rollback-1-phoenix-default"), "keep.txt"), "not the rehearsal's");
    fs.writeFileSync(path.join(workDir("rollback-1-phoenix-default"), "sweeps.jsonl"), "a previous run's log\n");

    const result = await rehearse("rollback");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) assert.deepEqual(t.finalVersions, { [OLD_VERSION]: 3 });
    assert.ok(
      fs.existsSync(path.join(workDir("rollback-1-phoenix-default"), "keep.txt")),
      "only its own files are replaced",
    );
    assert.doesNotMatch(fs.readFileSync(result.sweepLogPath, "utf8"), /a previous run/);
  });

  it("image: a new base image replaces every instance, the version unchanged", async () => {
    const result = await rehearse("image");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    assert.ok(result.samples.some((s) => s.series === `${OLD_VERSION} on ${NEW_IMAGE}` && s.inService === 3));
  });

  for (const strategy of ["surge", "replace"] as const) {
    it(`scale-out by ${strategy}: the web tier grows from 3 to 6 mid-rollout and still converges`, async () => {
      const result = await rehearse("scale-out", { strategy });

      assert.equal(result.ok, true, result.outcome);
      assertFloorHeld(result);
      assert.deepEqual(result.tiers.find((t) => t.tier === "web")!.finalVersions, { [NEW_VERSION]: 6 });
    });
  }

  it("age: every instance past maxInstanceAgeHours is recycled within the floor", async () => {
    const result = await rehearse("age");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) assert.equal(t.terminated.sweep, 3);
  });

  it("a larger fleet (6 per tier) replaced in place converges with a floor of half its capacity, never below it", async () => {
    const result = await rehearse("large", { instances: 6, floorPercent: 50, strategy: "replace" });

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.equal(t.floor, 3);
      assert.equal(t.lowestInService, 3);
    }
  });

  it("surge: replacements launch first, so every tier keeps full capacity and converges", async () => {
    const result = await rehearse("surge");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) {
      assert.equal(t.lowestInService, 3);
      assert.deepEqual(t.finalVersions, { [NEW_VERSION]: 3 });
      assert.equal(t.desired, 3, "desired capacity is back at its baseline");
    }
  });

  it("surge-abort: a broken release is aborted, the old version serving at full capacity throughout", async () => {
    const result = await rehearse("surge-abort");

    assert.equal(result.ok, true, result.outcome);
    for (const t of result.tiers) {
      assert.equal(t.lowestInService, 3);
      assert.equal(t.desired, 3, "the abort restores the baseline");
      assert.deepEqual(t.finalVersions, { [OLD_VERSION]: 3 });
    }
  });

  it("surge-no-room: with max size at desired capacity the rollout falls back to replace and converges", async () => {
    const result = await rehearse("surge-no-room");

    assert.equal(result.ok, true, result.outcome);
    assertFloorHeld(result);
    for (const t of result.tiers) assert.ok(t.lowestInService < 3, "replace takes instances out before replacing them");
  });

  it("a replace rollout the floor forbids does not converge, and the outcome says why", async () => {
    const result = await rehearse("original", { floor: 3, strategy: "replace" });

    assert.equal(result.ok, false);
    assert.equal(result.convergedAtMinutes, undefined);
    assert.match(result.outcome, /did not converge on 1\.0\.274 .*none above the floor of 3/);
    for (const t of result.tiers) assert.equal(t.launched, 0);
  });

  it("the same seed takes the same path", async () => {
    const again = await rehearse("original", { seed: 1 });

    assert.deepEqual(again.decisions, original.decisions);
    assert.equal(again.convergedAtMinutes, original.convergedAtMinutes);
  });

  it("draws an SVG chart holding each tier and version series", () => {
    const svg = fs.readFileSync(chartPath, "utf8");

    assert.equal(original.chartPath, chartPath);
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\s*$/);
    assert.equal(unbalancedTag(svg), undefined);
    assert.equal(svg.match(/aria-label="floor: 1"/g)?.length, 2, "one floor rule per tier");
    for (const label of ["web", "api", OLD_VERSION, NEW_VERSION]) assert.ok(svg.includes(`>${label}</text>`), label);
  });
});

describe("phoenix rehearse", () => {
  it("lists every scenario and knob in its help", () => {
    const program = new Command("phoenix");
    registerRehearseCommand(program);

    const help = program.commands.find((c) => c.name() === "rehearse")!.helpInformation();

    for (const flag of ["--scenario", "--boot", "--floor", "--instances", "--speed", "--seed", "--chart", "--mode"]) {
      assert.ok(help.includes(flag), flag);
    }
  });

  it("refuses an unknown scenario before running anything", async () => {
    const program = new Command("phoenix").exitOverride().configureOutput({ writeErr: () => undefined });
    registerRehearseCommand(program);
    program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));

    await assert.rejects(program.parseAsync(["node", "phoenix", "rehearse", "--scenario", "nope"]), /Allowed choices/);
  });
});
