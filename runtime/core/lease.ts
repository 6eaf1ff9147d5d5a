// The sweep lease as data: the document at SWEEP_LEASE_KEY, and what a reader makes of the object it found there (free,
// held, or not a lease at all). Pure: the times come in as arguments, so every case is decided the same way by the
// Lambda, the CLI, `phoenix status` and the tests. Taking and releasing it over a store is runtime/ops/lease.ts.
import { LEASE_CLOCK_SKEW_SECONDS, LEASE_TTL_SECONDS, SWEEP_LEASE_KIND } from "../contract";
import type { StoredObject } from "./types";

/** The lease document, as JSON in the release bucket. */
export interface SweepLease {
  kind: typeof SWEEP_LEASE_KIND;
  /** This holding's id: random per sweep; what `--break-lease` asks for. */
  holder: string;
  /** Who is sweeping: `alice@laptop pid 4242`, `lambda live-rollout request 7f3c...`. */
  who: string;
  /** What for: `phoenix sweep`, `phoenix sweep --repair`, `Scheduled Event`, `release 1.0.274`. */
  purpose: string;
  /** ISO-8601, by the holder's clock. */
  acquiredAt: string;
  /** ISO-8601, by the holder's clock: acquiredAt + ttlSeconds. */
  expiresAt: string;
  ttlSeconds: number;
  /** Set when the holder gave it back: the lease is free. */
  releasedAt?: string;
  /** The holder id (or entity tag) this lease was taken over from with `--break-lease`. */
  broke?: string;
}

/** What a reader found at the lease key. */
export type LeaseView =
  /** Nobody holds it: no object, a released lease, or a lapsed one (`last` says whose). */
  | { state: "free"; etag?: string; last?: SweepLease; why: string }
  /** A live holder. `id` is what `--break-lease` must name. */
  | { state: "held"; etag: string; lease: SweepLease; id: string; until: string }
  /** An object that is not a phoenix lease: treated as held, never overwritten unless broken by `id` (its etag). */
  | { state: "foreign"; etag: string; content: string; why: string; id: string };

/** Lease ttl bounds a document may carry: outside them it is not a lease phoenix wrote. */
const TTL_RANGE = { min: 60, max: 86_400 };
/** Characters of a foreign object quoted back to the operator. */
const QUOTED_CHARS = 300;

/** The lease a holder writes when it takes the lease at `nowMs` (its own clock). */
export function newLease(claim: { holder: string; who: string; purpose: string }, nowMs: number): SweepLease {
  return {
    kind: SWEEP_LEASE_KIND,
    holder: claim.holder,
    who: claim.who,
    purpose: claim.purpose,
    acquiredAt: new Date(nowMs).toISOString(),
    expiresAt: new Date(nowMs + LEASE_TTL_SECONDS * 1000).toISOString(),
    ttlSeconds: LEASE_TTL_SECONDS,
  };
}

/** The document as the store keeps it: one line of JSON, readable with `aws s3 cp ... -`. */
export function leaseBody(lease: SweepLease): Buffer {
  return Buffer.from(`${JSON.stringify(lease)}\n`);
}

/** The id `--break-lease` takes for an object that has no holder id: its entity tag without quotes. */
export function etagId(etag: string): string {
  return etag.replace(/^W\//, "").replace(/"/g, "");
}

/**
 * Reads the object at the lease key. The lease's age is measured by the store's own clock when the store reports it
 * (S3's Last-Modified and Date): no reader's clock enters, so skew between a laptop and the Lambda cannot make a live
 * lease look lapsed. Without it, the reader's `nowMs` is compared with the holder's `expiresAt`, with
 * LEASE_CLOCK_SKEW_SECONDS of margin in the holder's favour.
 */
export function readLease(object: StoredObject | undefined, nowMs: number): LeaseView {
  if (object === undefined) return { state: "free", why: "no sweep has taken it yet" };
  const text = object.body.toString("utf8");
  const parsed = parseLease(text);
  if ("why" in parsed) {
    return {
      state: "foreign",
      etag: object.etag,
      content: text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}...` : text,
      why: parsed.why,
      id: etagId(object.etag),
    };
  }
  const lease = parsed.lease;
  if (lease.releasedAt !== undefined) {
    return { state: "free", etag: object.etag, last: lease, why: `released at ${lease.releasedAt}` };
  }
  const lapsed = lapsedBy(object, lease, nowMs);
  if (lapsed !== undefined) return { state: "free", etag: object.etag, last: lease, why: lapsed };
  return { state: "held", etag: object.etag, lease, id: lease.holder, until: lease.expiresAt };
}

/** Why a lease no longer binds anyone, or undefined while it does. */
function lapsedBy(object: StoredObject, lease: SweepLease, nowMs: number): string | undefined {
  const written = object.lastModified !== undefined ? Date.parse(object.lastModified) : NaN;
  const storeNow = object.readAt !== undefined ? Date.parse(object.readAt) : NaN;
  if (!Number.isNaN(written) && !Number.isNaN(storeNow)) {
    const ageSeconds = (storeNow - written) / 1000;
    return ageSeconds >= lease.ttlSeconds
      ? `lapsed: written ${Math.floor(ageSeconds)} s ago by the store's clock, ttl ${lease.ttlSeconds} s`
      : undefined;
  }
  const expires = Date.parse(lease.expiresAt);
  return nowMs > expires + LEASE_CLOCK_SKEW_SECONDS * 1000
    ? `lapsed: expired at ${lease.expiresAt} (more than ${LEASE_CLOCK_SKEW_SECONDS} s ago by this clock)`
    : undefined;
}

/** The document, or why the text is not one phoenix wrote. */
export function parseLease(text: string): { lease: SweepLease } | { why: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { why: "it is not JSON" };
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return { why: "it is not a JSON object" };
  const d = doc as Record<string, unknown>;
  if (d.kind !== SWEEP_LEASE_KIND) return { why: `its kind is ${JSON.stringify(d.kind)}, not ${SWEEP_LEASE_KIND}` };
  for (const field of ["holder", "who", "purpose", "acquiredAt", "expiresAt"]) {
    if (typeof d[field] !== "string" || d[field] === "") return { why: `its ${field} is missing or not a string` };
  }
  for (const field of ["acquiredAt", "expiresAt", "releasedAt"]) {
    const value = d[field];
    if (value !== undefined && (typeof value !== "string" || Number.isNaN(Date.parse(value)))) {
      return { why: `its ${field} ${JSON.stringify(value)} is not a time` };
    }
  }
  const ttl = d.ttlSeconds;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < TTL_RANGE.min || ttl > TTL_RANGE.max) {
    return {
      why: `its ttlSeconds ${JSON.stringify(ttl)} is not a whole number from ${TTL_RANGE.min} to ${TTL_RANGE.max}`,
    };
  }
  return { lease: d as unknown as SweepLease };
}

/** One line on who holds the lease: what a sweep that stands down, and `phoenix status`, print. */
export function describeLease(view: LeaseView): string {
  switch (view.state) {
    case "held":
      return (
        `held by ${view.lease.holder} (${view.lease.who}, ${view.lease.purpose}) since ${view.lease.acquiredAt}, ` +
        `until ${view.until} at the latest`
      );
    case "foreign":
      return `taken by an object that is not a phoenix lease (${view.why}; entity tag ${view.id}): ${view.content.trim()}`;
    case "free":
      return view.last === undefined
        ? `free (${view.why})`
        : `free (last held by ${view.last.holder}, ${view.last.who}, ${view.last.purpose}; ${view.why})`;
  }
}
