// What a sweep records of the current version: converged as `release --wait` means it (every instance on the
// version, healthy, as many as desired, and at least one), written after each sweep with a condition, a damaged
// record replaced, a lost race leaving the winner's.
import * as assert from "node:assert/strict";
import { CONVERGENCE_KEY } from "../../../runtime/contract";
import { observeConvergence, readConvergence, recordConvergence } from "../../../runtime/ops/convergence";
import { MemoryObjectStore } from "../../support/memory-store";
import { answeringSnapshot, promotionFleet } from "../../support/promotion";

const AT = "2026-01-01T09:00:00.000Z";

describe("the convergence record a sweep writes", () => {
  it("sees every tier converged when every instance answers the version, healthy, as many as desired", () => {
    const seen = observeConvergence(answeringSnapshot(promotionFleet("test"), "1.0.274", AT), AT);

    assert.equal(seen.converged, true);
    assert.deepEqual(seen.tiers, {
      api: { group: "test-api", instances: ["test-api-0"] },
      web: { group: "test-web", instances: ["test-web-0", "test-web-1"] },
    });
  });

  it("does not count a tier scaled to zero as converged: nothing runs the version there", () => {
    const state = promotionFleet("test");
    state.groups[1].desiredCapacity = 0;
    state.groups[1].instances = [];

    const seen = observeConvergence(answeringSnapshot(state, "1.0.274", AT), AT);

    assert.equal(seen.converged, false);
    assert.equal(seen.reason, "api: no instance runs 1.0.274 (desired capacity 0)");
  });

  it("records nothing, and reads nothing, while nothing is published", async () => {
    const store = new MemoryObjectStore();
    const get = store.get.bind(store);
    let reads = 0;
    store.get = (key) => {
      reads += 1;
      return get(key);
    };
    const snapshot = { ...answeringSnapshot(promotionFleet("test"), "1.0.274", AT), desiredVersion: undefined };

    assert.equal(await recordConvergence(store, snapshot, AT), undefined);
    assert.equal(reads, 0);
    assert.deepEqual(store.writes, []);
  });

  it("replaces a record that is not one, and reads back what it wrote", async () => {
    const store = new MemoryObjectStore();
    store.seed(CONVERGENCE_KEY, "not json");

    const written = await recordConvergence(store, answeringSnapshot(promotionFleet("test"), "1.0.274", AT), AT);

    assert.deepEqual(await readConvergence(store), written);
    assert.equal(written?.convergedAt, AT);
  });

  it("keeps the other writer's record when it lost the race to write", async () => {
    const store = new MemoryObjectStore();
    store.hold(CONVERGENCE_KEY, () => {
      store.seed(CONVERGENCE_KEY, "{}");
      return Promise.resolve();
    });

    const written = await recordConvergence(store, answeringSnapshot(promotionFleet("test"), "1.0.274", AT), AT);

    assert.equal(written, undefined);
    assert.equal(store.text(CONVERGENCE_KEY), "{}");
  });

  it("fails when the store refuses the write for any other reason, for the sweep to log", async () => {
    const store = new MemoryObjectStore();
    store.put = () => Promise.reject(new Error("Access Denied"));

    await assert.rejects(
      recordConvergence(store, answeringSnapshot(promotionFleet("test"), "1.0.274", AT), AT),
      /Access Denied/,
    );
  });
});
