// The pool /version probes run in. Two limits: at most `sockets` probes in flight (the file descriptors a sweep may
// hold), and at most `fresh` of them started within the last `settleMs`. An instance that answers does so in
// milliseconds, so the fresh limit is what bounds the CPU the probes compete for, and with it how long an answering
// exchange waits on the others (with 768 exchanges at once on a busy machine, some took longer than a late probe's
// deadline). A probe still waiting after `settleMs` is waiting on a slow or silent instance: it costs no CPU, so it
// stops holding back the next probe and only keeps its socket. Results keep the tasks' order.

/** How the pool is bounded. */
export interface PoolLimits {
  /** Probes in flight at once, answering or not. */
  sockets: number;
  /** Probes in flight that started less than `settleMs` ago. */
  fresh: number;
  settleMs: number;
}

/** Probes being answered at once: what keeps an answering exchange quick on a busy CPU. */
export const FRESH_PROBES = 64;

/** A probe unanswered this long is waiting on its instance, not on the CPU. */
export const PROBE_SETTLE_MS = 100;

/** Runs every task within the limits; rejects as soon as one task rejects (a probe never does). */
export function runPool<T>(tasks: readonly (() => Promise<T>)[], limits: PoolLimits): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const results: T[] = new Array<T>(tasks.length);
    let next = 0;
    let inFlight = 0;
    let fresh = 0;
    let done = 0;
    let failed = false;
    // Declared before the closures below use it: the Lambda's closure serializer needs that order.
    let pump: () => void = () => undefined;
    const start = (index: number) => {
      inFlight++;
      fresh++;
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        fresh--;
      };
      const timer = setTimeout(() => {
        settle();
        pump();
      }, limits.settleMs);
      tasks[index]().then(
        (result) => {
          clearTimeout(timer);
          settle();
          inFlight--;
          results[index] = result;
          done++;
          if (done === tasks.length) resolve(results);
          else pump();
        },
        (err: unknown) => {
          clearTimeout(timer);
          failed = true;
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    };
    pump = () => {
      while (!failed && next < tasks.length && inFlight < limits.sockets && fresh < limits.fresh) start(next++);
    };
    if (tasks.length === 0) resolve(results);
    else pump();
  });
}
