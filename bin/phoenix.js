#!/usr/bin/env node
// The `phoenix` CLI. Loads the TypeScript runtime transpile-only: type checking belongs to `npm test`, not start-up.
"use strict";
require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
require("../runtime/cli")
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
