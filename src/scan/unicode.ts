// Unicode helpers computed from the runtime's own tables: simple case-folding orbits, \p{..} sets, POSIX classes.
// Everything is restricted to the Basic Multilingual Plane (one UTF-16 code unit per character).

import { type CharSet, setFromRanges, MAX_UNIT } from "./charset.js";

let orbits: Map<number, number[]> | null = null;

/** Code units that are case variants of each other (simple folding: one unit maps to one unit). */
function caseOrbits(): Map<number, number[]> {
  if (orbits) return orbits;
  const parent = new Int32Array(MAX_UNIT + 1);
  for (let i = 0; i <= MAX_UNIT; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x] as number] as number;
      x = parent[x] as number;
    }
    return x;
  };
  const join = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (let c = 0; c <= MAX_UNIT; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const s = String.fromCharCode(c);
    const lo = s.toLowerCase();
    const up = s.toUpperCase();
    if (lo.length === 1 && lo !== s) join(c, lo.charCodeAt(0));
    if (up.length === 1 && up !== s) join(c, up.charCodeAt(0));
  }
  const groups = new Map<number, number[]>();
  for (let c = 0; c <= MAX_UNIT; c++) {
    const r = find(c);
    if (r === c && parent[c] === c) continue;
    let g = groups.get(r);
    if (!g) groups.set(r, (g = [r]));
    g.push(c);
  }
  orbits = new Map();
  for (const g of groups.values()) for (const c of g) orbits.set(c, g);
  return orbits;
}

/** Closes a set under simple case folding (what `(?i)` does to every literal and class). */
export function caseClose(set: CharSet): CharSet {
  const o = caseOrbits();
  const extra: number[] = [];
  for (let i = 0; i < set.length; i += 2) {
    const lo = set[i] as number;
    const hi = set[i + 1] as number;
    if (hi - lo > 0x3000) {
      // a huge range: walk the orbit table instead of every unit
      for (const [c, g] of o) if (c >= lo && c <= hi) for (const d of g) extra.push(d, d);
      continue;
    }
    for (let c = lo; c <= hi; c++) {
      const g = o.get(c);
      if (g) for (const d of g) extra.push(d, d);
    }
  }
  return extra.length === 0 ? set : setFromRanges([...set, ...extra]);
}

const propertyCache = new Map<string, CharSet | null>();

/** `\p{name}` as BMP ranges, using the runtime's Unicode tables; null if the name is unknown. */
export function unicodeProperty(name: string): CharSet | null {
  const hit = propertyCache.get(name);
  if (hit !== undefined) return hit;
  let re: RegExp | null = null;
  for (const src of [`\\p{${name}}`, `\\p{Script=${name}}`, `\\p{General_Category=${name}}`]) {
    try {
      re = new RegExp(`^${src}$`, "u");
      break;
    } catch {
      re = null;
    }
  }
  if (!/^[A-Za-z_=]+$/.test(name)) re = null;
  let result: CharSet | null = null;
  if (re) {
    const ranges: number[] = [];
    let start = -1;
    for (let c = 0; c <= MAX_UNIT + 1; c++) {
      const inSet = c <= MAX_UNIT && !(c >= 0xd800 && c <= 0xdfff) && re.test(String.fromCharCode(c));
      if (inSet && start < 0) start = c;
      if (!inSet && start >= 0) {
        ranges.push(start, c - 1);
        start = -1;
      }
    }
    result = setFromRanges(ranges);
  }
  propertyCache.set(name, result);
  return result;
}

/** POSIX bracket classes (`[[:alpha:]]`), ASCII as in RE2. */
export const POSIX_CLASSES: Readonly<Record<string, CharSet>> = {
  alnum: setFromRanges([0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a]),
  alpha: setFromRanges([0x41, 0x5a, 0x61, 0x7a]),
  ascii: [0x00, 0x7f],
  blank: setFromRanges([0x09, 0x09, 0x20, 0x20]),
  cntrl: setFromRanges([0x00, 0x1f, 0x7f, 0x7f]),
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: setFromRanges([0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e]),
  space: setFromRanges([0x09, 0x0d, 0x20, 0x20]),
  upper: [0x41, 0x5a],
  word: setFromRanges([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]),
  xdigit: setFromRanges([0x30, 0x39, 0x41, 0x46, 0x61, 0x66]),
};
