// Reading a file whole, safely: only a regular file, at most `limit` bytes. A FIFO or a device such as /dev/zero
// never ends, and a huge file runs the process out of memory; either is refused with a reason in words. Used by
// the CLI's inputs (src/cli/input-file.ts), the policy loader (a policy and every parent it `extends`) and hot
// reload, so every way a policy file is read has the same limits.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

const KiB = 1024;
const MiB = 1024 * KiB;

/** The most read of a policy file, a parent it `extends`, or a compiled artifact. */
export const POLICY_FILE_LIMIT = 16 * MiB;

/** The most read of a keyring or JWKS file (a few KiB in practice). */
export const KEY_FILE_LIMIT = 1 * MiB;

/** A limit for a message: whole MiB or KiB when it is one. */
export function formatLimit(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : n % KiB === 0 ? `${n / KiB} KiB` : `${n} bytes`;
}

/** What a file that is not a regular file is, for a message; null for a regular file. */
export function notRegular(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}

export function tooLarge(size: number, limit: number): string {
  return `it is ${size} bytes, over the ${formatLimit(limit)} limit`;
}

/** A file refused by readRegularFile; the message is the reason alone (`no such file`, `it is a FIFO …`). */
export class FileReadError extends Error {
  override name = "FileReadError";
  constructor(
    message: string,
    /** The errno code when the system refused (ENOENT, EACCES, …); undefined when Warden refused the file. */
    readonly code?: string,
    /** What to do about it, when the reader knows (the compiler shows it as the diagnostic's help). */
    readonly help?: string,
  ) {
    super(message);
  }
}

/**
 * The regular file at `path` as UTF-8, at most `limit` bytes, or a FileReadError saying why not. Opened
 * non-blocking, so a FIFO with no writer is refused, not waited on; read in chunks rather than trusting the size
 * (/proc files say 0, and a file can grow while it is read). `notRegularHint` is appended to the "not a regular
 * file" reason.
 */
export function readRegularFile(path: string, limit: number, notRegularHint = ""): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new FileReadError(err.code === "ENOENT" ? "no such file" : err.message, err.code);
  }
  try {
    const st = fstatSync(fd);
    const kind = notRegular(st);
    if (kind !== null) throw new FileReadError(`it is ${kind}, not a regular file${notRegularHint}`);
    if (st.size > limit) throw new FileReadError(tooLarge(st.size, limit));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 * MiB, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > limit) throw new FileReadError(`it is more than the ${formatLimit(limit)} limit`);
    }
    return Buffer.concat(chunks, total).toString("utf8");
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new FileReadError(err.message, err.code);
  } finally {
    closeSync(fd);
  }
}
