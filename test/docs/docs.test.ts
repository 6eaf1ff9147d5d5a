// The README and docs/ against the code they describe: every link and every repository path they name exists, every
// `npx phoenix` / `npm start --` command line they show uses a command and flags the CLI really has, every
// `npx mocha <spec> -g <pattern>` names tests that exist, and the README stays a front page. Files move and flags change under the docs; these tests make the docs move with them.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { buildProgram } from "../../runtime/cli";
import { DOCTOR_CALLS } from "../../runtime/contract";

const ROOT = path.resolve(__dirname, "..", "..");
const DOCS = [
  "README.md",
  ...fs
    .readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
/** Top-level folders of the repository: a word starting with one of these and a slash names a path in it. */
const TREE = ["ami", "bench", "bin", "components", "config", "docs", "runtime", "scripts", "test", "userdata"];
const README_MAX_LINES = 150;

function read(doc: string): string {
  return fs.readFileSync(path.join(ROOT, doc), "utf8");
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchors(text: string): Set<string> {
  const headings = [...withoutCodeBlocks(text).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]));
  return new Set(headings);
}

function withoutCodeBlocks(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, "");
}

/** The `sh` code blocks' lines, continuation lines (ending in `\`) joined. */
function shellLines(text: string): string[] {
  const blocks = [...text.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]);
  return blocks.flatMap((b) => b.replace(/\\\n\s*/g, " ").split("\n"));
}

/** Each command's long flags, and the program's own under "": read from the CLI as built, never run. */
function cliCommands(): Map<string, Set<string>> {
  const program = buildProgram({
    out: () => undefined,
    err: () => undefined,
    fleet: () => Promise.reject(new Error("the docs test never reads a fleet")),
  });
  const flagsOf = (command: Command) =>
    new Set(["--help", ...command.options.flatMap((o) => (o.long ? [o.long] : []))]);
  const commands = new Map<string, Set<string>>([["", flagsOf(program)]]);
  for (const command of program.commands as Command[]) commands.set(command.name(), flagsOf(command));
  return commands;
}

/** Each shown command line: `npx phoenix <command> <args>` or `npm start -- <args>` (which runs `rehearse`). */
function commandLines(text: string): { line: string; command: string; args: string[] }[] {
  const found: { line: string; command: string; args: string[] }[] = [];
  const joined = text.replace(/\\\n\s*/g, " ");
  for (const m of joined.matchAll(/npx phoenix ([^`|#;&)\n]*)|npm start -- ([^`|#;&)\n]*)/g)) {
    const words = (m[1] ?? `rehearse ${m[2]}`).trim().split(/\s+/);
    // `npx phoenix --help` asks the program itself; a placeholder (`<command>`, `...`) or a label in a diagram
    // (`release──▶`) is not a command line.
    if (words[0].startsWith("--")) found.push({ line: m[0].trim(), command: "", args: words });
    else if (/^[a-z-]+$/.test(words[0])) found.push({ line: m[0].trim(), command: words[0], args: words.slice(1) });
  }
  return found;
}

describe("the README and docs/", () => {
  const commands = cliCommands();

  it("keep the README a front page", () => {
    const lines = read("README.md").split("\n").length;

    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move detail into docs/`);
  });

  for (const doc of DOCS) {
    describe(doc, () => {
      const text = read(doc);

      it("links only to files and headings that exist", () => {
        const broken: string[] = [];
        for (const m of withoutCodeBlocks(text).matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = m[1];
          if (/^[a-z]+:/.test(target)) continue;
          const [file, anchor] = target.split("#");
          const resolved = file === "" ? path.join(ROOT, doc) : path.resolve(path.dirname(path.join(ROOT, doc)), file);
          if (!fs.existsSync(resolved)) {
            broken.push(`${target}: no such file`);
          } else if (
            anchor !== undefined &&
            resolved.endsWith(".md") &&
            !anchors(read(path.relative(ROOT, resolved))).has(anchor)
          ) {
            broken.push(`${target}: no heading with that anchor`);
          }
        }

        assert.deepEqual(broken, []);
      });

      it("names only repository paths that exist", () => {
        const missing: string[] = [];
        const pattern = new RegExp(`(?<![\\w./-])(?:${TREE.join("|")})/[\\w./<>*{}-]*`, "g");
        for (const m of text.matchAll(pattern)) {
          if (/[<>*{}]/.test(m[0])) continue;
          const candidate = m[0].replace(/[.,]+$/, "");
          if (!fs.existsSync(path.join(ROOT, candidate))) missing.push(candidate);
        }

        assert.deepEqual([...new Set(missing)], []);
      });

      it("shows only commands, flags and test names that exist, the CLI run through npx or npm start --", () => {
        const wrong: string[] = [];
        for (const { line, command, args } of commandLines(text)) {
          const flags = commands.get(command);
          if (flags === undefined) {
            wrong.push(`${line}: no command ${command}`);
            continue;
          }
          for (const arg of args.filter((a) => a.startsWith("--"))) {
            const flag = arg.split("=")[0];
            if (!flags.has(flag)) wrong.push(`${line}: ${command} has no ${flag}`);
          }
        }
        for (const m of text.matchAll(/npx mocha (\S+\.test\.ts) -g (?:"([^"]+)"|(\S+))/g)) {
          const pattern = m[2] ?? m[3];
          const spec = fs.existsSync(path.join(ROOT, m[1])) ? read(m[1]) : "";
          if (!spec.includes(pattern)) wrong.push(`${m[0]}: no test in ${m[1]} is named with "${pattern}"`);
        }
        for (const line of shellLines(text)) {
          if (/^\s*(\w+=\S+\s+)*phoenix\s/.test(line)) wrong.push(`${line}: a bare phoenix is not on PATH, use npx`);
        }

        assert.deepEqual(wrong, []);
      });
    });
  }

  it("lists every action phoenix doctor needs in the operator policy of docs/operating.md", () => {
    const text = read("docs/operating.md");
    const policy = text.slice(text.indexOf("**Operator policy for doctor.**"));

    assert.deepEqual(
      DOCTOR_CALLS.map((c) => c.action).filter((action) => !policy.includes(`\`${action}\``)),
      [],
    );
  });
});
