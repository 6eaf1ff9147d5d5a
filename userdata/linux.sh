#!/bin/bash
# phoenix boot script for Amazon Linux 2023: installs this tier's current release from the release store, runs it
# as a systemd service and checks it answers /version. Rendered by userdata/render.ts for one environment and tier.
# Any failure exits non-zero, marks the instance unhealthy and ships the boot log, so the Auto Scaling group
# replaces the instance instead of keeping a half-installed server in service.
# One case is not a failure: no release published yet (S3 answers NoSuchKey for the manifest, and only that). The
# instance then serves a placeholder that answers /version with the placeholder version, healthy and quiet, so a
# fresh environment does not replace its instances over and over; the first release replaces them.
set -euo pipefail
umask 022

readonly ENVIRONMENT="__PHOENIX_ENVIRONMENT__"
readonly TIER="__PHOENIX_TIER__"
readonly PORT="__PHOENIX_PORT__"
readonly BUCKET="__PHOENIX_BUCKET__"
readonly MANIFEST_KEY="__PHOENIX_MANIFEST_KEY__"
readonly LOG_GROUP="__PHOENIX_LOG_GROUP__"
readonly PLACEHOLDER_VERSION="__PHOENIX_PLACEHOLDER_VERSION__"
# The PHOENIX_* overrides exist for the boot script's own tests, which run it against stubbed commands in a
# scratch directory; on an instance they are unset.
readonly APP_ROOT="${PHOENIX_APP_ROOT:-/opt/phoenix}/${TIER}"
readonly BOOT_LOG="${PHOENIX_BOOT_LOG:-/var/log/phoenix-boot.log}"
readonly UNIT_DIR="${PHOENIX_UNIT_DIR:-/etc/systemd/system}"
readonly VERSION_CHECKS="${PHOENIX_VERSION_CHECKS:-60}"
readonly SERVICE="phoenix-${TIER}"
readonly IMDS="http://169.254.169.254/latest"

exec > >(tee -a "${BOOT_LOG}") 2>&1

log() {
  printf '%s phoenix-boot %s/%s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${ENVIRONMENT}" "${TIER}" "$*"
}

fail() {
  log "ERROR: $*"
  exit 1
}

TOKEN=""
INSTANCE_ID="unknown"
STEP="starting"
WORK="$(mktemp -d)"

imds() {
  curl -fsS --max-time 5 --retry 3 -H "X-aws-ec2-metadata-token: ${TOKEN}" "${IMDS}/$1"
}

# shellcheck disable=SC2317 # reached from the EXIT trap, which shellcheck cannot follow
ship_boot_log() {
  # Best effort: the same lines are on the instance's console output.
  local events="${WORK}/events.json"
  python3 - "${BOOT_LOG}" "${events}" <<'PY' || return 0
import json, sys, time
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()[-200000:]
json.dump([{"timestamp": int(time.time() * 1000), "message": text}], open(sys.argv[2], "w"))
PY
  aws logs create-log-stream --log-group-name "${LOG_GROUP}" --log-stream-name "${INSTANCE_ID}" >/dev/null 2>&1 || true
  aws logs put-log-events --log-group-name "${LOG_GROUP}" --log-stream-name "${INSTANCE_ID}" \
    --log-events "file://${events}" >/dev/null 2>&1 || log "could not ship the boot log to ${LOG_GROUP}"
}

# shellcheck disable=SC2317 # reached from the EXIT trap, which shellcheck cannot follow
on_exit() {
  local status=$?
  set +e
  if [ "${status}" -ne 0 ]; then
    log "FAILED during ${STEP} (exit ${status}); marking ${INSTANCE_ID} unhealthy so the group replaces it"
    if [ "${INSTANCE_ID}" != "unknown" ]; then
      aws autoscaling set-instance-health --instance-id "${INSTANCE_ID}" --health-status Unhealthy \
        --no-should-respect-grace-period ||
        log "could not mark the instance unhealthy; the load balancer health check will fail it instead"
    fi
  elif [ "${VERSION:-}" = "${PLACEHOLDER_VERSION}" ]; then
    log "boot complete: ${TIER} serves the no-release placeholder (${VERSION}) on port ${PORT}; publish a release to replace it"
  else
    log "boot complete: ${TIER} ${VERSION:-?} serving on port ${PORT}"
  fi
  ship_boot_log
  rm -rf "${WORK}"
  exit "${status}"
}
trap on_exit EXIT

STEP="reading instance metadata (IMDSv2)"
TOKEN="$(curl -fsS --max-time 5 --retry 3 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 21600" "${IMDS}/api/token")" ||
  fail "no IMDSv2 token from ${IMDS}"
INSTANCE_ID="$(imds meta-data/instance-id)" || fail "no instance id from instance metadata"
AWS_DEFAULT_REGION="$(imds meta-data/placement/region)" || fail "no region from instance metadata"
export AWS_DEFAULT_REGION
log "instance ${INSTANCE_ID} in ${AWS_DEFAULT_REGION}, image $(imds meta-data/ami-id || echo unknown)"

# Writes the tier's systemd unit (the app runs from $1 as user phoenix) and starts it.
start_service() {
  local dir="$1" exec_start="$2"
  STEP="starting ${SERVICE}"
  id phoenix >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin phoenix
  cat >"${UNIT_DIR}/${SERVICE}.service" <<UNIT
[Unit]
Description=phoenix ${ENVIRONMENT} ${TIER} ${VERSION}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=phoenix
Group=phoenix
WorkingDirectory=${dir}
Environment=PORT=${PORT} PHOENIX_VERSION=${VERSION} PHOENIX_TIER=${TIER} PHOENIX_ENVIRONMENT=${ENVIRONMENT}
ExecStart=${exec_start}
Restart=on-failure
RestartSec=2
AmbientCapabilities=CAP_NET_BIND_SERVICE
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable --now "${SERVICE}.service" || fail "systemd could not start ${SERVICE}"
}

# Waits until the service answers /version with ${VERSION}; exits the script (successfully) when it does.
await_version() {
  STEP="checking /version"
  for _ in $(seq 1 "${VERSION_CHECKS}"); do
    if BODY="$(curl -fsS --max-time 2 "http://127.0.0.1:${PORT}/version" 2>/dev/null)" && printf '%s' "${BODY}" | grep -qF "${VERSION}"; then
      log "/version answers ${BODY}"
      exit 0
    fi
    sleep 2
  done
  journalctl -u "${SERVICE}" --no-pager -n 50 || true
  fail "${SERVICE} did not answer /version with ${VERSION} on port ${PORT} after ${VERSION_CHECKS} tries 2 seconds apart"
}

# No release yet: a small server that answers /version with the placeholder version (so the load balancer and Auto
# Scaling see a healthy instance) and 503 "no release yet" on every other path.
serve_placeholder() {
  STEP="serving the no-release placeholder"
  VERSION="${PLACEHOLDER_VERSION}"
  log "no release published yet (s3://${BUCKET}/${MANIFEST_KEY} does not exist): serving the placeholder ${VERSION} until the first release replaces this instance"
  local dir="${APP_ROOT}/placeholder"
  rm -rf "${dir}"
  mkdir -p "${dir}"
  cat >"${dir}/server.py" <<'PY'
import http.server, json, os

VERSION = os.environ["PHOENIX_VERSION"]


class Placeholder(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] == "/version":
            status, body, kind = 200, json.dumps({"version": VERSION}), "application/json"
        else:
            status, body, kind = 503, "no release yet: publish one with npx phoenix release\n", "text/plain"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), Placeholder).serve_forever()
PY
  start_service "${dir}" "$(command -v python3) ${dir}/server.py"
  await_version
}

STEP="reading the release manifest"
# Only NoSuchKey means "nothing published yet" (the instance role may list the bucket, so a missing key is not an
# AccessDenied); any other error, a throttle or a denial, is a failed boot like every other.
if ! aws s3api get-object --bucket "${BUCKET}" --key "${MANIFEST_KEY}" "${WORK}/manifest.json" >/dev/null 2>"${WORK}/manifest.err"; then
  cat "${WORK}/manifest.err" >&2
  grep -qF "(NoSuchKey)" "${WORK}/manifest.err" && serve_placeholder
  fail "cannot read s3://${BUCKET}/${MANIFEST_KEY}: $(tr '\n' ' ' <"${WORK}/manifest.err")"
fi
PARSED="$(
  python3 - "${WORK}/manifest.json" "${TIER}" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
version = doc.get("version")
key = (doc.get("artifacts") or {}).get(sys.argv[2])
if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?", version):
    sys.exit("manifest version %r is not a semantic version" % (version,))
if not isinstance(key, str) or not re.fullmatch(r"[0-9A-Za-z!_.*'()/-]+", key):
    sys.exit("manifest has no usable artifact key for tier %s" % sys.argv[2])
print(version, key)
PY
)" || fail "s3://${BUCKET}/${MANIFEST_KEY} is not a valid manifest"
read -r VERSION ARTIFACT_KEY <<<"${PARSED}"
log "manifest: version ${VERSION}, artifact ${ARTIFACT_KEY}"

STEP="downloading ${ARTIFACT_KEY}"
aws s3api get-object --bucket "${BUCKET}" --key "${ARTIFACT_KEY}" --checksum-mode ENABLED \
  "${WORK}/artifact.zip" >"${WORK}/object.json" || fail "cannot download s3://${BUCKET}/${ARTIFACT_KEY}"

STEP="verifying ${ARTIFACT_KEY}"
EXPECTED="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("ChecksumSHA256") or "")' "${WORK}/object.json")"
[ -n "${EXPECTED}" ] || fail "s3://${BUCKET}/${ARTIFACT_KEY} has no SHA-256 checksum; publish it with phoenix release"
ACTUAL="$(openssl dgst -sha256 -binary "${WORK}/artifact.zip" | base64)"
[ "${ACTUAL}" = "${EXPECTED}" ] || fail "checksum mismatch for ${ARTIFACT_KEY}: expected ${EXPECTED}, got ${ACTUAL}"
python3 -m zipfile -t "${WORK}/artifact.zip" >/dev/null || fail "${ARTIFACT_KEY} is not an intact zip archive"
log "artifact verified (sha256 ${ACTUAL})"

STEP="installing ${VERSION}"
RELEASE_DIR="${APP_ROOT}/releases/${VERSION}"
rm -rf "${RELEASE_DIR}"
mkdir -p "${RELEASE_DIR}"
python3 -m zipfile -e "${WORK}/artifact.zip" "${RELEASE_DIR}" || fail "cannot unpack ${ARTIFACT_KEY}"
[ -f "${RELEASE_DIR}/bin/start" ] || fail "${ARTIFACT_KEY} has no bin/start: the artifact must contain an executable bin/start"
chmod 0755 "${RELEASE_DIR}/bin/start"
[ -f "${RELEASE_DIR}/VERSION" ] || printf '%s\n' "${VERSION}" >"${RELEASE_DIR}/VERSION"
ln -sfn "${RELEASE_DIR}" "${APP_ROOT}/current"
log "installed into ${RELEASE_DIR}"

start_service "${RELEASE_DIR}" "${RELEASE_DIR}/bin/start"
await_version
