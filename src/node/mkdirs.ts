// Makes a folder and any missing parents one level at a time. Node's mkdir({recursive: true}) spins forever on
// some paths (`/proc/nope/x`: mkdir of `/proc/nope` fails with ENOENT although `/proc` exists, and it retries the
// parent); one level at a time, that ENOENT is final. Used by the CLI for the folders a command writes into
// (src/cli/dirs.ts), the compiled-pack cache (src/node/pack-cache-dir.ts), the audit log's FileStorage, key files
// and the approvals store.
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Why mkdir of one folder under an existing parent failed, in words. */
export function mkdirReason(e: NodeJS.ErrnoException): string {
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
 * Makes folder `dir` and any missing parents (`mode`, default 0700); returns null when done, else why not, in
 * words (naming the folder that could not be made). A `dir` that already exists is left as it is, file or
 * folder: the caller's own use of it reports what is wrong with it. Never throws.
 */
export function makeDirsSync(dir: string, mode = 0o700): string | null {
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== "ENOENT" && code !== "ENOTDIR") || dirname(p) === p) return (e as Error).message;
      missing.push(p);
      continue;
    }
    if (missing.length > 0 && !isDir) return `\`${p}\` is a file, not a folder`;
    break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p, { mode });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // another process made it meanwhile: fine as long as it is a folder
      if (err.code === "EEXIST" && statSync(p, { throwIfNoEntry: false })?.isDirectory()) continue;
      return `cannot make folder \`${p}\`: ${mkdirReason(err)}`;
    }
  }
  return null;
}

/** makeDirsSync for code that writes into `dir`: a file (or anything else) already in its place is refused too. */
export function makeFolderSync(dir: string, mode = 0o700): string | null {
  const why = makeDirsSync(dir, mode);
  if (why !== null) return why;
  const st = statSync(dir, { throwIfNoEntry: false });
  return st?.isDirectory() ? null : st ? "it is a file, not a folder" : "it was removed while it was made";
}
