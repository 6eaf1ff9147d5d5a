// Boot scripts: the rendered text of each platform does what the contract says (IMDSv2, manifest, verify, install,
// service, boot log, loud failure), the Linux script passes shellcheck, and unsafe values are refused.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as http from "node:http";
import * as net from "node:net";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BootScriptArgs, renderBootScript } from "../../userdata/render";
import { parseVersionBody } from "../../runtime/core/version";
import { BootRun, runBootScript } from "../support/boot-script";
import { MANIFEST_KEY, UNRELEASED_VERSION, bootLogGroupName } from "../../runtime/contract";
import { requireTool } from "../support/tools";

const base: BootScriptArgs = {
  platform: "linux",
  environment: "test",
  tier: "web",
  port: 8080,
  releaseBucket: "test-release-bucket-1a2b3c4",
  logGroupName: bootLogGroupName("test"),
};

describe("boot scripts", () => {
  it("read the manifest key the runtime writes", () => {
    assert.match(renderBootScript(base), new RegExp(`MANIFEST_KEY="${MANIFEST_KEY.replace(".", "\\.")}"`));
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
      assert.match(script, new RegExp(`^readonly PLACEHOLDER_VERSION="${UNRELEASED_VERSION}"$`, "m"));
      assert.doesNotMatch(script, /__PHOENIX_/);
    });

    it("gets an IMDSv2 token before reading instance metadata", () => {
      const token = script.indexOf("X-aws-ec2-metadata-token-ttl-seconds");
      const firstRead = script.indexOf("imds meta-data/");

      assert.ok(token > 0 && firstRead > token);
      assert.match(script, /-X PUT .*\/api\/token/);
    });

    it("serves the placeholder only when S3 says the manifest does not exist (NoSuchKey)", () => {
      assert.match(script, /grep -qF "\(NoSuchKey\)" "\$\{WORK\}\/manifest\.err" && serve_placeholder/);
      assert.match(script, /fail "cannot read s3:\/\/\$\{BUCKET\}\/\$\{MANIFEST_KEY\}: /);
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
      assert.match(script, /cat >"\$\{UNIT_DIR\}\/\$\{SERVICE\}\.service"/);
      assert.match(script, /^readonly UNIT_DIR="\$\{PHOENIX_UNIT_DIR:-\/etc\/systemd\/system\}"$/m);
      assert.match(script, /^readonly APP_ROOT="\$\{PHOENIX_APP_ROOT:-\/opt\/phoenix\}\/\$\{TIER\}"$/m);
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
      requireTool("shellcheck");
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-userdata-"));
      const file = path.join(dir, "boot.sh");
      fs.writeFileSync(file, script);

      const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", file], { encoding: "utf8" });

      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(result.status, 0, `shellcheck found problems:\n${result.stdout}${result.stderr}`);
    });

    it("parses as bash", () => {
      requireTool("bash");
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
      assert.match(script, new RegExp(`^\\$PlaceholderVersion = '${UNRELEASED_VERSION}'$`, "m"));
      assert.doesNotMatch(script, /__PHOENIX_/);
    });

    it("gets an IMDSv2 token before reading instance metadata", () => {
      assert.ok(script.indexOf("X-aws-ec2-metadata-token-ttl-seconds") < script.indexOf("meta-data/instance-id"));
    });

    it("serves the placeholder version from the IIS site when the manifest does not exist, and only then", () => {
      const read = script.indexOf("Read-S3Object -BucketName $Bucket -Key $ManifestKey");
      const catchAt = script.indexOf("} catch {", read);
      const placeholder = script.indexOf("$Version = $PlaceholderVersion");

      assert.ok(read > 0 && catchAt > read && placeholder > catchAt);
      assert.match(
        script.slice(catchAt, placeholder),
        /if \(-not \(Test-NoSuchKey \$_\)\) \{ throw \}\n\s+\$Released = \$false/,
      );
      assert.match(script, /\$e\.ErrorCode -eq 'NoSuchKey'/);
      assert.match(script, /Set-Content -Path "\$ReleaseDir\\version" -Value \$Version -NoNewline/);
    });

    it("marks itself unhealthy only from the failure handler, which the placeholder path never reaches", () => {
      const handler = script.indexOf("} catch {\n  $ExitCode = 1");
      const placeholderEnd = script.indexOf("$Step = 'starting the IIS site'");

      assert.equal(script.split("Set-ASInstanceHealth").length, 2);
      assert.ok(script.indexOf("Set-ASInstanceHealth") > handler && handler > placeholderEnd);
      assert.doesNotMatch(script.slice(script.indexOf("$Version = $PlaceholderVersion"), placeholderEnd), /throw/);
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
      const start = fs.readFileSync(
        path.join(__dirname, "..", "..", "userdata", "sample", "linux", "bin", "start"),
        "utf8",
      );

      assert.match(start, /^#!\/bin\/bash/);
      assert.match(start, /server\.py/);
    });

    it("ship a Windows site that serves the extensionless version file", () => {
      const config = fs.readFileSync(
        path.join(__dirname, "..", "..", "userdata", "sample", "windows", "web.config"),
        "utf8",
      );

      assert.match(config, /<mimeMap fileExtension="\." mimeType="text\/plain" \/>/);
    });
  });
});

/** Runs the Linux script rendered for the test environment's web tier against stubbed AWS. */
function runBoot(files: Record<string, Buffer | string>, env: Record<string, string> = {}): BootRun {
  return runBootScript(renderBootScript(base), files, env);
}

/** A zip of the Linux sample app, built with Python's zipfile as the README tells operators to. */
function sampleZip(): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-zip-"));
  const zip = path.join(dir, "web.zip");
  const result = spawnSync("python3", ["-m", "zipfile", "-c", zip, "bin", "server.py"], {
    cwd: path.join(__dirname, "..", "..", "userdata", "sample", "linux"),
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  const body = fs.readFileSync(zip);
  fs.rmSync(dir, { recursive: true, force: true });
  return body;
}

const manifest = JSON.stringify({
  version: "1.0.274",
  artifacts: { web: "releases/1.0.274/web.zip", api: "releases/1.0.274/api.zip" },
  publishedAt: "2026-11-26T03:00:00.000Z",
});

describe("the Linux boot script, run against stubbed AWS", () => {
  // Built in a hook, not as the file loads: a machine without python3 then fails these tests, saying what to
  // install, rather than aborting the whole mocha run.
  let zip: Buffer;
  let released: Record<string, Buffer | string>;
  before(() => {
    for (const tool of ["bash", "python3", "openssl"]) requireTool(tool);
    zip = sampleZip();
    released = {
      "releases/current.json": manifest,
      "releases/1.0.274/web.zip": zip,
      "releases/1.0.274/web.zip.sha256": createHash("sha256").update(zip).digest("base64"),
    };
  });
  const runs: BootRun[] = [];
  after(() => runs.forEach((r) => fs.rmSync(r.root, { recursive: true, force: true })));

  it("installs the manifest's version into its own directory and starts it as a service", () => {
    const run = runBoot(released);
    runs.push(run);
    const dir = path.join(run.root, "opt", "web", "releases", "1.0.274");

    assert.equal(run.status, 0, run.bootLog);
    assert.ok(fs.existsSync(path.join(dir, "server.py")));
    assert.equal(fs.readFileSync(path.join(dir, "VERSION"), "utf8"), "1.0.274\n");
    assert.equal(fs.readlinkSync(path.join(run.root, "opt", "web", "current")), dir);
    const unit = fs.readFileSync(path.join(run.root, "units", "phoenix-web.service"), "utf8");
    assert.match(unit, new RegExp(`^ExecStart=${dir}/bin/start$`, "m"));
    assert.match(unit, /^Environment=PORT=8080 PHOENIX_VERSION=1.0.274 PHOENIX_TIER=web PHOENIX_ENVIRONMENT=test$/m);
    assert.ok(run.calls.includes("systemctl enable --now phoenix-web.service"));
    assert.match(run.bootLog, /boot complete: web 1\.0\.274 serving on port 8080/);
  });

  it("asks IMDSv2 for a token and uses it for every metadata read", () => {
    const run = runBoot(released);
    runs.push(run);
    const metadata = run.calls.filter((c) => c.includes("169.254.169.254"));

    assert.match(metadata[0], /-X PUT .*X-aws-ec2-metadata-token-ttl-seconds: 21600 .*\/api\/token$/);
    for (const read of metadata.slice(1)) assert.match(read, /X-aws-ec2-metadata-token: token-123/);
  });

  it("ships the boot log and does not report itself unhealthy when all went well", () => {
    const run = runBoot(released);
    runs.push(run);

    assert.ok(
      run.calls.some((c) =>
        c.startsWith("aws logs put-log-events --log-group-name /phoenix/test/boot --log-stream-name i-0abc123"),
      ),
    );
    assert.ok(!run.calls.some((c) => c.includes("set-instance-health")));
  });

  const failures: [string, () => Record<string, Buffer | string>, Record<string, string>, RegExp][] = [
    [
      "the manifest cannot be read (access denied, not missing)",
      () => released,
      { STUB_S3_DENY: "1" },
      /cannot read s3:\/\/test-release-bucket-1a2b3c4\/releases\/current\.json: An error occurred \(AccessDenied\)/,
    ],
    [
      "the manifest has no artifact for the tier",
      () => ({
        "releases/current.json": JSON.stringify({
          ...JSON.parse(manifest),
          artifacts: { api: "releases/1.0.274/api.zip" },
        }),
      }),
      {},
      /manifest has no usable artifact key for tier web/,
    ],
    [
      "the artifact does not match its checksum",
      () => ({ ...released, "releases/1.0.274/web.zip.sha256": "AAAA" }),
      {},
      /checksum mismatch for releases\/1\.0\.274\/web\.zip/,
    ],
    [
      "the artifact has no checksum",
      () => ({ "releases/current.json": manifest, "releases/1.0.274/web.zip": zip }),
      {},
      /has no SHA-256 checksum/,
    ],
    [
      "the app never answers /version",
      () => released,
      { STUB_APP_DOWN: "1", PHOENIX_VERSION_CHECKS: "1" },
      /did not answer \/version with 1\.0\.274/,
    ],
  ];
  for (const [what, files, env, message] of failures) {
    it(`fails loudly when ${what}: non-zero exit, instance marked unhealthy, log shipped`, () => {
      const run = runBoot(files(), env);
      runs.push(run);

      assert.notEqual(run.status, 0);
      assert.match(run.bootLog, message);
      assert.ok(
        run.calls.includes(
          "aws autoscaling set-instance-health --instance-id i-0abc123 --health-status Unhealthy --no-should-respect-grace-period",
        ),
        run.calls.join("\n"),
      );
      assert.ok(run.calls.some((c) => c.startsWith("aws logs put-log-events")));
    });
  }

  it("installs nothing when the artifact fails verification", () => {
    const run = runBoot({ ...released, "releases/1.0.274/web.zip.sha256": "AAAA" });
    runs.push(run);

    assert.equal(fs.existsSync(path.join(run.root, "opt", "web", "releases")), false);
    assert.ok(!run.calls.some((c) => c.startsWith("systemctl")));
  });
});

describe("the Linux boot script with no release published (S3 answers NoSuchKey)", () => {
  let run: BootRun;
  before(() => {
    run = runBoot({}, { STUB_VERSION: UNRELEASED_VERSION });
  });
  after(() => fs.rmSync(run.root, { recursive: true, force: true }));

  it("boots successfully and never marks itself unhealthy, so the group has nothing to replace", () => {
    assert.equal(run.status, 0, run.bootLog);
    assert.ok(!run.calls.some((c) => c.includes("set-instance-health")), run.calls.join("\n"));
    assert.match(
      run.bootLog,
      /no release published yet \(s3:\/\/test-release-bucket-1a2b3c4\/releases\/current\.json does not exist\)/,
    );
    assert.match(
      run.bootLog,
      /boot complete: web serves the no-release placeholder \(0\.0\.0-unreleased\) on port 8080/,
    );
    assert.ok(run.calls.some((c) => c.startsWith("aws logs put-log-events")));
  });

  it("runs the placeholder as the tier's service, with the placeholder version, and checks its /version", () => {
    const dir = path.join(run.root, "opt", "web", "placeholder");
    const unit = fs.readFileSync(path.join(run.root, "units", "phoenix-web.service"), "utf8");

    assert.match(unit, new RegExp(`^ExecStart=\\S*python3 ${dir}/server\\.py$`, "m"));
    assert.match(
      unit,
      /^Environment=PORT=8080 PHOENIX_VERSION=0\.0\.0-unreleased PHOENIX_TIER=web PHOENIX_ENVIRONMENT=test$/m,
    );
    assert.match(unit, /^User=phoenix$/m);
    assert.ok(run.calls.includes("systemctl enable --now phoenix-web.service"));
    assert.ok(run.calls.some((c) => /^curl .*http:\/\/127\.0\.0\.1:8080\/version$/.test(c)));
    assert.equal(fs.existsSync(path.join(run.root, "opt", "web", "releases")), false);
  });

  it("writes a placeholder server that answers /version 200 with the placeholder version and 503 elsewhere", async function () {
    this.timeout(15000);
    // The placeholder binds every interface, as on an instance: ask the kernel for a port nobody holds.
    const port = await freePort();
    const server = spawn("python3", [path.join(run.root, "opt", "web", "placeholder", "server.py")], {
      env: { ...process.env, PORT: String(port), PHOENIX_VERSION: UNRELEASED_VERSION },
      stdio: "ignore",
    });
    try {
      const version = await retryGet(port, "/version");
      const page = await retryGet(port, "/");

      assert.equal(version.status, 200);
      assert.equal(parseVersionBody(version.body), UNRELEASED_VERSION);
      assert.equal(page.status, 503);
      assert.match(page.body, /no release yet: publish one with npx phoenix release/);
    } finally {
      server.kill();
    }
  });
});

/** A TCP port free on this machine right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

/** GET on loopback, retried while the server is still starting. */
async function retryGet(port: number, p: string): Promise<{ status: number; body: string }> {
  const get = () =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: p }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on("error", reject);
    });
  for (let i = 0; i < 100; i++) {
    try {
      return await get();
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return get();
}

describe("the Linux sample app", () => {
  it("answers /version with the version packed beside it", async function () {
    this.timeout(15000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-sample-"));
    fs.cpSync(path.join(__dirname, "..", "..", "userdata", "sample", "linux"), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "VERSION"), "2.3.4\n");
    // It binds loopback only, but ask the kernel for a port nobody holds rather than guess one.
    const port = await freePort();
    const app = spawn("bash", [path.join(dir, "bin", "start")], {
      env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), PHOENIX_TIER: "web" },
      stdio: "ignore",
    });
    try {
      const answer = await retryGet(port, "/version");

      assert.deepEqual(answer, { status: 200, body: '{"version": "2.3.4"}' });
      const page = await retryGet(port, "/api/orders");
      assert.equal(JSON.parse(page.body).path, "/api/orders");
    } finally {
      app.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
