// OS patching as just another rollout: when the pipeline publishes a new AMI id to the base-image parameter, the
// terminator's plan marks every instance on the old image stale ("image drift") and replaces them sweep after sweep,
// never below the floor, until the whole fleet runs the new image. The Auto Scaling side is simulated here: the
// plan's terminations are applied to the snapshot and replacements launch from whatever the parameter says then,
// exactly as a launch template with `resolve:ssm:` does.
import * as assert from "node:assert/strict";
import { formatPlan } from "../../../runtime/cli/plan-text";
import { resolveImageSource } from "../../../ami/image-source";
import { floorFor, plan } from "../../../runtime/core/planner";
import { FleetSnapshot, GroupSnapshot, InstanceSnapshot, Plan, Policy } from "../../../runtime/core/types";
import { baseImageParameterName } from "../../../runtime/contract";

const VERSION = "1.0.274";
const OLD_IMAGE = "ami-0aaaaaaaaaaaaaaa1";
const NEW_IMAGE = "ami-0bbbbbbbbbbbbbbb2";
const TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/live-web/0123456789abcdef";
const SWEEP_MS = 5 * 60_000;

function inService(id: string, imageId: string, launchTime: string): InstanceSnapshot {
  return {
    id,
    lifecycleState: "InService",
    asgHealth: "Healthy",
    lbHealth: { [TG]: "healthy" },
    launchTime,
    imageId,
    privateIp: `10.0.1.${id.length}`,
    probe: { ok: true, version: VERSION },
  };
}

function group(tier: string, desired: number, imageId: string, start: Date): GroupSnapshot {
  return {
    name: `live-${tier}`,
    tier,
    desiredCapacity: desired,
    minSize: 1,
    maxSize: desired * 2,
    port: 80,
    targetGroupArns: [TG],
    tags: { "phoenix:environment": "live", "phoenix:tier": tier },
    instances: Array.from({ length: desired }, (_, i) =>
      inService(`i-${tier}-0${i}`, imageId, new Date(start.getTime() - (i + 1) * 86_400_000).toISOString()),
    ),
  };
}

/** The fleet as the pipeline left it last month: everything on the old image, which is also the parameter's value. */
function patchedLastMonth(readAt: Date): FleetSnapshot {
  return {
    environment: "live",
    readAt: readAt.toISOString(),
    desiredVersion: VERSION,
    desiredImageId: OLD_IMAGE,
    groups: [group("web", 3, OLD_IMAGE, readAt), group("api", 4, OLD_IMAGE, readAt)],
  };
}

/**
 * What Auto Scaling does between two sweeps: terminated instances go, instances that were launching finish booting
 * and pass health checks, and missing capacity is launched from the launch template, whose `resolve:ssm:` image id
 * means "whatever the base-image parameter holds right now".
 */
function autoScale(snapshot: FleetSnapshot, executed: Plan, parameterValue: string, launchCounter: { n: number }) {
  const readAt = new Date(new Date(snapshot.readAt).getTime() + SWEEP_MS);
  const groups = snapshot.groups.map((g) => {
    const gone = new Set(executed.groups.find((p) => p.name === g.name)?.terminate ?? []);
    const kept = g.instances
      .filter((i) => !gone.has(i.id))
      .map((i) => (i.lifecycleState === "Pending" ? inService(i.id, i.imageId!, i.launchTime) : i));
    const launched: InstanceSnapshot[] = [];
    for (let k = kept.length; k < g.desiredCapacity; k++) {
      launchCounter.n += 1;
      launched.push({
        id: `i-${g.tier}-new${launchCounter.n}`,
        lifecycleState: "Pending",
        asgHealth: "Healthy",
        lbHealth: { [TG]: "initial" },
        launchTime: readAt.toISOString(),
        imageId: parameterValue,
        probe: { ok: false, error: "connect ECONNREFUSED" },
      });
    }
    return { ...g, instances: [...kept, ...launched] };
  });
  return { ...snapshot, readAt: readAt.toISOString(), desiredImageId: parameterValue, groups };
}

/** Sweeps until a plan terminates nothing and every instance is healthy on the parameter's image, or gives up. */
function sweepUntilConverged(start: FleetSnapshot, parameterValue: string, policy: Policy, maxSweeps = 40) {
  const plans: Plan[] = [];
  const snapshots: FleetSnapshot[] = [];
  let snapshot: FleetSnapshot = { ...start, desiredImageId: parameterValue };
  const counter = { n: 0 };
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    snapshots.push(snapshot);
    const p = plan(snapshot, policy);
    plans.push(p);
    const allCurrent = snapshot.groups.every((g) =>
      g.instances.every((i) => i.imageId === parameterValue && i.lifecycleState === "InService"),
    );
    if (allCurrent && p.groups.every((g) => g.terminate.length === 0)) break;
    snapshot = autoScale(snapshot, p, parameterValue, counter);
  }
  return { plans, snapshots, final: snapshots[snapshots.length - 1] };
}

describe("patching as a rollout: the base-image parameter moves and the fleet follows", () => {
  const start = new Date("2026-12-16T06:00:00Z");
  // The replace strategy: this simulation models terminations without the surge's desired-capacity changes.
  const policy: Policy = { minHealthy: 1, minHealthyPercent: 66, strategy: "replace" };

  it("reads the same parameter the pipeline writes and the launch templates resolve", () => {
    const source = resolveImageSource({ environment: "live", platform: "linux", pipelineEnabled: true });

    assert.equal(baseImageParameterName("live"), "/phoenix/live/base-image");
    assert.equal(source.imageId, `resolve:ssm:${baseImageParameterName("live")}`);
  });

  it("leaves a fleet alone while the parameter still names the image it runs", () => {
    const result = plan(patchedLastMonth(start), policy);

    for (const g of result.groups) {
      assert.deepEqual(g.terminate, []);
      assert.match(g.reason, /^converged/);
    }
  });

  it("marks every instance on the old image stale with image drift once the parameter moves", () => {
    const moved = { ...patchedLastMonth(start), desiredImageId: NEW_IMAGE };

    const result = plan(moved, policy);

    for (const g of result.groups) {
      assert.equal(g.desiredImageId, NEW_IMAGE);
      assert.ok(
        g.instances.every((i) => i.stale && i.reasons.join() === "image"),
        JSON.stringify(g.instances),
      );
      assert.match(g.reason, /image drift/);
    }
    assert.ok(
      formatPlan(result).some((line) => line.includes(`image drift ${OLD_IMAGE} (want ${NEW_IMAGE})`)),
      formatPlan(result).join("\n"),
    );
  });

  it("replaces within the floor on every sweep until every instance runs the new image", () => {
    const { plans, snapshots, final } = sweepUntilConverged(patchedLastMonth(start), NEW_IMAGE, policy);

    for (let s = 0; s < plans.length; s++) {
      for (const g of plans[s].groups) {
        const before = snapshots[s].groups.find((x) => x.name === g.name)!;
        const floor = floorFor(before.desiredCapacity, policy);
        assert.equal(g.floor, floor);
        assert.ok(g.healthy - g.terminate.length >= floor, `sweep ${s} ${g.name}: ${g.reason}`);
      }
    }
    for (const g of final.groups) {
      assert.equal(g.instances.length, g.desiredCapacity);
      assert.ok(g.instances.every((i) => i.imageId === NEW_IMAGE && i.lifecycleState === "InService"));
    }
    assert.ok(plans[plans.length - 1].groups.every((g) => g.terminate.length === 0 && /^converged/.test(g.reason)));
  });

  it("takes several sweeps, as the floor allows: one web instance at a time at a 66% floor of 3", () => {
    const { plans } = sweepUntilConverged(patchedLastMonth(start), NEW_IMAGE, policy);

    const webTerminations = plans.map((p) => p.groups.find((g) => g.tier === "web")!.terminate.length);
    assert.ok(Math.max(...webTerminations) === 1, `web terminations per sweep: ${webTerminations.join(",")}`);
    assert.equal(
      webTerminations.reduce((a, b) => a + b, 0),
      3,
    );
  });

  it("converges in two sweeps per replacement of the largest group, plus the sweep that finds nothing to do", () => {
    // api has 4 instances and room for 1 at a time: terminate, wait for the replacement to pass health checks, repeat.
    const { plans } = sweepUntilConverged(patchedLastMonth(start), NEW_IMAGE, policy);

    assert.equal(plans.length, 2 * 4 + 1);
  });

  it("never terminates an instance already on the new image", () => {
    const { plans, snapshots } = sweepUntilConverged(patchedLastMonth(start), NEW_IMAGE, policy);

    for (let s = 0; s < plans.length; s++) {
      const images = new Map(snapshots[s].groups.flatMap((g) => g.instances.map((i) => [i.id, i.imageId])));
      for (const g of plans[s].groups) {
        for (const id of g.terminate) assert.equal(images.get(id), OLD_IMAGE, `sweep ${s} terminated ${id}`);
      }
    }
  });

  it("does nothing while replacements are still booting", () => {
    const moved = { ...patchedLastMonth(start), desiredImageId: NEW_IMAGE };
    const first = plan(moved, policy);
    // Auto Scaling has launched the replacements; they are still Pending when the next sweep reads the fleet.
    const booting = autoScale(moved, first, NEW_IMAGE, { n: 0 });

    const result = plan(booting, policy);

    for (const g of result.groups) {
      assert.equal(g.stable, false);
      assert.deepEqual(g.terminate, []);
    }
  });

  it("replaces nothing for image reasons when no base-image parameter exists", () => {
    const noParameter = { ...patchedLastMonth(start), desiredImageId: undefined };

    const result = plan(noParameter, policy);

    assert.ok(result.groups.every((g) => g.terminate.length === 0 && g.instances.every((i) => !i.stale)));
  });
});
