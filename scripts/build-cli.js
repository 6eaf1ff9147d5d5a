// Transpiles runtime/ to dist/runtime/ so the `phoenix` CLI starts in well under a second. Transpile only: type
// checking is `npm test`'s job, and a type error must never make `npm ci` (which runs this as `prepare`) fail.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

const root = path.resolve(__dirname, "..");
const source = path.join(root, "runtime");
const target = path.join(root, "dist", "runtime");

function* tsFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(file);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) yield file;
  }
}

fs.rmSync(target, { recursive: true, force: true });
let count = 0;
for (const file of tsFiles(source)) {
  const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      resolveJsonModule: true,
    },
  });
  const out = path.join(target, path.relative(source, file)).replace(/\.ts$/, ".js");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, outputText);
  count += 1;
}
// Written last: the CLI trusts dist/ only when this stamp is newer than every runtime source file.
fs.writeFileSync(path.join(target, ".built"), `${new Date().toISOString()}\n`);
process.stderr.write(`build-cli: transpiled ${count} files to dist/runtime\n`);
