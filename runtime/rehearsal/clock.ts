// The rehearsal's simulated time: a discrete-event clock that jumps to the next event (a boot completing, a health
// check passing, a schedule tick), so a rollout of minutes-long boots runs in seconds; plus the seeded random numbers
// that make every run with the same seed take the same path, and the `+mm:ss` notation of time since minute zero.

/** Something that happens at a simulated instant. */
interface ScheduledEvent {
  at: number;
  seq: number;
  label: string;
  run: () => void | Promise<void>;
}

/**
 * A discrete-event clock. Time only moves when `runNext` takes the earliest event; while an event runs (a sweep
 * doing real TCP probes, say) simulated time stands still, as if the work were instantaneous.
 */
export class SimClock {
  private nowMs: number;
  private seq = 0;
  private queue: ScheduledEvent[] = [];

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  iso(): string {
    return new Date(this.nowMs).toISOString();
  }

  /** Runs `run` at absolute simulated time `at` (never in the past). Events at the same instant run in order added. */
  at(at: number, label: string, run: () => void | Promise<void>): void {
    const event = { at: Math.max(at, this.nowMs), seq: this.seq++, label, run };
    // Binary insertion keeps the queue sorted by (at, seq); fleets of hundreds of instances stay cheap.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.queue[mid];
      if (other.at < event.at || (other.at === event.at && other.seq < event.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, event);
  }

  /** Runs `run` after `delayMs` of simulated time. */
  after(delayMs: number, label: string, run: () => void | Promise<void>): void {
    this.at(this.nowMs + delayMs, label, run);
  }

  /** Simulated time of the next event, or undefined when nothing is scheduled. */
  peek(): number | undefined {
    return this.queue[0]?.at;
  }

  /** Advances to the earliest event and runs it. Returns false when there was nothing to run. */
  async runNext(): Promise<boolean> {
    const event = this.queue.shift();
    if (event === undefined) return false;
    this.nowMs = event.at;
    await event.run();
    return true;
  }

  pending(): number {
    return this.queue.length;
  }
}

/** Mulberry32: a small, fast, seedable generator; the same seed gives the same boots, jitter and schedule phase. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Eight lowercase hex digits, for instance ids. */
  hex8(): string {
    return Math.floor(this.next() * 0x100000000)
      .toString(16)
      .padStart(8, "0");
  }
}

/** `+mm:ss` of simulated time since minute zero (negative during set-up). */
export function formatMinutes(ms: number): string {
  const sign = ms < 0 ? "-" : "+";
  const total = Math.round(Math.abs(ms) / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${sign}${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}
