// The disaster-recovery keys: where an environment can be rebuilt after losing its region (recoveryRegions: its
// release store replicates there and its base images are copied there), and, on a recovery stack, which environment
// it rebuilds (recoverFrom). One list serves both the releases and the images: a region that holds only one of them
// cannot serve, so they can never be configured apart.
import { environmentNameProblem, REGION_PATTERN } from "../runtime/contract";
import { Problems, RawConfig, readArray, readString } from "./readers";
import { RecoveryConfig } from "./types";

/** Reads recoveryRegions and recoverFrom, with the rules between them and the stack's own name and region. */
export function parseRecovery(
  raw: RawConfig,
  environment: string,
  region: string | undefined,
  problems: Problems,
): RecoveryConfig {
  const regions = readArray(raw, "recoveryRegions", problems);
  for (const r of regions) {
    if (!REGION_PATTERN.test(r)) problems.add("recoveryRegions", r, "must list AWS region names such as eu-central-1");
    else if (r === region) {
      problems.add(
        "recoveryRegions",
        r,
        `must not name the stack's own region (${region}): a copy in the region that was lost recovers nothing`,
      );
    }
  }
  if (new Set(regions).size !== regions.length) {
    problems.add("recoveryRegions", regions, "must not list a region twice");
  }
  const from = readString(raw, "recoverFrom");
  if (from === "") return { regions };
  const issue = environmentNameProblem(from);
  if (issue) problems.add("recoverFrom", from, `names an environment, which ${issue}`);
  else if (from === environment) {
    problems.add("recoverFrom", from, "must name the environment this stack rebuilds, not this stack itself");
  }
  if (regions.length > 0) {
    problems.add(
      "recoveryRegions",
      regions,
      `must be empty on a recovery stack (recoverFrom = ${from}): its release store is ${from}'s replica, which ` +
        `it does not own and cannot replicate further; run \`pulumi config rm recoveryRegions\``,
    );
  }
  return { regions, from };
}
