// The layout is the architecture (issue 12): each folder may import only the layers below it, so the walk from the
// Lambda's entry to a termination (components/rollout/entry → runtime/lambda → runtime/ops → runtime/aws) only ever
// goes down. This reads every source file's imports (static, dynamic and require) and checks them against the table
// in /work/shared/DESIGN.md, as adapted by the code.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "./support/pulumi-mocks";

/** Which layers each layer may import (itself always included). Layers are folders under the project root. */
const ALLOWED: Record<string, string[]> = {
  "runtime/contract": [],
  "runtime/core": ["runtime/contract"],
  "runtime/ops": ["runtime/core", "runtime/contract"],
  "runtime/aws": ["runtime/core", "runtime/contract"],
  "runtime/lambda": ["runtime/ops", "runtime/aws", "runtime/core", "runtime/contract"],
  "runtime/rehearsal": ["runtime/lambda", "runtime/ops", "runtime/core", "runtime/contract"],
  "runtime/cli": ["runtime/rehearsal", "runtime/ops", "runtime/aws", "runtime/core", "runtime/contract"],
  userdata: ["runtime/contract"],
  ami: ["runtime/contract"],
  config: ["ami", "runtime/core", "runtime/contract"],
  components: ["ami", "userdata", "config", "runtime/lambda", "runtime/core", "runtime/contract"],
  index: ["components", "config"],
};

const LAYERS = Object.keys(ALLOWED).sort((a, b) => b.length - a.length);

/** The layer a project file belongs to, or undefined for files outside the layered tree (tests, bench, scripts). */
function layerOf(file: string): string | undefined {
  const rel = path.relative(PROJECT_ROOT, file).replace(/\\/g, "/").replace(/\.ts$/, "");
  if (rel === "index") return "index";
  return LAYERS.find((layer) => rel === layer || rel.startsWith(`${layer}/`));
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(full));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/** Every module specifier a file imports: `from "x"`, `import "x"`, `import("x")`, `require("x")`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s+|\bimport\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g;
  for (const m of text.matchAll(pattern)) found.push(m[1]);
  return found;
}

function resolveLocal(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
}

const FILES = [
  path.join(PROJECT_ROOT, "index.ts"),
  ...["runtime", "components", "config", "ami", "userdata"].flatMap((d) => sources(path.join(PROJECT_ROOT, d))),
];

describe("the layers", () => {
  it("import only the layers below them", () => {
    const violations: string[] = [];
    for (const file of FILES) {
      const from = layerOf(file)!;
      for (const spec of specifiers(fs.readFileSync(file, "utf8"))) {
        if (!spec.startsWith(".")) continue;
        const target = resolveLocal(file, spec);
        const to = target === undefined ? undefined : layerOf(target);
        if (to === undefined || to === from || ALLOWED[from].includes(to)) continue;
        violations.push(`${path.relative(PROJECT_ROOT, file)} imports ${spec} (${from} may not import ${to})`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it("keep Pulumi out of runtime/, so a Lambda bundle and the CLI never load it", () => {
    const pulumi = FILES.filter((f) => layerOf(f)?.startsWith("runtime/"))
      .filter((f) => specifiers(fs.readFileSync(f, "utf8")).some((s) => s.startsWith("@pulumi/")))
      .map((f) => path.relative(PROJECT_ROOT, f));
    assert.deepEqual(pulumi, []);
  });

  it("keep the AWS SDK in runtime/aws, the only code that calls AWS", () => {
    const sdk = FILES.filter((f) => layerOf(f)?.startsWith("runtime/") && layerOf(f) !== "runtime/aws")
      .filter((f) => specifiers(fs.readFileSync(f, "utf8")).some((s) => s.startsWith("@aws-sdk/")))
      .map((f) => path.relative(PROJECT_ROOT, f));
    assert.deepEqual(sdk, []);
  });

  it("put every file of the tree in a layer the table names", () => {
    assert.deepEqual(
      FILES.filter((f) => layerOf(f) === undefined).map((f) => path.relative(PROJECT_ROOT, f)),
      [],
    );
  });

  it("would catch an import going up (a check of the checker)", () => {
    const core = path.join(PROJECT_ROOT, "runtime", "core", "planner", "index.ts");
    const target = resolveLocal(core, "../../ops/sweep");
    assert.ok(target !== undefined);
    assert.equal(ALLOWED[layerOf(core)!].includes(layerOf(target)!), false);
  });
});
