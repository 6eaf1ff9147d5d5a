import * as assert from "node:assert/strict";
import { CONVERGENCE_KIND } from "../../../runtime/contract";
import {
  ConvergenceObservation,
  ConvergenceRecord,
  nextConvergenceRecord,
  parseConvergenceRecord,
  soakedMinutes,
} from "../../../runtime/core/convergence";

function seen(at: string, extra: Partial<ConvergenceObservation> = {}): ConvergenceObservation {
  return {
    environment: "test",
    version: "1.0.274",
    converged: true,
    tiers: { web: { group: "test-web", instances: ["i-1", "i-2"] }, api: { group: "test-api", instances: ["i-3"] } },
    at,
    ...extra,
  };
}

/** The records a run of sweeps leaves, each from the one before. */
function sweeps(...observations: ConvergenceObservation[]): ConvergenceRecord | undefined {
  return observations.reduce<ConvergenceRecord | undefined>((r, o) => nextConvergenceRecord(r, o) ?? r, undefined);
}

describe("the convergence record", () => {
  it("starts converged at the first sweep that sees every tier on the version", () => {
    const record = sweeps(seen("2026-01-01T09:00:00.000Z"));

    assert.equal(record?.kind, CONVERGENCE_KIND);
    assert.equal(record?.convergedAt, "2026-01-01T09:00:00.000Z");
    assert.equal(record?.checkedAt, "2026-01-01T09:00:00.000Z");
  });

  it("keeps the time it converged while later sweeps see the same, and measures the soak between two sweeps", () => {
    const record = sweeps(
      seen("2026-01-01T09:00:00.000Z"),
      seen("2026-01-01T09:05:00.000Z"),
      seen("2026-01-01T09:42:00.000Z"),
    );

    assert.equal(record?.convergedAt, "2026-01-01T09:00:00.000Z");
    assert.equal(record?.checkedAt, "2026-01-01T09:42:00.000Z");
    assert.equal(soakedMinutes(record), 42);
  });

  it("starts again after a sweep that saw it not converged, saying why", () => {
    const broken = sweeps(
      seen("2026-01-01T09:00:00.000Z"),
      seen("2026-01-01T09:20:00.000Z", { converged: false, reason: "web: 1/2 on 1.0.274, i-2 is unhealthy" }),
    );
    const again = nextConvergenceRecord(broken, seen("2026-01-01T09:25:00.000Z"));

    assert.equal(broken?.convergedAt, null);
    assert.equal(broken?.reason, "web: 1/2 on 1.0.274, i-2 is unhealthy");
    assert.equal(soakedMinutes(broken), 0);
    assert.equal(again?.convergedAt, "2026-01-01T09:25:00.000Z");
    assert.equal(again?.reason, undefined);
  });

  it("starts again when an instance joined a tier between two converged sweeps, but not when one left", () => {
    const joined = sweeps(
      seen("2026-01-01T09:00:00.000Z"),
      seen("2026-01-01T09:05:00.000Z", {
        tiers: {
          web: { group: "test-web", instances: ["i-1", "i-9"] },
          api: { group: "test-api", instances: ["i-3"] },
        },
      }),
    );
    const left = sweeps(
      seen("2026-01-01T09:00:00.000Z"),
      seen("2026-01-01T09:05:00.000Z", {
        tiers: { web: { group: "test-web", instances: ["i-1"] }, api: { group: "test-api", instances: ["i-3"] } },
      }),
    );

    assert.equal(joined?.convergedAt, "2026-01-01T09:05:00.000Z");
    assert.equal(left?.convergedAt, "2026-01-01T09:00:00.000Z");
  });

  it("starts again for a new version", () => {
    const record = sweeps(seen("2026-01-01T09:00:00.000Z"), seen("2026-01-01T09:05:00.000Z", { version: "1.0.275" }));

    assert.equal(record?.version, "1.0.275");
    assert.equal(record?.convergedAt, "2026-01-01T09:05:00.000Z");
  });

  it("records nothing while nothing is published", () => {
    assert.equal(nextConvergenceRecord(undefined, seen("2026-01-01T09:00:00.000Z", { version: undefined })), undefined);
  });

  it("reads back what it wrote, and refuses a document that is not one", () => {
    const record = sweeps(seen("2026-01-01T09:00:00.000Z"))!;

    assert.deepEqual(parseConvergenceRecord(JSON.stringify(record)), record);
    assert.throws(() => parseConvergenceRecord("{}"), /is not a phoenix convergence record/);
    assert.throws(
      () => parseConvergenceRecord(JSON.stringify({ ...record, convergedAt: "yesterday" })),
      /must hold environment, a version, checkedAt, convergedAt/,
    );
    assert.throws(() => parseConvergenceRecord("nope"), /is not JSON/);
  });
});
