// Bounded concurrency for the runtime's fan-outs (probes, target-health reads, terminations): a fixed number of
// workers pull the next item, so at most `limit` calls are in flight and results keep the input order.

/** Maps with at most `limit` promises in flight; results keep the input order. A rejection rejects the whole map. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
