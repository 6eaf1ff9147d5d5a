// Runs the Linux boot script here, for real, with the commands it calls stubbed: instance metadata and /version
// (curl), S3, CloudWatch Logs and Auto Scaling (aws), systemd. Shared by the boot-script tests and the program tests,
// which run the script the launch templates carry.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Stub commands the Linux boot script calls, so it can run here: IMDS and /version (curl), S3/logs/ASG (aws). */
const STUBS: Record<string, string> = {
  curl: `#!/bin/bash
url="\${@: -1}"
echo "curl $*" >>"$STUB_LOG"
case "$url" in
  */api/token) echo "token-123" ;;
  */meta-data/instance-id) echo "i-0abc123" ;;
  */meta-data/placement/region) echo "eu-west-1" ;;
  */meta-data/ami-id) echo "ami-0123456789abcdef0" ;;
  http://127.0.0.1:*/version)
    [ -n "\${STUB_APP_DOWN:-}" ] && exit 7
    printf '{"version":"%s"}' "$STUB_VERSION" ;;
  *) exit 22 ;;
esac
`,
  aws: `#!/bin/bash
echo "aws $*" >>"$STUB_LOG"
if [ "$1 $2" = "s3api get-object" ]; then
  key="" ; out="\${@: -1}"
  while [ $# -gt 0 ]; do [ "$1" = "--key" ] && key="$2"; shift; done
  [ -n "\${STUB_S3_DENY:-}" ] && { echo "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied" >&2; exit 255; }
  [ -f "$STUB_S3/$key" ] || { echo "An error occurred (NoSuchKey)" >&2; exit 255; }
  cp "$STUB_S3/$key" "$out"
  if [ -f "$STUB_S3/$key.sha256" ]; then printf '{"ChecksumSHA256":"%s"}\n' "$(cat "$STUB_S3/$key.sha256")"; else echo '{}'; fi
fi
exit 0
`,
  systemctl: `#!/bin/bash
echo "systemctl $*" >>"$STUB_LOG"
`,
  journalctl: `#!/bin/bash
exit 0
`,
  id: `#!/bin/bash
exit 0
`,
  useradd: `#!/bin/bash
echo "useradd $*" >>"$STUB_LOG"
`,
};

/** What a boot did: its exit status, the stubbed commands it called, its log, and the scratch root. */
export interface BootRun {
  status: number | null;
  calls: string[];
  bootLog: string;
  root: string;
}

/**
 * Runs a rendered Linux boot script with stubbed commands in a scratch directory: `files` are the bucket's objects by
 * key (a `<key>.sha256` beside one is its stored checksum), `env` sets STUB_* switches and PHOENIX_* overrides.
 */
export function runBootScript(
  text: string,
  files: Record<string, Buffer | string>,
  env: Record<string, string> = {},
): BootRun {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-boot-"));
  const bin = path.join(root, "bin");
  const s3 = path.join(root, "s3");
  fs.mkdirSync(bin);
  fs.mkdirSync(path.join(root, "units"));
  for (const [name, text] of Object.entries(STUBS)) fs.writeFileSync(path.join(bin, name), text, { mode: 0o755 });
  for (const [key, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(s3, key)), { recursive: true });
    fs.writeFileSync(path.join(s3, key), body);
  }
  const script = path.join(root, "boot.sh");
  fs.writeFileSync(script, text);
  const result = spawnSync("bash", [script], {
    encoding: "utf8",
    timeout: 60000,
    env: {
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      HOME: root,
      TMPDIR: root,
      STUB_LOG: path.join(root, "calls.log"),
      STUB_S3: s3,
      STUB_VERSION: "1.0.274",
      PHOENIX_APP_ROOT: path.join(root, "opt"),
      PHOENIX_BOOT_LOG: path.join(root, "boot.log"),
      PHOENIX_UNIT_DIR: path.join(root, "units"),
      ...env,
    },
  });
  const read = (f: string) => (fs.existsSync(path.join(root, f)) ? fs.readFileSync(path.join(root, f), "utf8") : "");
  return {
    status: result.status,
    calls: read("calls.log").split("\n").filter(Boolean),
    // The script tees into the boot log; spawnSync returns once tee has exited, while the file may still lag.
    bootLog: result.stdout,
    root,
  };
}
