// The AWS SDK's Node 20 notice stays out of test output: mocha loads test/support/quiet-sdk.ts (.mocharc.json)
// before any spec builds a client. Checked in a child mocha run, whose environment does not inherit the variable.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { scratchDir } from "./scratch-dir";

const ROOT = path.resolve(__dirname, "..", "..");
const MOCHA = path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js");

describe("the AWS SDK's Node version notice", () => {
  const scratch = scratchDir("phoenix-quiet-sdk-");

  function mocha(...args: string[]) {
    const spec = scratch("client.test.js");
    const ssm = JSON.stringify(path.join(ROOT, "node_modules", "@aws-sdk", "client-ssm"));
    fs.writeFileSync(
      spec,
      `it("builds a client", () => { new (require(${ssm}).SSMClient)({ region: "us-east-1" }); });\n`,
    );
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    return spawnSync(process.execPath, [MOCHA, ...args, spec], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
  }

  it("is not printed by a test run that builds an SDK client", function () {
    this.timeout(60_000);
    const quiet = mocha();
    const bare = mocha("--no-config", "--no-package");

    assert.equal(quiet.status, 0, quiet.stdout + quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /NodeVersionSupportWarning/);
    // The check can fail: without the hook, this Node (20) gets the notice.
    if (Number(process.versions.node.split(".")[0]) < 22) assert.match(bare.stderr, /NodeVersionSupportWarning/);
  });
});
