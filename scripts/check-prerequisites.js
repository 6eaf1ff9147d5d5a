#!/usr/bin/env node
// What `npm test` needs beyond Node and npm, checked before anything else runs, so that a machine without one says
// so in one line instead of failing a few tests (or aborting mocha) with a message about something else. The
// boot-script tests run the real userdata/linux.sh under bash, which verifies artifacts with openssl and python3,
// and shellcheck lints it and the image pipeline's Linux steps. Tests that need a tool never skip without it.
//
//   node scripts/check-prerequisites.js             one line per missing tool, naming its Debian package; exit 1
//   node scripts/check-prerequisites.js --packages  only the Debian packages to install, space-separated (.ci/run)
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** Every tool the test suite runs, the Debian package that provides it, and what needs it. */
const TOOLS = [
  { command: "bash", pkg: "bash", usedBy: "the boot-script tests run userdata/linux.sh and the sample app with it" },
  { command: "python3", pkg: "python3", usedBy: "the boot script checks zips with it; the tests build zips with it" },
  { command: "openssl", pkg: "openssl", usedBy: "the boot script verifies each artifact's SHA-256 with it" },
  { command: "shellcheck", pkg: "shellcheck", usedBy: "lints the boot script and the image pipeline's Linux steps" },
];

/** The Node the lockfile's tools need (mocha 12 refuses older): package.json's engines. */
const MIN_NODE = [20, 19];

/** The full path of an executable named `command` on `searchPath`, or undefined. */
function onPath(command, searchPath) {
  for (const dir of (searchPath ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, command);
    try {
      if (fs.statSync(file).isFile()) {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      }
    } catch {
      // Not here, or not executable: keep looking.
    }
  }
  return undefined;
}

/** The tools missing from `searchPath`. */
function missingTools(searchPath) {
  return TOOLS.filter((tool) => onPath(tool.command, searchPath) === undefined);
}

function main() {
  const missing = missingTools(process.env.PATH);
  if (process.argv.includes("--packages")) {
    process.stdout.write(missing.length > 0 ? `${missing.map((t) => t.pkg).join(" ")}\n` : "");
    return 0;
  }
  const lines = [];
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    lines.push(
      `npm test needs Node.js ${MIN_NODE.join(".")} or later (mocha 12 refuses older); this is ${process.version}: ` +
        "install a newer Node (nodejs.org, or nvm install 20)",
    );
  }
  for (const tool of missing) {
    lines.push(
      `npm test needs ${tool.command}, which is not on PATH (${tool.usedBy}): ` + `sudo apt-get install -y ${tool.pkg}`,
    );
  }
  if (lines.length === 0) return 0;
  if (missing.length > 1) lines.push(`all at once: sudo apt-get install -y ${missing.map((t) => t.pkg).join(" ")}`);
  process.stderr.write(lines.map((l) => `${l}\n`).join(""));
  return 1;
}

module.exports = { TOOLS, missingTools, onPath };

if (require.main === module) process.exitCode = main();
