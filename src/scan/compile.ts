// compilePatternSet: parse every pattern, build one NFA, group detectors by tier under a state budget.

import { lineCol, type Diagnostic } from "../diagnostics.js";
import { WARDEN_VERSION } from "../version.js";
import { lengthRange, reverseNode, type RegexNode } from "./ast.js";
import { caseClose } from "./unicode.js";
import { setHas } from "./charset.js";
import type { ScanErrorCode } from "./errors.js";
import { factorBranches, MIN_FACTOR_SCORE, MIN_WEAK_BITS, requiredFactor, weakFactor } from "./factor.js";

import { LazyDfa } from "./lazy-dfa.js";
import { type Alphabet, buildAlphabet, type Nfa, NfaBuilder, NfaTooLarge } from "./nfa.js";
import { parseRegex } from "./parse.js";
import { buildStaticDfa } from "./static-dfa.js";
import type { CompileOptions, CompiledPatternSet, Detector, PatternInfo, PatternSpec } from "./types.js";

export const DEFAULT_STATE_BUDGET = 8192;
export const DEFAULT_MAX_EXTENSION = 256;
/** Lazy DFAs (verifiers, over-budget detectors) flush their cache past this many states: bounds memory per DFA. */
export const DEFAULT_CACHE_LIMIT = 1024;
const MAX_NFA_NODES = 2_000_000;
const MAX_PATTERN_NODES = 200_000;

export type CompileSetResult =
  | { ok: true; set: CompiledPatternSet; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

function diag(
  code: ScanErrorCode,
  severity: "error" | "warning",
  id: string,
  pattern: string,
  offset: number,
  what: string,
  file: string,
  help?: string,
): Diagnostic {
  const { line, col } = lineCol(pattern, offset);
  const where = line > 1 ? `line ${line} column ${col}` : `column ${col}`;
  const d: Diagnostic = {
    code,
    severity,
    message: `pattern \`${id}\`: ${what} at ${where}`,
    span: { file, line, col, path: `patterns.${id}` },
  };
  if (help !== undefined) d.help = help;
  return d;
}

export function compilePatternSet(specs: PatternSpec[], options: CompileOptions = {}): CompileSetResult {
  const file = options.file ?? "<inline>";
  const budget = options.stateBudget ?? DEFAULT_STATE_BUDGET;
  const diagnostics: Diagnostic[] = [];
  const parsed: { spec: PatternSpec; node: RegexNode; index: number }[] = [];
  const seen = new Set<string>();
  if (!Array.isArray(specs)) {
    diagnostics.push({ code: "SCAN_BAD_SPEC", severity: "error", message: "patterns must be an array of `{ id, pattern }`", span: { file, line: 1, col: 1 } });
    return { ok: false, diagnostics };
  }
  specs.forEach((spec, index) => {
    const id = typeof spec?.id === "string" ? spec.id : `#${index}`;
    const badField =
      spec && spec.tier !== undefined && !(typeof spec.tier === "number" && Number.isInteger(spec.tier))
        ? "`tier` must be an integer"
        : spec && spec.caseInsensitive !== undefined && typeof spec.caseInsensitive !== "boolean"
          ? "`caseInsensitive` must be a boolean"
          : spec && spec.keywords !== undefined && !(Array.isArray(spec.keywords) && spec.keywords.every((k) => typeof k === "string"))
            ? "`keywords` must be an array of strings"
            : null;
    if (badField !== null) {
      diagnostics.push({ code: "SCAN_BAD_SPEC", severity: "error", message: `pattern \`${id}\`: ${badField}`, span: { file, line: 1, col: 1, path: `patterns.${index}` } });
      return;
    }
    if (typeof spec?.id !== "string" || spec.id === "" || typeof spec.pattern !== "string") {
      diagnostics.push({ code: "SCAN_BAD_SPEC", severity: "error", message: `pattern \`${id}\`: needs a non-empty string \`id\` and a string \`pattern\``, span: { file, line: 1, col: 1, path: `patterns.${index}` } });
      return;
    }
    if (seen.has(spec.id)) {
      diagnostics.push({ code: "SCAN_DUPLICATE_ID", severity: "error", message: `pattern id \`${spec.id}\` is used twice`, span: { file, line: 1, col: 1, path: `patterns.${spec.id}` }, help: "give every pattern a unique id" });
      return;
    }
    seen.add(spec.id);
    const r = parseRegex(spec.pattern, { caseInsensitive: spec.caseInsensitive === true });
    if (!r.ok) {
      diagnostics.push(diag(r.error.code, "error", spec.id, spec.pattern, r.error.offset, r.error.message, file, r.error.help));
      return;
    }
    if (options.wrap) r.node = options.wrap(spec, r.node);
    if (lengthRange(r.node)[0] === 0)
      diagnostics.push(diag("SCAN_EMPTY_MATCH", "warning", spec.id, spec.pattern, 0, "the pattern can match the empty string", file, "empty matches are never reported; make some part required"));
    parsed.push({ spec, node: r.node, index });
  });
  if (diagnostics.some((d) => d.severity === "error")) return { ok: false, diagnostics };

  const builder = new NfaBuilder(MAX_NFA_NODES);
  const patterns: PatternInfo[] = [];
  for (const { spec, node } of parsed) {
    const label = patterns.length;
    const before = builder.size;
    try {
      // sets are mapped after factor extraction, so factors are chosen on the pattern as written
      const map = options.mapSets ? (n: RegexNode): RegexNode => (options.mapSets as NonNullable<CompileOptions["mapSets"]>)(spec, n) : (n: RegexNode): RegexNode => n;
      const mapped = map(node);
      const fwdStart = builder.addFragment(mapped, label);
      const revStart = builder.addFragment(reverseNode(mapped), label);
      const strong = requiredFactor(node);
      const weak = strong !== null && strong.score >= MIN_FACTOR_SCORE ? null : weakFactor(node);
      let factor = strong !== null && strong.score >= MIN_FACTOR_SCORE ? strong : weak !== null && weak.score >= MIN_WEAK_BITS ? weak : null;
      if (builder.size - before > MAX_PATTERN_NODES) throw new NfaTooLarge();
      let gateImplied = false;
      if ((spec.keywords ?? []).length > 0) {
        // a longer literal factor that contains a keyword makes the keyword gate free at scan time
        const long = requiredFactor(node, 24, (f) => keywordsImplied(f, spec.keywords ?? []));
        if (long && long.score >= MIN_FACTOR_SCORE && long.before >= 0 && keywordsImplied(long.node, spec.keywords ?? [])) {
          factor = long;
          gateImplied = true;
        } else gateImplied = factor !== null && keywordsImplied(factor.node, spec.keywords ?? []);
      }
      const factored = factor !== null;
      const detStart = factor ? builder.addFragment(map(factor.node), label) : fwdStart;
      // a suffix that can be empty proves nothing; one that cannot is probed at every hit
      const sufStart = factor?.suffix && lengthRange(factor.suffix)[0] > 0 ? builder.addFragment(map(factor.suffix), label) : -1;
      // the lead says more than the factor only when something precedes it; a probe reads at most 64 units
      const leadStart =
        factor?.lead && factor.lead !== factor.node && lengthRange(factor.lead)[0] <= 64 && lengthRange(factor.lead)[0] > lengthRange(factor.node)[0]
          ? builder.addFragment(reverseNode(map(factor.lead)), label)
          : -1;
      patterns.push({
        id: spec.id,
        tier: spec.tier ?? 0,
        // a gate that every factor hit already satisfies needs no keyword search at scan time
        keywords: gateImplied ? [] : (spec.keywords ?? []).map((k) => String(k).toLowerCase()),
        keywordIds: [],
        maxLength: lengthRange(node)[1],
        before: factor ? factor.before : lengthRange(node)[1],
        after: factor ? factor.after : 0,
        detector: factor === weak && factor ? "run" : factor ? "literal" : "pattern",
        fwdStart,
        revStart,
        detStart,
        sufStart,
        leadStart,
        factored,
      });
    } catch (e) {
      if (!(e instanceof NfaTooLarge)) throw e;
      diagnostics.push(diag("SCAN_REPEAT_TOO_LARGE", "error", spec.id, spec.pattern, 0, "the pattern's automaton is too large", file, "reduce counted repeats (`{m,n}`) or split the pattern"));
      return { ok: false, diagnostics };
    }
  }
  // keywords (gitleaks' gate: a pattern reports only if the text contains one) are found by the detectors too
  const keywords: string[] = [];
  const keywordStarts: number[] = [];
  const keywordIndex = new Map<string, number>();
  for (const p of patterns)
    for (const k of p.keywords) {
      if (k === "") continue;
      let id = keywordIndex.get(k);
      if (id === undefined) {
        id = keywords.length;
        keywordIndex.set(k, id);
        keywords.push(k);
        const items: RegexNode[] = [];
        for (let i = 0; i < k.length; i++) items.push({ t: "set", set: caseClose([k.charCodeAt(i), k.charCodeAt(i)]) });
        keywordStarts.push(builder.addFragment({ t: "cat", items }, patterns.length + id));
      }
      if (!p.keywordIds.includes(id)) p.keywordIds.push(id);
    }
  const nfa = builder.finish();
  const alphabet = buildAlphabet(nfa.sets);
  const detectors = buildDetectors(patterns, keywordStarts, nfa, alphabet, budget, (p, what, help) => {
    const spec = parsed[p]?.spec as PatternSpec;
    diagnostics.push(diag("SCAN_LAZY_FALLBACK", "warning", spec.id, spec.pattern, 0, what, file, help));
  });
  const set: CompiledPatternSet = {
    format: "warden-scan-v1",
    wardenVersion: WARDEN_VERSION,
    patterns,
    nfa,
    alphabet,
    detectors,
    keywords,
    keywordStarts,
    maxExtension: Number.isInteger(options.maxExtension) ? Math.max(0, options.maxExtension as number) : DEFAULT_MAX_EXTENSION,
    cacheLimit: DEFAULT_CACHE_LIMIT,
    matchers: new Array(patterns.length).fill(undefined),
  };
  return { ok: true, set, diagnostics };
}

/**
 * One union automaton per tier (highest tier first); a union over the state budget is split in halves until
 * every part fits; a single pattern over budget becomes a lazily built detector (with a warning).
 */
export function buildDetectors(
  patterns: PatternInfo[],
  keywordStarts: number[],
  nfa: Nfa,
  alphabet: Alphabet,
  budget: number,
  warn: (pattern: number, what: string, help: string) => void,
): Detector[] {
  const tiers = [...new Set(patterns.map((p) => p.tier))].sort((a, b) => b - a);
  const queue: { tier: number; patterns: number[] }[] = [];
  for (const tier of tiers) {
    // literal-like factors union into one small automaton; whole patterns (no factor) are kept apart so a
    // pattern with big counted repeats cannot multiply the factors' states
    const inTier = patterns.map((p, i) => (p.tier === tier ? i : -1)).filter((i) => i >= 0);
    // literal factors and class runs try one automaton together (one table lookup per unit; measured faster
    // than a literal table plus a run table in one loop); over budget, the halving below splits them
    const small = inTier.filter((i) => (patterns[i] as PatternInfo).detector !== "pattern");
    const whole = inTier.filter((i) => (patterns[i] as PatternInfo).detector === "pattern");
    if (small.length > 0) queue.push({ tier, patterns: small });
    if (whole.length > 0) queue.push({ tier, patterns: whole });
  }
  // keyword labels join the first automaton (they are literals, like the factors)
  const kw = keywordStarts.map((_, k) => patterns.length + k);
  if (kw.length > 0) {
    if (queue.length > 0) (queue[0] as { patterns: number[] }).patterns.push(...kw);
    else queue.push({ tier: 0, patterns: kw });
  }
  const startOf = (label: number): number => (label < patterns.length ? (patterns[label] as PatternInfo).detStart : (keywordStarts[label - patterns.length] as number));
  const out: Detector[] = [];
  while (queue.length > 0) {
    const plan = queue.shift() as { tier: number; patterns: number[] };
    const starts = plan.patterns.map(startOf);
    const table = buildStaticDfa(new LazyDfa(nfa, alphabet, starts, false, Number.MAX_SAFE_INTEGER), alphabet, budget);
    if (table) out.push({ kind: "table", tier: plan.tier, patterns: plan.patterns, dfa: table });
    else if (plan.patterns.length > 1) {
      const mid = plan.patterns.length >> 1;
      queue.unshift({ tier: plan.tier, patterns: plan.patterns.slice(0, mid) }, { tier: plan.tier, patterns: plan.patterns.slice(mid) });
    } else {
      if ((plan.patterns[0] as number) < patterns.length) warn(plan.patterns[0] as number, `detection automaton needs more than ${budget} states`, "it runs as a lazily built DFA with a bounded cache (linear time); a literal of 3+ characters that every match contains makes it a small table");
      out.push({ kind: "lazy", tier: plan.tier, patterns: plan.patterns, dfa: new LazyDfa(nfa, alphabet, starts, false, DEFAULT_CACHE_LIMIT) });
    }
  }
  return out;
}

/**
 * True if every string the factor matches contains one of `keywords` up to case (so a factor hit proves the
 * gitleaks keyword gate is open): each branch must contain a keyword whose every unit's case variants cover
 * the branch's set at that position.
 */
function keywordsImplied(factor: RegexNode, keywords: string[]): boolean {
  const branches = factorBranches(factor);
  if (!branches) return false;
  const kws = keywords.map((k) => String(k).toLowerCase()).filter((k) => k.length > 0);
  // keyword matching is up to simple case folding (as the keyword fragments match), so a set is covered
  // when it lies inside the keyword unit's case orbit
  const covers = (set: readonly number[], ch: string): boolean => {
    const orbit = caseClose([ch.charCodeAt(0), ch.charCodeAt(0)]);
    for (let i = 0; i < set.length; i += 2) {
      if ((set[i + 1] as number) - (set[i] as number) > 8) return false;
      for (let u = set[i] as number; u <= (set[i + 1] as number); u++) if (!setHas(orbit, u)) return false;
    }
    return true;
  };
  return branches.every((b) =>
    kws.some((k) => {
      for (let at = 0; at + k.length <= b.length; at++) {
        let ok = true;
        for (let j = 0; j < k.length && ok; j++) ok = covers(b[at + j] as readonly number[], k[j] as string);
        if (ok) return true;
      }
      return false;
    }),
  );
}

