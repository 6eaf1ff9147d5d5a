// The disaster-recovery keys: live names its recovery region, test none; a recovery stack names the environment it
// rebuilds; every mistake is refused before anything is created, naming the key, the value and what to do.
import * as assert from "node:assert/strict";
import { parseStack, parseWith, problemsOf } from "../support/stack-config";

describe("the disaster-recovery config", () => {
  const problems = (overrides: Parameters<typeof parseWith>[0], environment?: string) =>
    problemsOf(() => parseWith(overrides, environment));

  it("gives live one recovery region and test none, and neither recovers another environment", () => {
    assert.deepEqual(parseStack("live").recovery, { regions: ["eu-central-1"] });
    assert.deepEqual(parseStack("test").recovery, { regions: [] });
  });

  it("reads a recovery stack: the environment it rebuilds, and no recovery regions of its own", () => {
    const config = parseWith({ recoverFrom: "live" }, "live-dr", "eu-central-1");

    assert.deepEqual(config.recovery, { regions: [], from: "live" });
  });

  it("tells a stack file that still sets imageDrRegions what the key is called now", () => {
    assert.match(
      problems({ imageDrRegions: JSON.stringify(["eu-central-1"]) }),
      /phoenix:imageDrRegions = "\[\\"eu-central-1\\"\]": was renamed recoveryRegions: run `pulumi config rm imageDrRegions`/,
    );
  });

  it("refuses a malformed region, the stack's own region and a region listed twice", () => {
    const text = problems({
      recoveryRegions: JSON.stringify(["Frankfurt", "eu-west-1", "eu-central-1", "eu-central-1"]),
    });

    assert.match(text, /phoenix:recoveryRegions = "Frankfurt": must list AWS region names such as eu-central-1/);
    assert.match(text, /phoenix:recoveryRegions = "eu-west-1": must not name the stack's own region \(eu-west-1\)/);
    assert.match(text, /must not list a region twice/);
  });

  it("refuses recoverFrom naming no valid environment, or the stack itself", () => {
    assert.match(problems({ recoverFrom: "Live!" }, "live-dr"), /phoenix:recoverFrom = "Live!": names an environment/);
    assert.match(problems({ recoverFrom: "live-dr" }, "live-dr"), /must name the environment this stack rebuilds/);
  });

  it("refuses recovery regions on a recovery stack, which does not own the store it serves from", () => {
    const text = problems({ recoverFrom: "live", recoveryRegions: JSON.stringify(["eu-north-1"]) }, "live-dr");

    assert.match(
      text,
      /phoenix:recoveryRegions = \["eu-north-1"\]: must be empty on a recovery stack \(recoverFrom = live\)/,
    );
    assert.match(text, /pulumi config rm recoveryRegions/);
  });
});
