// The AWS settings the CLI checks before its first call: a profile AWS_PROFILE names must exist in the shared files,
// and the SDK's own chain must find a region. The SDK itself would report both as something else.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { createClients } from "../../../runtime/aws/clients";
import { checkAwsSettings, profileProblem, sharedProfiles } from "../../../runtime/aws/settings";
import { noAwsSettings, withEnv } from "../../support/process-env";
import { scratchDir } from "../../support/scratch-dir";

describe("the AWS settings check", () => {
  const scratch = scratchDir("phoenix-aws-settings-");
  let n = 0;
  /** A fresh directory per test: the SDK caches the shared files it has read, by path. */
  function home(files: { config?: string; credentials?: string } = {}): string {
    const dir = scratch(`home-${++n}`);
    fs.mkdirSync(dir);
    if (files.config !== undefined) fs.writeFileSync(`${dir}/config`, files.config);
    if (files.credentials !== undefined) fs.writeFileSync(`${dir}/credentials`, files.credentials);
    return dir;
  }

  it("finds the profiles of both shared files, with or without the `profile` prefix", () => {
    const dir = home({
      config: "[default]\nregion = eu-west-1\n[profile ops]\nregion = eu-west-2\n[sso-session corp]\nsso_region = x\n",
      credentials: "[deploy]\naws_access_key_id = AKID\n",
    });

    assert.deepEqual([...sharedProfiles(noAwsSettings(dir)).profiles].sort(), ["default", "deploy", "ops"]);
  });

  it("names an unknown AWS_PROFILE, the files it looked in and the profiles they define", () => {
    const dir = home({ config: "[profile ops]\nregion = eu-west-2\n" });

    assert.equal(
      profileProblem({ ...noAwsSettings(dir), AWS_PROFILE: "nosuch" }),
      `AWS_PROFILE=nosuch is not a profile in ${dir}/config or ${dir}/credentials (they define ops): set AWS_PROFILE ` +
        "to one of them, or unset it",
    );
    assert.equal(profileProblem({ ...noAwsSettings(dir), AWS_PROFILE: "ops" }), undefined);
    assert.equal(profileProblem(noAwsSettings(dir)), undefined, "no AWS_PROFILE: the SDK's default chain decides");
  });

  it("reports an unknown profile as such, not as a missing region", async () => {
    const env = { ...noAwsSettings(home()), AWS_PROFILE: "nosuch" };

    await withEnv(env, () =>
      assert.rejects(checkAwsSettings(createClients(), env), {
        name: "UsageError",
        message: /^AWS_PROFILE=nosuch is not a profile in .* \(they define none\)/,
      }),
    );
  });

  it("says no region is configured when the SDK's chain finds none", async () => {
    const env = noAwsSettings(home());

    await withEnv(env, () =>
      assert.rejects(checkAwsSettings(createClients(), env), {
        name: "UsageError",
        message: "no AWS region configured: set AWS_REGION, or a region for your profile in ~/.aws/config",
      }),
    );
  });

  it("accepts a region from the profile's section of the config file, as the SDK does", async () => {
    const env = { ...noAwsSettings(home({ config: "[profile ops]\nregion = eu-west-2\n" })), AWS_PROFILE: "ops" };

    await withEnv(env, () => checkAwsSettings(createClients(), env));
  });
});
