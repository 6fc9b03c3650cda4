// Test helper: the scanner's documented match semantics computed by brute force with JS RegExp (backtracking),
// on the JS source printed from the parsed tree, for short strings only.

import { parseRegex } from "../src/scan/parse.js";
import { toJsSource } from "../src/scan/to-js.js";

/** JS source equivalent to `pattern` (flags already applied), or null if it does not parse. */
export function jsSourceOf(pattern: string): string | null {
  const r = parseRegex(pattern);
  return r.ok ? toJsSource(r.node) : null;
}

/**
 * Per pattern, left to right from pos = 0: the earliest end e of a non-empty match starting at or after pos,
 * the leftmost start s >= pos of a match ending at e, the longest end of a match from s at most
 * `maxExtension` past e; then pos = that end.
 */
export function oracleMatches(source: string, text: string, maxExtension: number): [number, number][] {
  const n = text.length;
  const cache = new Map<number, RegExp>();
  const exact = (s: number, e: number): boolean => {
    let re = cache.get(n - e);
    if (!re) cache.set(n - e, (re = new RegExp(`(?:${source})(?=[\\s\\S]{${n - e}}$)`, "y")));
    re.lastIndex = s;
    const m = re.exec(text);
    return m !== null && m.index === s && s + m[0].length === e;
  };
  const out: [number, number][] = [];
  let pos = 0;
  for (;;) {
    let found: [number, number] | null = null;
    for (let e = pos + 1; e <= n && !found; e++)
      for (let s = pos; s < e; s++)
        if (exact(s, e)) {
          found = [s, e];
          break;
        }
    if (!found) return out;
    const [s, e] = found;
    let best = e;
    for (let e2 = Math.min(n, e + maxExtension); e2 > e; e2--)
      if (exact(s, e2)) {
        best = e2;
        break;
      }
    out.push([s, best]);
    pos = best;
  }
}

/**
 * oracleMatches, or null when JS backtracking on this pattern grows too fast to judge the text: ambiguous nested
 * repeats (`(?:a|(?i:A))*`, `(?:a*)*`) make every exact() exponential in the text length (measured: ×4 per two
 * more characters), and one random case once ran for 17 minutes. Prefixes of growing length are tried first; if one
 * takes longer than `budgetMs`, the whole text would take far longer, so the oracle gives up. The scanner itself
 * is linear; only this backtracking oracle has the problem. Callers skip such cases and count them.
 */
export function oracleWithin(source: string, text: string, maxExtension: number, budgetMs = 100): [number, number][] | null {
  for (let len = Math.min(text.length, 8); len < text.length; len += 2) {
    const t0 = performance.now();
    oracleMatches(source, text.slice(0, len), maxExtension);
    if (performance.now() - t0 > budgetMs) return null;
  }
  return oracleMatches(source, text, maxExtension);
}
