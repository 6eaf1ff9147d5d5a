// The Pulumi CLI range is written once (config/types.ts) and said the same in every place a CLI or a reader meets it:
// Pulumi.yaml (the CLI refuses to run outside it), index.ts (for CLIs too old to read that line) and the first-deploy
// recipe; its floor is the SDK version package.json pins.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { PULUMI_CLI_RANGE } from "../../config";

const ROOT = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("the Pulumi CLI range", () => {
  it("starts at the @pulumi/pulumi version package.json pins and stops before the next major", () => {
    const sdk = (JSON.parse(read("package.json")) as { dependencies: Record<string, string> }).dependencies[
      "@pulumi/pulumi"
    ];

    assert.equal(PULUMI_CLI_RANGE, `>=${sdk} <${Number(sdk.split(".")[0]) + 1}.0.0`);
  });

  it("is what Pulumi.yaml requires", () => {
    const project = parseYaml(read("Pulumi.yaml")) as { requiredPulumiVersion?: string };

    assert.equal(project.requiredPulumiVersion, PULUMI_CLI_RANGE);
  });

  it("is checked by the program at start", () => {
    assert.match(read("index.ts"), /^void pulumi\.runtime\.requirePulumiVersion\(PULUMI_CLI_RANGE\);$/m);
  });

  it("is the range the first-deploy recipe states", () => {
    assert.ok(read("docs/operating.md").includes(`\`${PULUMI_CLI_RANGE}\``), "docs/operating.md states the range");
  });
});
