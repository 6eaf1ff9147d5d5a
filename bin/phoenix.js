#!/usr/bin/env node
// The `phoenix` CLI. Runs the transpiled runtime in dist/ (built by `npm ci` through `prepare`) when it is at least
// as new as every runtime source file; otherwise loads the TypeScript directly, transpile-only. Never type-checks at
// start-up: that is `npm test`'s job.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");

// The lockfile pins an SDK that still supports Node 20; its multi-line "upgrade Node" warning on every command is
// noise for an operator. Set the variable to "false" to see it again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// A reader that stops early (`phoenix explain log | less`, then q; `| head`) closes the pipe: that is the reader's
// choice, not a failure, so leave quietly with the code the command would have had instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err && err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** Newest modification time of any .ts file under dir. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

function loadCli() {
  try {
    const built = fs.statSync(path.join(root, "dist", "runtime", ".built")).mtimeMs;
    if (built >= newestSource(path.join(root, "runtime"))) return require("../dist/runtime/cli");
  } catch {
    // No build (or an unreadable one): fall through to the sources.
  }
  require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
  return require("../runtime/cli");
}

loadCli()
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`phoenix: ${err && err.message ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
