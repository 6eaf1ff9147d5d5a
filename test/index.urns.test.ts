// Resource identity: every resource a deployed stack holds keeps its URN (type chain, name, parent). A URN that
// disappears is a resource `pulumi up` would delete (and, under a new name, create again): a new load balancer
// address, an empty release bucket, a fleet replaced outside any rollout. The baselines were recorded from the
// program as deployed before the layout change of issue 12; they are never regenerated, only appended to by hand
// with the reason, when a change deliberately adds a resource. A resource deleted on purpose stays in the baseline
// and is listed in DELETED below, each with the change that deleted it and why.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadProgram, PulumiMocks, setupMocks, settle } from "./support/pulumi-mocks";

/**
 * Resources deliberately deleted, by stack, each with its reason. The baseline keeps them, so deleting anything else
 * still fails; an entry here that the program still creates fails too (a stale justification).
 */
const DELETED: Record<string, { urn: string; why: string }[]> = Object.fromEntries(
  ["test", "live"].map((stack) => [
    stack,
    ["web", "api"].map((tier) => ({
      // Issue 16: the AWS-managed CloudWatchAgentServerPolicy granted logs and metrics writes on "*" (any log group,
      // any namespace) to every instance. No agent runs on an instance (the image no longer installs one); the boot
      // script ships its log under the role's own scoped statement. `pulumi up` detaches the policy.
      urn:
        `urn:pulumi:${stack}::phoenix::phoenix:env:Environment$phoenix:fleet:AppTier$` +
        `aws:iam/rolePolicyAttachment:RolePolicyAttachment::${stack}-${tier}-cloudwatch-agent (parent: ${stack}-${tier})`,
      why: "CloudWatchAgentServerPolicy detached from the instance role (issue 16)",
    })),
  ]),
);

for (const stack of ["test", "live"]) {
  describe(`resource identity of the ${stack} stack`, () => {
    let mocks: PulumiMocks;
    let baseline: string[];
    before(async () => {
      mocks = await setupMocks(stack);
      loadProgram();
      await settle();
      baseline = fs
        .readFileSync(path.join(__dirname, "fixtures", `urns.${stack}.txt`), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("#"));
    });

    it("keeps every resource of the recorded baseline under the same URN and parent, but those deleted on purpose", () => {
      const now = new Set(mocks.urns);
      const deleted = new Set(DELETED[stack].map((d) => d.urn));
      const gone = baseline.filter((u) => !now.has(u) && !deleted.has(u));
      assert.deepEqual(gone, [], `resources that would be deleted or replaced:\n${gone.join("\n")}`);
    });

    it("deletes exactly the resources listed as deleted on purpose, each of them in the baseline", () => {
      const now = new Set(mocks.urns);
      for (const { urn, why } of DELETED[stack]) {
        assert.ok(baseline.includes(urn), `${urn} (${why}) is not in the baseline: nothing to delete`);
        assert.ok(!now.has(urn), `${urn} is listed as deleted (${why}) but the program still creates it`);
      }
    });

    it("registers each URN once", () => {
      const seen = new Set<string>();
      const twice = mocks.urns.filter((u) => (seen.has(u) ? true : (seen.add(u), false)));
      assert.deepEqual(twice, []);
    });
  });
}
