// Text normalization before scanning (pure): NFKC, case folding, invisible-character removal, homoglyph and
// leetspeak folding, whitespace collapsing, squashing — with an offset map back to the original text.
import { foldHomoglyph, foldLeet, isInvisible } from "./normalize-tables.js";

/** Declared per rule set (per pack pattern). Every option defaults to off. */
export interface NormalizationOptions {
  /** Unicode NFKC, applied per cluster (a code point plus its combining marks). */
  nfkc?: boolean;
  /** Lowercase every code point (`toLowerCase`, locale-independent). Patterns must then be lowercase. */
  caseFold?: boolean;
  /** Remove zero-width characters, soft hyphen, bidi controls and tag characters. */
  stripInvisible?: boolean;
  /** Fold Cyrillic, Greek, IPA and fullwidth look-alikes of ASCII letters to ASCII (normalize-tables.ts). */
  homoglyphs?: boolean;
  /** Fold 0 3 4 5 7 @ $ 1 to o e a s t a s i. Destroys numbers: only for phrase packs. */
  leetspeak?: boolean;
  /** Replace each run of white space by one ASCII space. */
  collapseWhitespace?: boolean;
  /** Keep only letters and digits (after the other steps): `i.g-n o r e` becomes `ignore`. */
  squash?: boolean;
}

/**
 * Normalized text plus, for each UTF-16 unit `i` of `text`, the original range it came from:
 * `[starts[i], ends[i])`. Both arrays are non-decreasing.
 */
export interface NormalizedText {
  text: string;
  starts: Int32Array;
  ends: Int32Array;
  originalLength: number;
}

const OPTION_ORDER = ["stripInvisible", "nfkc", "homoglyphs", "caseFold", "leetspeak", "collapseWhitespace", "squash"] as const;

/** A canonical key naming a set of options (used to group patterns that share one normalization). */
export function normalizationKey(options: NormalizationOptions | undefined): string {
  const on = OPTION_ORDER.filter((k) => options?.[k] === true);
  return on.length === 0 ? "none" : on.join("+");
}

/** Output buffer: UTF-16 units with the original range of each, growing as needed. */
class Emitter {
  units: Uint16Array;
  starts: Int32Array;
  ends: Int32Array;
  n = 0;
  /** The last unit written is a collapsed white-space run (so more white space extends it). */
  inSpace = false;

  constructor(
    capacity: number,
    private readonly collapse: boolean,
    private readonly squash: boolean,
  ) {
    this.units = new Uint16Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  private grow(): void {
    const cap = this.units.length * 2 + 16;
    const u = new Uint16Array(cap);
    u.set(this.units);
    const s = new Int32Array(cap);
    s.set(this.starts);
    const e = new Int32Array(cap);
    e.set(this.ends);
    this.units = u;
    this.starts = s;
    this.ends = e;
  }

  /** One code point (1 or 2 units) with its original range; white-space collapsing and squashing apply here. */
  put(cp: number, start: number, end: number, unitStart: number): void {
    if (this.squash && !isAlnum(cp)) return;
    if (this.collapse && isSpace(cp)) {
      if (this.inSpace) {
        this.ends[this.n - 1] = end;
        return;
      }
      this.inSpace = true;
      cp = 32;
    } else this.inSpace = false;
    if (this.n + 2 > this.units.length) this.grow();
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      this.units[this.n] = 0xd800 + (v >> 10);
      this.starts[this.n] = start;
      this.ends[this.n++] = unitStart < 0 ? end : unitStart + 1;
      this.units[this.n] = 0xdc00 + (v & 0x3ff);
      this.starts[this.n] = unitStart < 0 ? start : unitStart + 1;
      this.ends[this.n++] = end;
      return;
    }
    this.units[this.n] = cp;
    this.starts[this.n] = start;
    this.ends[this.n++] = end;
  }

  /** A replacement piece: every unit maps to the whole original range [start, end). */
  putPiece(piece: string, start: number, end: number): void {
    for (let k = 0; k < piece.length; ) {
      const cp = piece.codePointAt(k) as number;
      this.put(cp, start, end, -1);
      k += cp > 0xffff ? 2 : 1;
    }
  }

  /** An unchanged stretch of the original: units keep their own ranges. */
  putSame(original: string, from: number, to: number): void {
    for (let k = from; k < to; ) {
      const cp = original.codePointAt(k) as number;
      const len = cp > 0xffff ? 2 : 1;
      this.put(cp, k, k + len, k);
      k += len;
    }
  }

  text(): string {
    const parts: string[] = [];
    for (let i = 0; i < this.n; i += 8192) parts.push(String.fromCharCode.apply(null, this.units.subarray(i, Math.min(this.n, i + 8192)) as unknown as number[]));
    return parts.join("");
  }
}

const MARK = /\p{M}/u;
const ALNUM = /[\p{L}\p{N}]/u;
const SPACE = /\s/u;

function isAlnum(cp: number): boolean {
  if (cp < 0x80) return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  return ALNUM.test(String.fromCodePoint(cp));
}

function isSpace(cp: number): boolean {
  if (cp < 0x80) return cp === 32 || (cp >= 9 && cp <= 13);
  return SPACE.test(String.fromCodePoint(cp));
}

/** Per ASCII unit: its replacement under case folding and leetspeak, or null when unchanged. */
const ASCII_TABLES = new Map<string, Array<string | null>>();
function asciiTable(o: NormalizationOptions): Array<string | null> {
  const key = `${o.caseFold === true}${o.leetspeak === true}`;
  let t = ASCII_TABLES.get(key);
  if (t) return t;
  t = [];
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    let r = o.caseFold ? ch.toLowerCase() : ch;
    if (o.leetspeak) r = foldLeet(r.charCodeAt(0)) ?? r;
    t.push(r === ch ? null : r);
  }
  ASCII_TABLES.set(key, t);
  return t;
}

function mapCodePoints(s: string, f: (cp: number) => string | undefined): string {
  let out = "";
  for (const ch of s) out += f(ch.codePointAt(0) as number) ?? ch;
  return out;
}

/** The full chain for one cluster (a code point and its combining marks), in the documented order. */
function transformCluster(cluster: string, o: NormalizationOptions): string {
  let t = cluster;
  if (o.stripInvisible) t = mapCodePoints(t, (cp) => (isInvisible(cp) ? "" : undefined));
  if (o.homoglyphs) t = mapCodePoints(t, foldHomoglyph);
  if (o.nfkc) {
    t = t.normalize("NFKC");
    if (o.homoglyphs) t = mapCodePoints(t, foldHomoglyph);
  }
  if (o.caseFold) t = t.toLowerCase();
  if (o.leetspeak) t = mapCodePoints(t, foldLeet);
  return t;
}

/**
 * Applies `options` in one pass, per code point (per cluster with `nfkc`), in a fixed order:
 * stripInvisible, homoglyphs, nfkc (then homoglyphs again), caseFold, leetspeak, then collapseWhitespace
 * and squash on the result. Look-alikes fold before NFKC (which turns lunate `ϲ` into `ς`), again after it
 * (mathematical `𝚶` becomes Greek `Ο`), and before case folding (Greek `Ν` looks like `N`, its lowercase
 * `ν` like `v`). Replaced pieces map to the whole original piece; unchanged units keep their own offsets.
 */
export function normalizeText(original: string, options: NormalizationOptions | undefined): NormalizedText {
  const o = options ?? {};
  const n = original.length;
  const anyOn = OPTION_ORDER.some((k) => o[k] === true);
  if (!anyOn) {
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      starts[i] = i;
      ends[i] = i + 1;
    }
    return { text: original, starts, ends, originalLength: n };
  }
  const ascii = asciiTable(o);
  const out = new Emitter(n + 16, o.collapseWhitespace === true, o.squash === true);
  let i = 0;
  while (i < n) {
    const c = original.charCodeAt(i);
    // ASCII fast path, unless a combining mark follows (NFKC would compose it; marks start at U+0300).
    if (c < 0x80 && !(o.nfkc && i + 1 < n && original.charCodeAt(i + 1) >= 0x300)) {
      const r = ascii[c];
      if (r === null || r === undefined) out.put(c, i, i + 1, i);
      else out.putPiece(r, i, i + 1);
      i++;
      continue;
    }
    let j = i + ((original.codePointAt(i) as number) > 0xffff ? 2 : 1);
    if (o.nfkc) {
      while (j < n && original.charCodeAt(j) >= 0x300) {
        const cp = original.codePointAt(j) as number;
        if (!MARK.test(String.fromCodePoint(cp))) break;
        j += cp > 0xffff ? 2 : 1;
      }
    }
    const cluster = original.slice(i, j);
    const t = transformCluster(cluster, o);
    if (t === cluster) out.putSame(original, i, j);
    else out.putPiece(t, i, j);
    i = j;
  }
  const text = out.text();
  return { text, starts: out.starts.slice(0, out.n), ends: out.ends.slice(0, out.n), originalLength: n };
}

/**
 * Maps a span `[start, end)` of the normalized text back to the original text: from the start of the first
 * unit to the end of the last. An empty span maps to an empty span at the corresponding position.
 */
export function mapSpan(nt: NormalizedText, start: number, end: number): { start: number; end: number } {
  const len = nt.text.length;
  const s = Math.max(0, Math.min(start, len));
  const e = Math.max(s, Math.min(end, len));
  if (e > s) return { start: nt.starts[s] as number, end: nt.ends[e - 1] as number };
  const at = s < len ? (nt.starts[s] as number) : nt.originalLength;
  return { start: at, end: at };
}
