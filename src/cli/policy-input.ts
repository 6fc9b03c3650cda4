// Shared CLI input handling: load and report a policy, read JSON / JSON-lines files with precise errors.
import { BodyError, checkDepth } from "../gateway/json-body.js";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CompiledPolicy } from "../compile/build.js";
import { formatDiagnostic } from "../diagnostics.js";
import { loadAnyPolicy } from "../node/load.js";
import { ExitError, type CliIO } from "./io.js";

/** Loads a policy or throws ExitError(1) after printing its diagnostics. Warnings go to stderr. */
export function requirePolicy(path: string, io: CliIO, command: string): CompiledPolicy {
  const r = loadAnyPolicy(resolve(io.cwd, path));
  for (const d of r.diagnostics) if (d.severity === "warning") io.err(`${formatDiagnostic(d)}\n`);
  if (!r.ok) {
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    throw new ExitError(`${errors.map(formatDiagnostic).join("\n")}\nwarden ${command}: policy \`${path}\` has ${errors.length} error(s); nothing was decided`, 1);
  }
  return r.policy;
}

export async function readInput(path: string, io: CliIO, what: string): Promise<string> {
  if (path === "-") return io.readStdin();
  try {
    return readFileSync(resolve(io.cwd, path), "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ExitError(`cannot read ${what} \`${path}\`: ${err.code === "ENOENT" ? "no such file" : err.message}`, 2);
  }
}

/** Parses JSON; on failure says where (line:col) and why. */
export function parseJson(text: string, file: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    // a repeated key would be read as its last value by us and perhaps as its first by whoever acts on it
    checkDepth(text, Number.MAX_SAFE_INTEGER);
  } catch (e) {
    if (e instanceof BodyError) return { ok: false, message: `${file}: ${e.message}` };
    throw e;
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(msg);
    if (pos || /end of JSON input/.test(msg)) {
      const offset = pos ? Number(pos[1]) : text.length;
      const before = text.slice(0, offset);
      const line = before.split("\n").length;
      const col = offset - before.lastIndexOf("\n");
      return { ok: false, message: `${file}:${line}:${col}: invalid JSON: ${msg}` };
    }
    return { ok: false, message: `${file}: invalid JSON: ${msg}` };
  }
}
