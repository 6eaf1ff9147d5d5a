// `npm run bench`: every benchmark in order, each printing its figures next to the targets.
// Adding a bench is one line in BENCHES.
import { rolloutBench } from "./rollout";
import { scheduledCapacityBench } from "./scheduled-capacity";
import { sweepBench } from "./sweep";

const BENCHES: [name: string, run: () => Promise<void>][] = [
  ["sweep", sweepBench],
  ["rollout", rolloutBench],
  ["scheduled-capacity", scheduledCapacityBench],
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const [name, run] of BENCHES) {
    if (only.length > 0 && !only.includes(name)) continue;
    await run();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
