// Thompson NFA for all fragments of a pattern set, in flat integer arrays, plus the shared character alphabet.

import type { AssertKind, RegexNode } from "./ast.js";
import { type CharSet, setKey, WORD, MAX_UNIT } from "./charset.js";

export const N_CHAR = 0; // arg = set index, out1
export const N_SPLIT = 1; // out1, out2
export const N_EPS = 2; // out1
export const N_ASSERT = 3; // arg = assertion code, out1
export const N_MATCH = 4; // arg = label (pattern index)

export const ASSERT_CODES: Record<AssertKind, number> = { bol: 0, mbol: 1, eol: 2, meol: 3, wb: 4, nwb: 5 };

/** Context kinds for the code unit before/after a position. */
export const K_EDGE = 0; // start or end of text
export const K_WORD = 1;
export const K_NEWLINE = 2;
export const K_OTHER = 3;

export interface Nfa {
  type: Int32Array;
  out1: Int32Array;
  out2: Int32Array;
  arg: Int32Array;
  /** Distinct character sets referenced by N_CHAR nodes. */
  sets: CharSet[];
}

export class NfaTooLarge extends Error {}

/** Accumulates fragments; `finish` freezes them into typed arrays. */
export class NfaBuilder {
  readonly type: number[] = [];
  readonly out1: number[] = [];
  readonly out2: number[] = [];
  readonly arg: number[] = [];
  readonly sets: CharSet[] = [];
  private readonly setIndex = new Map<string, number>();

  constructor(readonly maxNodes: number) {}

  private add(type: number, arg: number, o1: number, o2: number): number {
    if (this.type.length >= this.maxNodes) throw new NfaTooLarge();
    this.type.push(type);
    this.arg.push(arg);
    this.out1.push(o1);
    this.out2.push(o2);
    return this.type.length - 1;
  }

  internSet(set: CharSet): number {
    const k = setKey(set);
    let i = this.setIndex.get(k);
    if (i === undefined) {
      i = this.sets.length;
      this.sets.push(set);
      this.setIndex.set(k, i);
    }
    return i;
  }

  /** Adds `node` followed by a MATCH carrying `label`; returns the fragment's start node. */
  addFragment(node: RegexNode, label: number): number {
    const match = this.add(N_MATCH, label, -1, -1);
    return this.compile(node, match);
  }

  private compile(n: RegexNode, next: number): number {
    switch (n.t) {
      case "empty":
        return next;
      case "set":
        return this.add(N_CHAR, this.internSet(n.set), next, -1);
      case "assert":
        return this.add(N_ASSERT, ASSERT_CODES[n.kind], next, -1);
      case "cat": {
        let cur = next;
        for (let i = n.items.length - 1; i >= 0; i--) cur = this.compile(n.items[i] as RegexNode, cur);
        return cur;
      }
      case "alt": {
        let cur = this.compile(n.items[n.items.length - 1] as RegexNode, next);
        for (let i = n.items.length - 2; i >= 0; i--) cur = this.add(N_SPLIT, 0, this.compile(n.items[i] as RegexNode, next), cur);
        return cur;
      }
      case "rep": {
        let tail: number;
        if (n.max < 0) {
          const loop = this.add(N_SPLIT, 0, -1, next);
          this.out1[loop] = this.compile(n.item, loop);
          tail = loop;
        } else {
          tail = next;
          for (let k = 0; k < n.max - n.min; k++) tail = this.add(N_SPLIT, 0, this.compile(n.item, tail), next);
        }
        for (let k = 0; k < n.min; k++) tail = this.compile(n.item, tail);
        return tail;
      }
    }
  }

  get size(): number {
    return this.type.length;
  }

  finish(): Nfa {
    return {
      type: Int32Array.from(this.type),
      out1: Int32Array.from(this.out1),
      out2: Int32Array.from(this.out2),
      arg: Int32Array.from(this.arg),
      sets: this.sets,
    };
  }
}

export interface Alphabet {
  /** Code unit -> class. */
  map: Uint16Array;
  count: number;
  /** Context kind of each class (word, newline, other). */
  kind: Uint8Array;
  /** For each set index, membership per class. */
  member: Uint8Array[];
}

/**
 * Partitions the code units into classes that no set (nor `\w`, nor `\n`) tells apart,
 * numbered by first appearance, so tables are indexed by a handful of classes, not 65,536 units.
 */
export function buildAlphabet(sets: readonly CharSet[]): Alphabet {
  const all = [...sets, WORD, [10, 10] as CharSet];
  const bounds = new Set<number>([0]);
  for (const s of all)
    for (let i = 0; i < s.length; i += 2) {
      bounds.add(s[i] as number);
      bounds.add((s[i + 1] as number) + 1);
    }
  const cuts = [...bounds].filter((b) => b <= MAX_UNIT).sort((a, b) => a - b);
  // membership signature of each elementary interval
  const sig: string[] = new Array(cuts.length).fill("");
  const bits: Uint8Array[] = cuts.map(() => new Uint8Array(all.length));
  all.forEach((s, si) => {
    let k = 0;
    for (let i = 0; i < s.length; i += 2) {
      const lo = s[i] as number;
      const hi = s[i + 1] as number;
      while ((cuts[k] as number) < lo) k++;
      for (let j = k; j < cuts.length && (cuts[j] as number) <= hi; j++) (bits[j] as Uint8Array)[si] = 1;
    }
  });
  for (let j = 0; j < cuts.length; j++) sig[j] = (bits[j] as Uint8Array).join("");
  const classOfSig = new Map<string, number>();
  const map = new Uint16Array(MAX_UNIT + 1);
  const rep: number[] = [];
  for (let j = 0; j < cuts.length; j++) {
    const s = sig[j] as string;
    let c = classOfSig.get(s);
    if (c === undefined) {
      c = classOfSig.size;
      classOfSig.set(s, c);
      rep.push(cuts[j] as number);
    }
    const end = j + 1 < cuts.length ? (cuts[j + 1] as number) : MAX_UNIT + 1;
    map.fill(c, cuts[j] as number, end);
  }
  const count = classOfSig.size;
  const kind = new Uint8Array(count);
  for (let c = 0; c < count; c++) kind[c] = unitKind(rep[c] as number);
  const cutIndex = new Map<number, number>(cuts.map((c, j) => [c, j]));
  const member = sets.map((s) => {
    const m = new Uint8Array(count);
    for (let i = 0; i < s.length; i += 2) {
      // every class inside a range is fully inside it (the ranges' ends are cuts)
      for (let u = s[i] as number; u <= (s[i + 1] as number); ) {
        m[map[u] as number] = 1;
        const j = cutIndex.get(u) ?? cuts.length;
        u = j + 1 < cuts.length ? (cuts[j + 1] as number) : MAX_UNIT + 1;
      }
    }
    return m;
  });
  return { map, count, kind, member };
}

export function unitKind(u: number): number {
  if (u === 10) return K_NEWLINE;
  if ((u >= 48 && u <= 57) || (u >= 65 && u <= 90) || (u >= 97 && u <= 122) || u === 95) return K_WORD;
  return K_OTHER;
}
