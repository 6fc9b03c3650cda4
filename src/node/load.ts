// Edge: loads a policy file (and its `extends` chain) from disk and compiles it. Every file is read the same way
// (readPolicyFile): a regular file of at most POLICY_FILE_LIMIT bytes, so a parent that is a FIFO, a device or a
// huge file is an error naming it, never a hang or an out-of-memory crash.
import { resolve } from "node:path";
import { compilePolicy, type CompileResult } from "../compile/compile.js";
import { loadCompiled } from "../compile/artifact.js";
import type { CompiledPolicy } from "../compile/build.js";
import { FileReadError, POLICY_FILE_LIMIT, formatLimit, readRegularFile } from "./regular-file.js";

/**
 * Reads a policy file, a parent it `extends` or a compiled artifact: a regular file of at most POLICY_FILE_LIMIT
 * bytes, else a FileReadError saying why (a `help` property says what to do).
 */
export function readPolicyFile(path: string): string {
  try {
    return readRegularFile(path, POLICY_FILE_LIMIT);
  } catch (e) {
    // refused by Warden (not a regular file, too large): say what a policy file must be
    if (e instanceof FileReadError && e.code === undefined) throw new FileReadError(e.message, undefined, `a policy file must be a regular file of at most ${formatLimit(POLICY_FILE_LIMIT)}`);
    throw e;
  }
}

function unreadable(path: string, e: unknown): CompileResult {
  const message = e instanceof Error ? e.message : String(e);
  const help = (e as { help?: unknown } | null)?.help;
  return {
    ok: false,
    diagnostics: [{ code: "POLICY_NOT_FOUND", severity: "error", message: `cannot read policy \`${path}\`: ${message}`, help: typeof help === "string" ? help : "check the policy file's path" }],
  };
}

/**
 * Compiles the source policy at `path` (shown as given in messages), reading it and every parent it `extends`
 * with `readFile` (default readPolicyFile; hot reload passes one that also notes which files were read).
 */
export function loadPolicyWith(path: string, readFile: (path: string) => string): CompileResult {
  const file = resolve(path);
  let text: string;
  try {
    text = readFile(file);
  } catch (e) {
    return unreadable(path, e);
  }
  return compilePolicy(text, { file, readFile });
}

export function loadPolicyFile(path: string): CompileResult {
  return loadPolicyWith(path, readPolicyFile);
}

/** Loads either a source policy (.yaml/.yml/.json) or a compiled artifact (.wpc.json). */
export function loadAnyPolicy(path: string): CompileResult {
  if (path.endsWith(".wpc.json")) {
    let text: string;
    try {
      text = readPolicyFile(path);
    } catch (e) {
      return unreadable(path, e);
    }
    try {
      return { ok: true, policy: loadCompiled(text) as CompiledPolicy, diagnostics: [] };
    } catch (e) {
      return { ok: false, diagnostics: [{ code: "ARTIFACT_INVALID", severity: "error", message: e instanceof Error ? e.message : String(e) }] };
    }
  }
  return loadPolicyFile(path);
}
