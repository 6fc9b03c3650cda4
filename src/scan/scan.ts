// scanText: one pass of each detection automaton collects candidate windows per pattern; exact spans are then
// computed inside those windows only. Every step is a DFA transition: linear in the text, no backtracking.

import { LazyDfa } from "./lazy-dfa.js";
import { PatternMatcher } from "./matcher.js";
import type { StaticDfa } from "./static-dfa.js";
import type { CompiledPatternSet, Detector, PatternInfo, ScanMatch } from "./types.js";

/**
 * Candidate start ranges per pattern as triples (lo, hi, to): a match containing a detector hit starts in
 * [lo, hi] and ends by `to`. Hits arrive in increasing order; overlapping or touching ranges are merged.
 */
class Windows {
  readonly cur: Int32Array;
  readonly done: number[][];
  readonly touched: number[] = [];

  constructor(
    private readonly patterns: PatternInfo[],
    private readonly n: number,
  ) {
    this.cur = new Int32Array(patterns.length * 3).fill(-1);
    this.done = new Array(patterns.length);
  }

  /** A detector hit for pattern `p` ending at `j`: a match containing it starts in [j - before, j], ends by j + after. */
  hit(p: number, j: number): void {
    const info = this.patterns[p] as PatternInfo;
    const lo = info.before < 0 ? 0 : Math.max(0, j - info.before);
    const to = info.after < 0 ? this.n : Math.min(this.n, j + info.after);
    const c = this.cur;
    const k = p * 3;
    if ((c[k + 2] as number) < 0) {
      this.touched.push(p);
      this.done[p] = [];
    } else if (lo <= (c[k + 1] as number) + 1) {
      c[k + 1] = j;
      if (to > (c[k + 2] as number)) c[k + 2] = to;
      return;
    } else (this.done[p] as number[]).push(c[k] as number, c[k + 1] as number, c[k + 2] as number);
    c[k] = lo;
    c[k + 1] = j;
    c[k + 2] = to;
  }

  list(p: number): number[] {
    const out = (this.done[p] as number[]).slice();
    out.push(this.cur[p * 3] as number, this.cur[p * 3 + 1] as number, this.cur[p * 3 + 2] as number);
    return out;
  }
}

function runTable(d: StaticDfa, text: string, w: Windows): void {
  const { trans, map, nCols, stateLabel, labels } = d;
  const n = text.length;
  let off = d.init[0] as number;
  for (let i = 0; i < n; i++) {
    const t = trans[off + (map[text.charCodeAt(i)] as number)] as number;
    if (t < 0) {
      off = ~t;
      for (const p of labels[stateLabel[off / nCols] as number] as Int32Array) w.hit(p, i);
    } else off = t;
  }
  const e = d.eoiLabel[off / nCols] as number;
  if (e >= 0) for (const p of labels[e] as Int32Array) w.hit(p, n);
}

function runLazy(d: LazyDfa, text: string, w: Windows, gmap: Uint16Array): void {
  const n = text.length;
  const local = d.local;
  let off = d.initial(LazyDfa.ctxBefore(text, 0));
  for (let i = 0; i <= n; i++) {
    const c = i < n ? (local[gmap[text.charCodeAt(i)] as number] as number) : d.nClasses;
    let t = d.trans[off + c] as number;
    if (t === -1) t = d.compute(off, c);
    if (t < -1) {
      off = -t - 2;
      const l = d.labelAt(off);
      if (l) for (const p of l) w.hit(p, i);
    } else off = t;
  }
}

function runDetector(set: CompiledPatternSet, det: Detector, text: string, w: Windows): void {
  if (det.kind === "table") runTable(det.dfa, text, w);
  else runLazy(det.dfa, text, w, set.alphabet.map);
}

export function matcherFor(set: CompiledPatternSet, p: number): PatternMatcher {
  let m = set.matchers[p];
  if (!m) {
    const info = set.patterns[p] as PatternInfo;
    m = new PatternMatcher(set.nfa, set.alphabet, info.fwdStart, info.revStart, set.cacheLimit);
    set.matchers[p] = m;
  }
  return m;
}

/**
 * All matches of every pattern, sorted by start, then end, then pattern order. Per pattern the matches are
 * non-overlapping and found left to right (see `PatternMatcher.matchWindow` and docs/scan.md).
 */
export function scanText(set: CompiledPatternSet, text: string): ScanMatch[] {
  const w = new Windows(set.patterns, text.length);
  for (const det of set.detectors) runDetector(set, det, text, w);
  if (w.touched.length === 0) return [];
  let lower: string | null = null;
  const out: { m: ScanMatch; p: number }[] = [];
  const spans: number[] = [];
  for (const p of w.touched) {
    const info = set.patterns[p] as PatternInfo;
    if (info.keywords.length > 0) {
      lower ??= text.toLowerCase();
      const l = lower;
      if (!info.keywords.some((k) => l.includes(k))) continue;
    }
    const m = matcherFor(set, p);
    spans.length = 0;
    m.matchRanges(text, w.list(p), set.maxExtension, spans);
    for (let k = 0; k < spans.length; k += 2) out.push({ m: { patternId: info.id, start: spans[k] as number, end: spans[k + 1] as number }, p });
  }
  out.sort((a, b) => a.m.start - b.m.start || a.m.end - b.m.end || a.p - b.p);
  return out.map((x) => x.m);
}

/** True if any pattern matches (cheaper than collecting spans only when there are candidates). */
export function scanAny(set: CompiledPatternSet, text: string): boolean {
  return scanText(set, text).length > 0;
}
