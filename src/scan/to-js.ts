// Prints a RegexNode as JavaScript RegExp source with explicit code-unit classes and no flags: the oracle
// that tests compare the automata against, and a readable dump for debugging.

import type { RegexNode } from "./ast.js";

function hex(u: number): string {
  return `\\u${u.toString(16).padStart(4, "0")}`;
}

function printSet(set: readonly number[]): string {
  if (set.length === 2 && set[0] === set[1]) {
    const c = set[0] as number;
    const ch = String.fromCharCode(c);
    return /[A-Za-z0-9 _]/.test(ch) ? ch : hex(c);
  }
  if (set.length === 0) return "[^\\s\\S]";
  let s = "[";
  for (let i = 0; i < set.length; i += 2) {
    const lo = set[i] as number;
    const hi = set[i + 1] as number;
    s += lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`;
  }
  return `${s}]`;
}

const ASSERTS: Record<string, string> = {
  bol: "(?<![\\s\\S])",
  mbol: "(?<![^\\n])",
  eol: "(?![\\s\\S])",
  meol: "(?![^\\n])",
  wb: "\\b",
  nwb: "\\B",
};

export function toJsSource(n: RegexNode): string {
  switch (n.t) {
    case "empty":
      return "(?:)";
    case "set":
      return printSet(n.set);
    case "assert":
      return ASSERTS[n.kind] as string;
    case "cat":
      return n.items.map((it) => (it.t === "alt" ? `(?:${toJsSource(it)})` : toJsSource(it))).join("");
    case "alt":
      return n.items.map(toJsSource).join("|");
    case "rep": {
      const inner = toJsSource(n.item);
      const atom = n.item.t === "set" ? inner : `(?:${inner})`;
      const q = n.min === 0 && n.max < 0 ? "*" : n.min === 1 && n.max < 0 ? "+" : n.min === 0 && n.max === 1 ? "?" : n.max < 0 ? `{${n.min},}` : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`;
      return `${atom}${q}`;
    }
  }
}
