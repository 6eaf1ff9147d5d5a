// The key table: Pulumi.yaml declares exactly its keys, each bound is written once (descriptions take their range
// from the bounds, runtime knobs take their bounds from the contract), and the defaults alone make a valid stack.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { CONFIG_KEYS, describeKey, parseConfig } from "../../config";
import { configKey } from "../../config/keys";
import { LIMITS, LimitName } from "../../runtime/contract";
import { PROJECT_ROOT } from "../support/pulumi-mocks";

describe("the config key table", () => {
  describe("Pulumi.yaml", () => {
    const project = parseYaml(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { type: string; description: string; default: unknown }>;
    };

    it("declares exactly the keys the program reads", () => {
      assert.deepEqual(Object.keys(project.config).sort(), CONFIG_KEYS.map((k) => k.key).sort());
    });

    it("declares each key with the program's type, default and description", () => {
      for (const key of CONFIG_KEYS) {
        const decl = project.config[key.key];
        assert.equal(decl.type, key.type, key.key);
        assert.deepEqual(decl.default, key.default, key.key);
        assert.equal(decl.description, describeKey(key), key.key);
      }
    });

    it("gives defaults that parse on their own", () => {
      const config = parseConfig({}, "scratch", "eu-west-1");

      assert.equal(config.tiers.web.platform, "linux");
      assert.equal(config.availabilityZones, 2);
    });
  });

  describe("writes each bound once", () => {
    it("puts a number's range in its description from its bounds", () => {
      assert.equal(describeKey(configKey("accessLogRetentionDays")), "Days access logs are kept (1 to 3650).");
      assert.equal(
        describeKey(configKey("webMaxPerSweep")),
        "Web tier most instances one sweep terminates (0 to 1000, 0 is unlimited).",
      );
      assert.equal(
        describeKey(configKey("imageRetainCount")),
        "Base images kept at all, deprecated ones included; older ones are deleted with their snapshots " +
          "(2 to 1000; more than imageKeepCount).",
      );
    });

    it("types no range into a number's own prose", () => {
      for (const key of CONFIG_KEYS.filter((k) => k.type === "integer")) {
        assert.doesNotMatch(key.description, /\d+ to \d+|at (most|least) \d+/, key.key);
      }
    });

    it("ends every description with a period, so the range goes before it", () => {
      for (const key of CONFIG_KEYS) assert.match(key.description, /\.$/, key.key);
    });

    it("names every choice of a string key in its description", () => {
      for (const key of CONFIG_KEYS) {
        if (key.type !== "string" || !key.choices) continue;
        for (const choice of key.choices) assert.ok(key.description.includes(choice), `${key.key}: ${choice}`);
      }
    });

    it("takes the runtime's knobs from the contract's LIMITS", () => {
      const shared: [string, LimitName][] = [
        ["probeTimeoutMs", "probeTimeoutMs"],
        ["probeConcurrency", "probeConcurrency"],
        ["rolloutMemoryMb", "rolloutMemoryMb"],
        ["rolloutTimeoutSeconds", "rolloutTimeoutSeconds"],
        ["rolloutStuckMinutes", "rolloutStuckMinutes"],
        ["imageKeepCount", "imageKeepCount"],
        ["imageRetainCount", "imageRetainCount"],
        ["imageInUseDays", "imageInUseDays"],
        ["webMinHealthy", "minHealthy"],
        ["apiMinHealthyPercent", "minHealthyPercent"],
        ["webMaxPerSweep", "maxPerSweep"],
        ["apiMaxInstanceAgeHours", "maxInstanceAgeHours"],
      ];
      for (const [name, limit] of shared) {
        const key = configKey(name);
        assert.ok(key.type === "integer", name);
        assert.deepEqual(
          [key.min, key.max, key.default, key.shared],
          [LIMITS[limit].min, LIMITS[limit].max, LIMITS[limit].fallback, limit],
          name,
        );
      }
    });

    it("declares every key once", () => {
      const names = CONFIG_KEYS.map((k) => k.key);

      assert.equal(new Set(names).size, names.length);
    });
  });
});
