// Files the CLI reads whole (policies, actions, traces, proofs, keys, tokens, rules, test cases) must be regular
// files within a size limit: a FIFO or a device such as /dev/zero never ends, and a huge file runs the process
// out of memory. Either is refused with an error that names the file, what it is, and the limit.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { ExitError } from "./io.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** The most the CLI reads of each kind of input: generous (real ones are far smaller), but never unbounded. */
export const INPUT_LIMITS = {
  policy: 16 * MiB,
  action: 16 * MiB,
  trace: 256 * MiB,
  /** Text given to `warden scan`. */
  scan: 256 * MiB,
  /** Proof bundles and saved tree heads. */
  proof: 16 * MiB,
  /** Keyrings and JWKS files. */
  key: 1 * MiB,
  token: 64 * KiB,
  /** gitleaks rule files and policy test case files. */
  rules: 16 * MiB,
  cases: 16 * MiB,
} as const;

/** A limit for a message: whole MiB or KiB (every limit above is one). */
export function formatLimit(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : n % KiB === 0 ? `${n / KiB} KiB` : `${n} bytes`;
}

/** What a file that is not a regular file is, for the message; null for a regular file. */
function notRegular(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}

function tooLarge(size: number, limit: number): string {
  return `it is ${size} bytes, over the ${formatLimit(limit)} limit`;
}

/**
 * Why the file at `path` may not be read as an input of at most `limit` bytes (not a regular file, or too large),
 * or null. A path that cannot be looked at (missing, no permission) is null too: the reader reports that itself.
 */
export function inputFileProblem(path: string, limit: number, stdinHint = false): string | null {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  const kind = notRegular(st);
  if (kind !== null) return `it is ${kind}, not a regular file${stdinHint ? " (to read standard input, give `-`)" : ""}`;
  return st.size > limit ? tooLarge(st.size, limit) : null;
}

/** Throws ExitError(2) when `path` is not a regular file within `limit` bytes (see inputFileProblem). */
export function checkInputFile(path: string, shown: string, what: string, limit: number): void {
  const problem = inputFileProblem(path, limit);
  if (problem !== null) throw new ExitError(`cannot read ${what} \`${shown}\`: ${problem}`);
}

/**
 * Reads the regular file at `path` as UTF-8, at most `limit` bytes; anything else is an ExitError(2) saying
 * `cannot read <what> \`<shown>\`: <why>`. Opened non-blocking, so a FIFO with no writer is refused, not waited on.
 */
export function readInputFile(path: string, shown: string, what: string, limit: number, stdinHint = false): string {
  const fail = (why: string): never => {
    throw new ExitError(`cannot read ${what} \`${shown}\`: ${why}`);
  };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail(err.code === "ENOENT" ? "no such file" : err.message);
  }
  try {
    const st = fstatSync(fd);
    const kind = notRegular(st);
    if (kind !== null) fail(`it is ${kind}, not a regular file${stdinHint ? " (to read standard input, give `-`)" : ""}`);
    if (st.size > limit) fail(tooLarge(st.size, limit));
    // Read in chunks rather than trusting the size: /proc files say 0, and a file can grow while it is read.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 * MiB, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > limit) fail(`it is more than the ${formatLimit(limit)} limit`);
    }
    return Buffer.concat(chunks, total).toString("utf8");
  } catch (e) {
    if (e instanceof ExitError) throw e;
    return fail((e as Error).message);
  } finally {
    closeSync(fd);
  }
}
