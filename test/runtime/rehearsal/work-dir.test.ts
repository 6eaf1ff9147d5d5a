// Where a rehearsal writes, checked before it runs: a file in the way, a chart path that names a directory or sits
// under a file, and a directory the file system will not create (under /proc, where Node 20's recursive mkdir spins
// forever) each give one UsageError naming the path; a good path is made, level by level.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { prepareDirectory, prepareFile } from "../../../runtime/rehearsal/work-dir";

describe("the rehearsal's working directory and chart path", () => {
  let tmp: string;
  let file: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-work-dir-test-"));
    file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "not a directory");
  });

  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function refused(fn: () => void, pattern: RegExp): void {
    assert.throws(fn, (err: Error) => {
      assert.equal(err.name, "UsageError");
      assert.match(err.message, pattern);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  }

  it("makes a missing directory and its parents", () => {
    const dir = path.join(tmp, "one", "two", "three");

    prepareDirectory(dir, "--dir x");

    assert.ok(fs.statSync(dir).isDirectory());
    assert.deepEqual(fs.readdirSync(dir), [], "the write check leaves nothing behind");
  });

  it("names a file given as the directory", () => {
    refused(() => prepareDirectory(file, `--dir ${file}`), /^--dir .*a-file: .*a-file is a file, not a directory/);
  });

  it("names the file a directory would have to go under", () => {
    refused(() => prepareDirectory(path.join(file, "sub", "dir"), "--dir x"), /a-file is a file, not a directory/);
  });

  it("refuses a directory under /proc at once instead of spinning", () => {
    refused(() => prepareDirectory("/proc/phoenix-rehearsal-nope/run", "--dir x"), /cannot create \/proc\/phoenix/);
  });

  it("refuses a chart path that is a directory, or under a file, before anything runs", () => {
    refused(() => prepareFile(tmp, "--chart x"), /is a directory; give a file name/);
    refused(() => prepareFile(path.join(file, "rollout.svg"), "--chart x"), /a-file is a file, not a directory/);
  });

  it("accepts a new chart file in a new directory without creating the file", () => {
    const chart = path.join(tmp, "charts", "rollout.svg");

    prepareFile(chart, "--chart x");

    assert.ok(fs.statSync(path.dirname(chart)).isDirectory());
    assert.equal(fs.existsSync(chart), false);
  });
});
