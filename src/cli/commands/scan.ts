// `warden scan [--pack NAME] [--rules gitleaks.toml] [--json] [file|-]`: run rule packs and imported gitleaks
// rules over a file or stdin; prints findings with masked matches; exit 1 when anything is found.
import { resolve } from "node:path";
import { formatDiagnostic, type Diagnostic } from "../../diagnostics.js";
import { importGitleaks } from "../../scan/gitleaks.js";
import { assemble, isPackName, loadPack, scanWithPacks, type Finding, type LoadedRule } from "../../scan/pack.js";
import { compilePacksCached } from "../../scan/pack-compile-cached.js";
import { PACK_NAMES } from "../../scan/packs/types.js";
import { parseArgs } from "../args.js";
import { ExitError, type Command } from "../io.js";
import { readInput } from "../policy-input.js";
import { INPUT_LIMITS, readInputFile } from "../input-file.js";

export const USAGE = `usage: warden scan [--pack ${PACK_NAMES.join("|")}|all]... [--rules gitleaks.toml]... [--json] [file|-]
  Scans the file (or standard input) with the built-in packs (default: all, unless --rules is given) and
  the rules of gitleaks configs. Exit 0: nothing found; 1: findings; 2: usage or configuration error.`;

/** 1-based line and column (UTF-16 units) of every finding start, in one pass over the text. */
function positions(text: string, findings: Finding[]): Array<{ line: number; col: number }> {
  const order = findings.map((f, i) => [f.start, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<{ line: number; col: number }>(findings.length);
  let line = 1;
  let lineStart = 0;
  let at = 0;
  for (const [start, i] of order) {
    for (; at < start; at++) {
      if (text.charCodeAt(at) === 10) {
        line++;
        lineStart = at + 1;
      }
    }
    out[i] = { line, col: start - lineStart + 1 };
  }
  return out;
}

function packsFrom(values: string[]): string[] {
  const names = values.flatMap((v) => v.split(",")).map((v) => v.trim());
  // `--pack ""` must not become "scan with nothing" and report a clean input; `secrets,` is a typo (docs/cli.md:
  // an empty name is a usage error), not a request for fewer packs
  if (names.includes("")) {
    const bad = values.find((v) => v.split(",").some((x) => x.trim() === "")) ?? "";
    const what = names.every((n) => n === "") ? "names no pack" : `has an empty name in \`${bad}\``;
    throw new ExitError(`warden scan: --pack ${what} (choose from ${PACK_NAMES.join(", ")}, all)`);
  }
  for (const n of names) {
    if (n !== "all" && !isPackName(n)) throw new ExitError(`warden scan: unknown pack \`${n}\` (choose from ${PACK_NAMES.join(", ")}, all)`);
  }
  return names.includes("all") ? ["all"] : [...new Set(names)];
}

/** A UTF-16 byte-order mark, or NULs on one parity in most of the first 4 KiB (UTF-16 text read as UTF-8). */
function looksLikeUtf16(text: string): boolean {
  if (text.startsWith("\uFFFD\uFFFD") && text.includes("\0")) return true;
  const n = Math.min(text.length, 4096);
  if (n < 8) return false;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) === 0) (i & 1) === 0 ? even++ : odd++;
  return Math.max(even, odd) >= 0.4 * n;
}

export const run: Command = async (argv, io) => {
  // (`warden scan --help` never gets here: runCli prints every command's usage itself)
  const args = parseArgs(argv, { repeatable: ["pack", "rules"], booleans: ["json"] }, "scan");
  if (args.positionals.length > 1) throw new ExitError(`warden scan: give at most one file\n${USAGE}`);
  const json = args.bools.has("json");
  const source = args.positionals[0] ?? "-";
  const rulesFiles = args.flags.get("rules") ?? [];
  const packNames = packsFrom(args.flags.get("pack") ?? (rulesFiles.length > 0 ? [] : ["all"]));

  const rules: LoadedRule[] = [];
  for (const n of packNames) rules.push(...loadPack(n === "all" ? "all" : (n as (typeof PACK_NAMES)[number])).rules);
  const diagnostics: Diagnostic[] = [];
  for (const file of rulesFiles) {
    const toml = readInputFile(resolve(io.cwd, file), file, "rules", INPUT_LIMITS.rules);
    const imp = importGitleaks(toml, { file });
    diagnostics.push(...imp.diagnostics);
    rules.push(...imp.rules);
  }
  const compiled = diagnostics.some((d) => d.severity === "error") ? null : compilePacksCached(assemble(rules), rulesFiles.length === 1 ? { file: rulesFiles[0] as string } : {});
  if (compiled) diagnostics.push(...compiled.diagnostics);
  if (compiled === null || !compiled.ok) {
    if (json) io.out(`${JSON.stringify({ ok: false, diagnostics })}\n`);
    else {
      // The last line names the first error (invalid TOML, no usable rule...), not only "do not compile".
      const errors = diagnostics.filter((d) => d.severity === "error");
      const first = errors[0];
      const where = first?.span ? `${first.span.file ?? ""}:${first.span.line}:${first.span.col}: ` : "";
      const summary = first ? `${errors.length === 1 ? "1 error" : `${errors.length} errors`} in the rules (${where}${first.message}); nothing was scanned` : "the rules do not compile";
      io.err(`${diagnostics.map(formatDiagnostic).join("\n")}\nwarden scan: ${summary}\n`);
    }
    return 2;
  }
  const text = await readInput(source, io, "input", INPUT_LIMITS.scan);
  if (looksLikeUtf16(text)) {
    // read as UTF-8, UTF-16 text is a NUL between every character: no pattern would match, and "no findings" would lie
    throw new ExitError(`warden scan: ${source === "-" ? "standard input" : `\`${source}\``} looks like UTF-16 text; scan takes UTF-8 (convert it first, e.g. \`iconv -f UTF-16 -t UTF-8 ${source === "-" ? "FILE" : source}\`)`);
  }
  const findings = scanWithPacks(compiled.compiled, text);
  const pos = positions(text, findings);
  const name = source === "-" ? "<stdin>" : source;
  if (json) {
    const out = findings.map((f, i) => ({ ...f, line: pos[i]?.line, col: pos[i]?.col }));
    io.out(`${JSON.stringify({ ok: true, source: name, count: findings.length, findings: out, diagnostics })}\n`);
  } else {
    for (const d of diagnostics) io.err(`${formatDiagnostic(d)}\n`);
    const lines = findings.map((f, i) => `${name}:${pos[i]?.line}:${pos[i]?.col}: ${f.severity} ${f.patternId} [${f.start},${f.end}) ${f.masked}`);
    io.out(lines.length > 0 ? `${lines.join("\n")}\n${findings.length} finding${findings.length === 1 ? "" : "s"}\n` : "no findings\n");
  }
  return findings.length > 0 ? 1 : 0;
};
