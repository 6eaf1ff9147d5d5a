// The promoting identity's policy documents as built (the IAM simulator judges them in
// test/components/iam/simulate.promote.test.ts): one statement per kind of resource, writes only on the target and
// only under releases/, and the documents docs/security.md shows are exactly the ones the code builds.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { promotePolicyDocument, PromoteEnvironment } from "../../components/promote-policy";
import { PROMOTE_CALLS } from "../../runtime/contract";

/** The placeholders docs/security.md shows. */
const TEST: PromoteEnvironment = {
  region: "eu-west-1",
  accountId: "111111111111",
  environment: "test",
  bucketName: "TEST-RELEASE-BUCKET",
};
const LIVE: PromoteEnvironment = {
  ...TEST,
  accountId: "222222222222",
  environment: "live",
  bucketName: "LIVE-RELEASE-BUCKET",
};

const resources = (s: { Resource?: string | string[] }) => [s.Resource ?? []].flat();

describe("the promoting identity's policy documents", () => {
  it("grant the source side reads only", () => {
    const actions = promotePolicyDocument("source", TEST).Statement.flatMap((s) => [s.Action].flat());

    assert.deepEqual(
      actions.filter((a) => !/^[a-z0-9]+:(Describe|Get|List)/.test(a)),
      [],
    );
  });

  it("grant the target side writes on its own bucket's releases/ only, never on *", () => {
    const writes = promotePolicyDocument("target", LIVE).Statement.filter((s) =>
      [s.Action].flat().includes("s3:PutObject"),
    );

    assert.deepEqual(writes.flatMap(resources).sort(), [
      "arn:aws:s3:::LIVE-RELEASE-BUCKET/releases/*.zip",
      "arn:aws:s3:::LIVE-RELEASE-BUCKET/releases/*/release.json",
      "arn:aws:s3:::LIVE-RELEASE-BUCKET/releases/current.json",
    ]);
  });

  it("grant every action PROMOTE_CALLS names, on each side", () => {
    for (const [side, env] of [
      ["source", TEST],
      ["target", LIVE],
    ] as const) {
      const granted = new Set(promotePolicyDocument(side, env).Statement.flatMap((s) => [s.Action].flat()));
      const needed = PROMOTE_CALLS.filter((c) => c.side === side).map((c) => c.action);

      assert.deepEqual(
        needed.filter((a) => !granted.has(a)),
        [],
      );
    }
  });

  it("are what docs/security.md shows, placeholders and all", () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "security.md"), "utf8");
    const section = doc.slice(doc.indexOf("## The promoting identity"));
    const blocks = [...section.matchAll(/```json\n([\s\S]*?)```/g)].slice(0, 2).map((m) => JSON.parse(m[1]) as unknown);

    assert.deepEqual(blocks, [promotePolicyDocument("source", TEST), promotePolicyDocument("target", LIVE)]);
  });
});
