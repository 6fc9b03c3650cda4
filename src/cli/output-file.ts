// Writes a command's --out file: never over one of the command's own inputs (the policy being compiled, the
// log being exported), and a path that cannot be written is a clear error, not a stack trace.
import { realpathSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve, isAbsolute, basename, join } from "node:path";
import { ExitError } from "./io.js";

/** The real path of `p` (of its folder when `p` does not exist yet), so links and `..` compare equal. */
function realish(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    try {
      return join(realpathSync(dirname(p)), basename(p));
    } catch {
      return p;
    }
  }
}

/** Whether `p` is `base` or inside it. */
function within(base: string, p: string): boolean {
  const rel = relative(base, p);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * Writes `text` to `out` (resolved against `cwd`). `protect` lists the command's inputs, files or folders:
 * an --out that is one of them or inside one is refused, as is a path that cannot be written.
 */
export function writeOutputFile(command: string, cwd: string, out: string, text: string, protect: readonly string[]): void {
  const path = resolve(cwd, out);
  const real = realish(path);
  for (const p of protect) {
    if (within(realish(resolve(cwd, p)), real)) throw new ExitError(`warden ${command}: --out \`${out}\` is, or is inside, the command's own input \`${p}\`; write it somewhere else`);
  }
  try {
    writeFileSync(path, text);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "EISDIR" ? "it is a folder" : err.code === "ENOENT" ? "its folder does not exist" : err.code === "EACCES" ? "permission denied" : err.message;
    throw new ExitError(`warden ${command}: cannot write --out \`${out}\`: ${why}`);
  }
}
