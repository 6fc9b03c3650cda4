// compilePolicy: parse -> validate -> compose (extends, groups) -> IR -> hash -> executable policy. Pure.
import { createHash } from "node:crypto";
import { canonicalize } from "../canonical/jcs.js";
import type { Diagnostic } from "../diagnostics.js";
import { ValidationContext } from "../policy/context.js";
import { composePolicy, type ResolvedPolicy } from "../policy/compose.js";
import { readExtends, readPolicyDocument } from "../policy/document.js";
import { parseSource } from "../policy/source.js";
import { WARDEN_VERSION } from "../version.js";
import { CompiledPolicy } from "./build.js";
import { scanArgs, type PolicyIR, type Scalar } from "./ir.js";
import { exportScanners } from "./scan-leaf.js";

export interface CompileOptions {
  /** Name used in diagnostics and to resolve relative `extends` paths. */
  file?: string;
  /** Reads a policy named in `extends` (the edge supplies file access; the compiler does no I/O). */
  readFile?: (path: string) => string;
}

export type CompileResult =
  | { ok: true; policy: CompiledPolicy; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

export const ARTIFACT_FORMAT = "warden.compiled/v1";

/** sha256 of the canonical (RFC 8785) form of the IR: identical across runs and machines. */
export function policyHash(ir: PolicyIR): string {
  return sha256Text(canonicalize(ir));
}

function sha256Text(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/**
 * Who built an artifact's automata: the Warden version and the scanner's semantics revision. Stored automata are
 * used only when both match; bump SCANNER_REVISION whenever the same patterns compile to automata that match
 * differently (2: `ignore_case` patterns apply NFKC and drop invisible characters; 3: `homoglyphs` under `nfkc` reads accented Latin letters as their base letter), so an older artifact's
 * automata are rebuilt instead of trusted.
 */
export const SCANNER_REVISION = 4;
export const ARTIFACT_BUILDER = `${WARDEN_VERSION} scanners/${SCANNER_REVISION}`;

/** The artifact is exactly the canonical form of these fields (a test re-canonicalizes it to check). */
export interface ArtifactV1 {
  format: typeof ARTIFACT_FORMAT;
  hash: string;
  index: Record<string, Record<string, string[]>>;
  policy: PolicyIR;
  scanners: unknown[];
  warden: string;
}

export function compilePolicy(source: string, options: CompileOptions = {}): CompileResult {
  const file = options.file ?? "<inline>";
  const diagnostics: Diagnostic[] = [];
  try {
    const resolved = resolve(source, file, options, [file], diagnostics);
    if (!resolved || diagnostics.some((d) => d.severity === "error")) return { ok: false, diagnostics };
    return { ok: true, policy: buildPolicy(resolved.ir), diagnostics };
  } catch (e) {
    // A compiler fault is reported like any other error: nothing half-compiled is ever returned.
    diagnostics.push({ code: "INTERNAL_ERROR", severity: "error", message: `internal compiler error: ${e instanceof Error ? e.message : String(e)}`, span: { file, line: 1, col: 1 }, help: "please report this with the policy that caused it" });
    return { ok: false, diagnostics };
  }
}

/** Builds the executable policy and its artifact from IR (also used when loading an artifact). */
export function buildPolicy(ir: PolicyIR): CompiledPolicy {
  const canonicalIr = canonicalize(ir);
  const hash = sha256Text(canonicalIr);
  const policy = new CompiledPolicy(ir, hash);
  const scanners = exportScanners(ir.rules.flatMap((r) => (r.when ? scanArgs(r.when) : [])));
  // RFC 8785 key order: format < hash < index < policy < scanners < warden; the IR's canonical text is reused.
  policy.artifact =
    `{"format":${canonicalize(ARTIFACT_FORMAT)},"hash":${canonicalize(hash)},"index":${canonicalize(policy.indexSummary())}` +
    `,"policy":${canonicalIr},"scanners":${canonicalize(scanners)},"warden":${canonicalize(ARTIFACT_BUILDER)}}`;
  return policy;
}

function resolve(source: string, file: string, options: CompileOptions, stack: string[], out: Diagnostic[]): ResolvedPolicy | undefined {
  const src = parseSource(source, file);
  out.push(...src.diagnostics);
  if (src.diagnostics.some((d) => d.severity === "error")) return undefined;
  const ctx = new ValidationContext(src);
  const parents: ResolvedPolicy[] = [];
  for (const ref of readExtends(ctx, src.value)) {
    const path = joinRelative(file, ref);
    if (stack.includes(path)) {
      ctx.error("EXTENDS_CYCLE", "extends", `policy \`${path}\` extends itself through ${stack.map((s) => `\`${s}\``).join(" -> ")}`);
      continue;
    }
    let text: string;
    try {
      if (!options.readFile) throw new Error("no file reader was given to the compiler");
      text = options.readFile(path);
    } catch (e) {
      // the reader may say what to do (e.g. the size limit of a policy file); else the usual mistake is the path
      const help = (e as { help?: unknown } | null)?.help;
      ctx.error("EXTENDS_NOT_FOUND", "extends", `cannot read parent policy \`${path}\`: ${e instanceof Error ? e.message : String(e)}`, typeof help === "string" ? help : "paths in `extends` are relative to the policy file");
      continue;
    }
    const parent = resolve(text, path, options, [...stack, path], out);
    if (parent) parents.push(parent);
  }
  const inherited: Record<string, Scalar[]> = {};
  for (const p of parents) Object.assign(inherited, p.ir.lists);
  const doc = readPolicyDocument(ctx, src.value, inherited);
  const resolved = doc && !ctx.hasErrors ? composePolicy(ctx, parents, doc) : undefined;
  out.push(...ctx.diagnostics);
  return resolved;
}

/** POSIX-style join of a relative `extends` path onto the including file's directory. */
export function joinRelative(from: string, ref: string): string {
  if (ref.startsWith("/")) return normalize(ref);
  const slash = from.lastIndexOf("/");
  return normalize(slash < 0 ? ref : `${from.slice(0, slash)}/${ref}`);
}

function normalize(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (seg === ".." && abs) continue;
    else out.push(seg);
  }
  return (abs ? "/" : "") + out.join("/");
}
