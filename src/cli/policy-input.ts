// Shared CLI input handling: load and report a policy, read JSON / JSON-lines files with precise errors.
import { BodyError, checkDepth, jsonErrorOffset } from "../gateway/json-body.js";
import { resolve } from "node:path";
import type { CompiledPolicy } from "../compile/build.js";
import type { CompileResult } from "../compile/compile.js";
import { formatDiagnostic, lineCol } from "../diagnostics.js";
import { loadAnyPolicy } from "../node/load.js";
import { INPUT_LIMITS, formatLimit, inputFileProblem, readInputFile } from "./input-file.js";
import { ExitError, StdinTooLargeError, type CliIO } from "./io.js";

/**
 * loadAnyPolicy, once the file is known to be a regular file within INPUT_LIMITS.policy (otherwise the loader's
 * own POLICY_NOT_FOUND, saying why). The loader reads the file, and every parent it `extends`, within the same
 * limit and only if it is a regular file (a refused parent is EXTENDS_NOT_FOUND, saying why).
 */
export function loadPolicyInput(path: string, io: CliIO): CompileResult {
  const problem = inputFileProblem(resolve(io.cwd, path), INPUT_LIMITS.policy);
  if (problem !== null) {
    return { ok: false, diagnostics: [{ code: "POLICY_NOT_FOUND", severity: "error", message: `cannot read policy \`${path}\`: ${problem}`, help: "give the path of a policy file (.yaml, .yml, .json or a compiled .wpc.json)" }] };
  }
  return loadAnyPolicy(resolve(io.cwd, path));
}

/** Loads a policy or throws ExitError(1) after printing its diagnostics. Warnings go to stderr. */
/**
 * The compiled policy, or exit 1 with its diagnostics on stderr. With `json` (the command's --json), stdout also
 * gets one JSON line, `{"error": {"code": "POLICY_INVALID", "message", "diagnostics"}}`, so a consumer of stdout
 * is not left with nothing.
 */
export function requirePolicy(path: string, io: CliIO, command: string, json = false): CompiledPolicy {
  const r = loadPolicyInput(path, io);
  for (const d of r.diagnostics) if (d.severity === "warning") io.err(`${formatDiagnostic(d)}\n`);
  if (!r.ok) {
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    const message = `policy \`${path}\` has ${errors.length} error(s); nothing was decided`;
    if (json) io.out(`${JSON.stringify({ error: { code: "POLICY_INVALID", message, diagnostics: r.diagnostics } })}\n`);
    throw new ExitError(`${errors.map(formatDiagnostic).join("\n")}\nwarden ${command}: ${message}`, 1);
  }
  return r.policy;
}

/** Reads `path` (`-`: standard input) whole, at most `limit` bytes (see INPUT_LIMITS); a regular file only. */
export async function readInput(path: string, io: CliIO, what: string, limit: number): Promise<string> {
  if (path !== "-") return readInputFile(resolve(io.cwd, path), path, what, limit, true);
  try {
    return await io.readStdin(limit);
  } catch (e) {
    if (e instanceof StdinTooLargeError) throw new ExitError(`cannot read ${what} from standard input: it is more than the ${formatLimit(limit)} limit`);
    throw e;
  }
}

/** Parses JSON; on failure says where (line:col) and why. */
export function parseJson(text: string, file: string, line = 1): { ok: true; value: unknown } | { ok: false; message: string } {
  // Every problem is reported as `file:line:col: …`; `line` is where `text` starts in the file (a trace line).
  const at = (offset: number): string => {
    const p = lineCol(text, offset);
    return `${file}:${line + p.line - 1}:${p.col}`;
  };
  try {
    // a repeated key would be read as its last value by us and perhaps as its first by whoever acts on it
    checkDepth(text, Number.MAX_SAFE_INTEGER);
  } catch (e) {
    if (e instanceof BodyError) return { ok: false, message: `${e.offset === undefined ? `${file}:${line}` : at(e.offset)}: ${e.message}` };
    throw e;
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const offset = text.charCodeAt(0) === 0xfeff ? 0 : jsonErrorOffset(msg, text);
    return { ok: false, message: `${offset === undefined ? `${file}:${line}` : at(offset)}: invalid JSON: ${text.charCodeAt(0) === 0xfeff ? "the text starts with a byte order mark (U+FEFF); save it without one" : msg}` };
  }
}
