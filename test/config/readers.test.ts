// The readers: defaults and bounds come from the key table, a bad value is recorded as a problem (key, value, what
// is allowed) and parsing goes on with a usable value, so one run reports every problem.
import * as assert from "node:assert/strict";
import { configKey } from "../../config/keys";
import { Problems, readArray, readBoolean, readChoice, readInteger, readString } from "../../config/readers";

describe("config readers", () => {
  it("return the table's default for an absent key", () => {
    const problems = new Problems();

    assert.equal(readInteger({}, "probeTimeoutMs", problems), configKey("probeTimeoutMs").default);
    assert.equal(readBoolean({}, "privateEndpoints", problems), false);
    assert.equal(readString({}, "vpcCidr"), "10.0.0.0/16");
    assert.deepEqual(readArray({}, "recoveryRegions", problems), []);
    assert.deepEqual(problems.list, []);
  });

  it("read whole numbers given as text or as numbers", () => {
    const problems = new Problems();

    assert.equal(readInteger({ webPort: " 8081 " }, "webPort", problems), 8081);
    assert.equal(readInteger({ webPort: 8082 }, "webPort", problems), 8082);
    assert.deepEqual(problems.list, []);
  });

  it("reject a number outside the table's bounds, saying what 0 means where it switches the knob off", () => {
    const problems = new Problems();

    readInteger({ webMaxPerSweep: "1001" }, "webMaxPerSweep", problems);

    assert.deepEqual(problems.list, ["phoenix:webMaxPerSweep = 1001: must be from 0 to 1000, 0 is unlimited"]);
  });

  it("reject a number within the bounds that is not among the allowed values", () => {
    const problems = new Problems();

    readInteger({ bootLogRetentionDays: "10" }, "bootLogRetentionDays", problems);

    assert.equal(problems.list.length, 1);
    assert.match(problems.list[0], /^phoenix:bootLogRetentionDays = 10: must be one of 1, 3, 5, 7, 14, 30/);
  });

  it("fall back to the default after a value that is not a number, so parsing goes on", () => {
    const problems = new Problems();

    assert.equal(readInteger({ probeTimeoutMs: "many" }, "probeTimeoutMs", problems), 2000);
    assert.deepEqual(problems.list, ['phoenix:probeTimeoutMs = "many": must be a whole number from 100 to 60000']);
  });

  it("read a list given as JSON text, as Pulumi hands a YAML list over", () => {
    const problems = new Problems();

    assert.deepEqual(readArray({ recoveryRegions: '["eu-central-1"]' }, "recoveryRegions", problems), ["eu-central-1"]);
    assert.deepEqual(problems.list, []);
  });

  it("take a string key's choices from the table", () => {
    const problems = new Problems();

    readChoice({ natGateways: "none" }, "natGateways", problems);

    assert.deepEqual(problems.list, ['phoenix:natGateways = "none": must be one of single, perZone']);
  });

  it("refuse to read a key the table does not declare, a programming error rather than a stack's", () => {
    assert.throws(() => readInteger({}, "webPorts", new Problems()), /webPorts is not declared in config\/keys.ts/);
  });

  it("refuse to read a key as another type than the table declares", () => {
    assert.throws(() => readBoolean({}, "webPort", new Problems()), /declared as integer, read as boolean/);
  });
});
