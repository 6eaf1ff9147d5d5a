// `npm run bench`: every benchmark in order, each printing its figures next to its targets, then one line of targets
// met. Exits 1 when a target is MISSED, 2 when asked for a bench that does not exist (before running any).
// Adding a bench is one line in BENCHES.
import "../test/support/quiet-sdk";
import { followUpBench, rolloutBench } from "./rollout";
import { scheduledCapacityBench } from "./scheduled-capacity";
import { sweepBench } from "./sweep";
import { Bench, summarize, Target } from "./targets";

const BENCHES: [name: string, run: Bench][] = [
  ["sweep", sweepBench],
  ["rollout", rolloutBench],
  ["follow-up", followUpBench],
  ["scheduled-capacity", scheduledCapacityBench],
];

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !BENCHES.some(([known]) => known === name));
  if (unknown.length > 0) {
    console.error(
      `bench: no bench named ${unknown.join(", ")}; the benches are ${BENCHES.map(([n]) => n).join(", ")} ` +
        "(npm run bench -- <name>...)",
    );
    return 2;
  }
  const results: { bench: string; targets: Target[] }[] = [];
  for (const [name, run] of BENCHES) {
    if (only.length > 0 && !only.includes(name)) continue;
    results.push({ bench: name, targets: await run() });
  }
  const { lines, code } = summarize(results);
  console.log(`\n${lines.join("\n")}`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
