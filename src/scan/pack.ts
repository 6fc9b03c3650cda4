// Rule packs on top of the scanner (pure): load packs as pattern specs, compile them grouped by normalization
// and boundary, scan text, and report findings with offsets into the ORIGINAL text and masked matches.
import type { Diagnostic } from "../diagnostics.js";
import { compilePatternSet, scanText, type CompiledPatternSet, type PatternSpec } from "./index.js";
import { normalizationKey, normalizeFurther, normalizeText, mapSpan, type NormalizationOptions, type NormalizedText } from "./normalize.js";
import { BOUNDARY_SENTINEL, maskMatch, passesValidator, rightBoundaryOk, secretPart, shannonEntropy, withLeadingBoundary } from "./pack-findings.js";
import { BASE_NORMALIZATION, baseView, compileFused, squashedView, squashMayFire, viewSlice, viewText, type FusedSet } from "./pack-fused.js";
import type { SegmentedText } from "./normalize-map.js";
import type { ViewMap } from "./view-map.js";
import { injectionPack } from "./packs/injection.js";
import { piiPack } from "./packs/pii.js";
import { secretsPack } from "./packs/secrets.js";
import { shellPack } from "./packs/shell.js";
import { PACK_NAMES, type Boundary, type Pack, type PackName, type Severity } from "./packs/types.js";
import type { ValidatorName } from "./validators.js";

/**
 * Gitleaks-style allowlist carried by imported rules: a match is dropped when any entry applies. An entry applies
 * when one of its regexes hits or one of its stopwords is in the secret, or, with `condition: "AND"`, when a regex
 * hits and a stopword is in the secret (gitleaks' `condition = "AND"`: every check the allowlist has must pass).
 */
export interface RuleAllowlist {
  /** Patterns searched in the target (engine subset); any hit drops the finding. */
  regexes: string[];
  /** What the regexes are searched in: the secret part (default) or the whole match. */
  regexTarget: "secret" | "match";
  /** Case-insensitive substrings of the secret part. */
  stopwords: string[];
  /** Absent: either check suffices ("OR"). */
  condition?: "AND";
}

/** One rule ready to compile: a pack rule or an imported one. */
export interface LoadedRule {
  pack: string;
  /** `<pack>.<rule id>`, the finding's pattern id. */
  id: string;
  pattern: string;
  tier: number;
  severity: Severity;
  description: string;
  normalization: NormalizationOptions;
  caseInsensitive?: boolean;
  keywords?: string[];
  validator?: ValidatorName;
  boundary?: Boundary;
  mask: "edges" | "full";
  /** Dropped when a non-fallback finding of the same pack overlaps it (squashed evasion rules). */
  fallback?: boolean;
  /** Minimum Shannon entropy (bits/char) of the secret part; imported from gitleaks `entropy`. */
  minEntropy?: number;
  allowlists?: RuleAllowlist[];
  /**
   * Leading and trailing `\n` are not part of the finding (gitleaks trims them from every match, detect.go: a rule
   * ending in `(?:\s|$)` must not report the line break); set on imported gitleaks rules.
   */
  trimNewlines?: boolean;
  /** Touching findings of this rule are one run (PackRule.mergeRuns). */
  mergeRuns?: boolean;
}

export interface LoadedPack {
  names: string[];
  rules: LoadedRule[];
  /** The specs as written (before boundary wrapping), for inspection and tooling. */
  specs: PatternSpec[];
  normalization: Record<string, NormalizationOptions>;
  validators: Record<string, ValidatorName>;
}

export interface Finding {
  pack: string;
  patternId: string;
  severity: Severity;
  /** UTF-16 offsets into the original text, end exclusive. */
  start: number;
  end: number;
  /** The matched text with at most its first 2 and last 2 characters kept; never the secret in clear. */
  masked: string;
}

const PACKS: Readonly<Record<PackName, Pack>> = { injection: injectionPack, secrets: secretsPack, pii: piiPack, shell: shellPack };

export function isPackName(name: string): name is PackName {
  return (PACK_NAMES as readonly string[]).includes(name);
}

/** The rules of one pack as loaded rules. */
export function packRules(pack: Pack): LoadedRule[] {
  return pack.rules.map((r) => {
    const rule: LoadedRule = {
      // One tier for all pack rules: every finding is reported anyway, and each extra tier costs the scanner
      // one more automaton pass over the text. Severity is carried on the finding instead.
      pack: pack.name, id: `${pack.name}.${r.id}`, pattern: r.pattern, tier: 0, severity: r.severity,
      description: r.description, normalization: r.normalization, mask: r.mask,
    };
    if (r.caseInsensitive) rule.caseInsensitive = true;
    if (r.validator) rule.validator = r.validator;
    if (r.boundary) rule.boundary = r.boundary;
    if (r.fallback) rule.fallback = true;
    if (r.mergeRuns) rule.mergeRuns = true;
    const allow: RuleAllowlist[] = [];
    if (r.allowValues && r.allowValues.length > 0) allow.push({ regexes: r.allowValues, regexTarget: "secret", stopwords: [] });
    if (r.allowMatches && r.allowMatches.length > 0) allow.push({ regexes: r.allowMatches, regexTarget: "match", stopwords: [] });
    if (allow.length > 0) rule.allowlists = allow;
    return rule;
  });
}

/** Assembles loaded rules (from packs and imports) into one LoadedPack. */
export function assemble(rules: LoadedRule[]): LoadedPack {
  const out: LoadedPack = { names: [...new Set(rules.map((r) => r.pack))], rules, specs: [], normalization: {}, validators: {} };
  for (const r of rules) {
    const spec: PatternSpec = { id: r.id, pattern: r.pattern, tier: r.tier };
    if (r.caseInsensitive) spec.caseInsensitive = true;
    if (r.keywords && r.keywords.length > 0) spec.keywords = r.keywords;
    out.specs.push(spec);
    out.normalization[r.id] = r.normalization;
    if (r.validator) out.validators[r.id] = r.validator;
  }
  return out;
}

/** `loadPack("injection")`, or `"all"` for every built-in pack. */
export function loadPack(name: PackName | "all"): LoadedPack {
  const names: PackName[] = name === "all" ? [...PACK_NAMES] : [name];
  return assemble(names.flatMap((n) => packRules(PACKS[n])));
}

/**
 * Rules sharing one normalization scan together in one pattern set; rules with a boundary (digit or word
 * alike) form a second set per normalization, scanned over the sentinel-prefixed text. `boundary` is set on
 * such a group (to its first rule's mode; each rule's own mode decides its right-hand check).
 */
interface Group {
  key: string;
  normalization: NormalizationOptions;
  boundary: Boundary | undefined;
  set: CompiledPatternSet;
}

export interface CompiledPacks {
  groups: Group[];
  rules: ReadonlyMap<string, LoadedRule>;
  /** Allowlist regexes of all rules, compiled together; ids are `<rule id>#<allowlist>#<regex>`. */
  allow: CompiledPatternSet | null;
  /**
   * The rules of every group that reads a unit map of the base view, in one set (pack-fused.ts): scanned
   * instead of those groups when the text qualifies. Optional: absent, every group runs on its own.
   */
  fused?: FusedSet | null;
}

export type CompilePacksResult = { ok: true; compiled: CompiledPacks; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

export function compilePacks(loaded: LoadedPack, options: { stateBudget?: number; file?: string } = {}): CompilePacksResult {
  const diagnostics: Diagnostic[] = [];
  const byKey = new Map<string, { normalization: NormalizationOptions; boundary: Boundary | undefined; specs: PatternSpec[] }>();
  const rules = new Map<string, LoadedRule>();
  for (const r of loaded.rules) {
    rules.set(r.id, r);
    const key = `${normalizationKey(r.normalization)}|${r.boundary ? "boundary" : "-"}`;
    let g = byKey.get(key);
    if (!g) byKey.set(key, (g = { normalization: r.normalization, boundary: r.boundary, specs: [] }));
    const spec: PatternSpec = { id: r.id, pattern: r.boundary ? withLeadingBoundary(r.pattern, r.boundary) : r.pattern, tier: r.tier };
    if (r.caseInsensitive) spec.caseInsensitive = true;
    if (r.keywords && r.keywords.length > 0) spec.keywords = r.keywords;
    g.specs.push(spec);
  }
  const groups: Group[] = [];
  let failed = false;
  for (const [key, g] of [...byKey].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const opts: { stateBudget?: number; file?: string } = {};
    if (options.stateBudget !== undefined) opts.stateBudget = options.stateBudget;
    if (options.file !== undefined) opts.file = options.file;
    const res = compilePatternSet(g.specs, opts);
    diagnostics.push(...res.diagnostics);
    if (!res.ok) failed = true;
    else groups.push({ key, normalization: g.normalization, boundary: g.boundary, set: res.set });
  }
  const allowSpecs: PatternSpec[] = [];
  for (const r of loaded.rules) {
    (r.allowlists ?? []).forEach((a, i) => a.regexes.forEach((re, k) => allowSpecs.push({ id: `${r.id}#${i}#${k}`, pattern: re })));
  }
  let allow: CompiledPatternSet | null = null;
  if (allowSpecs.length > 0) {
    const res = compilePatternSet(allowSpecs, options.file !== undefined ? { file: options.file } : {});
    diagnostics.push(...res.diagnostics);
    if (!res.ok) failed = true;
    else allow = res.set;
  }
  if (failed) return { ok: false, diagnostics };
  const fusedOpts: { stateBudget?: number } = {};
  if (options.stateBudget !== undefined) fusedOpts.stateBudget = options.stateBudget;
  const fused = compileFused(loaded.rules, fusedOpts);
  return { ok: true, compiled: { groups, rules, allow, fused }, diagnostics };
}

function allowlisted(compiled: CompiledPacks, rule: LoadedRule, match: string, secret: string): boolean {
  const lists = rule.allowlists ?? [];
  for (let i = 0; i < lists.length; i++) {
    const a = lists[i] as RuleAllowlist;
    const lowerSecret = secret.toLowerCase();
    const stopword = a.stopwords.some((w) => lowerSecret.includes(w.toLowerCase()));
    if (stopword && a.condition !== "AND") return true;
    if (!stopword && a.condition === "AND") continue;
    if (a.regexes.length > 0 && compiled.allow) {
      const prefix = `${rule.id}#${i}#`;
      const target = a.regexTarget === "match" ? match : secret;
      if (scanText(compiled.allow, target).some((m) => m.patternId.startsWith(prefix))) return true;
    }
  }
  return false;
}

const SQUASH_ONLY: NormalizationOptions = Object.freeze({ squash: true });
const WITHOUT_SQUASH = new WeakMap<NormalizationOptions, { options: NormalizationOptions; key: string }>();

/**
 * Normalizes `text`; `squash` variants are derived from the unsquashed text (computed once, shared).
 * `known` offers views computed another way (unit maps of the base view), by normalization key.
 */
function normalizeFor(text: string, o: NormalizationOptions, cache: Map<string, NormalizedText>, known: (key: string) => NormalizedText | undefined): NormalizedText {
  if (o.squash !== true) return known(normalizationKey(o)) ?? normalizeText(text, o);
  let base = WITHOUT_SQUASH.get(o);
  if (!base) {
    const options = { ...o, squash: false };
    WITHOUT_SQUASH.set(o, (base = { options, key: normalizationKey(options) }));
  }
  let nt = cache.get(base.key);
  if (!nt) cache.set(base.key, (nt = known(base.key) ?? normalizeText(text, base.options)));
  return normalizeFurther(nt, SQUASH_ONLY);
}

/** normalizationKey per options object (groups keep theirs for every call). */
const KEYS = new WeakMap<NormalizationOptions, string>();

/** Every finding of every compiled rule in `text`, sorted by start, end and pattern id. */
export function scanWithPacks(compiled: CompiledPacks, text: string): Finding[] {
  const out: Finding[] = [];
  const fused = compiled.fused;
  const base = fused ? baseView(text, fused.views, fused.viewsKey) : null;
  if (fused && base?.ok) {
    scanFused(compiled, fused, base.nt, text, out);
    // the groups outside the fused set; views derived from the base where the fused views already are
    const views = new Map<string, NormalizedText>();
    for (const g of compiled.groups) {
      if (fused.keys.includes(g.key)) continue;
      if (g.key === "none|-") {
        // the raw-text group (no sentinel either): skipped unless the text holds a unit that moves one of
        // its detectors off the start state (an all-ASCII text cannot hold a trigger that is all non-ASCII)
        const trigger = triggerOf(g.set);
        if (trigger === null ? false : (base.ascii && !trigger.ascii) || !trigger.re.test(text)) continue;
      }
      if (g.normalization.squash === true) {
        const v = unsquashedView(fused, g.normalization);
        if (v !== null) {
          if (!squashMayFire(g.set, base.nt.text, v)) continue;
          scanGroup(compiled, g, squashedView(base.nt, v), text, out);
          continue;
        }
      }
      let nkey = KEYS.get(g.normalization);
      if (nkey === undefined) KEYS.set(g.normalization, (nkey = normalizationKey(g.normalization)));
      let nt = views.get(nkey);
      if (!nt) views.set(nkey, (nt = normalizeFor(text, g.normalization, views, (key) => derivedView(fused, base.nt, key))));
      scanGroup(compiled, g, nt, text, out);
    }
  } else {
    const normalized = new Map<string, NormalizedText>();
    for (const g of compiled.groups) {
      let nkey = KEYS.get(g.normalization);
      if (nkey === undefined) KEYS.set(g.normalization, (nkey = normalizationKey(g.normalization)));
      let nt = normalized.get(nkey);
      if (!nt) normalized.set(nkey, (nt = normalizeFor(text, g.normalization, normalized, () => undefined)));
      scanGroup(compiled, g, nt, text, out);
    }
  }
  out.sort((a, b) => a.start - b.start || a.end - b.end || (a.patternId < b.patternId ? -1 : a.patternId > b.patternId ? 1 : 0));
  return mergeRuns(compiled, dropCoveredFallbacks(compiled, out), text);
}

/** Touching findings of a run rule (mergeRuns) as one finding: a run longer than the scanner's extension came in pieces. */
function mergeRuns(compiled: CompiledPacks, findings: Finding[], text: string): Finding[] {
  if (!findings.some((f) => compiled.rules.get(f.patternId)?.mergeRuns === true)) return findings;
  const out: Finding[] = [];
  const open = new Map<string, Finding>();
  for (const f of findings) {
    const rule = compiled.rules.get(f.patternId);
    if (rule?.mergeRuns !== true) {
      out.push(f);
      continue;
    }
    const prev = open.get(f.patternId);
    if (prev !== undefined && f.start <= prev.end) {
      prev.end = Math.max(prev.end, f.end);
      prev.masked = maskMatch(text.slice(prev.start, prev.end), rule.mask);
      continue;
    }
    const own = { ...f }; // merging never changes a finding object the scan returned elsewhere
    open.set(f.patternId, own);
    out.push(own);
  }
  return out;
}

const BASE_KEY = normalizationKey(BASE_NORMALIZATION);

/** The fused view a squash group squashes (undefined: the base itself), or null when it is neither. */
function unsquashedView(fused: FusedSet, o: NormalizationOptions): ViewMap | undefined | null {
  const key = normalizationKey({ ...o, squash: false });
  if (key === BASE_KEY) return undefined;
  return fused.views.find((m) => normalizationKey(m.options) === key) ?? null;
}

/** A view the fused scan already implies: the base itself, or a unit map of it (same offsets). */
function derivedView(fused: FusedSet, base: SegmentedText, key: string): NormalizedText | undefined {
  if (key === BASE_KEY) return base;
  const v = fused.views.find((m) => normalizationKey(m.options) === key);
  return v ? viewText(base, v) : undefined;
}

/** Matches of one group's set on its normalized view, as findings. */
function scanGroup(compiled: CompiledPacks, g: Group, nt: NormalizedText, text: string, out: Finding[]): void {
  const shift = g.boundary ? BOUNDARY_SENTINEL.length : 0;
  const matches = scanText(g.set, g.boundary ? BOUNDARY_SENTINEL + nt.text : nt.text);
  for (const m of matches) {
    const rule = compiled.rules.get(m.patternId);
    if (!rule) continue;
    // With a boundary the match starts on its context character (the sentinel or a real one): skip it.
    let start = m.start - shift + (g.boundary ? 1 : 0);
    let end = m.end - shift;
    if (rule.trimNewlines) {
      while (end > start && nt.text.charCodeAt(end - 1) === 10) end--;
      while (start < end && nt.text.charCodeAt(start) === 10) start++;
    }
    if (end <= start) continue;
    if (rule.boundary && !rightBoundaryOk(nt.text, end, rule.boundary)) continue;
    const matched = nt.text.slice(start, end);
    if (!passesChecks(compiled, rule, matched)) continue;
    const span = mapSpan(nt, start, end);
    out.push({ pack: rule.pack, patternId: rule.id, severity: rule.severity, start: span.start, end: span.end, masked: maskMatch(text.slice(span.start, span.end), rule.mask) });
  }
}

/** Validator, entropy and allowlists on the matched text (as its view reads it). */
function passesChecks(compiled: CompiledPacks, rule: LoadedRule, matched: string): boolean {
  if (!passesValidator(matched, rule.validator)) return false;
  if (rule.minEntropy === undefined && !rule.allowlists) return true;
  const secret = secretPart(matched);
  // gitleaks skips a finding whose entropy is at or below the rule's threshold (detect.go: entropy <= r.Entropy).
  if (rule.minEntropy !== undefined && shannonEntropy(secret) <= rule.minEntropy) return false;
  if (rule.allowlists && allowlisted(compiled, rule, matched, secret)) return false;
  return true;
}

/**
 * The fused set over `\n` + base: every pattern reads the base through its view's unit map, so offsets are
 * base offsets (minus the sentinel); a boundary match starts on its context character, which is trimmed.
 */
function scanFused(compiled: CompiledPacks, fused: FusedSet, base: SegmentedText, text: string, out: Finding[]): void {
  const b = base.text;
  const matches = scanText(fused.set, BOUNDARY_SENTINEL + b);
  for (const m of matches) {
    const rule = compiled.rules.get(m.patternId);
    if (!rule) continue;
    let start = m.start - 1 + (rule.boundary ? 1 : 0);
    let end = m.end - 1;
    if (rule.trimNewlines) {
      while (end > start && b.charCodeAt(end - 1) === 10) end--;
      while (start < end && b.charCodeAt(start) === 10) start++;
    }
    if (end <= start) continue;
    const vi = fused.viewById.get(rule.id) ?? -1;
    const view: ViewMap | undefined = vi >= 0 ? fused.views[vi] : undefined;
    if (rule.boundary && end < b.length) {
      const c = view ? (view.to[b.charCodeAt(end)] as number) : b.charCodeAt(end);
      if (!rightBoundaryOk(String.fromCharCode(c), 0, rule.boundary)) continue;
    }
    if (rule.validator !== undefined || rule.minEntropy !== undefined || rule.allowlists) {
      if (!passesChecks(compiled, rule, viewSlice(b, start, end, view))) continue;
    }
    const span = mapSpan(base, start, end);
    out.push({ pack: rule.pack, patternId: rule.id, severity: rule.severity, start: span.start, end: span.end, masked: maskMatch(text.slice(span.start, span.end), rule.mask) });
  }
}

/** A set's trigger units as a regex class, and whether any of them is ASCII. */
interface Trigger {
  re: RegExp;
  ascii: boolean;
}
const TRIGGERS = new WeakMap<CompiledPatternSet, Trigger | null>();

/**
 * A regex matching the code units on which some detector of the set leaves its start state (or reports):
 * a text without any of them leaves every detector where it started, so the set has no match in it. Null
 * when that cannot be read off the tables (a lazy detector, context-dependent starts, a report at the end).
 */
function triggerOf(set: CompiledPatternSet): Trigger | null {
  let trigger = TRIGGERS.get(set);
  if (trigger !== undefined) return trigger;
  trigger = null;
  const moves = new Uint8Array(0x10000);
  let ok = true;
  for (const d of set.detectors) {
    if (d.kind !== "table") ok = false;
    else {
      const t = d.dfa;
      const init = t.init[0] as number;
      if (init !== t.init[1] || init !== t.init[2] || init !== t.init[3] || (t.labelByKind[(init / t.nCols) * 4] as number) >= 0) ok = false;
      for (let u = 0; u < 0x10000; u++) if (t.trans[init + (t.map[u] as number)] !== init) moves[u] = 1;
    }
  }
  if (ok) {
    let cls = "";
    const hex = (u: number): string => `\\u${u.toString(16).padStart(4, "0")}`;
    for (let u = 0; u < 0x10000; u++) {
      if (moves[u] !== 1) continue;
      let v = u;
      while (v + 1 < 0x10000 && moves[v + 1] === 1) v++;
      cls += v === u ? hex(u) : `${hex(u)}-${hex(v)}`;
      u = v;
    }
    // no trigger at all: nothing ever matches (an empty class matches nothing)
    trigger = { re: new RegExp(cls === "" ? "[]" : `[${cls}]`), ascii: moves.subarray(0, 0x80).includes(1) };
  }
  TRIGGERS.set(set, trigger);
  return trigger;
}

/** Removes fallback findings that overlap a regular finding of the same pack (one report per attack). */
function dropCoveredFallbacks(compiled: CompiledPacks, findings: Finding[]): Finding[] {
  const isFallback = (f: Finding): boolean => compiled.rules.get(f.patternId)?.fallback === true;
  if (!findings.some(isFallback)) return findings;
  const regular = findings.filter((f) => !isFallback(f));
  return findings.filter((f) => !isFallback(f) || !regular.some((r) => r.pack === f.pack && r.start < f.end && f.start < r.end));
}
