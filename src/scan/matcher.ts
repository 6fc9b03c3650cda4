// Exact match spans for one pattern inside a window, with three lazily built DFAs and no backtracking:
// forward unanchored (earliest end), reverse anchored (leftmost start), forward anchored (longest end).

import { LazyDfa } from "./lazy-dfa.js";
import type { Alphabet, Nfa } from "./nfa.js";
import { K_EDGE, unitKind } from "./nfa.js";

export class PatternMatcher {
  private readonly fwd: LazyDfa;
  private readonly rev: LazyDfa;
  private readonly ext: LazyDfa;
  /** DFA transitions taken (for the linearity tests and reports). */
  steps = 0;

  private readonly suffix: LazyDfa | null;
  private readonly lead: LazyDfa | null;

  constructor(nfa: Nfa, private readonly alphabet: Alphabet, fwdStart: number, revStart: number, sufStart: number, leadStart: number, cacheLimit: number) {
    this.suffix = sufStart >= 0 ? new LazyDfa(nfa, alphabet, [sufStart], true, cacheLimit) : null;
    this.lead = leadStart >= 0 ? new LazyDfa(nfa, alphabet, [leadStart], true, cacheLimit) : null;
    this.fwd = new LazyDfa(nfa, alphabet, [fwdStart], false, cacheLimit);
    this.rev = new LazyDfa(nfa, alphabet, [revStart], true, cacheLimit);
    this.ext = new LazyDfa(nfa, alphabet, [fwdStart], true, cacheLimit);
  }

  /** Cache flushes of its lazy DFAs (for tests and reports). */
  get flushes(): number {
    return this.fwd.flushes + this.rev.flushes + this.ext.flushes + (this.suffix?.flushes ?? 0) + (this.lead?.flushes ?? 0);
  }

  get states(): number {
    return this.fwd.stateCount + this.rev.stateCount + this.ext.stateCount;
  }

  /**
   * Appends the [start, end) pairs of all matches to `out`, given start ranges `ranges` = (lo, hi, to)
   * triples (sorted, disjoint) that contain every match's start (and `to` bounds its end). From `pos` = 0:
   * the earliest end `e` of a non-empty match starting at or after `pos`; the leftmost start `s` (>= pos) of a
   * match ending at `e`; the longest end of a match from `s`, at most `maxExtension` units past `e`; `pos` =
   * that end; repeat. Each unit is read at most once by each of the three scans (plus the extension).
   */
  matchRanges(text: Uint16Array, ranges: number[], maxExtension: number, out: number[]): void {
    let pos = 0;
    this.range = 0;
    for (;;) {
      const e = this.firstEnd(text, pos, ranges);
      if (e < 0) return;
      const s = this.leftmostStart(text, e, pos);
      if (s < 0) return; // unreachable: a match ending at e exists
      const end = this.longestEnd(text, s, Math.min(text.length, e + maxExtension));
      const stop = end > e ? end : e;
      out.push(s, stop);
      pos = stop;
    }
  }

  /** Index of the current start range during `matchRanges`. */
  private range = 0;

  private cls(d: LazyDfa, text: Uint16Array, i: number): number {
    return i < text.length ? (d.local[this.alphabet.map[text[i] as number] as number] as number) : d.nClasses;
  }

  /**
   * End of the earliest-ending non-empty match that starts at or after `pos` inside a start range, or -1.
   * Inside a start range the unanchored DFA runs (a match may start at every unit); between ranges the
   * live threads continue in the anchored DFA until they die or pass every range's end bound, and the
   * scan then jumps to the next range.
   */
  firstEnd(text: Uint16Array, pos: number, ranges: number[]): number {
    const F = this.fwd;
    const A = this.ext;
    const n = text.length;
    const nr = ranges.length;
    let r = this.range;
    while (r < nr && (ranges[r + 1] as number) < pos) r += 3;
    if (r >= nr) return -1;
    let i = Math.max(pos, ranges[r] as number);
    let curTo = ranges[r + 2] as number;
    let inF = true;
    let off = F.initial(LazyDfa.ctxBefore(text, i));
    const gmap = this.alphabet.map;
    for (;;) {
      while (r < nr && i > (ranges[r + 1] as number)) r += 3;
      const fresh = r < nr && i >= (ranges[r] as number);
      if (fresh) {
        if (!inF) {
          off = F.adopt(A, off, true);
          inF = true;
        }
        if ((ranges[r + 2] as number) > curTo) curTo = ranges[r + 2] as number;
      } else {
        if (inF) {
          off = A.adopt(F, off, false);
          inF = false;
        }
        if (A.isDead(off) || i > curTo) {
          // nothing alive: jump to the next start range
          if (r >= nr) break;
          i = ranges[r] as number;
          off = F.initial(LazyDfa.ctxBefore(text, i));
          inF = true;
          continue;
        }
      }
      const d = inF ? F : A;
      // tight loop while nothing can change: plain transitions (no label, not dead, known) up to the end of
      // this start range (F) or to the next range, the end bound or the text's end (A); anything else
      // falls through to the general step below
      const stop = inF ? Math.min(n, (ranges[r + 1] as number) + 1) : Math.min(n, curTo + 1, r < nr ? (ranges[r] as number) : n);
      if (i < stop) {
        const tr = d.trans;
        const loc = d.local;
        let steps = 0;
        while (i < stop) {
          const t = tr[off + (loc[gmap[text[i] as number] as number] as number)] as number;
          if (t < 0) break;
          off = t;
          i++;
          steps++;
        }
        this.steps += steps;
        if (i === stop) continue;
      }
      if (i >= n) {
        const t = d.step(off, d.nClasses);
        this.steps++;
        this.range = r;
        return t < -1 && d.hitLabel ? n : -1;
      }
      this.steps++;
      const c = d.local[gmap[text[i] as number] as number] as number;
      let t = d.trans[off + c] as number;
      if (t < 0) t = d.step(off, c); // unknown, labelled or dead: the slow path sets hitLabel
      if (t < -1) {
        if (d.hitLabel) {
          this.range = r;
          return i;
        }
        off = -t - 2;
      } else off = t;
      i++;
    }
    this.range = r;
    return -1;
  }

  /**
   * Can the part of the pattern after its factor match starting at `j`? Reads at most `limit` units; an
   * undecided probe answers yes (the hit is then verified in full), so this only ever discards hits.
   */
  suffixMatches(text: Uint16Array, j: number, limit: number): boolean {
    const d = this.suffix;
    if (!d) return true;
    const gmap = this.alphabet.map;
    let off = d.initial(LazyDfa.ctxBefore(text, j));
    const end = Math.min(text.length, j + limit);
    for (let i = j; i < end; i++) {
      this.steps++;
      const c = d.local[gmap[text[i] as number] as number] as number;
      let t = d.trans[off + c] as number;
      if (t < 0) t = d.step(off, c);
      if (t < -1) {
        if (d.hitLabel) return true;
        off = -t - 2;
        if (d.isDead(off)) return false;
      } else off = t;
    }
    if (end < text.length) return true;
    const t = d.step(off, d.nClasses);
    return t < -1 && d.hitLabel !== null;
  }

  /**
   * Can what must precede (and include) the factor match ending at `j`? Reads leftwards at most `limit`
   * units; undecided answers yes, so this only ever discards hits.
   */
  leadMatches(text: Uint16Array, j: number, limit: number): boolean {
    const d = this.lead;
    if (!d) return true;
    const gmap = this.alphabet.map;
    let off = d.initial(j < text.length ? unitKind(text[j] as number) : K_EDGE);
    const stop = Math.max(0, j - limit);
    for (let i = j - 1; i >= stop; i--) {
      this.steps++;
      const c = d.local[gmap[text[i] as number] as number] as number;
      let t = d.trans[off + c] as number;
      if (t < 0) t = d.step(off, c);
      if (t < -1) {
        if (d.hitLabel) return true;
        off = -t - 2;
        if (d.isDead(off)) return false;
      } else off = t;
    }
    if (stop > 0) return true;
    const t = d.step(off, d.nClasses);
    return t < -1 && d.hitLabel !== null;
  }

  /** Smallest start >= `lo` of a match ending at `e` (reverse DFA read right to left), or -1. */
  leftmostStart(text: Uint16Array, e: number, lo: number): number {
    const d = this.rev;
    const gmap = this.alphabet.map;
    let off = d.initial(e < text.length ? unitKind(text[e] as number) : K_EDGE);
    let best = -1;
    for (let i = e - 1; i >= lo; i--) {
      this.steps++;
      const c = d.local[gmap[text[i] as number] as number] as number;
      let t = d.trans[off + c] as number;
      if (t < 0) t = d.step(off, c);
      if (t < -1) {
        if (d.hitLabel) best = i + 1;
        off = -t - 2;
        if (d.isDead(off)) return best;
      } else off = t;
    }
    const t = d.step(off, lo > 0 ? this.cls(d, text, lo - 1) : d.nClasses);
    if (t < -1 && d.hitLabel) best = lo;
    return best;
  }

  /** Largest end <= `limit` of a match starting at `s`, or -1. */
  longestEnd(text: Uint16Array, s: number, limit: number): number {
    const d = this.ext;
    const gmap = this.alphabet.map;
    let off = d.initial(LazyDfa.ctxBefore(text, s));
    let best = -1;
    for (let i = s; i < limit; i++) {
      this.steps++;
      const c = d.local[gmap[text[i] as number] as number] as number;
      let t = d.trans[off + c] as number;
      if (t < 0) t = d.step(off, c);
      if (t < -1) {
        if (d.hitLabel) best = i;
        off = -t - 2;
        if (d.isDead(off)) return best;
      } else off = t;
    }
    const t = d.step(off, this.cls(d, text, limit));
    if (t < -1 && d.hitLabel) best = limit;
    return best;
  }
}
