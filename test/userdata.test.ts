// Boot scripts: the rendered text of each platform does what the contract says (IMDSv2, manifest, verify, install,
// service, boot log, loud failure), the Linux script passes shellcheck, and unsafe values are refused.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MANIFEST_KEY } from "../runtime/manifest";
import { BootScriptArgs, bootLogGroupName, DEFAULT_MANIFEST_KEY, renderBootScript } from "../userdata/render";

const base: BootScriptArgs = {
  platform: "linux",
  environment: "test",
  tier: "web",
  port: 8080,
  releaseBucket: "test-release-bucket-1a2b3c4",
  logGroupName: bootLogGroupName("test"),
};

describe("boot scripts", () => {
  it("use the manifest key the runtime writes", () => {
    assert.equal(DEFAULT_MANIFEST_KEY, MANIFEST_KEY);
  });

  describe("on Linux", () => {
    const script = renderBootScript(base);

    it("is a bash script that stops at the first error", () => {
      assert.match(script, /^#!\/bin\/bash\n/);
      assert.match(script, /^set -euo pipefail$/m);
    });

    it("fills in every value and leaves no placeholder behind", () => {
      assert.match(script, /^readonly ENVIRONMENT="test"$/m);
      assert.match(script, /^readonly TIER="web"$/m);
      assert.match(script, /^readonly PORT="8080"$/m);
      assert.match(script, /^readonly BUCKET="test-release-bucket-1a2b3c4"$/m);
      assert.match(script, /^readonly MANIFEST_KEY="releases\/current.json"$/m);
      assert.match(script, /^readonly LOG_GROUP="\/phoenix\/test\/boot"$/m);
      assert.doesNotMatch(script, /__PHOENIX_/);
    });

    it("gets an IMDSv2 token before reading instance metadata", () => {
      const token = script.indexOf("X-aws-ec2-metadata-token-ttl-seconds");
      const firstRead = script.indexOf("imds meta-data/");

      assert.ok(token > 0 && firstRead > token);
      assert.match(script, /-X PUT .*\/api\/token/);
    });

    it("reads the manifest and downloads its tier's artifact with its checksum", () => {
      assert.match(script, /aws s3api get-object --bucket "\$\{BUCKET\}" --key "\$\{MANIFEST_KEY\}"/);
      assert.match(script, /--key "\$\{ARTIFACT_KEY\}" --checksum-mode ENABLED/);
    });

    it("verifies the artifact's SHA-256 and zip integrity before installing", () => {
      assert.match(script, /openssl dgst -sha256 -binary/);
      assert.match(script, /checksum mismatch/);
      assert.match(script, /python3 -m zipfile -t/);
      assert.ok(script.indexOf("checksum mismatch") < script.indexOf('STEP="installing'));
    });

    it("installs into a directory per version and runs it as a systemd service", () => {
      assert.match(script, /RELEASE_DIR="\$\{APP_ROOT\}\/releases\/\$\{VERSION\}"/);
      assert.match(script, /\/etc\/systemd\/system\/\$\{SERVICE\}\.service/);
      assert.match(script, /systemctl enable --now/);
      assert.match(script, /^User=phoenix$/m);
    });

    it("declares the boot done only when /version answers the manifest's version", () => {
      assert.match(script, /http:\/\/127\.0\.0\.1:\$\{PORT\}\/version/);
      assert.match(script, /grep -qF "\$\{VERSION\}"/);
    });

    it("fails loudly: non-zero exit, the instance marked unhealthy, the boot log shipped", () => {
      assert.match(script, /^trap on_exit EXIT$/m);
      assert.match(script, /set-instance-health --instance-id "\$\{INSTANCE_ID\}" --health-status Unhealthy/);
      assert.match(script, /aws logs put-log-events --log-group-name "\$\{LOG_GROUP\}"/);
      assert.match(script, /exit "\$\{status\}"/);
    });

    it("passes shellcheck", function () {
      this.timeout(30000);
      const found = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
      assert.ok(
        found.status === 0,
        "shellcheck is not installed: run `apt-get install -y shellcheck` (.ci/run installs it); this test never skips",
      );
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-userdata-"));
      const file = path.join(dir, "boot.sh");
      fs.writeFileSync(file, script);

      const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", file], { encoding: "utf8" });

      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(result.status, 0, `shellcheck found problems:\n${result.stdout}${result.stderr}`);
    });

    it("parses as bash", () => {
      const result = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });

      assert.equal(result.status, 0, result.stderr);
    });
  });

  describe("on Windows", () => {
    const script = renderBootScript({ ...base, platform: "windows", tier: "api", port: 8081 });

    it("is a PowerShell block EC2Launch runs", () => {
      assert.match(script, /^<powershell>\n/);
      assert.match(script, /<\/powershell>\n?$/);
      assert.match(script, /\$ErrorActionPreference = 'Stop'/);
    });

    it("fills in every value and leaves no placeholder behind", () => {
      assert.match(script, /^\$Tier = 'api'$/m);
      assert.match(script, /^\$Port = \[int\]'8081'$/m);
      assert.match(script, /^\$Bucket = 'test-release-bucket-1a2b3c4'$/m);
      assert.doesNotMatch(script, /__PHOENIX_/);
    });

    it("gets an IMDSv2 token before reading instance metadata", () => {
      assert.ok(script.indexOf("X-aws-ec2-metadata-token-ttl-seconds") < script.indexOf("meta-data/instance-id"));
    });

    it("verifies the artifact's SHA-256 before installing it", () => {
      assert.match(script, /-ChecksumMode ENABLED/);
      assert.match(script, /SHA256/);
      assert.ok(script.indexOf("checksum mismatch") < script.indexOf("Expand-Archive"));
    });

    it("installs into a directory per version served by an IIS site on the tier's port", () => {
      assert.match(script, /\$ReleaseDir = "\$AppRoot\\releases\\\$Version"/);
      assert.match(script, /Install-WindowsFeature -Name Web-Server/);
      assert.match(script, /New-Website -Name \$Site -Port \$Port -PhysicalPath \$ReleaseDir/);
    });

    it("fails loudly: non-zero exit, the instance marked unhealthy, the boot log shipped", () => {
      assert.match(script, /\$ExitCode = 1/);
      assert.match(script, /Set-ASInstanceHealth -InstanceId \$InstanceId -HealthStatus Unhealthy/);
      assert.match(script, /Write-CWLLogEvent -LogGroupName \$LogGroup/);
      assert.match(script, /^exit \$ExitCode$/m);
    });
  });

  describe("refuses values that could break out of the script", () => {
    const cases: [string, Partial<BootScriptArgs>, RegExp][] = [
      ["a tier with a quote", { tier: "web'; rm -rf /" }, /tier "web'; rm -rf \/" is not usable/],
      ["an environment with a dollar", { environment: "$(reboot)" }, /environment "\$\(reboot\)" is not usable/],
      ["a bucket with a space", { releaseBucket: "my bucket" }, /releaseBucket "my bucket" is not usable/],
      ["a port out of range", { port: 70000 }, /port 70000 must be a whole number from 1 to 65535/],
      ["an unknown platform", { platform: "solaris" as never }, /platform "solaris" is not linux or windows/],
    ];
    for (const [what, override, message] of cases) {
      it(`refuses ${what}`, () => {
        assert.throws(() => renderBootScript({ ...base, ...override }), message);
      });
    }
  });

  describe("the sample apps", () => {
    it("ship a Linux entry point the boot script can start", () => {
      const start = fs.readFileSync(path.join(__dirname, "..", "userdata", "sample", "linux", "bin", "start"), "utf8");

      assert.match(start, /^#!\/bin\/bash/);
      assert.match(start, /server\.py/);
    });

    it("ship a Windows site that serves the extensionless version file", () => {
      const config = fs.readFileSync(path.join(__dirname, "..", "userdata", "sample", "windows", "web.config"), "utf8");

      assert.match(config, /<mimeMap fileExtension="\." mimeType="text\/plain" \/>/);
    });
  });
});
