// Pulumi.yaml's `config:` block and docs/configuration.md are rendered from config/keys.ts and the stack files by
// `npm run docs:config`: these fail, naming that command, when either file was edited by hand or went stale.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS } from "../../config";
import {
  CONFIGURATION_DOC,
  PULUMI_YAML,
  readStackOverrides,
  REGENERATE,
  renderAll,
  renderConfigurationDoc,
  ROOT,
} from "../../scripts/config-docs";

describe("generated config files", () => {
  const rendered = renderAll();

  for (const file of [PULUMI_YAML, CONFIGURATION_DOC]) {
    it(`${file} is what \`${REGENERATE}\` renders`, () => {
      const actual = fs.readFileSync(path.join(ROOT, file), "utf8");

      assert.ok(
        actual === rendered[file],
        `${file} is out of date with config/keys.ts or a stack file: run ${REGENERATE}`,
      );
    });
  }

  it("gives every key one row in the docs, with the value each stack file sets", () => {
    const doc = renderConfigurationDoc({ live: { webMinSize: 3 }, test: {} });
    const rows = doc.split("\n").filter((l) => l.startsWith("| `"));

    assert.equal(rows.length, CONFIG_KEYS.length);
    assert.match(
      doc,
      /\| `webMinSize` \| Web tier minimum instances\. \| `1` \| 0 to 1000; at most webMaxSize \| `3` \| {2}\|/,
    );
  });

  it("reads the values the stack files set, without the namespace", () => {
    const stacks = readStackOverrides();

    assert.deepEqual(Object.keys(stacks), ["live", "test"]);
    assert.equal(stacks.live.natGateways, "perZone");
  });
});
