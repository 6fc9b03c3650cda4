// Compiles a benchmark's C helper once with the system's cc (into the temp directory, keyed by the source's
// hash), or says why it cannot.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

/** The compiled binary of `source` (a .c file), or why there is none. */
export function compileC(source: string): { path: string } | { error: string } {
  const src = readFileSync(source);
  const bin = join(tmpdir(), `warden-${basename(source, ".c")}-${createHash("sha256").update(src).digest("hex").slice(0, 16)}`);
  if (existsSync(bin)) return { path: bin };
  try {
    execFileSync("cc", ["-O2", "-o", bin, source], { stdio: "pipe" });
    return { path: bin };
  } catch (e) {
    return { error: `cannot compile ${source} (${(e as Error).message.split("\n")[0]})` };
  }
}
