// Errors about the operator's own input come before anything about AWS: a bad version, artifact, tier or --env is
// refused without touching the fleet or the store, and the AWS settings (profile, region) are checked before the
// first call, each in one line that names what to change.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { CliContext, main } from "../../../runtime/cli";
import { awsPorts } from "../../../runtime/cli/aws-ports";
import { FleetReadError } from "../../../runtime/core/errors";
import { FleetAdapter } from "../../../runtime/core/types";
import { MemoryObjectStore, zipBytes } from "../../support/memory-store";
import { noAwsSettings, withEnv } from "../../support/process-env";
import { scratchDir } from "../../support/scratch-dir";

/** Runs `phoenix <args>` with the given ports and captures what it prints. */
async function phoenix(ports: Pick<CliContext, "fleet" | "store">, ...args: string[]) {
  let out = "";
  let err = "";
  const code = await main(["node", "phoenix", ...args], {
    out: (t) => (out += t),
    err: (t) => (err += t),
    ...ports,
  });
  return { code, out, err };
}

/** Ports that fail the test if a command reaches them. */
const unreachable = {
  fleet: () => Promise.reject(new Error("the fleet was reached")),
  store: () => Promise.reject(new Error("the store was reached")),
};

describe("the CLI checks what it can before AWS", () => {
  const scratch = scratchDir("phoenix-before-aws-");
  let zip: string;
  let notZip: string;
  before(() => {
    zip = scratch("web.zip");
    fs.writeFileSync(zip, zipBytes("web"));
    notZip = scratch("notes.txt");
    fs.writeFileSync(notZip, "not a zip");
  });

  it("says the version is wrong, not that AWS is unconfigured", async () => {
    const result = await phoenix(
      unreachable,
      "release",
      "--env",
      "test",
      "--version",
      "banana",
      "--artifact",
      `web=${zip}`,
    );

    assert.equal(result.code, 2);
    assert.equal(
      result.err,
      'phoenix: --version "banana" is not a semantic version; use one like 1.0.274; nothing was published\n',
    );
  });

  it("names every artifact problem at once: a missing file, a file that is not a zip, a tier the boot script refuses", async () => {
    const result = await phoenix(
      unreachable,
      ...["release", "--env", "test", "--version", "1.0.3"],
      ...["--artifact", `web=${scratch("missing.zip")}`, "--artifact", `api=${notZip}`, "--artifact", `Admin=${zip}`],
    );

    assert.equal(result.code, 2);
    assert.equal(result.err.split("\n").length, 2, "one line");
    assert.match(result.err, /--artifact Admin=.*: the tier name must start with a lowercase letter/);
    assert.match(result.err, /artifact for api: .*notes\.txt is not a zip file/);
    assert.match(result.err, /artifact for web: .*missing\.zip does not exist/);
  });

  it("refuses a --to that is not a version before reading the store", async () => {
    const result = await phoenix(unreachable, "rollback", "--env", "test", "--to", "banana");

    assert.equal(result.code, 2);
    assert.equal(result.err, 'phoenix: --to "banana" is not a semantic version; use one like 1.0.274\n');
  });

  for (const command of ["status", "plan", "sweep", "releases", "rollback"]) {
    it(`refuses an --env the stack config would refuse, on ${command}`, async () => {
      const result = await phoenix(unreachable, command, "--env", "Live_1");

      assert.equal(result.code, 2);
      assert.equal(
        result.err,
        "phoenix: --env 'Live_1' must start with a lowercase letter and hold only lowercase letters, digits and " +
          "single hyphens (it names buckets)\n",
      );
    });
  }

  it("refuses a release to an --env the stack config would refuse", async () => {
    const result = await phoenix(
      unreachable,
      "release",
      "--env",
      "a".repeat(17),
      "--version",
      "1.0.3",
      "--artifact",
      `web=${zip}`,
    );

    assert.equal(result.code, 2);
    assert.match(result.err, /^phoenix: --env 'a{17}' must be at most 16 characters/);
  });

  describe("with AWS's own settings", () => {
    let n = 0;
    const settings = (extra: Record<string, string> = {}) => {
      const dir = scratch(`aws-${++n}`);
      fs.mkdirSync(dir);
      return { ...noAwsSettings(dir), ...extra };
    };

    it("says no region is configured, not the SDK's 'Region is missing', for releases", async () => {
      const result = await withEnv(settings(), () => phoenix(awsPorts(), "releases", "--env", "test"));

      assert.equal(result.code, 2);
      assert.equal(
        result.err,
        "phoenix: no AWS region configured: set AWS_REGION, or a region for your profile in ~/.aws/config\n",
      );
    });

    it("reports an unknown AWS_PROFILE as an unknown profile, for status", async () => {
      const result = await withEnv(settings({ AWS_PROFILE: "nosuch" }), () =>
        phoenix(awsPorts(), "status", "--env", "test"),
      );

      assert.equal(result.code, 2);
      assert.match(result.err, /^phoenix: AWS_PROFILE=nosuch is not a profile in .*: set AWS_PROFILE to one of them/);
    });

    it("still checks the version first when no region is configured", async () => {
      const result = await withEnv(settings(), () =>
        phoenix(awsPorts(), "release", "--env", "test", "--version", "banana", "--artifact", `web=${zip}`),
      );

      assert.match(result.err, /^phoenix: --version "banana" is not a semantic version/);
    });
  });

  describe("when the fleet cannot be read", () => {
    const failing = {
      fleet: () =>
        Promise.resolve<FleetAdapter>({
          readFleet: () =>
            Promise.reject(
              new FleetReadError(
                'read the Auto Scaling groups failed for environment "test": Throttling: Rate exceeded',
              ),
            ),
          terminate: () => Promise.reject(new Error("not reached")),
        }),
      // Where the sweep takes its lease before it reads anything.
      store: () => Promise.resolve(new MemoryObjectStore()),
    };

    it("says nothing was terminated after a sweep", async () => {
      const result = await phoenix(failing, "sweep", "--env", "test");

      assert.equal(result.code, 1);
      assert.match(result.err, /Rate exceeded; nothing was terminated\n$/);
    });

    for (const command of ["status", "plan"]) {
      it(`does not talk of terminations after ${command}, which terminates nothing`, async () => {
        const result = await phoenix(failing, command, "--env", "test");

        assert.equal(result.code, 1);
        assert.equal(
          result.err,
          'phoenix: read the Auto Scaling groups failed for environment "test": Throttling: Rate exceeded\n',
        );
      });
    }
  });
});
