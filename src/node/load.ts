// Edge: loads a policy file (and its `extends` chain) from disk and compiles it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { compilePolicy, type CompileResult } from "../compile/compile.js";
import { loadCompiled } from "../compile/artifact.js";
import type { CompiledPolicy } from "../compile/build.js";

export function loadPolicyFile(path: string): CompileResult {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return {
      ok: false,
      diagnostics: [{ code: "POLICY_NOT_FOUND", severity: "error", message: `cannot read policy \`${path}\`: ${err.code === "ENOENT" ? "no such file" : err.message}`, help: "check the path given to --policy" }],
    };
  }
  return compilePolicy(text, { file, readFile: (p) => readFileSync(p, "utf8") });
}

/** Loads either a source policy (.yaml/.yml/.json) or a compiled artifact (.wpc.json). */
export function loadAnyPolicy(path: string): CompileResult {
  if (path.endsWith(".wpc.json")) {
    try {
      return { ok: true, policy: loadCompiled(readFileSync(path, "utf8")) as CompiledPolicy, diagnostics: [] };
    } catch (e) {
      return { ok: false, diagnostics: [{ code: "ARTIFACT_INVALID", severity: "error", message: e instanceof Error ? e.message : String(e) }] };
    }
  }
  return loadPolicyFile(path);
}
