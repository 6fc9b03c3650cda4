// Parsed regex tree: flags are already applied (case folding expanded into sets, `.` and anchors resolved).

import type { CharSet } from "./charset.js";

/** Zero-width assertions; each is decided from the previous and next code unit. */
export type AssertKind =
  | "bol" // start of text (`^` without m, `\A`)
  | "mbol" // start of text or after `\n` (`^` with m)
  | "eol" // end of text (`$` without m, `\z`)
  | "meol" // end of text or before `\n` (`$` with m)
  | "wb" // ASCII word boundary `\b`
  | "nwb"; // not a word boundary `\B`

export type RegexNode =
  | { t: "empty" }
  | { t: "set"; set: CharSet }
  | { t: "cat"; items: RegexNode[] }
  | { t: "alt"; items: RegexNode[] }
  | { t: "rep"; item: RegexNode; min: number; max: number } // max = -1: unbounded
  | { t: "assert"; kind: AssertKind };

export const EMPTY: RegexNode = { t: "empty" };

/** Smallest and largest match length in code units (max -1 = unbounded). */
export function lengthRange(n: RegexNode): [number, number] {
  switch (n.t) {
    case "empty":
    case "assert":
      return [0, 0];
    case "set":
      return [1, 1];
    case "cat": {
      let lo = 0;
      let hi = 0;
      for (const it of n.items) {
        const [a, b] = lengthRange(it);
        lo += a;
        hi = hi < 0 || b < 0 ? -1 : hi + b;
      }
      return [lo, hi];
    }
    case "alt": {
      let lo = Infinity;
      let hi = 0;
      for (const it of n.items) {
        const [a, b] = lengthRange(it);
        lo = Math.min(lo, a);
        hi = hi < 0 || b < 0 ? -1 : Math.max(hi, b);
      }
      return [lo === Infinity ? 0 : lo, hi];
    }
    case "rep": {
      const [a, b] = lengthRange(n.item);
      const hi = n.max < 0 ? (b === 0 ? 0 : -1) : b < 0 ? -1 : b * n.max;
      return [a * n.min, hi];
    }
  }
}

/** The tree read right to left, for reverse scanning (assertions swap sides). */
export function reverseNode(n: RegexNode): RegexNode {
  switch (n.t) {
    case "cat":
      return { t: "cat", items: n.items.map(reverseNode).reverse() };
    case "alt":
      return { t: "alt", items: n.items.map(reverseNode) };
    case "rep":
      return { t: "rep", item: reverseNode(n.item), min: n.min, max: n.max };
    case "assert": {
      const swap: Record<string, "bol" | "mbol" | "eol" | "meol"> = { bol: "eol", eol: "bol", mbol: "meol", meol: "mbol" };
      const k = swap[n.kind];
      return k ? { t: "assert", kind: k } : n;
    }
    default:
      return n;
  }
}
