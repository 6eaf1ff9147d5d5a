// Taking, checking and giving back the sweep lease over an object store with conditional writes
// (runtime/ops/lease.ts): one winner when two race for it, a lapsed or released lease taken over, a live or foreign
// one refused unless broken by its exact id, and a holder that notices it lost the lease.
import * as assert from "node:assert/strict";
import { SWEEP_LEASE_KEY } from "../../../runtime/contract";
import {
  acquireLease,
  isLeaseHeld,
  LeaseHeldError,
  peekLease,
  LeaseRecord,
  withLease,
} from "../../../runtime/ops/lease";
import { MemoryObjectStore } from "../../support/memory-store";

const T0 = Date.parse("2026-11-26T04:00:00.000Z");

function claim(holder: string, breakLease?: string) {
  return { holder, who: `${holder}@host pid 1`, purpose: "phoenix sweep", ...(breakLease && { breakLease }) };
}

/** A store whose clock the test moves, and the holder's clock moving with it. */
function setUp() {
  const store = new MemoryObjectStore();
  let now = T0;
  store.clock = () => now;
  return { store, deps: { store, now: () => now }, advance: (ms: number) => (now += ms) };
}

async function refusal(promise: Promise<unknown>): Promise<LeaseHeldError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isLeaseHeld(err), `expected LeaseHeldError, got ${String(err)}`);
    return err;
  }
  assert.fail("the lease was taken");
}

describe("the sweep lease", () => {
  it("is taken with If-None-Match when nobody ever wrote it, and given back with If-Match", async () => {
    const { store, deps } = setUp();
    const puts: string[] = [];
    const put = store.put.bind(store);
    store.put = (key, body, options) => {
      puts.push(JSON.stringify(options));
      return put(key, body, options);
    };

    const lease = await acquireLease(deps, claim("aaaaaaaaaaaa"));
    assert.equal((await peekLease(deps)).state, "held");
    await lease.release();

    assert.match(puts[0], /"ifNoneMatch":"\*"/);
    assert.match(puts[1], new RegExp(`"ifMatch":${JSON.stringify(JSON.stringify(lease.etag)).slice(1, -1)}`));
    const after = await peekLease(deps);
    assert.equal(after.state, "free");
    assert.equal(after.state === "free" && after.last?.holder, "aaaaaaaaaaaa");
  });

  it("has exactly one winner when two sweepers read it free and write at once", async () => {
    const { store, deps } = setUp();
    // Both read "free" first, then both write: the conditional write lets one through.
    let arrived = 0;
    let open: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => (open = resolve));
    store.hold(SWEEP_LEASE_KEY, async () => {
      arrived += 1;
      if (arrived === 2) open();
      await bothRead;
    });

    const results = await Promise.allSettled([
      acquireLease(deps, claim("aaaaaaaaaaaa")),
      acquireLease(deps, claim("bbbbbbbbbbbb")),
    ]);

    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected"],
    );
    const loser = (results[1] as PromiseRejectedResult).reason as LeaseHeldError;
    assert.match(loser.message, /^another sweep holds the lease of this environment: held by aaaaaaaaaaaa/);
  });

  it("refuses a live lease, saying who holds it, since when, and how to break it", async () => {
    const { deps, advance } = setUp();
    await acquireLease(deps, claim("aaaaaaaaaaaa"));
    advance(60_000);

    const err = await refusal(acquireLease(deps, claim("bbbbbbbbbbbb")));

    assert.equal(
      err.message,
      "another sweep holds the lease of this environment: held by aaaaaaaaaaaa (aaaaaaaaaaaa@host pid 1, phoenix " +
        "sweep) since 2026-11-26T04:00:00.000Z, until 2026-11-26T04:20:00.000Z at the latest; nothing was done. " +
        "Try again when it is done; if that sweep is dead, --break-lease aaaaaaaaaaaa takes the lease from it",
    );
  });

  it("is taken over from a holder that died once its ttl is over, saying from whom", async () => {
    const { deps, advance } = setUp();
    await acquireLease(deps, claim("aaaaaaaaaaaa"));
    advance(20 * 60_000);

    const lease = await acquireLease(deps, claim("bbbbbbbbbbbb"));

    assert.equal(lease.tookOver?.from, "aaaaaaaaaaaa");
    assert.match(lease.tookOver?.why ?? "", /^lapsed/);
  });

  it("is broken only by the holder's exact id, and the holder that lost it stops at its next check", async () => {
    const { deps } = setUp();
    const first = await acquireLease(deps, claim("aaaaaaaaaaaa"));

    const wrong = await refusal(acquireLease(deps, claim("bbbbbbbbbbbb", "aaaaaaaaaaa")));
    const broken = await acquireLease(deps, claim("bbbbbbbbbbbb", "aaaaaaaaaaaa"));

    assert.match(wrong.message, /--break-lease aaaaaaaaaaa does not name it: it is aaaaaaaaaaaa/);
    assert.deepEqual(broken.tookOver, { from: "aaaaaaaaaaaa", why: "broken with --break-lease aaaaaaaaaaaa" });
    assert.match((await first.check()) ?? "", /^the sweep lease was taken over: held by bbbbbbbbbbbb/);
    assert.match((await first.release()) ?? "", /^could not release the sweep lease/);
    assert.equal((await peekLease(deps)).state, "held", "the loser's release did not free the winner's lease");
  });

  it("leaves a foreign object alone, quoting it, unless broken by its entity tag", async () => {
    const { store, deps } = setUp();
    store.seed(SWEEP_LEASE_KEY, "locked by bob for the migration");
    const etag = store.objects.get(SWEEP_LEASE_KEY)!.etag.replace(/"/g, "");

    const err = await refusal(acquireLease(deps, claim("aaaaaaaaaaaa")));
    assert.match(
      err.message,
      /is taken by an object that is not a phoenix lease \(it is not JSON; entity tag [0-9a-f]+\): locked by bob/,
    );
    assert.match(err.message, new RegExp(`replace it with --break-lease ${etag}$`));
    assert.equal(store.text(SWEEP_LEASE_KEY), "locked by bob for the migration");

    const lease = await acquireLease(deps, claim("aaaaaaaaaaaa", etag));
    assert.equal(lease.tookOver?.from, etag);
  });

  it("stops its holder's new steps shortly before it could lapse", async () => {
    const { deps, advance } = setUp();
    const lease = await acquireLease(deps, claim("aaaaaaaaaaaa"));

    const early = await lease.check();
    advance(18 * 60_000);
    const late = await lease.check();

    assert.equal(early, undefined);
    assert.match(late ?? "", /^the sweep lease is 120 s from lapsing/);
  });

  it("is given back even when the work under it throws, with a log line for the taking and the giving back", async () => {
    const { deps } = setUp();
    const lines: LeaseRecord[] = [];

    await assert.rejects(
      withLease(
        { deps, claim: claim("aaaaaaaaaaaa") },
        (r) => lines.push(r),
        () => Promise.reject(new Error("boom")),
      ),
      /boom/,
    );

    assert.equal((await peekLease(deps)).state, "free");
    assert.deepEqual(
      lines.map((l) => l.type),
      ["sweep.lease", "sweep.lease-released"],
    );
    assert.equal(lines[1].type === "sweep.lease-released" && lines[1].problem, undefined);
  });
});
