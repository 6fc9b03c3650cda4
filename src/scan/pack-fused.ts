// One automaton for every pack rule whose normalization is a unit map of the shared base view (pure):
// compiled once over `\n` + base text, scanned when the text qualifies (see view-map.ts), else the packs fall
// back to one pattern set per normalization. Findings are the same either way; this only saves passes.

import type { RegexNode } from "./ast.js";
import { compilePatternSet } from "./compile.js";
import { ComposedText, isAlnum, SegmentedText } from "./normalize-map.js";
import { normalizationKey, normalizeText, type NormalizationOptions, type NormalizedText } from "./normalize.js";
import { LazyDfa } from "./lazy-dfa.js";
import { parseRegex } from "./parse.js";
import { buildStaticDfa, type StaticDfa } from "./static-dfa.js";
import type { Boundary } from "./packs/types.js";
import type { CompiledPatternSet, PatternSpec } from "./types.js";
import { clusterCompatible, movedPairs, rewriteForBase, viewMap, viewMapFromPairs, type ViewMap } from "./view-map.js";
import { b64ToI32, i32ToB64, loadPatternSet, serializePatternSet } from "./serialize.js";

/** The base view: what every fused normalization starts with. Its own rules read it unmapped. */
export const BASE_NORMALIZATION: NormalizationOptions = Object.freeze({ stripInvisible: true, nfkc: true, collapseWhitespace: true });
const BASE_KEY = normalizationKey(BASE_NORMALIZATION);

/** The rule fields fusion looks at. */
export interface FusableRule {
  id: string;
  pattern: string;
  tier: number;
  normalization: NormalizationOptions;
  caseInsensitive?: boolean;
  keywords?: string[];
  boundary?: Boundary;
}

export interface FusedSet {
  set: CompiledPatternSet;
  /** Normalization keys of the fused rules' groups (their own sets are skipped when the fused set runs). */
  keys: string[];
  /** Views other than the base, for the per-text check and for reading a finding's text. */
  views: ViewMap[];
  /** Per rule id: index into `views`, or -1 for the base itself. */
  viewById: ReadonlyMap<string, number>;
  /** Names the views (the per-cluster verdict cache is keyed by it). */
  viewsKey: string;
}

/** Rules that can read the base: NFKC, invisible removal and collapsing on, no squash, no keyword gate. */
export function fusable(r: FusableRule): boolean {
  const o = r.normalization;
  return o.stripInvisible === true && o.nfkc === true && o.collapseWhitespace === true && o.squash !== true && !(r.keywords && r.keywords.length > 0);
}

/** The identity on the base (with the white-space units the base never holds mapped away). */
const IDENTITY_KEY = BASE_KEY;

function contextSet(boundary: Boundary, caseInsensitive: boolean): RegexNode {
  const r = parseRegex(boundary === "digit" ? "[^0-9]" : "[^A-Za-z0-9_]", { caseInsensitive });
  if (!r.ok) throw new Error("boundary context does not parse");
  return r.node;
}

/** Compiles the fused set, or returns null when no two groups would share it or it does not compile. */
export function compileFused(rules: FusableRule[], options: { stateBudget?: number } = {}): FusedSet | null {
  // whole groups only (the same key as compilePacks): a group with one rule that cannot fuse runs on its own
  const groupKey = (r: FusableRule): string => `${normalizationKey(r.normalization)}|${r.boundary ? "boundary" : "-"}`;
  const blocked = new Set(rules.filter((r) => !fusable(r)).map(groupKey));
  const chosen = rules.filter((r) => !blocked.has(groupKey(r)));
  const keys = [...new Set(chosen.map(groupKey))].sort();
  if (keys.length < 2) return null;
  const views: ViewMap[] = [];
  const viewIndex = new Map<string, number>();
  const mapOf = new Map<string, { view: number; map: ViewMap; withNewline: ViewMap; boundary: Boundary | undefined }>();
  for (const r of chosen) {
    const key = normalizationKey(r.normalization);
    const own = key === IDENTITY_KEY;
    let view = -1;
    const map = viewMap(r.normalization, own, false);
    const withNewline = viewMap(r.normalization, own, true);
    if (!own) {
      let k = viewIndex.get(key);
      if (k === undefined) {
        k = views.length;
        viewIndex.set(key, k);
        views.push(map);
      }
      view = k;
    }
    mapOf.set(r.id, { view, map, withNewline, boundary: r.boundary });
  }
  const specs: PatternSpec[] = chosen.map((r) => {
    const spec: PatternSpec = { id: r.id, pattern: r.pattern, tier: r.tier };
    if (r.caseInsensitive) spec.caseInsensitive = true;
    return spec;
  });
  const opts: Parameters<typeof compilePatternSet>[1] = {
    wrap: (spec, node) => {
      const m = mapOf.get(spec.id);
      return m?.boundary ? { t: "cat", items: [contextSet(m.boundary, spec.caseInsensitive === true), node] } : node;
    },
    // a boundary rule keeps `\n` (its context character must read the sentinel; its body never reaches
    // it) and its anchors (it read the sentinel-prefixed text before too); other rules lose both
    mapSets: (spec, node) => {
      const m = mapOf.get(spec.id);
      return m ? rewriteForBase(node, m.boundary ? m.withNewline : m.map, m.boundary === undefined) : node;
    },
  };
  if (options.stateBudget !== undefined) opts.stateBudget = options.stateBudget;
  // one union for every group's literal factors (4,317 states for the built-in packs, where the groups'
  // own unions were 530 + 109 + 163 + 1,018 in four passes): measured twice as fast as the separate tables
  const res = compilePatternSet(specs, opts);
  if (!res.ok) return null;
  return fusedFrom(res.set, keys, views, new Map([...mapOf].map(([id, m]) => [id, m.view])));
}

/** Assembles a FusedSet (also used when loading one from an artifact). */
export function fusedFrom(set: CompiledPatternSet, keys: string[], views: ViewMap[], viewById: ReadonlyMap<string, number>): FusedSet {
  return { set, keys, views, viewById, viewsKey: views.map((v) => v.key).join(";") };
}

/**
 * The base view of `text` and whether every fused view is its unit map (so the fused set may scan it).
 * All-ASCII text always qualifies, and its base is just white-space collapsing.
 */
export function baseView(text: string, views: readonly ViewMap[], viewsKey: string): { nt: SegmentedText; ok: boolean; ascii: boolean } {
  // a regex search for the first non-ASCII unit (measured 2-4x faster than a charCodeAt loop)
  const i = text.search(NON_ASCII);
  if (i < 0) return { nt: collapseAscii(text), ok: true, ascii: true };
  const nt = normalizeText(text, BASE_NORMALIZATION);
  if (!(nt instanceof SegmentedText)) return { nt: collapseAscii(text), ok: false, ascii: false };
  return { nt, ok: views.length === 0 || clustersCompatible(text, i, views, viewsKey), ascii: false };
}

const MARK = /\p{M}/u;
const NON_ASCII = /[^\x00-\x7f]/;
const NON_ASCII_G = /[^\x00-\x7f]/g;

/**
 * The clusters normalizeText forms under NFKC (a code point and its combining marks) that are not plain
 * ASCII, found by regex from the first non-ASCII unit: an ASCII unit right before a unit >= U+0300 starts
 * the cluster, as in normalizeText; every other ASCII unit is mapped by the views' ASCII tables.
 */
function clustersCompatible(text: string, from: number, views: readonly ViewMap[], viewsKey: string): boolean {
  const n = text.length;
  let done = 0;
  NON_ASCII_G.lastIndex = from;
  for (let m = NON_ASCII_G.exec(text); m !== null; m = NON_ASCII_G.exec(text)) {
    let i = m.index;
    if (i > done && text.charCodeAt(i) >= 0x300 && text.charCodeAt(i - 1) < 0x80) i--;
    let j = i + ((text.codePointAt(i) as number) > 0xffff ? 2 : 1);
    while (j < n && text.charCodeAt(j) >= 0x300) {
      const cp = text.codePointAt(j) as number;
      if (!MARK.test(String.fromCodePoint(cp))) break;
      j += cp > 0xffff ? 2 : 1;
    }
    if (!clusterCompatible(text.slice(i, j), BASE_NORMALIZATION, views, viewsKey)) return false;
    // (an ASCII unit followed by a non-mark was a cluster of its own: the search resumes at that unit)
    done = j;
    NON_ASCII_G.lastIndex = j;
  }
  return true;
}

const ZERO: readonly number[] = Object.freeze([0]);
const NONE: readonly number[] = Object.freeze([-1]);
const ONE: readonly number[] = Object.freeze([1]);
const WS_RUN = /[\t-\r ]{2,}/g;
const WS_ANY = /[\t-\r ]{2,}|[\t\n\v\f\r]/g;

/**
 * The base view of an all-ASCII text: NFKC, homoglyph-free and invisible-free already, so only white space
 * changes: every run becomes one space, mapped to the whole run (as normalizeText maps it).
 */
export function collapseAscii(text: string): SegmentedText {
  const n = text.length;
  const out = text.replace(WS_ANY, " ");
  // every run of two or more shortens the text: same length, so no run, so identity offsets
  if (out.length === n) return new SegmentedText(out, n, ZERO, ZERO, NONE, ONE);
  WS_RUN.lastIndex = 0;
  let m = WS_RUN.exec(text);
  if (m === null) return new SegmentedText(out, n, ZERO, ZERO, NONE, ONE);
  const segNorm: number[] = [0];
  const segOrig: number[] = [0];
  const segEnd: number[] = [-1];
  const segIdentity: number[] = [1];
  let shift = 0;
  while (m !== null) {
    const a = m.index;
    const b = a + m[0].length;
    const k = a - shift;
    segNorm.push(k, k + 1);
    segOrig.push(a, b);
    segEnd.push(b, -1);
    segIdentity.push(0, 1);
    shift += b - a - 1;
    m = WS_RUN.exec(text);
  }
  return new SegmentedText(out, n, segNorm, segOrig, segEnd, segIdentity);
}

/** The view's text for a span of the base (findings that need their matched text: validators, checks). */
export function viewSlice(base: string, start: number, end: number, view: ViewMap | undefined): string {
  const s = base.slice(start, end);
  if (!view) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) out += String.fromCharCode(view.to[s.charCodeAt(i)] as number);
  return out;
}

/** The whole view text over the base (same offsets), for groups derived from a fused view (squash). */
export function viewText(base: SegmentedText, view: ViewMap): SegmentedText {
  const t = base.text;
  const units = new Uint16Array(t.length);
  for (let i = 0; i < t.length; i++) units[i] = view.to[t.charCodeAt(i)] as number;
  return new SegmentedText(unitsToString(units), base.originalLength, base.segNorm, base.segOrig, base.segEnd, base.segIdentity);
}

/** Code units to a string (lone surrogates kept as they are, unlike a UTF-16 decoder). */
function unitsToString(units: Uint16Array): string {
  let out = "";
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode.apply(null, units.subarray(i, i + 4096) as unknown as number[]);
  return out;
}

/** A group's detectors read through a view map with non-letters skipped: fires if any detector could. */
interface SkipFilter {
  cols: Uint16Array[];
  trans: Int32Array[];
  /** Start offset, or -1 when the start state itself can report. */
  init: number[];
}

/** Most states of a whole-pattern filter automaton (built on first use, per set). */
const WHOLE_BUDGET = 2048;
const SKIP_FILTERS = new WeakMap<CompiledPatternSet, Map<string, SkipFilter | null>>();

function skipFilter(set: CompiledPatternSet, view: ViewMap | undefined): SkipFilter | null {
  let byView = SKIP_FILTERS.get(set);
  if (!byView) SKIP_FILTERS.set(set, (byView = new Map()));
  const key = view?.key ?? "base";
  let f = byView.get(key);
  if (f !== undefined) return f;
  f = { cols: [], trans: [], init: [] };
  // the whole patterns when their automata are small (a factor such as `enable` fires in ordinary prose;
  // the whole phrase almost never does), else the set's own detectors
  const whole: StaticDfa[] = [];
  for (const p of set.patterns) {
    const t = buildStaticDfa(new LazyDfa(set.nfa, set.alphabet, [p.fwdStart], false, Number.MAX_SAFE_INTEGER), set.alphabet, WHOLE_BUDGET);
    if (!t) break;
    whole.push(t);
  }
  const tables = whole.length === set.patterns.length ? whole : set.detectors.map((d) => (d.kind === "table" ? d.dfa : null));
  for (const t of tables) {
    if (t === null) {
      f = null;
      break;
    }
    // one extra column for what squashing drops: it loops on every state (so the loop has no branch for it)
    const stride = t.nCols + 1;
    const cols = new Uint16Array(MAX_UNIT_COUNT);
    for (let u = 0; u < MAX_UNIT_COUNT; u++) {
      const v = view ? (view.to[u] as number) : u;
      cols[u] = v < 0 || !isAlnum(v) ? t.nCols : (t.map[v] as number);
    }
    const labelled = new Uint8Array(t.nStates);
    for (let s = 0; s < t.nStates; s++) for (let k = 0; k < 4; k++) if ((t.labelByKind[s * 4 + k] as number) >= 0) labelled[s] = 1;
    // a transition that reports, or enters a state that can report, is -1
    const trans = new Int32Array(t.nStates * stride);
    for (let st = 0; st < t.nStates; st++) {
      for (let c = 0; c < t.nCols; c++) {
        const y = t.trans[st * t.nCols + c] as number;
        trans[st * stride + c] = y < 0 || labelled[y / t.nCols] === 1 ? -1 : (y / t.nCols) * stride;
      }
      trans[st * stride + t.nCols] = st * stride;
    }
    const init = (t.init[0] as number) / t.nCols;
    f.cols.push(cols);
    f.trans.push(trans);
    f.init.push(labelled[init] === 1 ? -1 : init * stride);
  }
  byView.set(key, f);
  return f;
}

/**
 * False only when no pattern of `set` (a squash group: letters and digits only) can match the squashed view
 * of `base`: each pattern's own unanchored automaton (or, if one is large, the set's detectors) reads the
 * base through the view map, skipping what squashing drops. Every automaton starts at the edge context and
 * any reachable labelled state counts, so this can only say "maybe" too often, never "no" wrongly; on
 * "maybe" the caller builds the squashed view and scans it.
 */
export function squashMayFire(set: CompiledPatternSet, base: string, view: ViewMap | undefined): boolean {
  const f = skipFilter(set, view);
  if (!f) return true;
  const n = base.length;
  for (let k = 0; k < f.cols.length; k++) {
    const cols = f.cols[k] as Uint16Array;
    const trans = f.trans[k] as Int32Array;
    let off = f.init[k] as number;
    for (let i = 0; i < n && off >= 0; i++) off = trans[off + (cols[base.charCodeAt(i)] as number)] as number;
    if (off < 0) return true;
  }
  return false;
}

const MAX_UNIT_COUNT = 0x10000;

/** A fused set as a policy artifact stores it: the automata and the view maps, nothing recomputed at load. */
export interface StoredFused {
  keys: string[];
  views: { options: NormalizationOptions; moved: string }[];
  viewById: [string, number][];
  set: string;
}

export function storeFused(f: FusedSet): StoredFused {
  return {
    keys: [...f.keys],
    views: f.views.map((v) => ({ options: { ...v.options }, moved: i32ToB64(movedPairs(v)) })),
    viewById: [...f.viewById].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    set: serializePatternSet(f.set),
  };
}

/** Loads a stored fused set; throws on a malformed one (the caller reports it as an unreadable artifact). */
export function loadFused(s: StoredFused): FusedSet {
  if (typeof s !== "object" || s === null || !Array.isArray(s.keys) || !s.keys.every((k) => typeof k === "string") || !Array.isArray(s.views) || !Array.isArray(s.viewById)) {
    throw new Error("fused scan set is malformed");
  }
  const views = s.views.map((v) => {
    const m = typeof v === "object" && v !== null && typeof v.options === "object" && v.options !== null ? viewMapFromPairs(v.options, b64ToI32(v.moved)) : null;
    if (!m) throw new Error("fused scan set has a malformed view map");
    return m;
  });
  const set = loadPatternSet(s.set);
  const ids = new Set(set.patterns.map((p) => p.id));
  const viewById = new Map<string, number>();
  for (const e of s.viewById) {
    if (!Array.isArray(e) || typeof e[0] !== "string" || !Number.isInteger(e[1]) || e[1] < -1 || e[1] >= views.length || !ids.has(e[0])) throw new Error("fused scan set has a malformed view index");
    viewById.set(e[0], e[1]);
  }
  return fusedFrom(set, [...s.keys], views, viewById);
}

/**
 * The squashed view (letters and digits only) of a fused view, straight from the base: unit `i` of the base
 * reads as `view.to[i]` and is kept when that is a letter or digit (a surrogate pair by its code point), with
 * identity offsets into the view, whose offsets are the base's: what normalizeFurther(view, squash) builds.
 */
export function squashedView(base: SegmentedText, view: ViewMap | undefined): NormalizedText {
  const t = base.text;
  const n = t.length;
  const units = new Uint16Array(n);
  const segNorm: number[] = [];
  const segOrig: number[] = [];
  let k = 0;
  let runTo = -1;
  for (let i = 0; i < n; ) {
    const a = view ? (view.to[t.charCodeAt(i)] as number) : t.charCodeAt(i);
    let len = 1;
    let keep: boolean;
    if (a >= 0xd800 && a <= 0xdbff && i + 1 < n) {
      const b = view ? (view.to[t.charCodeAt(i + 1)] as number) : t.charCodeAt(i + 1);
      if (b >= 0xdc00 && b <= 0xdfff) {
        len = 2;
        keep = isAlnum((a - 0xd800) * 0x400 + (b - 0xdc00) + 0x10000);
        if (keep) units[k + 1] = b;
      } else keep = isAlnum(a);
    } else keep = a < 0x80 ? ASCII_ALNUM[a] === 1 : isAlnum(a);
    if (keep) {
      if (runTo !== i) {
        segNorm.push(k);
        segOrig.push(i);
      }
      units[k] = a;
      k += len;
      runTo = i + len;
    }
    i += len;
  }
  if (segNorm.length === 0) {
    segNorm.push(0);
    segOrig.push(0);
  }
  const ones = new Array<number>(segNorm.length).fill(1);
  const outer = new SegmentedText(unitsToString(units.subarray(0, k)), n, segNorm, segOrig, new Array<number>(segNorm.length).fill(-1), ones);
  return new ComposedText(outer, base);
}

const ASCII_ALNUM = new Uint8Array(0x80);
for (let c = 0; c < 0x80; c++) ASCII_ALNUM[c] = isAlnum(c) ? 1 : 0;
