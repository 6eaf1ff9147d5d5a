// Resource identity: every resource a deployed stack holds keeps its URN (type chain, name, parent). A URN that
// disappears is a resource `pulumi up` would delete (and, under a new name, create again): a new load balancer
// address, an empty release bucket, a fleet replaced outside any rollout. The baselines were recorded from the
// program as deployed before the layout change of issue 12; they are never regenerated, only appended to by hand
// with the reason, when a change deliberately adds a resource.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadProgram, PulumiMocks, setupMocks, settle } from "./support/pulumi-mocks";

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

    it("keeps every resource of the recorded baseline under the same URN and parent", () => {
      const now = new Set(mocks.urns);
      const gone = baseline.filter((u) => !now.has(u));
      assert.deepEqual(gone, [], `resources that would be deleted or replaced:\n${gone.join("\n")}`);
    });

    it("registers each URN once", () => {
      const seen = new Set<string>();
      const twice = mocks.urns.filter((u) => (seen.has(u) ? true : (seen.add(u), false)));
      assert.deepEqual(twice, []);
    });
  });
}
