import * as assert from "node:assert/strict";
import { parseManifest } from "../../../runtime/core/manifest";
import { artifactKey } from "../../../runtime/contract";

describe("release manifest", () => {
  const valid = {
    version: "1.0.274",
    artifacts: { web: "releases/1.0.274/web.zip", api: "releases/1.0.274/api.zip" },
    publishedAt: "2026-11-26T03:00:00.000Z",
  };

  it("parses the document DESIGN.md specifies", () => {
    assert.deepEqual(parseManifest(JSON.stringify(valid)), valid);
  });

  it("names artifact keys by version and tier", () => {
    assert.equal(artifactKey("1.0.274", "web"), "releases/1.0.274/web.zip");
  });

  for (const [what, doc, message] of [
    ["text that is not JSON", "{", /is not JSON/],
    ["an array", "[]", /must be a JSON object/],
    ["a version that is not semver", JSON.stringify({ ...valid, version: "1.0" }), /"1.0" is not a semantic version/],
    ["no artifacts", JSON.stringify({ ...valid, artifacts: {} }), /artifacts is empty/],
    ["an artifact that is not a key", JSON.stringify({ ...valid, artifacts: { web: 3 } }), /artifacts.web/],
    ["a bad publishedAt", JSON.stringify({ ...valid, publishedAt: "yesterday" }), /"yesterday" is not an ISO-8601/],
  ] as const) {
    it(`rejects ${what}`, () => {
      assert.throws(() => parseManifest(doc), message);
    });
  }
});
