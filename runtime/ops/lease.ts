// Taking, checking and giving back the sweep lease over an ObjectStore (S3, the rehearsal's disk, the tests' memory)
// with conditional writes: If-None-Match "*" takes a lease nobody ever wrote, If-Match on the entity tag read takes a
// released or lapsed one (or breaks one on purpose), and the release is one more If-Match write that marks it free.
// Two sweepers racing for it both write conditionally on what they read, so exactly one wins; the loser stands down.
//
// Released by a write, not a delete: the ObjectStore port has no delete, a delete in a versioned bucket only adds a
// marker, and the released document still tells `phoenix status` who swept last. (S3 has conditional DeleteObject
// on general purpose buckets too, with If-Match; nothing here needs it.)
import { LEASE_SAFETY_SECONDS, SWEEP_LEASE_KEY } from "../contract";
import { errorText, PreconditionFailedError } from "../core/errors";
import { describeLease, LeaseView, leaseBody, newLease, readLease, SweepLease } from "../core/lease";
import type { ObjectStore } from "../core/types";

/** Who asks for the lease and why. */
export interface LeaseClaim {
  /** This holding's id: random per sweep (newHolderId). */
  holder: string;
  who: string;
  purpose: string;
  /** Take the lease even from a live holder, if its id (or a foreign object's entity tag) is exactly this. */
  breakLease?: string;
}

export interface LeaseDeps {
  store: ObjectStore;
  /** The holder's clock (ms): its own deadline, and the document's acquiredAt/expiresAt. */
  now: () => number;
}

/** The lease is someone else's: nothing was read or changed. `name` is assigned, so it survives closure serialization. */
export class LeaseHeldError extends Error {
  readonly view: LeaseView;
  constructor(message: string, view: LeaseView) {
    super(message);
    this.name = "LeaseHeldError";
    this.message = message;
    this.view = view;
  }
}

/** True for a LeaseHeldError, also one rebuilt by the closure serializer (which is not `instanceof` its class). */
export function isLeaseHeld(err: unknown): err is LeaseHeldError {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "LeaseHeldError";
}

/** A lease this process holds. */
export interface HeldLease {
  holder: string;
  etag: string;
  /** The lease this one was taken over from (a lapsed or broken holder's), for the log. */
  tookOver?: { from: string; why: string };
  /** Why this holder may not start another step (its lease is about to lapse, or was taken away); undefined if it may. */
  check(): Promise<string | undefined>;
  /** Gives the lease back (a conditional write). Never throws: a lease it cannot release lapses by itself. */
  release(): Promise<string | undefined>;
}

/** A short random id for a holding (12 hex digits): typed back by an operator with --break-lease. */
export function newHolderId(random: () => number = Math.random): string {
  let id = "";
  for (let i = 0; i < 12; i++) id += Math.floor(random() * 16).toString(16);
  return id;
}

/** What `phoenix status` shows: the lease as a reader sees it now. Never writes. */
export async function peekLease(deps: LeaseDeps): Promise<LeaseView> {
  return readLease(await deps.store.get(SWEEP_LEASE_KEY), deps.now());
}

/**
 * Takes the lease or throws LeaseHeldError saying who holds it. Free (never written, released, lapsed): one
 * conditional write on what was read. Held or foreign: refused, unless `breakLease` names it exactly.
 */
export async function acquireLease(deps: LeaseDeps, claim: LeaseClaim): Promise<HeldLease> {
  const view = await peekLease(deps);
  const breaking = view.state !== "free" && claim.breakLease !== undefined && claim.breakLease === view.id;
  if (view.state !== "free" && !breaking) throw heldError(view, claim);
  const startedMs = deps.now();
  const lease: SweepLease = { ...newLease(claim, startedMs), ...(breaking && { broke: view.id }) };
  let etag: string;
  try {
    const written = await deps.store.put(
      SWEEP_LEASE_KEY,
      leaseBody(lease),
      view.etag === undefined
        ? { ifNoneMatch: "*", contentType: "application/json" }
        : { ifMatch: view.etag, contentType: "application/json" },
    );
    etag = written.etag;
  } catch (err) {
    if (!(err instanceof PreconditionFailedError) && (err as Error)?.name !== "PreconditionFailedError") throw err;
    // Someone wrote it between our read and our write: they won. Say who, from what is there now.
    const now = await peekLease(deps);
    throw heldError(now.state === "free" ? view : now, claim);
  }
  const tookOver =
    view.state === "free" && view.last !== undefined
      ? { from: view.last.holder, why: view.why }
      : breaking
        ? { from: view.id, why: `broken with --break-lease ${view.id}` }
        : undefined;
  const deadline = startedMs + (lease.ttlSeconds - LEASE_SAFETY_SECONDS) * 1000;
  let released = false;
  return {
    holder: claim.holder,
    etag,
    ...(tookOver !== undefined && { tookOver }),
    async check() {
      if (released) return "the sweep lease was already released";
      if (deps.now() >= deadline) {
        return `the sweep lease is ${LEASE_SAFETY_SECONDS} s from lapsing (taken at ${lease.acquiredAt}); no new step starts`;
      }
      const current = await deps.store.get(SWEEP_LEASE_KEY);
      if (current?.etag !== etag) {
        return `the sweep lease was taken over: ${describeLease(readLease(current, deps.now()))}`;
      }
      return undefined;
    },
    async release() {
      if (released) return undefined;
      released = true;
      const done = { ...lease, releasedAt: new Date(deps.now()).toISOString() };
      try {
        await deps.store.put(SWEEP_LEASE_KEY, leaseBody(done), { ifMatch: etag, contentType: "application/json" });
        return undefined;
      } catch (err) {
        return `could not release the sweep lease (it lapses by itself at ${lease.expiresAt}): ${errorText(err)}`;
      }
    },
  };
}

/** The lines a sweep's log gets for its lease: taken (and from whom, when taken over), then released. */
export type LeaseRecord =
  | { type: "sweep.lease"; holder: string; who: string; purpose: string; tookOver?: { from: string; why: string } }
  | { type: "sweep.lease-released"; holder: string; problem?: string };

/**
 * Runs `fn` holding the lease and releases it after, whatever `fn` does, with a line in the sweep's log for each
 * (what `phoenix explain` replays and the CLI reports a failed release from).
 */
export async function withLease<T>(
  lease: { deps: LeaseDeps; claim: LeaseClaim },
  record: (r: LeaseRecord) => void,
  fn: (held: HeldLease) => Promise<T>,
): Promise<T> {
  const { claim } = lease;
  const held = await acquireLease(lease.deps, claim);
  record({
    type: "sweep.lease",
    holder: held.holder,
    who: claim.who,
    purpose: claim.purpose,
    ...(held.tookOver !== undefined && { tookOver: held.tookOver }),
  });
  try {
    return await fn(held);
  } finally {
    const problem = await held.release();
    record({ type: "sweep.lease-released", holder: held.holder, ...(problem !== undefined && { problem }) });
  }
}

function heldError(view: LeaseView, claim: LeaseClaim): LeaseHeldError {
  const id = view.state === "free" ? "?" : view.id;
  const wrongBreak =
    claim.breakLease !== undefined && claim.breakLease !== id
      ? ` (--break-lease ${claim.breakLease} does not name it: it is ${id})`
      : "";
  const message =
    view.state === "foreign"
      ? `the sweep lease ${SWEEP_LEASE_KEY} is ${describeLease(view)}; nothing was done${wrongBreak}. ` +
        `It is left as it is; once you know nothing else sweeps, replace it with --break-lease ${id}`
      : `another sweep holds the lease of this environment: ${describeLease(view)}; nothing was done${wrongBreak}. ` +
        `Try again when it is done; if that sweep is dead, --break-lease ${id} takes the lease from it`;
  return new LeaseHeldError(message, view);
}
