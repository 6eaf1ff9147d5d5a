// Where a rehearsal writes, checked before anything runs: the directory is made one level at a time (Node 20's
// recursive mkdirSync never returns under /proc, spinning at 100 % CPU), a file in the way or a directory that
// refuses writes is one clear UsageError, and a chart path that cannot be written fails now rather than after the run.
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../core/errors";

/** Makes `dir` and any missing parents, and proves it takes files; `label` names it in errors (`--dir x`). */
export function prepareDirectory(dir: string, label: string): void {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    const stat = statOrUndefined(existing, label);
    if (stat !== undefined) {
      if (!stat.isDirectory()) {
        throw new UsageError(`${label}: ${existing} is a file, not a directory; choose a directory`);
      }
      break;
    }
    const parent = path.dirname(existing);
    if (parent === existing) break;
    missing.unshift(existing);
    existing = parent;
  }
  for (const level of missing) {
    try {
      fs.mkdirSync(level);
    } catch (err) {
      throw new UsageError(`${label}: cannot create ${level} (${reason(err)}); choose a writable directory`);
    }
  }
  proveWritable(target, label);
}

/** Checks before the run that `file` can be written: its directory made and writable, and it is not a directory. */
export function prepareFile(file: string, label: string): void {
  const target = path.resolve(file);
  const stat = statOrUndefined(target, label);
  if (stat?.isDirectory()) {
    throw new UsageError(
      `${label}: ${target} is a directory; give a file name, e.g. ${path.join(target, "rollout.svg")}`,
    );
  }
  prepareDirectory(path.dirname(target), label);
  if (stat !== undefined) {
    try {
      fs.accessSync(target, fs.constants.W_OK);
    } catch (err) {
      throw new UsageError(`${label}: cannot write ${target} (${reason(err)})`);
    }
  }
}

/** Creates and removes a file in `dir`: access(2) says yes to root everywhere, a real write does not. */
function proveWritable(dir: string, label: string): void {
  const probe = path.join(dir, `.phoenix-write-check-${process.pid}`);
  try {
    fs.writeFileSync(probe, "");
    fs.rmSync(probe, { force: true });
  } catch (err) {
    throw new UsageError(`${label}: cannot write in ${dir} (${reason(err)}); choose a writable directory`);
  }
}

function statOrUndefined(file: string, label: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file; the caller walks up to it and names it.
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new UsageError(`${label}: cannot read ${file} (${reason(err)})`);
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "EACCES" || e.code === "EPERM") return "permission denied";
  if (e.code === "EROFS") return "read-only file system";
  if (e.code === "ENOENT") return "the file system refused to create it";
  return e.code ?? String(err);
}
