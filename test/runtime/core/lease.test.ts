// The sweep lease as data (runtime/core/lease.ts): what a reader makes of the object at the lease key, timed by the
// store's own clock when it reports one, by the reader's with a skew margin when it does not.
import * as assert from "node:assert/strict";
import { LEASE_CLOCK_SKEW_SECONDS, LEASE_SAFETY_SECONDS, LEASE_TTL_SECONDS, LIMITS } from "../../../runtime/contract";
import { describeLease, leaseBody, newLease, readLease } from "../../../runtime/core/lease";

const T0 = Date.parse("2026-11-26T04:00:00.000Z");
const CLAIM = { holder: "0123456789ab", who: "alice@laptop pid 4242", purpose: "phoenix sweep" };

function stored(body: string | Buffer, times: { writtenMs?: number; readMs?: number } = {}) {
  return {
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    etag: '"etag-1"',
    ...(times.writtenMs !== undefined && { lastModified: new Date(times.writtenMs).toISOString() }),
    ...(times.readMs !== undefined && { readAt: new Date(times.readMs).toISOString() }),
  };
}

describe("the sweep lease document", () => {
  it("outlasts any sweep the Lambda can run, with room for the holder to stop first", () => {
    assert.ok(LEASE_TTL_SECONDS - LEASE_SAFETY_SECONDS > LIMITS.rolloutTimeoutSeconds.max);
  });

  it("is free when nothing was ever written", () => {
    assert.deepEqual(readLease(undefined, T0), { state: "free", why: "no sweep has taken it yet" });
  });

  it("is held, with the holder's id, until the store's own clock says its ttl is over", () => {
    const body = leaseBody(newLease(CLAIM, T0));
    const young = readLease(stored(body, { writtenMs: T0, readMs: T0 + (LEASE_TTL_SECONDS - 1) * 1000 }), 0);
    const old = readLease(stored(body, { writtenMs: T0, readMs: T0 + LEASE_TTL_SECONDS * 1000 }), 0);

    assert.equal(young.state, "held");
    assert.equal(young.state === "held" && young.id, "0123456789ab");
    assert.equal(old.state, "free");
    assert.match(old.state === "free" ? old.why : "", /^lapsed: written 1200 s ago by the store's clock/);
  });

  it("ignores the reader's clock when the store reports its own, so a skewed laptop cannot lapse a live lease", () => {
    const body = leaseBody(newLease(CLAIM, T0));
    const readerAnHourAhead = T0 + 3_600_000;

    assert.equal(readLease(stored(body, { writtenMs: T0, readMs: T0 + 60_000 }), readerAnHourAhead).state, "held");
  });

  it("without the store's clock, lapses only past expiresAt plus the skew margin by the reader's clock", () => {
    const lease = newLease(CLAIM, T0);
    const expires = Date.parse(lease.expiresAt);

    assert.equal(readLease(stored(leaseBody(lease)), expires + LEASE_CLOCK_SKEW_SECONDS * 1000).state, "held");
    assert.equal(readLease(stored(leaseBody(lease)), expires + LEASE_CLOCK_SKEW_SECONDS * 1000 + 1).state, "free");
  });

  it("is free once released, and says who held it last", () => {
    const released = { ...newLease(CLAIM, T0), releasedAt: "2026-11-26T04:00:30.000Z" };

    const view = readLease(stored(leaseBody(released), { writtenMs: T0, readMs: T0 }), T0);

    assert.equal(view.state, "free");
    assert.equal(
      describeLease(view),
      "free (last held by 0123456789ab, alice@laptop pid 4242, phoenix sweep; released at 2026-11-26T04:00:30.000Z)",
    );
  });

  for (const [what, text] of [
    ["not JSON", "locked by bob"],
    ["another tool's lock", '{"owner":"terraform","id":"x"}'],
    ["a lease with a silly ttl", JSON.stringify({ ...newLease(CLAIM, T0), ttlSeconds: 0 })],
    ["a lease without a holder", JSON.stringify({ ...newLease(CLAIM, T0), holder: "" })],
  ]) {
    it(`treats ${what} as foreign: held, its content quoted, breakable only by its entity tag`, () => {
      const view = readLease(stored(text, { writtenMs: T0, readMs: T0 + 86_400_000 }), T0);

      assert.equal(view.state, "foreign");
      assert.equal(view.state === "foreign" && view.id, "etag-1");
      assert.ok(describeLease(view).includes(text.slice(0, 20)));
    });
  }

  it("says who holds it and since when", () => {
    const view = readLease(stored(leaseBody(newLease(CLAIM, T0)), { writtenMs: T0, readMs: T0 }), T0);

    assert.equal(
      describeLease(view),
      "held by 0123456789ab (alice@laptop pid 4242, phoenix sweep) since 2026-11-26T04:00:00.000Z, until " +
        "2026-11-26T04:20:00.000Z at the latest",
    );
  });
});
