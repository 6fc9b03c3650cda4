// Secrets the CLI is given (API tokens, the upstream server's token): the first line of a file, else an
// environment variable. Each caller checks the value its own way (our tokens have a minimum length; another
// server's token only has to be there).
import { resolve } from "node:path";
import type { CliIO } from "./io.js";
import { INPUT_LIMITS, readInputFile } from "./input-file.js";

/** The first line of `file` (trimmed; "" when empty), else $`envName` (trimmed; unset or blank is none), else null. */
export function secretFrom(io: CliIO, file: string | undefined, envName: string, what: string): string | null {
  if (file !== undefined) return readInputFile(resolve(io.cwd, file), file, `${what} file`, INPUT_LIMITS.token).split("\n")[0]?.trim() ?? "";
  return io.env[envName]?.trim() || null;
}
