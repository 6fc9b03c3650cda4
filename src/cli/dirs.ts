// Creates the folder a command writes into (keys gen --out, --audit DIR, --approvals-dir) one level at a time.
// Node's mkdir({recursive: true}) spins forever on some paths (`/proc/nope/x`: mkdir of `/proc/nope` fails with
// ENOENT although `/proc` exists, and it retries the parent); one level at a time, that ENOENT is final.
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ExitError } from "./io.js";

/** Why mkdir of one folder under an existing parent failed, in words. */
function mkdirReason(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ENOENT":
      return "the file system does not allow new folders there (ENOENT)";
    case "EACCES":
    case "EPERM":
      return `permission denied (${e.code})`;
    case "EROFS":
      return "the file system is read-only (EROFS)";
    case "ENOSPC":
      return "no space left on the device (ENOSPC)";
    default:
      return e.message;
  }
}

/**
 * Makes folder `dir` and any missing parents (mode 0700), or throws ExitError(2) saying
 * `warden <command>: cannot create <flag> \`<shown>\`: …`. A `dir` that already exists is left as it is (file or
 * folder): the command's own open reports what is wrong with it.
 */
export function makeDirs(dir: string, command: string, flagName: string, shown: string): void {
  const fail = (why: string): never => {
    throw new ExitError(`warden ${command}: cannot create ${flagName} \`${shown}\`: ${why}`);
  };
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    try {
      const st = statSync(p);
      if (missing.length > 0 && !st.isDirectory()) fail(`\`${p}\` is a file, not a folder`);
      break;
    } catch (e) {
      if (e instanceof ExitError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== "ENOENT" && code !== "ENOTDIR") || dirname(p) === p) fail((e as Error).message);
      missing.push(p);
    }
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p, { mode: 0o700 });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // another process made it meanwhile: fine as long as it is a folder
      if (err.code === "EEXIST" && statSync(p, { throwIfNoEntry: false })?.isDirectory()) continue;
      fail(`cannot make folder \`${p}\`: ${mkdirReason(err)}`);
    }
  }
}
