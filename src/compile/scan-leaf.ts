// `matches` and `scan` conditions: compile their patterns with the scanner, and scan every string under a field.
import { canonicalize } from "../canonical/jcs.js";
import type { Diagnostic } from "../diagnostics.js";
import { assemble, isPackName, loadPack, scanWithPacks, type CompilePacksResult, type CompiledPacks, type Finding, type LoadedRule } from "../scan/pack.js";
import { compilePacksCached } from "../scan/pack-compile-cached.js";
import { loadStoredPacks, storePacks, type StoredPacks } from "../scan/pack-store.js";
import { tierOf } from "../scan/packs/types.js";
import { DEFAULT_MAX_EXTENSION } from "../scan/compile.js";
import type { ScanArgIR } from "./ir.js";
import { MISSING, safeEcho, type FieldValue } from "./fields.js";

export interface FieldFinding {
  pack: string;
  patternId: string;
  /** The concrete field the match is in, e.g. `args.body` or `result.items.3.text`. */
  field: string;
  start: number;
  end: number;
  /** Never the match in clear. */
  masked: string;
}

const SEVERITY_RANK = { low: 0, medium: 1, high: 2, critical: 3 } as const;
// Pure memo: the same operand always compiles to the same automata, so validation and build share one.
const compiled = new Map<string, CompiledPacks>();

function loadedRules(arg: ScanArgIR): LoadedRule[] {
  const rules: LoadedRule[] = [];
  for (const name of arg.packs) {
    if (!isPackName(name)) continue;
    rules.push(...loadPack(name).rules.filter((r) => SEVERITY_RANK[r.severity] >= SEVERITY_RANK[arg.minSeverity]));
  }
  for (const p of arg.patterns) {
    // ignore_case also compares NFKC forms without invisible characters (docs/policy-language.md), as `eq` does:
    // a fullwidth or zero-width-split name must not slip past. Offsets still point into the original text.
    const normalization = p.caseInsensitive ? { stripInvisible: true, nfkc: true } : {};
    const r: LoadedRule = { pack: "policy", id: p.id, pattern: p.pattern, tier: tierOf("high"), severity: "high", description: `policy pattern ${p.id}`, normalization, mask: "edges" };
    if (p.caseInsensitive) r.caseInsensitive = true;
    rules.push(r);
  }
  return rules;
}

/** Compiles (or returns the memoized) automata for a scan operand; diagnostics say which pattern failed and why. */
export function compileScanArg(arg: ScanArgIR, file?: string): { ok: true; packs: CompiledPacks } | { ok: false; diagnostics: Diagnostic[] } {
  const key = canonicalize(arg);
  const hit = compiled.get(key);
  if (hit) return { ok: true, packs: hit };
  let res: CompilePacksResult;
  try {
    res = compilePacksCached(assemble(loadedRules(arg)), file === undefined ? {} : { file });
  } catch (e) {
    return { ok: false, diagnostics: [{ code: "INVALID_REGEX", severity: "error", message: `the scanner failed on these patterns: ${e instanceof Error ? e.message : String(e)}` }] };
  }
  if (!res.ok) return { ok: false, diagnostics: res.diagnostics };
  if (compiled.size > 512) compiled.clear();
  compiled.set(key, res.compiled);
  return { ok: true, packs: res.compiled };
}

const byArg = new WeakMap<ScanArgIR, CompiledPacks>();

/** The automata for an operand of a built policy; throws (-> BLOCK RUNTIME_ERROR) if it cannot be compiled. */
export function packsFor(arg: ScanArgIR): CompiledPacks {
  let p = byArg.get(arg);
  if (p === undefined) {
    const r = compileScanArg(arg);
    if (!r.ok) throw new Error(`scan patterns do not compile: ${r.diagnostics[0]?.message ?? "unknown error"}`);
    byArg.set(arg, (p = r.packs));
  }
  return p;
}

/**
 * Where a value sits, as a parent chain: the dotted path is built only for findings, never per node. An object
 * key is data, not a name the policy chose: `index` is its position among its object's keys, and `found` says
 * something was found in it (then it is never shown in clear, see pathText).
 */
interface PathNode {
  parent: PathNode | null;
  key: string;
  index: number;
  found: boolean;
  /** Whether another condition finds something in the key (`KeyFound`), computed once, on a finding's path only. */
  other?: boolean;
}

/**
 * Whether some other scan/matches condition finds something in the key `key` of the object at `segs` (the
 * concrete path, split on `.`). Called only for keys on the path of a finding, so a decision with no finding
 * pays nothing for it; each key is asked at most once per scanValue call.
 */
export type KeyFound = (segs: readonly string[], key: string) => boolean;

/** What scanValue left out: findings past `limit` in the strings it scanned, and whether values were left unscanned. */
export interface ScanStats {
  omitted: number;
  stopped: boolean;
}

/** Which segments of a field path are hidden: paths at or below these (split on `.`, `*` for any segment). */
export type HiddenKeys = ReadonlyArray<readonly string[]>;

/**
 * Whether the key `key` of the object at `segs` is data of one of `under`: the object is at or below it, or the key
 * is the place of its `*` (`result.tokens.*`). A key the path names (`ssn` in `result.ssn`) is the policy's own text.
 */
function hiddenKey(under: HiddenKeys, segs: readonly string[], key: string): boolean {
  const n = segs.length + 1;
  return under.some((u) => u.length <= n && (u.length < n || u[n - 1] === "*") && u.every((x, i) => x === "*" || x === (i < segs.length ? segs[i] : key)));
}

/**
 * The dotted path of a node, cut to its last ~256 characters (deep paths are attacker-sized). A key that holds a
 * finding, or that sits in an object at or below a path in `hide` (a sensitive field: its keys are its data),
 * shows as `[key#i]` (its position): a secret used as a key must not reach the reason, and so the audit log.
 */
function pathText(node: PathNode, hide: HiddenKeys, other: KeyFound | null): string {
  const chain: PathNode[] = [];
  for (let n: PathNode | null = node; n !== null; n = n.parent) chain.push(n);
  chain.reverse();
  const segs: string[] = [];
  const parts: string[] = [];
  for (const n of chain) {
    // Only real keys are hidden: the root is the policy's field and `#key` marks a finding in the key itself.
    const hidden = n.index >= 0 && (n.found || (hide.length > 0 && hiddenKey(hide, segs, n.key)) || (other !== null && (n.other ??= other(segs, n.key))));
    const shown = hidden ? `[key#${n.index}]` : n.key;
    segs.push(...(n.parent === null ? n.key.split(".") : [n.key]));
    parts.push(shown);
  }
  let len = 0;
  let i = parts.length;
  while (i > 0 && len <= 256) len += (parts[--i] as string).length + 1;
  const path = parts.slice(i).join(".");
  return safeEcho(i === 0 ? path : `...${path}`, 260);
}

/**
 * Scans every string (and finite number) at or below `value`, and object keys as text too; iteratively, in
 * time linear in the size of the value, so deep actions cannot overflow the stack or go quadratic. `hide`: paths
 * whose keys are never shown in a finding's field (the policy's sensitive fields); `other`: keys some other
 * condition finds something in, hidden too. At most `limit` findings are returned, also when one string holds
 * more; `stats` counts those left out of the strings scanned, and says whether values were left unscanned.
 */
export function scanValue(packs: CompiledPacks, value: FieldValue, field: string, limit = Infinity, hide: HiddenKeys = [], other: KeyFound | null = null, stats?: ScanStats): FieldFinding[] {
  const out: FieldFinding[] = [];
  if (value === MISSING) return out;
  const emit = (findings: readonly Finding[], node: PathNode): void => {
    const shown = pathText(node, hide, other);
    const n = Math.min(findings.length, limit - out.length);
    for (let i = 0; i < n; i++) {
      const f = findings[i] as Finding;
      out.push({ pack: f.pack, patternId: f.patternId, field: shown, start: f.start, end: f.end, masked: safeEcho(f.masked, 64) });
    }
    if (stats !== undefined) stats.omitted += findings.length - n;
  };
  // An entry is a value to scan, or the findings of a key, already scanned (kept in order: key, then its value).
  const stack: Array<[unknown, PathNode, Finding[] | null]> = [[value, { parent: null, key: field, index: -1, found: false }, null]];
  while (stack.length > 0 && out.length < limit) {
    const [v, node, keyFindings] = stack.pop() as [unknown, PathNode, Finding[] | null];
    if (keyFindings !== null) {
      emit(keyFindings, node);
    } else if (typeof v === "string" || (typeof v === "number" && Number.isFinite(v))) {
      const findings = scanWithPacks(packs, String(v));
      if (findings.length > 0) emit(findings, node);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], { parent: node, key: String(i), index: -1, found: false }, null]);
    } else if (typeof v === "object" && v !== null) {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        // The key is scanned before its value's path can be shown: a finding in it hides it in every path below.
        const found = scanWithPacks(packs, k);
        const child: PathNode = { parent: node, key: k, index: i, found: found.length > 0 };
        stack.push([(v as Record<string, unknown>)[k], child, null]);
        if (found.length > 0) stack.push([k, { parent: child, key: "#key", index: -1, found: false }, found]);
      }
    }
  }
  if (stats !== undefined && stack.length > 0) stats.stopped = true;
  return out;
}

/** Where a token that may have been cut short ends: white space, quotes and the separators of lists, URLs and code. */
const TOKEN_END: ReadonlySet<number> = new Set([...'\t\n\v\f\r "\'`,;&|()[]{}<>'].map((c) => c.charCodeAt(0)).concat(0xa0));

/** A copy of `value` with every finding's span replaced by `with` (strings only; structure kept). */
export function redactFindings(packs: CompiledPacks, value: unknown, replacement: string): { value: unknown; count: number } {
  let count = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      const spans = scanWithPacks(packs, v).sort((a, b) => a.start - b.start);
      if (spans.length === 0) return v;
      // Overlapping or touching spans are merged into one: skipping a span that starts inside the previous one
      // would leave its tail (the rest of a longer secret) in clear.
      let out = "";
      let at = 0;
      let i = 0;
      while (i < spans.length) {
        const start = (spans[i] as Finding).start;
        let end = (spans[i] as Finding).end;
        for (i++; i < spans.length && (spans[i] as Finding).start <= end; i++) end = Math.max(end, (spans[i] as Finding).end);
        // A match stops at most DEFAULT_MAX_EXTENSION units past its earliest end, counted in the normalized text
        // (NFKC can make one unit three): a long span may be a value cut short (a 450-character password), so a span
        // of a quarter of that or more is redacted on to the end of its token, up to a separator.
        if (end - start >= DEFAULT_MAX_EXTENSION / 4) while (end < v.length && !TOKEN_END.has(v.charCodeAt(end))) end++;
        out += v.slice(at, start) + replacement;
        at = end;
        count++;
      }
      return out + v.slice(at);
    }
    if (typeof v === "number" && Number.isFinite(v) && scanWithPacks(packs, String(v)).length > 0) {
      // A number that is (or holds) a finding cannot be partly redacted: it becomes the replacement text.
      count++;
      return replacement;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null) {
      const copy: Record<string, unknown> = {};
      let n = 0;
      for (const k of Object.keys(v)) {
        const redactedKey = walk(k) as string;
        // A key holding a finding is renamed too (numbered, so two such keys stay distinct).
        const key = redactedKey === k ? k : `${redactedKey}#${n++}`;
        Object.defineProperty(copy, key, { value: walk((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
      }
      return copy;
    }
    return v;
  };
  return { value: walk(value), count };
}

/** Compiled scan automata as they are stored in a policy artifact (built once, loaded without recompiling). */
export interface StoredScanner extends StoredPacks {
  arg: ScanArgIR;
}

/** The automata of every scan operand in `args`, serialized deterministically. */
export function exportScanners(args: ScanArgIR[]): StoredScanner[] {
  const seen = new Set<string>();
  const out: StoredScanner[] = [];
  for (const arg of args) {
    const key = canonicalize(arg);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ arg, ...storePacks(packsFor(arg)) });
  }
  return out;
}

/** Registers stored automata so that building the policy finds them instead of compiling. */
export function importScanners(stored: StoredScanner[]): void {
  for (const s of stored) compiled.set(canonicalize(s.arg), loadStoredPacks(s));
}
