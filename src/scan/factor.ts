// Required-factor extraction: a small sub-expression that every match of a pattern must contain, so the
// shared detection automaton stays small (literal keywords instead of `[\w.-]{0,50}?...{10,150}` tails).

import { EMPTY, lengthRange, type RegexNode } from "./ast.js";
import { setSize } from "./charset.js";

/** Below this many "rare units" a factor is too common to be worth it; the whole pattern is used. */
export const MIN_FACTOR_SCORE = 2;
const MAX_STRINGS = 1024;
const MAX_LENGTH = 12;
/** Rarity beyond this buys nothing more: among saturated factors the smaller automaton wins. */
const SATURATED = 6;
/** What a bounded distance to the match start is worth, in rare units (see `requiredFactor`). */
const BOUNDED_BONUS = 1.5;

interface Finite {
  /** Number of branches (sequences of sets) and longest length: the size of the factor's automaton. */
  count: number;
  length: number;
  /** Rarity: minimum over strings of the summed per-unit weights. */
  score: number;
  /** Contains a set of more than 4 units: in a union such sets multiply states, so factors avoid them. */
  broad: boolean;
}

/** How much one position narrows the search: a letter in either case counts as one rare unit. */
function unitWeight(size: number): number {
  if (size <= 3) return 1; // a letter in both cases (plus a folding sign such as U+212A for `k`)
  if (size <= 4) return 0.6;
  if (size <= 10) return 0.25;
  return 0;
}

/** Finite-language summary of a node, or null when it is not small and finite. */
function finite(n: RegexNode, maxLength = MAX_LENGTH): Finite | null {
  switch (n.t) {
    case "empty":
      return { count: 1, length: 0, score: 0, broad: false };
    case "assert":
      return null;
    case "set": {
      const size = setSize(n.set);
      // a set is one transition whatever its size: it costs one branch of the factor automaton
      return { count: 1, length: 1, score: unitWeight(size), broad: size > 4 };
    }
    case "cat": {
      let acc: Finite = { count: 1, length: 0, score: 0, broad: false };
      for (const it of n.items) {
        const f = finite(it, maxLength);
        if (!f) return null;
        acc = { count: acc.count * f.count, length: acc.length + f.length, score: acc.score + f.score, broad: acc.broad || f.broad };
        if (acc.count > MAX_STRINGS || acc.length > maxLength) return null;
      }
      return acc;
    }
    case "alt": {
      let count = 0;
      let length = 0;
      let score = Infinity;
      let broad = false;
      for (const it of n.items) {
        const f = finite(it, maxLength);
        if (!f) return null;
        count += f.count;
        length = Math.max(length, f.length);
        score = Math.min(score, f.score);
        broad ||= f.broad;
      }
      return count > MAX_STRINGS ? null : { count, length, score, broad };
    }
    case "rep": {
      if (n.max < 0 || n.max > 8) return null;
      const f = finite(n.item, maxLength);
      if (!f) return null;
      let count = 0;
      for (let k = n.min; k <= n.max; k++) count += f.count ** k;
      const length = f.length * n.max;
      return count > MAX_STRINGS || length > maxLength ? null : { count, length, score: f.score * n.min, broad: f.broad };
    }
  }
}

export interface Factor {
  node: RegexNode;
  score: number;
  /** Most units from the start of a match to the end of its factor occurrence (-1: unbounded). */
  before: number;
  /** Most units from the end of the factor occurrence to the end of the match (-1: unbounded). */
  after: number;
  /**
   * What must match right after the factor occurrence, up to the end of the match (undefined: not known).
   * A cheap anchored check of it at each hit discards most hits before any window is opened.
   */
  suffix?: RegexNode;
  /** What must match from the match start up to the end of the factor occurrence (undefined: not known). */
  lead?: RegexNode;
}

const catOf = (items: RegexNode[]): RegexNode => (items.length === 0 ? EMPTY : items.length === 1 ? (items[0] as RegexNode) : { t: "cat", items });
const thenRest = (suffix: RegexNode | undefined, rest: RegexNode[]): RegexNode | undefined => (suffix === undefined ? undefined : catOf([suffix, ...rest]));
const repRest = (suffix: RegexNode | undefined, n: { item: RegexNode; min: number; max: number }): RegexNode | undefined =>
  suffix === undefined ? undefined : catOf([suffix, { t: "rep", item: n.item, min: Math.max(0, n.min - 1), max: n.max < 0 ? -1 : n.max - 1 }]);
const leadAfter = (before: RegexNode[], lead: RegexNode | undefined): RegexNode | undefined => (lead === undefined ? undefined : catOf([...before, lead]));
function altSuffix(parts: (RegexNode | undefined)[]): RegexNode | undefined {
  return parts.every((x) => x !== undefined) ? { t: "alt", items: parts as RegexNode[] } : undefined;
}

const maxLen = (n: RegexNode): number => lengthRange(n)[1];
const addLen = (a: number, b: number): number => (a < 0 || b < 0 ? -1 : a + b);
const maxOf = (a: number, b: number): number => (a < 0 || b < 0 ? -1 : Math.max(a, b));
/** pre[k] = most units in items[0..k), suf[k] = most units in items[k..] (-1: unbounded). */
function lengthSums(items: RegexNode[]): { pre: number[]; suf: number[] } {
  const m = items.length;
  const lens = items.map(maxLen);
  const pre = new Array<number>(m + 1).fill(0);
  const suf = new Array<number>(m + 1).fill(0);
  for (let k = 0; k < m; k++) pre[k + 1] = addLen(pre[k] as number, lens[k] as number);
  for (let k = m - 1; k >= 0; k--) suf[k] = addLen(lens[k] as number, suf[k + 1] as number);
  return { pre, suf };
}

/** The best required factor of `n`, or null if some match need not contain any usable factor. */
export function requiredFactor(n: RegexNode, maxLength = MAX_LENGTH, prefer?: (f: RegexNode) => boolean): Factor | null {
  const whole = finite(n, maxLength);
  if (whole && whole.score > 0 && !whole.broad) return { node: n, score: whole.score, before: maxLen(n), after: 0, suffix: EMPTY, lead: n };
  switch (n.t) {
    case "cat": {
      // lengths before/after every position once (a long literal pattern must not cost quadratic time);
      // the suffix and lead trees are built only for the winner
      const items = n.items;
      const { pre, suf } = lengthSums(items);
      let best: Factor | null = null;
      let bestParts: (() => Pick<Factor, "suffix" | "lead">) | null = null;
      const consider = (f: Factor, parts: () => Pick<Factor, "suffix" | "lead">): void => {
        // rarity first: every hit costs a verification, and a common factor ("rm", "more ") fires all over
        // ordinary prose. A factor at a bounded distance from the match start keeps each window small, which
        // is worth BOUNDED_BONUS rare units: it breaks ties, but an unbounded window is at most one pass over
        // the text per call (windows merge), so it never outweighs a much rarer factor.
        const rank = (x: Factor): number =>
          Math.min(x.score, SATURATED) + (x.before >= 0 && x.score >= MIN_FACTOR_SCORE ? BOUNDED_BONUS : 0) + (prefer && prefer(x.node) ? 1000 : 0);
        const a = rank(f);
        const b = best ? rank(best) : -1;
        if (a > b || (a === b && best && weight(f.node) < weight(best.node))) {
          best = f;
          bestParts = parts;
        }
      };
      // runs of consecutive small finite items form a literal-like factor
      for (let i = 0; i < items.length; i++) {
        let acc: Finite = { count: 1, length: 0, score: 0, broad: false };
        for (let j = i; j < items.length; j++) {
          const f = finite(items[j] as RegexNode, maxLength);
          if (!f || f.broad) break;
          acc = { count: acc.count * f.count, length: acc.length + f.length, score: acc.score + f.score, broad: false };
          if (acc.count > MAX_STRINGS || acc.length > maxLength) break;
          if (acc.score > 0) {
            const end = j;
            consider(
              { node: j === i ? (items[i] as RegexNode) : { t: "cat", items: items.slice(i, j + 1) }, score: acc.score, before: pre[j + 1] as number, after: suf[j + 1] as number },
              () => ({ suffix: catOf(items.slice(end + 1)), lead: catOf(items.slice(0, end + 1)) }),
            );
          }
        }
        const inner = requiredFactor(items[i] as RegexNode, maxLength, prefer);
        if (inner) {
          const at = i;
          consider({ node: inner.node, score: inner.score, before: addLen(pre[i] as number, inner.before), after: addLen(inner.after, suf[i + 1] as number) }, () => ({
            ...(inner.suffix ? { suffix: catOf([inner.suffix, ...items.slice(at + 1)]) } : {}),
            ...(inner.lead ? { lead: catOf([...items.slice(0, at), inner.lead]) } : {}),
          }));
        }
      }
      const won = best as Factor | null;
      const parts = bestParts as (() => Pick<Factor, "suffix" | "lead">) | null;
      return won && parts ? { ...won, ...parts() } : won;
    }
    case "alt": {
      const parts: RegexNode[] = [];
      const suffixes: (RegexNode | undefined)[] = [];
      const leads: (RegexNode | undefined)[] = [];
      let score = Infinity;
      let before = 0;
      let after = 0;
      for (const it of n.items) {
        const f = requiredFactor(it, maxLength, prefer);
        if (!f) return null;
        parts.push(f.node);
        suffixes.push(f.suffix);
        leads.push(f.lead);
        score = Math.min(score, f.score);
        before = maxOf(before, f.before);
        after = maxOf(after, f.after);
      }
      const suffix = altSuffix(suffixes);
      const lead = altSuffix(leads);
      return { node: { t: "alt", items: parts }, score, before, after, ...(suffix ? { suffix } : {}), ...(lead ? { lead } : {}) };
    }
    case "rep": {
      // the first copy contains an occurrence; later copies add to what may follow it
      const f = n.min >= 1 ? requiredFactor(n.item, maxLength, prefer) : null;
      if (!f) return null;
      const rest = n.max < 0 ? (maxLen(n.item) === 0 ? 0 : -1) : maxLen(n.item) * (n.max - 1);
      const { suffix: _omit, ...g } = f;
      const suffix = repRest(f.suffix, n);
      return { ...g, after: addLen(f.after, rest), ...(suffix ? { suffix } : {}) };
    }
    default:
      return null;
  }
}

/** Approximate automaton size of a finite factor (branches times length). */
function weight(n: RegexNode): number {
  const f = finite(n);
  return f ? f.count * Math.max(1, f.length) : Infinity;
}

/** Information content of one unit drawn from a set, measured against printable ASCII (95 symbols). */
function bitsOf(size: number): number {
  return Math.log2(95 / Math.min(Math.max(size, 1), 95)) + (size <= 3 ? 0.5 : 0);
}

/** Shortest counted run kept from a repeated class: enough to be rare, small enough to stay a tiny DFA. */
const WEAK_RUN = 16;
/** A weak factor must carry at least this many bits (a 3-letter literal carries ~17, 15 digits ~39). */
export const MIN_WEAK_BITS = 24;

/**
 * Fallback when no literal-like factor exists: a required run of one class (`[a-f0-9]{40}` -> `[a-f0-9]{16}`)
 * or a literal, for each branch. Such factors go to their own small automaton (a counter does not blow up
 * the literal union). Returns the factor with its rarity in bits as `score`.
 */
export function weakFactor(n: RegexNode): Factor | null {
  switch (n.t) {
    case "set":
      return { node: n, score: bitsOf(setSize(n.set)), before: 1, after: 0, suffix: EMPTY, lead: n };
    case "rep": {
      if (n.min < 1) return null;
      if (n.item.t === "set") {
        const k = Math.min(n.min, WEAK_RUN);
        const size = setSize(n.item.set);
        const rest = n.max < 0 ? -1 : n.max - k;
        const suffix: RegexNode = { t: "rep", item: n.item, min: n.min - k, max: n.max < 0 ? -1 : n.max - k };
        const run: RegexNode = { t: "rep", item: n.item, min: k, max: k };
        return { node: run, score: k * bitsOf(size), before: k, after: rest, suffix, lead: run };
      }
      const f = weakFactor(n.item);
      if (!f) return null;
      const rest = n.max < 0 ? (maxLen(n.item) === 0 ? 0 : -1) : maxLen(n.item) * (n.max - 1);
      const { suffix: _omit, ...g } = f;
      const suffix = repRest(f.suffix, n);
      return { ...g, after: addLen(f.after, rest), ...(suffix ? { suffix } : {}) };
    }
    case "cat": {
      const items = n.items;
      const { pre, suf } = lengthSums(items);
      let best: Factor | null = null;
      let at = -1;
      for (let i = 0; i < items.length; i++) {
        const it = items[i] as RegexNode;
        const strong = requiredFactor(it);
        const weak = weakFactor(it);
        const f = strong && (!weak || strong.score * 5 >= weak.score) ? { ...strong, score: strong.score * 5 } : weak;
        if (!f) continue;
        if (!best || f.score > best.score) {
          best = f;
          at = i;
        }
      }
      if (!best) return null;
      const f = best as Factor;
      const suffix = thenRest(f.suffix, items.slice(at + 1));
      const lead = leadAfter(items.slice(0, at), f.lead);
      return {
        node: f.node,
        score: f.score,
        before: addLen(pre[at] as number, f.before),
        after: addLen(f.after, suf[at + 1] as number),
        ...(suffix ? { suffix } : {}),
        ...(lead ? { lead } : {}),
      };
    }
    case "alt": {
      const parts: RegexNode[] = [];
      const suffixes: (RegexNode | undefined)[] = [];
      const leads: (RegexNode | undefined)[] = [];
      let score = Infinity;
      let before = 0;
      let after = 0;
      for (const it of n.items) {
        const strong = requiredFactor(it);
        const weak = weakFactor(it);
        const f = strong && (!weak || strong.score * 5 >= weak.score) ? { ...strong, score: strong.score * 5 } : weak;
        if (!f) return null;
        parts.push(f.node);
        suffixes.push(f.suffix);
        leads.push(f.lead);
        score = Math.min(score, f.score);
        before = maxOf(before, f.before);
        after = maxOf(after, f.after);
      }
      const suffix = altSuffix(suffixes);
      const lead = altSuffix(leads);
      return { node: { t: "alt", items: parts }, score, before, after, ...(suffix ? { suffix } : {}), ...(lead ? { lead } : {}) };
    }
    default:
      return null;
  }
}

/** The strings of a finite factor as sequences of sets (null if there are too many). */
export function factorBranches(n: RegexNode, limit = 4096): (readonly number[])[][] | null {
  switch (n.t) {
    case "empty":
      return [[]];
    case "set":
      return [[n.set]];
    case "assert":
      return null;
    case "alt": {
      const out: (readonly number[])[][] = [];
      for (const it of n.items) {
        const b = factorBranches(it, limit);
        if (!b || out.length + b.length > limit) return null;
        out.push(...b);
      }
      return out;
    }
    case "cat": {
      let acc: (readonly number[])[][] = [[]];
      for (const it of n.items) {
        const b = factorBranches(it, limit);
        if (!b || acc.length * b.length > limit) return null;
        acc = acc.flatMap((x) => b.map((y) => [...x, ...y]));
      }
      return acc;
    }
    case "rep": {
      if (n.max < 0 || n.max > 32) return null;
      const b = factorBranches(n.item, limit);
      if (!b) return null;
      let out: (readonly number[])[][] = [];
      let pow: (readonly number[])[][] = [[]];
      for (let k = 0; k <= n.max; k++) {
        if (k >= n.min) out = out.concat(pow);
        if (out.length > limit) return null;
        if (k < n.max) {
          pow = pow.flatMap((x) => b.map((y) => [...x, ...y]));
          if (pow.length > limit) return null;
        }
      }
      return out;
    }
  }
}
