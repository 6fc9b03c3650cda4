// scanText: one pass of each detection automaton collects candidate windows per pattern; exact spans are then
// computed inside those windows only. Every step is a DFA transition: linear in the text, no backtracking.

import { LazyDfa } from "./lazy-dfa.js";
import { PatternMatcher } from "./matcher.js";
import type { StaticDfa } from "./static-dfa.js";
import type { CompiledPatternSet, Detector, PatternInfo, ScanMatch, ScanOptions } from "./types.js";
import { codeUnits } from "./units.js";

const EMPTY_UNITS = new Uint16Array(0);

/** Most units read when probing a hit's suffix (bounded so that many hits stay linear). */
const SUFFIX_PROBE = 64;

/**
 * Candidate start ranges per pattern as triples (lo, hi, to): a match containing a detector hit starts in
 * [lo, hi] and ends by `to`. Hits arrive in increasing order; overlapping or touching ranges are merged.
 */
class Windows {
  readonly cur: Int32Array;
  readonly done: number[][];
  readonly touched: number[] = [];
  /** Keywords seen (gates). */
  readonly seen: Uint8Array;
  private readonly seenList: number[] = [];
  n = 0;
  text: Uint16Array = EMPTY_UNITS;

  constructor(
    private readonly set: CompiledPatternSet,
    private readonly patterns: PatternInfo[],
    keywords: number,
  ) {
    this.cur = new Int32Array(patterns.length * 3).fill(-1);
    this.done = patterns.map(() => []);
    this.seen = new Uint8Array(keywords);
  }

  /** Clears what the last scan touched (the scratch is reused across calls). */
  reset(text: Uint16Array): void {
    const n = text.length;
    this.text = text;
    for (const p of this.touched) this.cur[p * 3 + 2] = -1;
    this.touched.length = 0;
    for (const k of this.seenList) this.seen[k] = 0;
    this.seenList.length = 0;
    this.n = n;
  }

  /** A detector hit for pattern `p` ending at `j`: a match containing it starts in [j - before, j], ends by j + after. */
  hit(p: number, j: number): void {
    if (p >= this.patterns.length) {
      const k = p - this.patterns.length;
      if (this.seen[k] === 0) {
        this.seen[k] = 1;
        this.seenList.push(k);
      }
      return;
    }
    const info = this.patterns[p] as PatternInfo;
    if (info.sufStart >= 0 && !matcherFor(this.set, p).suffixMatches(this.text, j, SUFFIX_PROBE)) return;
    if (info.leadStart >= 0 && !matcherFor(this.set, p).leadMatches(this.text, j, SUFFIX_PROBE)) return;
    const lo = info.before < 0 ? 0 : Math.max(0, j - info.before);
    const to = info.after < 0 ? this.n : Math.min(this.n, j + info.after);
    const c = this.cur;
    const k = p * 3;
    if ((c[k + 2] as number) < 0) {
      this.touched.push(p);
      (this.done[p] as number[]).length = 0;
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

// Hits of the table loops, as (position, source offset, detector) triples, drained after the loop or when
// the buffer is full. Keeping label resolution out of the loops leaves only the arrays they read live in
// them: resolving hits inline measured ~1.25x slower on gitleaks' set (190 -> 240 MB/s at 4 KB).
const HIT_CAP = 512;
const hitBuf = new Int32Array(HIT_CAP * 3);

/**
 * What a table kernel leaves for its driver: [hits buffered (×3), then each detector's table offset]. The
 * kernels below call nothing but the tiny pushHit (inlined): when the hit buffer fills they return, and their
 * driver drains it and calls them again from where they stopped. With the drain call inside the loop (inlined once it got hot), gitleaks'
 * set on 1 MB of subtitles ran at 188-193 MB/s; as call-free kernels, 279-298 MB/s (4 KB and 64 KB: unchanged).
 */
const kernelState = new Int32Array(5);
/** The buffer is full when fewer than four more hits fit (a quad kernel may add four for one unit). */
const HIT_FULL = HIT_CAP * 3 - 12;

/** Buffers one hit; returns the new count (small enough to be inlined into the kernels). */
function pushHit(nh: number, i: number, off: number, det: number): number {
  hitBuf[nh] = i;
  hitBuf[nh + 1] = off;
  hitBuf[nh + 2] = det;
  return nh + 3;
}

/** Reports the buffered hits (in text order per detector, as Windows needs). */
function drainMulti(a: StaticDfa, b: StaticDfa, c: StaticDfa, d: StaticDfa, text: Uint16Array, count: number, w: Windows): void {
  for (let k = 0; k < count; k += 3) {
    const i = hitBuf[k] as number;
    const det = hitBuf[k + 2] as number;
    hitTable(det === 0 ? a : det === 1 ? b : det === 2 ? c : d, hitBuf[k + 1] as number, text[i] as number, i, w);
  }
}

/** One table from `start` (state in kernelState[1]) to the end of the text or a full hit buffer; returns where it stopped. */
function tableKernel(trans: Int32Array, map: Uint8Array | Uint16Array, text: Uint16Array, start: number): number {
  const n = text.length;
  let off = kernelState[1] as number;
  let nh = 0;
  let i = start;
  while (i < n) {
    const t = trans[off + (map[text[i] as number] as number)] as number;
    if (t < 0) {
      nh = pushHit(nh, i, off, 0);
      off = ~t;
      i++;
      if (nh >= HIT_FULL) break;
    } else {
      off = t;
      i++;
    }
  }
  kernelState[0] = nh;
  kernelState[1] = off;
  return i;
}

function runTable(d: StaticDfa, text: Uint16Array, w: Windows): void {
  const n = text.length;
  kernelState[1] = d.init[0] as number;
  let i = 0;
  do {
    i = tableKernel(d.trans, d.map, text, i);
    drainMulti(d, d, d, d, text, kernelState[0] as number, w);
  } while (i < n);
  endTable(d, kernelState[1] as number, n, w);
}

/**
 * Two table detectors in one loop: the two dependent load chains overlap in the CPU, so this costs much
 * less than two passes.
 */
function pairKernel(ta: Int32Array, ma: Uint8Array | Uint16Array, tb: Int32Array, mb: Uint8Array | Uint16Array, text: Uint16Array, start: number): number {
  const n = text.length;
  let oa = kernelState[1] as number;
  let ob = kernelState[2] as number;
  let nh = 0;
  let i = start;
  while (i < n) {
    const u = text[i] as number;
    const x = ta[oa + (ma[u] as number)] as number;
    const y = tb[ob + (mb[u] as number)] as number;
    if ((x | y) < 0) {
      if (x < 0) {
        nh = pushHit(nh, i, oa, 0);
        oa = ~x;
      } else oa = x;
      if (y < 0) {
        nh = pushHit(nh, i, ob, 1);
        ob = ~y;
      } else ob = y;
      i++;
      if (nh >= HIT_FULL) break;
    } else {
      oa = x;
      ob = y;
      i++;
    }
  }
  kernelState[0] = nh;
  kernelState[1] = oa;
  kernelState[2] = ob;
  return i;
}

function runTablePair(a: StaticDfa, b: StaticDfa, text: Uint16Array, w: Windows): void {
  const n = text.length;
  kernelState[1] = a.init[0] as number;
  kernelState[2] = b.init[0] as number;
  let i = 0;
  do {
    i = pairKernel(a.trans, a.map, b.trans, b.map, text, i);
    drainMulti(a, b, IDLE, IDLE, text, kernelState[0] as number, w);
  } while (i < n);
  endTable(a, kernelState[1] as number, n, w);
  endTable(b, kernelState[2] as number, n, w);
}

/**
 * Up to four table detectors in one loop (a 1-state idle table pads three): four independent load chains
 * per unit. On the packs' four detectors this measured about half the time of two paired loops.
 */
function quadKernel(a: StaticDfa, b: StaticDfa, c: StaticDfa, d: StaticDfa, text: Uint16Array, start: number): number {
  const ta = a.trans;
  const ma = a.map;
  const tb = b.trans;
  const mb = b.map;
  const tc = c.trans;
  const mc = c.map;
  const td = d.trans;
  const md = d.map;
  const n = text.length;
  let oa = kernelState[1] as number;
  let ob = kernelState[2] as number;
  let oc = kernelState[3] as number;
  let od = kernelState[4] as number;
  let nh = 0;
  let i = start;
  while (i < n) {
    const u = text[i] as number;
    const x = ta[oa + (ma[u] as number)] as number;
    const y = tb[ob + (mb[u] as number)] as number;
    const z = tc[oc + (mc[u] as number)] as number;
    const v = td[od + (md[u] as number)] as number;
    if ((x | y | z | v) < 0) {
      if (x < 0) {
        nh = pushHit(nh, i, oa, 0);
        oa = ~x;
      } else oa = x;
      if (y < 0) {
        nh = pushHit(nh, i, ob, 1);
        ob = ~y;
      } else ob = y;
      if (z < 0) {
        nh = pushHit(nh, i, oc, 2);
        oc = ~z;
      } else oc = z;
      if (v < 0) {
        nh = pushHit(nh, i, od, 3);
        od = ~v;
      } else od = v;
      i++;
      if (nh >= HIT_FULL) break;
    } else {
      oa = x;
      ob = y;
      oc = z;
      od = v;
      i++;
    }
  }
  kernelState[0] = nh;
  kernelState[1] = oa;
  kernelState[2] = ob;
  kernelState[3] = oc;
  kernelState[4] = od;
  return i;
}

function runTableQuad(a: StaticDfa, b: StaticDfa, c: StaticDfa, d: StaticDfa, text: Uint16Array, w: Windows): void {
  const n = text.length;
  kernelState[1] = a.init[0] as number;
  kernelState[2] = b.init[0] as number;
  kernelState[3] = c.init[0] as number;
  kernelState[4] = d.init[0] as number;
  let i = 0;
  do {
    i = quadKernel(a, b, c, d, text, i);
    drainMulti(a, b, c, d, text, kernelState[0] as number, w);
  } while (i < n);
  endTable(a, kernelState[1] as number, n, w);
  endTable(b, kernelState[2] as number, n, w);
  endTable(c, kernelState[3] as number, n, w);
  endTable(d, kernelState[4] as number, n, w);
}

/** A detector that never leaves its one state and never reports (pads a three-table loop). */
const IDLE: StaticDfa = {
  nCols: 1,
  nStates: 1,
  map: new Uint8Array(0x10000),
  trans: new Int32Array(1),
  colKind: new Uint8Array(1),
  labelByKind: new Int32Array([-1, -1, -1, -1]),
  labels: [],
  init: new Int32Array(4),
};

function hitTable(d: StaticDfa, off: number, u: number, i: number, w: Windows): void {
  const l = d.labelByKind[(off / d.nCols) * 4 + (d.colKind[d.map[u] as number] as number)] as number;
  for (const p of d.labels[l] as Int32Array) w.hit(p, i);
}

function endTable(d: StaticDfa, off: number, n: number, w: Windows): void {
  const e = d.labelByKind[(off / d.nCols) * 4] as number;
  if (e >= 0) for (const p of d.labels[e] as Int32Array) w.hit(p, n);
}

function runLazy(d: LazyDfa, text: Uint16Array, w: Windows, gmap: Uint16Array): void {
  const n = text.length;
  const local = d.local;
  let off = d.initial(LazyDfa.ctxBefore(text, 0));
  for (let i = 0; i <= n; i++) {
    const c = i < n ? (local[gmap[text[i] as number] as number] as number) : d.nClasses;
    const t = d.step(off, c);
    if (t < -1) {
      const l = d.hitLabel;
      if (l) for (const p of l) w.hit(p, i);
      off = -t - 2;
    } else off = t;
  }
}

function runDetector(set: CompiledPatternSet, det: Detector, text: Uint16Array, w: Windows): void {
  if (det.kind === "table") runTable(det.dfa, text, w);
  else runLazy(det.dfa, text, w, set.alphabet.map);
}

const scratchWindows = new WeakMap<CompiledPatternSet, Windows>();

export function matcherFor(set: CompiledPatternSet, p: number): PatternMatcher {
  let m = set.matchers[p];
  if (!m) {
    const info = set.patterns[p] as PatternInfo;
    m = new PatternMatcher(set.nfa, set.alphabet, info.fwdStart, info.revStart, info.sufStart, info.leadStart, set.cacheLimit);
    set.matchers[p] = m;
  }
  return m;
}

/**
 * All matches of every pattern, sorted by start, then end, then pattern order. Per pattern the matches are
 * non-overlapping and found left to right (see `PatternMatcher.matchWindow` and docs/scan.md).
 */
export function scanText(set: CompiledPatternSet, text: string, options: ScanOptions = {}): ScanMatch[] {
  const minTier = options.minTier ?? -Infinity;
  // per-set scratch, reused across calls (scanText is synchronous and never re-entered); kept outside the
  // set so that a frozen set still scans
  let w = scratchWindows.get(set);
  if (!w) scratchWindows.set(set, (w = new Windows(set, set.patterns, set.keywords.length)));
  const units = codeUnits(text);
  w.reset(units);
  // detectors are ordered by tier, highest first: lower tiers can be skipped wholesale
  const dets = minTier === -Infinity ? set.detectors : set.detectors.filter((d) => d.tier >= minTier);
  for (let k = 0; k < dets.length; k++) {
    const a = dets[k] as Detector;
    const b = dets[k + 1];
    const c = dets[k + 2];
    const d = dets[k + 3];
    if (a.kind === "table" && b?.kind === "table" && c?.kind === "table") {
      runTableQuad(a.dfa, b.dfa, c.dfa, d?.kind === "table" ? d.dfa : IDLE, units, w);
      k += d?.kind === "table" ? 3 : 2;
    } else if (a.kind === "table" && b?.kind === "table") {
      runTablePair(a.dfa, b.dfa, units, w);
      k++;
    } else runDetector(set, a, units, w);
  }
  if (w.touched.length === 0) {
    w.text = EMPTY_UNITS;
    return [];
  }
  const out: { m: ScanMatch; p: number }[] = [];
  const spans: number[] = [];
  for (const p of w.touched) {
    const info = set.patterns[p] as PatternInfo;
    if (info.tier < minTier) continue;
    if (info.keywordIds.length > 0 && !info.keywordIds.some((k) => w.seen[k] === 1)) continue;
    const m = matcherFor(set, p);
    spans.length = 0;
    m.matchRanges(units, w.list(p), set.maxExtension, spans);
    for (let k = 0; k < spans.length; k += 2) out.push({ m: { patternId: info.id, start: spans[k] as number, end: spans[k + 1] as number }, p });
  }
  w.text = EMPTY_UNITS; // do not keep the caller's text alive in the per-set scratch
  out.sort((a, b) => a.m.start - b.m.start || a.m.end - b.m.end || a.p - b.p);
  return out.map((x) => x.m);
}

/** True if any pattern matches (cheaper than collecting spans only when there are candidates). */
export function scanAny(set: CompiledPatternSet, text: string): boolean {
  return scanText(set, text).length > 0;
}
