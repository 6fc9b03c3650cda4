// Policy unit tests (`warden test`, the conformance suite): actions in, expected verdict and rules out.
import { isCollection, parseDocument, parse as parseYaml } from "yaml";
import type { CompiledPolicy } from "../compile/build.js";
import { compilePolicy, type CompileOptions } from "../compile/compile.js";
import { formatDiagnostic } from "../diagnostics.js";
import { decide, decideLinear, type EngineState } from "../engine/decide.js";
import { parseTime } from "../engine/action-check.js";
import { MemoryThrottleStore } from "../engine/throttle-store.js";
import { parseDurationMs } from "../compile/units.js";
import { caseProblem } from "./case-checks.js";
import type { Decision } from "../types.js";

export interface Expectation {
  verdict?: string;
  /** Exactly the rule ids in `reasons` (order-insensitive), including `default` when it decided. */
  rules?: string[];
  /** Reason codes that must all appear. */
  codes?: string[];
  shadow?: string[];
  shadowVerdict?: string;
  enforced?: boolean;
  retryAfterMs?: number;
  /** Field of the first reason with the decisive verdict. */
  field?: string;
  /** Substring expected in some reason's message. */
  message?: string;
  /** Expected values in the modified action (`obligations.modify.action`), by dotted path. */
  modified?: Record<string, unknown>;
  approvalGroup?: string;
  sandbox?: { filesystemDeny?: string[]; networkDeny?: string[]; filesystemAllow?: string[] };
  /**
   * A part of the Decision that must be there as given: mappings match the keys they name (others may be
   * present; `{ absent: true }` says a key must not be), lists match element by element and have the same
   * length, scalars are equal, e.g. `decision: { obligations: { approval: { timeoutMs: 900000 } } }`.
   */
  decision?: Record<string, unknown>;
}

export interface Step {
  action: unknown;
  /** Decide the action this many times (default 1), moving `at` forward by `every` each time. */
  repeat?: number;
  every?: string;
}

export interface TestCase {
  name: string;
  before?: Step[];
  action: unknown;
  expect: Expectation;
}

export interface CaseFile {
  /** Policy path (relative to the case file) or an inline policy mapping. */
  policy: string | Record<string, unknown>;
  cases: TestCase[];
}

export interface CaseResult {
  name: string;
  ok: boolean;
  failures: string[];
  decision?: Decision;
}

export type Evaluator = "indexed" | "linear";

/** Every key an Expectation takes: a Record over keyof, so the compiler holds it in step with the interface. */
const EXPECT_KEY_TABLE: Record<keyof Expectation, true> = { verdict: true, rules: true, codes: true, shadow: true, shadowVerdict: true, enforced: true, retryAfterMs: true, field: true, message: true, modified: true, approvalGroup: true, sandbox: true, decision: true };
const EXPECT_KEYS: ReadonlySet<string> = new Set(Object.keys(EXPECT_KEY_TABLE));

export function parseCaseFile(text: string): CaseFile {
  const doc = parseYaml(text, { uniqueKeys: true }) as unknown;
  const d = doc as Partial<CaseFile> & { policySource?: string };
  if (typeof d !== "object" || d === null || (typeof d.policy !== "string" && (typeof d.policy !== "object" || d.policy === null)) || !Array.isArray(d.cases)) {
    throw new Error("a test file needs `policy:` (a path or an inline policy) and `cases:` (a list)");
  }
  d.cases.forEach((c, i) => {
    if (typeof c?.name !== "string" || c.action === undefined || typeof c.expect !== "object" || c.expect === null) {
      throw new Error(`case #${i + 1} needs \`name\`, \`action\` and \`expect\``);
    }
    // A misspelt or empty expectation would assert nothing and pass whatever the policy does.
    const keys = Array.isArray(c.expect) ? [] : Object.keys(c.expect);
    const unknown = keys.filter((k) => !EXPECT_KEYS.has(k));
    if (unknown.length > 0) {
      throw new Error(`case #${i + 1} (\`${c.name}\`): unknown expectation ${unknown.map((k) => `\`${k}\``).join(", ")}; expect takes ${[...EXPECT_KEYS].map((k) => `\`${k}\``).join(", ")}`);
    }
    if (keys.length === 0) throw new Error(`case #${i + 1} (\`${c.name}\`): \`expect\` is empty, so the case could never fail; give at least \`verdict\``);
    const problem = caseProblem(c as TestCase & { expect: Record<string, unknown> }, i + 1);
    if (problem !== null) throw new Error(problem);
  });
  if (d.cases.length === 0) throw new Error("`cases:` is empty: a test file with no cases checks nothing; add at least one case");
  if (typeof d.policy === "object") {
    const source = inlinePolicySource(text);
    if (source !== undefined) Object.defineProperty(d, "policySource", { value: source, enumerable: false });
  }
  return d as CaseFile;
}

/**
 * The inline policy's own text, padded so that its lines and columns are those of the case file: the compiler
 * then sees numbers as written (exact-decimal checks) and its diagnostics point into the case file.
 */
function inlinePolicySource(text: string): string | undefined {
  const doc = parseDocument(text, { uniqueKeys: true });
  const node = doc.get("policy", true) as { range?: [number, number, number]; flow?: boolean } | undefined;
  if (!node?.range || !isCollection(node)) return undefined;
  const [start, end] = node.range;
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const line = text.slice(0, lineStart).split("\n").length - 1;
  const pad = "\n".repeat(line);
  // A block mapping keeps its indentation from the start of its line; a flow mapping is padded to its column.
  return node.flow ? pad + " ".repeat(start - lineStart) + text.slice(start, end) : pad + text.slice(lineStart, end);
}

/** Compiles the case file's policy: inline, or read through `readFile`. */
export function compileCasePolicy(file: CaseFile, options: CompileOptions & { readFile: (p: string) => string }, policyPath?: string): CompiledPolicy {
  const inline = (file as { policySource?: string }).policySource;
  const text = typeof file.policy === "string" ? options.readFile(policyPath ?? file.policy) : (inline ?? JSON.stringify(file.policy));
  const compileOptions: CompileOptions = { readFile: options.readFile, file: typeof file.policy === "string" ? (policyPath ?? file.policy) : (options.file ?? "<inline>") };
  const r = compilePolicy(text, compileOptions);
  if (!r.ok) throw new Error(`policy does not compile:\n${r.diagnostics.map(formatDiagnostic).join("\n")}`);
  return r.policy;
}

function shift(action: unknown, ms: number): unknown {
  if (ms === 0 || typeof action !== "object" || action === null) return action;
  const at = (action as { at?: unknown }).at;
  const t = typeof at === "string" ? parseTime(at) : undefined;
  return t === undefined ? action : { ...(action as object), at: new Date(t + ms).toISOString() };
}

function getPath(v: unknown, path: string): unknown {
  let o: unknown = v;
  for (const k of path.split(".")) {
    if (typeof o !== "object" || o === null || !Object.hasOwn(o, k)) return undefined;
    o = (o as Record<string, unknown>)[k];
  }
  return o;
}

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

export function runCase(policy: CompiledPolicy, c: TestCase, evaluator: Evaluator = "indexed"): CaseResult {
  const store = new MemoryThrottleStore();
  const state: EngineState = { throttle: store };
  const run = evaluator === "linear" ? decideLinear : decide;
  for (const step of c.before ?? []) {
    // checked by parseCaseFile (caseProblem): a duration that does not parse is an error, not 0
    const every = step.every === undefined ? 0 : (parseDurationMs(step.every) as number);
    for (let i = 0; i < (step.repeat ?? 1); i++) store.commit(run(policy, shift(step.action, i * every), state));
  }
  const d = run(policy, c.action, state);
  const e = c.expect;
  const failures: string[] = [];
  const rules = d.reasons.map((r) => r.rule);
  if (e.verdict !== undefined && d.verdict !== e.verdict) failures.push(`verdict: expected ${e.verdict}, got ${d.verdict}`);
  if (e.rules !== undefined && !sameSet(e.rules, rules)) failures.push(`rules: expected [${e.rules.join(", ")}], got [${rules.join(", ")}]`);
  for (const code of e.codes ?? []) if (!d.reasons.some((r) => r.code === code) && !d.shadow.some((r) => r.code === code)) failures.push(`codes: expected ${code}, got [${d.reasons.map((r) => r.code).join(", ")}]`);
  if (e.shadow !== undefined && !sameSet(e.shadow, d.shadow.map((r) => r.rule))) failures.push(`shadow: expected [${e.shadow.join(", ")}], got [${d.shadow.map((r) => r.rule).join(", ")}]`);
  if (e.shadowVerdict !== undefined && d.shadowVerdict !== e.shadowVerdict) failures.push(`shadowVerdict: expected ${e.shadowVerdict}, got ${d.shadowVerdict ?? "none"}`);
  if (e.enforced !== undefined && d.enforced !== e.enforced) failures.push(`enforced: expected ${e.enforced}, got ${d.enforced}`);
  if (e.retryAfterMs !== undefined && d.obligations.retryAfterMs !== e.retryAfterMs) failures.push(`retryAfterMs: expected ${e.retryAfterMs}, got ${d.obligations.retryAfterMs}`);
  if (e.field !== undefined) {
    const top = d.reasons.find((r) => r.verdict === d.verdict);
    if (top?.field !== e.field) failures.push(`field: expected ${e.field}, got ${top?.field ?? "none"}`);
  }
  if (e.message !== undefined && !d.reasons.some((r) => r.message.includes(e.message as string))) failures.push(`message: no reason mentions \`${e.message}\``);
  if (e.approvalGroup !== undefined && d.obligations.approval?.group !== e.approvalGroup) failures.push(`approval group: expected ${e.approvalGroup}, got ${d.obligations.approval?.group ?? "none"}`);
  for (const [path, want] of Object.entries(e.modified ?? {})) {
    const got = getPath(d.obligations.modify?.action, path);
    if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`modified ${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  const sb = d.obligations.sandbox;
  const needs = (label: string, want: string[] | undefined, got: string[] | undefined): void => {
    for (const x of want ?? []) if (!got?.includes(x)) failures.push(`sandbox ${label}: expected \`${x}\` in [${(got ?? []).join(", ")}]`);
  };
  if (e.sandbox !== undefined) {
    if (!sb) failures.push("sandbox: expected a sandbox obligation, got none");
    needs("filesystem.deny", e.sandbox.filesystemDeny, sb?.filesystem.deny);
    needs("network.deny", e.sandbox.networkDeny, sb?.network.deny);
    needs("filesystem.allow", e.sandbox.filesystemAllow, sb?.filesystem.allow);
  }
  if (e.decision !== undefined) partialMatch(e.decision, d, "decision", failures);
  return { name: c.name, ok: failures.length === 0, failures, decision: d };
}

/** `{ absent: true }` in an expected decision: the key must not be there. */
function isAbsentMarker(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && (v as { absent?: unknown }).absent === true;
}

/** Whether `got` holds `want`: mappings by the keys `want` names, lists element-wise, scalars equal. */
function partialMatch(want: unknown, got: unknown, path: string, failures: string[]): void {
  if (isAbsentMarker(want)) {
    if (got !== undefined) failures.push(`${path}: expected to be absent, got ${JSON.stringify(got)}`);
    return;
  }
  if (want !== null && typeof want === "object" && !Array.isArray(want)) {
    if (got === null || typeof got !== "object" || Array.isArray(got)) {
      failures.push(`${path}: expected a mapping, got ${JSON.stringify(got) ?? "nothing"}`);
      return;
    }
    for (const [k, v] of Object.entries(want)) partialMatch(v, Object.hasOwn(got, k) ? (got as Record<string, unknown>)[k] : undefined, `${path}.${k}`, failures);
    return;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      failures.push(`${path}: expected a list of ${want.length}, got ${JSON.stringify(got) ?? "nothing"}`);
      return;
    }
    want.forEach((w, i) => partialMatch(w, got[i], `${path}[${i}]`, failures));
    return;
  }
  if (JSON.stringify(want) !== JSON.stringify(got)) failures.push(`${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got) ?? "nothing"}`);
}
