import * as assert from "node:assert/strict";
import { compareVersions, parseVersionBody, samePrecedence, sameVersion } from "../../../runtime/core/version";

describe("version bodies", () => {
  for (const [what, body, expected] of [
    ["a bare version", "1.2.3", "1.2.3"],
    ["a version with a leading v", "v1.2.3", "1.2.3"],
    ["a JSON string", '"1.2.3"', "1.2.3"],
    ["a JSON string with a leading v", '"v1.2.3"', "1.2.3"],
    ["a JSON object with a version field", '{"version":"1.2.3"}', "1.2.3"],
    ["a JSON object with other fields too", '{ "version": "1.2.3", "commit": "abc" }', "1.2.3"],
    ["a version followed by a newline", "1.2.3\n", "1.2.3"],
    ["a version surrounded by whitespace", " \r\n\t1.2.3 \r\n", "1.2.3"],
    ["a pretty-printed JSON object", '{\n  "version": "1.2.3"\n}\n', "1.2.3"],
    ["a version with a prerelease", "1.2.3-rc.1", "1.2.3-rc.1"],
    ["a version with build metadata", "1.2.3+build.7", "1.2.3+build.7"],
    ["a version with prerelease and build metadata", "v1.2.3-beta.2+sha.5114f85", "1.2.3-beta.2+sha.5114f85"],
  ] as const) {
    it(`accepts ${what}`, () => {
      assert.equal(parseVersionBody(body), expected);
    });
  }

  for (const [what, body] of [
    ["an empty body", ""],
    ["only whitespace", " \n"],
    ["a two-part version", "1.0"],
    ["a four-part version", "1.2.3.4"],
    ["an HTML page", "<html><body>1.2.3</body></html>"],
    ["a version followed by words", "1.2.3 beta"],
    ["leading zeros", "01.2.3"],
    ["a decimal number", "1.2"],
    ["a JSON array", '["1.2.3"]'],
    ["a JSON object without a version", '{"name":"web"}'],
    ["a JSON object whose version is a number", '{"version":1}'],
    ["a JSON string with padding inside the quotes", '" 1.2.3"'],
    ["broken JSON", '{"version":"1.2.3"'],
    ["junk", "\u0000\u00ff garbage"],
  ] as const) {
    it(`rejects ${what}`, () => {
      assert.equal(parseVersionBody(body), undefined);
    });
  }
});

describe("version order", () => {
  it("orders by major, minor and patch numerically", () => {
    const sorted = ["1.10.0", "1.2.10", "1.2.9", "0.9.0"].sort(compareVersions);

    assert.deepEqual(sorted, ["0.9.0", "1.2.9", "1.2.10", "1.10.0"]);
  });

  it("puts a prerelease below its release", () => {
    assert.ok(compareVersions("1.2.3-rc.1", "1.2.3") < 0);
  });

  it("orders prereleases per semver", () => {
    const sorted = ["1.0.0-rc.1", "1.0.0-beta.11", "1.0.0-alpha", "1.0.0-beta.2", "1.0.0-alpha.1"].sort(
      compareVersions,
    );

    assert.deepEqual(sorted, ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1"]);
  });

  it("ignores build metadata for precedence", () => {
    assert.ok(compareVersions("1.2.3+zzz", "1.2.4+aaa") < 0);
    assert.ok(samePrecedence("1.2.3+build.1", "1.2.3+build.2"));
  });

  it("counts a v prefix as the same version but another build as another, and a non-version as none", () => {
    assert.equal(sameVersion("v1.2.3", "1.2.3"), true);
    assert.equal(sameVersion("1.2.3+build.1", "1.2.3+build.2"), false);
    assert.equal(sameVersion("1.2.3", "1.2.4"), false);
    assert.equal(sameVersion("1.0", "1.0"), false);
    assert.equal(sameVersion(undefined, "1.2.3"), false);
  });

  it("orders equal-precedence builds by their metadata whatever the input order", () => {
    const forward = ["1.2.3+b", "1.2.3", "1.2.3+a"].sort(compareVersions);
    const backward = ["1.2.3+a", "1.2.3", "1.2.3+b"].sort(compareVersions);

    assert.deepEqual(forward, backward);
    assert.deepEqual(forward, ["1.2.3", "1.2.3+a", "1.2.3+b"]);
  });

  it("says 0 only for the same version", () => {
    assert.equal(compareVersions("1.2.3", "1.2.3"), 0);
    assert.notEqual(compareVersions("1.2.3+a", "1.2.3+b"), 0);
  });

  it("refuses a string that is not a version, naming it", () => {
    assert.throws(() => compareVersions("1.0", "1.2.3"), /"1.0" is not a semantic version/);
  });
});
