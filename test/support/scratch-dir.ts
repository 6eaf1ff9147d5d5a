// A scratch directory for one describe block: made before its tests run, removed with everything in it after.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Registers the block's before/after hooks; the function it returns names a path inside the directory. */
export function scratchDir(prefix: string): (name: string) => string {
  let dir: string | undefined;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });
  return (name) => {
    if (dir === undefined) throw new Error("scratchDir: used outside the tests of the block that made it");
    return path.join(dir, name);
  };
}
