// The components' public surface documents itself: every ComponentResource class in components/ and ami/ and each of
// its public outputs carries a JSDoc line (what it is, what a user does with it), every argument (and every type an
// argument is made of) says what it means, every optional argument says its @default, and no component reads
// pulumi.Config (index.ts reads the stack's config once and passes it down). Read with the TypeScript compiler API,
// so a field added without its line fails here, naming file, class and field.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { PROJECT_ROOT } from "../support/pulumi-mocks";

/** What one source file lacks, one line per problem: `<file>: <Class>.<field> has no JSDoc`. */
function documentationProblems(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const problems: string[] = [];
  const documented = (node: ts.Node) => ts.getJSDocCommentsAndTags(node).length > 0;
  const jsDocText = (node: ts.Node) =>
    ts
      .getJSDocCommentsAndTags(node)
      .map((d) => d.getText(source))
      .join("\n");
  const isPublic = (member: ts.ClassElement) =>
    !(ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) &&
    !(member.name !== undefined && ts.isPrivateIdentifier(member.name));

  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement)) interfaces.set(statement.name.text, statement);
  }
  // Args interfaces, and the interfaces their properties are built from (a route, a tier), are what a caller writes.
  const argTypes = new Set([...interfaces.keys()].filter((n) => n.endsWith("Args")));
  for (const name of [...argTypes]) {
    interfaces.get(name)!.forEachChild(function visit(node) {
      if (ts.isTypeReferenceNode(node) && interfaces.has(node.typeName.getText(source))) {
        argTypes.add(node.typeName.getText(source));
      }
      node.forEachChild(visit);
    });
  }
  for (const name of argTypes) {
    for (const member of interfaces.get(name)!.members) {
      if (!ts.isPropertySignature(member)) continue;
      const field = `${fileName}: ${name}.${member.name.getText(source)}`;
      if (!documented(member)) problems.push(`${field} has no JSDoc`);
      else if (member.questionToken && !/@default\b/.test(jsDocText(member))) {
        problems.push(`${field} is optional but its JSDoc has no @default`);
      }
    }
  }

  source.forEachChild(function visit(node) {
    if (ts.isClassDeclaration(node) && node.name && extendsComponentResource(node, source)) {
      const cls = node.name.text;
      if (!documented(node)) problems.push(`${fileName}: class ${cls} has no JSDoc`);
      for (const member of node.members) {
        const isOutput = ts.isPropertyDeclaration(member) || ts.isGetAccessorDeclaration(member);
        if (!isOutput && !ts.isMethodDeclaration(member)) continue;
        if (!isPublic(member) || documented(member)) continue;
        problems.push(`${fileName}: ${cls}.${member.name.getText(source)} has no JSDoc`);
      }
    }
    // Components take their settings as args: reading the stack's config here would hide a setting from index.ts.
    if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      /(^|\.)(Config|getConfig|requireConfig)$/.test(node.expression.getText(source))
    ) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      problems.push(`${fileName}:${line + 1}: reads pulumi config (${node.expression.getText(source)})`);
    }
    node.forEachChild(visit);
  });
  return problems;
}

function extendsComponentResource(node: ts.ClassDeclaration, source: ts.SourceFile): boolean {
  return (node.heritageClauses ?? []).some(
    (h) =>
      h.token === ts.SyntaxKind.ExtendsKeyword &&
      h.types.some((t) => /(^|\.)ComponentResource$/.test(t.expression.getText(source))),
  );
}

/** Every .ts file below a project folder, relative to the project root. */
function sourceFiles(folder: string): string[] {
  return fs
    .readdirSync(path.join(PROJECT_ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(folder, f))
    .sort();
}

describe("the components' documentation", () => {
  const files = [...sourceFiles("components"), ...sourceFiles("ami")];

  it("reads every component and the pipeline", () => {
    const classes = files.flatMap((f) =>
      [
        ...fs
          .readFileSync(path.join(PROJECT_ROOT, f), "utf8")
          .matchAll(/class (\w+) extends pulumi\.ComponentResource/g),
      ].map((m) => m[1]),
    );

    for (const expected of [
      "AppTier",
      "Network",
      "ReleaseStore",
      "PrivateBucket",
      "LoadBalancer",
      "Alerts",
      "Dashboard",
      "Environment",
      "Rollout",
      "BaseImagePipeline",
    ]) {
      assert.ok(classes.includes(expected), `${expected} not found in ${files.join(", ")}`);
    }
  });

  it("documents every public output, every argument and every optional argument's default; reads no config", () => {
    const problems = files.flatMap((f) =>
      documentationProblems(f, fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8")),
    );

    assert.deepEqual(problems, []);
  });

  describe("the check itself", () => {
    const check = (text: string) => documentationProblems("x.ts", text);

    it("names an undocumented output of a component, and leaves private fields alone", () => {
      const problems = check(`
        /** A thing. */
        export class Thing extends pulumi.ComponentResource {
          /** Documented. */
          readonly a: pulumi.Output<string>;
          readonly b: pulumi.Output<string>;
          private readonly c: string;
          readonly #d = 1;
        }`);

      assert.deepEqual(problems, ["x.ts: Thing.b has no JSDoc"]);
    });

    it("names an undocumented component class and public method", () => {
      assert.deepEqual(
        check(`export class Thing extends ComponentResource {
          /** x */
          readonly a = 1;
          open(): void {}
        }`),
        ["x.ts: class Thing has no JSDoc", "x.ts: Thing.open has no JSDoc"],
      );
    });

    it("ignores classes that are not components", () => {
      assert.deepEqual(check(`export class Plain { readonly a = 1; }`), []);
    });

    it("names an undocumented argument, one inside an argument's type, and an optional one without @default", () => {
      const problems = check(`
        interface Route { path: string }
        export interface ThingArgs {
          /** Routes. */
          routes: Route[];
          size: number;
          /** How many. */
          count?: number;
          /** How long. @default 5 */
          seconds?: number;
        }`);

      assert.deepEqual(problems, [
        "x.ts: ThingArgs.size has no JSDoc",
        "x.ts: ThingArgs.count is optional but its JSDoc has no @default",
        "x.ts: Route.path has no JSDoc",
      ]);
    });

    it("names a component that reads pulumi config", () => {
      assert.deepEqual(check(`const c = new pulumi.Config("phoenix");\nconst d = pulumi.runtime.getConfig("x");`), [
        "x.ts:1: reads pulumi config (pulumi.Config)",
        "x.ts:2: reads pulumi config (pulumi.runtime.getConfig)",
      ]);
    });
  });
});
