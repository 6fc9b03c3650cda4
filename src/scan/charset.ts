// Sets of UTF-16 code units as sorted, disjoint, non-adjacent inclusive ranges [lo0, hi0, lo1, hi1, ...].

export type CharSet = readonly number[];

export const MAX_UNIT = 0xffff;

/** Normalizes arbitrary inclusive ranges (any order, overlapping) into canonical form. */
export function setFromRanges(ranges: readonly number[]): CharSet {
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < ranges.length; i += 2) {
    const lo = ranges[i] as number;
    const hi = ranges[i + 1] as number;
    if (lo <= hi) pairs.push([lo, hi]);
  }
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= (out[n - 1] as number) + 1) {
      if (hi > (out[n - 1] as number)) out[n - 1] = hi;
    } else out.push(lo, hi);
  }
  return out;
}

export function setOfChar(c: number): CharSet {
  return [c, c];
}

export function setUnion(a: CharSet, b: CharSet): CharSet {
  return setFromRanges([...a, ...b]);
}

/** All code units not in `a`. */
export function setNegate(a: CharSet): CharSet {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < a.length; i += 2) {
    const lo = a[i] as number;
    if (lo > next) out.push(next, lo - 1);
    next = (a[i + 1] as number) + 1;
  }
  if (next <= MAX_UNIT) out.push(next, MAX_UNIT);
  return out;
}

export function setHas(a: CharSet, c: number): boolean {
  for (let i = 0; i < a.length; i += 2) {
    if (c < (a[i] as number)) return false;
    if (c <= (a[i + 1] as number)) return true;
  }
  return false;
}

export function setSize(a: CharSet): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 2) n += (a[i + 1] as number) - (a[i] as number) + 1;
  return n;
}

export function setKey(a: CharSet): string {
  return a.join(",");
}

/** The code units themselves, when the set is small (for literal extraction). */
export function setMembers(a: CharSet, limit: number): number[] | null {
  if (setSize(a) > limit) return null;
  const out: number[] = [];
  for (let i = 0; i < a.length; i += 2) for (let c = a[i] as number; c <= (a[i + 1] as number); c++) out.push(c);
  return out;
}

export const DIGIT: CharSet = [0x30, 0x39];
export const WORD: CharSet = setFromRanges([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
/**
 * `\s` as in RE2/Go: tab, newline, form feed, carriage return, space; not vertical tab (which `[[:space:]]`
 * includes, as in RE2).
 */
export const SPACE: CharSet = setFromRanges([0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20]);
export const ANY: CharSet = [0, MAX_UNIT];
export const ANY_BUT_NEWLINE: CharSet = setNegate([0x0a, 0x0a]);
