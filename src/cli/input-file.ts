// Files the CLI reads whole (policies, actions, traces, proofs, keys, tokens, rules, test cases) must be regular
// files within a size limit: a FIFO or a device such as /dev/zero never ends, and a huge file runs the process
// out of memory. Either is refused with an error that names the file, what it is, and the limit.
import { statSync, type Stats } from "node:fs";
import { FileReadError, KEY_FILE_LIMIT, POLICY_FILE_LIMIT, formatLimit, notRegular, readRegularFile, tooLarge } from "../node/regular-file.js";
import { ExitError } from "./io.js";

const KiB = 1024;
const MiB = 1024 * KiB;

export { formatLimit };

/** The most the CLI reads of each kind of input: generous (real ones are far smaller), but never unbounded. */
export const INPUT_LIMITS = {
  /** Also the limit of the parents a policy `extends` and of hot reload's re-reads (src/node/load.ts). */
  policy: POLICY_FILE_LIMIT,
  action: 16 * MiB,
  trace: 256 * MiB,
  /** Text given to `warden scan`. */
  scan: 256 * MiB,
  /** Proof bundles and saved tree heads. */
  proof: 16 * MiB,
  /** Keyrings and JWKS files; also what the library's loadKeys reads (src/keys/keyfile.ts). */
  key: KEY_FILE_LIMIT,
  token: 64 * KiB,
  /** gitleaks rule files and policy test case files. */
  rules: 16 * MiB,
  cases: 16 * MiB,
} as const;

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
  try {
    return readRegularFile(path, limit, stdinHint ? " (to read standard input, give `-`)" : "");
  } catch (e) {
    if (e instanceof FileReadError) throw new ExitError(`cannot read ${what} \`${shown}\`: ${e.message}`);
    throw e;
  }
}
