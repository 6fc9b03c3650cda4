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
 * `[starts[i], ends[i])`. Both arrays are non-decreasing. They are materialized on first access; `mapSpan`
 * works on the compact segment list instead.
 */
export interface NormalizedText {
  readonly text: string;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly originalLength: number;
}

/**
 * The offset map as segments: segment k covers normalized units [segNorm[k], segNorm[k+1]). An identity
 * segment maps unit i to [segOrig[k] + (i - segNorm[k]), +1); a piece segment maps all its units to
 * [segOrig[k], segEnd[k]).
 */
class SegmentedText implements NormalizedText {
  private materialized: { starts: Int32Array; ends: Int32Array } | null = null;

  constructor(
    readonly text: string,
    readonly originalLength: number,
    readonly segNorm: ArrayLike<number>,
    readonly segOrig: ArrayLike<number>,
    readonly segEnd: ArrayLike<number>,
    readonly segIdentity: ArrayLike<number>,
  ) {}

  /** Index of the segment holding normalized unit i (0 <= i < text.length). */
  segmentOf(i: number): number {
    let lo = 0;
    let hi = this.segNorm.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.segNorm[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  startOf(i: number): number {
    const k = this.segmentOf(i);
    return this.segIdentity[k] === 1 ? (this.segOrig[k] as number) + (i - (this.segNorm[k] as number)) : (this.segOrig[k] as number);
  }

  endOf(i: number): number {
    const k = this.segmentOf(i);
    return this.segIdentity[k] === 1 ? (this.segOrig[k] as number) + (i - (this.segNorm[k] as number)) + 1 : (this.segEnd[k] as number);
  }

  private materialize(): { starts: Int32Array; ends: Int32Array } {
    if (this.materialized) return this.materialized;
    const n = this.text.length;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    for (let k = 0; k < this.segNorm.length; k++) {
      const from = this.segNorm[k] as number;
      const to = k + 1 < this.segNorm.length ? (this.segNorm[k + 1] as number) : n;
      for (let i = from; i < to; i++) {
        starts[i] = this.segIdentity[k] === 1 ? (this.segOrig[k] as number) + (i - from) : (this.segOrig[k] as number);
        ends[i] = this.segIdentity[k] === 1 ? (starts[i] as number) + 1 : (this.segEnd[k] as number);
      }
    }
    this.materialized = { starts, ends };
    return this.materialized;
  }

  get starts(): Int32Array {
    return this.materialize().starts;
  }

  get ends(): Int32Array {
    return this.materialize().ends;
  }
}

const OPTION_ORDER = ["stripInvisible", "nfkc", "homoglyphs", "caseFold", "leetspeak", "collapseWhitespace", "squash"] as const;

/** A canonical key naming a set of options (used to group patterns that share one normalization). */
export function normalizationKey(options: NormalizationOptions | undefined): string {
  const on = OPTION_ORDER.filter((k) => options?.[k] === true);
  return on.length === 0 ? "none" : on.join("+");
}

/** Output builder: text parts plus the segment list of the offset map. */
class Emitter {
  private readonly parts: string[] = [];
  private readonly segNorm: number[] = [];
  private readonly segOrig: number[] = [];
  private readonly segEnd: number[] = [];
  private readonly segIdentity: number[] = [];
  /** Normalized length so far. */
  n = 0;
  /** End (in the original) of the identity-offset segment being extended, or -1. */
  private runTo = -1;
  /** Original text [pendFrom, pendTo) still to be copied into `parts`. */
  private pendFrom = -1;
  private pendTo = -1;
  /** The last unit written is a collapsed white-space run (so more white space extends it). */
  inSpace = false;
  /** When that space was written with identity offsets: its original offset, else -1. */
  private spaceAt = -1;

  constructor(
    private readonly original: string,
    private readonly collapse: boolean,
    private readonly squash: boolean,
  ) {}

  private flushText(): void {
    if (this.pendFrom >= 0) this.parts.push(this.original.slice(this.pendFrom, this.pendTo));
    this.pendFrom = -1;
    this.pendTo = -1;
  }

  /** Identity offsets for original units [from, to): extend the current identity segment or open one. */
  private offsetsIdentity(from: number, to: number): void {
    if (this.runTo !== from) {
      this.segNorm.push(this.n);
      this.segOrig.push(from);
      this.segEnd.push(-1);
      this.segIdentity.push(1);
    }
    this.runTo = to;
    this.n += to - from;
  }

  /** Original units [from, to) kept as they are. */
  private identity(from: number, to: number): void {
    this.offsetsIdentity(from, to);
    if (this.pendTo === from) this.pendTo = to;
    else {
      this.flushText();
      this.pendFrom = from;
      this.pendTo = to;
    }
  }

  /** One original unit replaced by one unit (ASCII case folding, leetspeak): offsets stay the identity. */
  oneToOne(ch: string, at: number): void {
    this.inSpace = false;
    this.offsetsIdentity(at, at + 1);
    this.flushText();
    this.parts.push(ch);
  }

  /** Replacement units, all mapping to the original range [start, end). */
  private piece(text: string, start: number, end: number): void {
    this.flushText();
    this.runTo = -1;
    this.parts.push(text);
    this.segNorm.push(this.n);
    this.segOrig.push(start);
    this.segEnd.push(end);
    this.segIdentity.push(0);
    this.n += text.length;
  }

  /**
   * One code point with its original range; `unitStart` >= 0 when it is the original's own code point at
   * that offset (then it keeps identity offsets). White-space collapsing and squashing apply here.
   */
  put(cp: number, start: number, end: number, unitStart: number): void {
    if (this.squash && !isAlnum(cp)) return;
    if (this.collapse && isSpace(cp)) {
      if (this.inSpace) {
        if (this.spaceAt >= 0) {
          // The space was written with identity offsets (one unit for one unit); now that it covers a run,
          // give its unit a piece segment of its own (a later segment start wins in `segmentOf`).
          this.segNorm.push(this.n - 1);
          this.segOrig.push(this.spaceAt);
          this.segEnd.push(end);
          this.segIdentity.push(0);
          this.runTo = -1;
          this.spaceAt = -1;
        } else this.segEnd[this.segEnd.length - 1] = end;
        return;
      }
      if (end - start === 1) {
        this.oneToOne(" ", start);
        this.spaceAt = start;
      } else {
        this.piece(" ", start, end);
        this.spaceAt = -1;
      }
      this.inSpace = true;
      return;
    }
    this.inSpace = false;
    if (unitStart >= 0) this.identity(unitStart, unitStart + (cp > 0xffff ? 2 : 1));
    else this.piece(String.fromCodePoint(cp), start, end);
  }

  /** A run of ASCII units that no option touches (lone spaces included when collapsing). */
  putRun(from: number, to: number): void {
    this.identity(from, to);
    this.inSpace = false;
  }

  /** A replacement piece: every unit maps to the whole original range [start, end). */
  putPiece(piece: string, start: number, end: number): void {
    if (!this.squash && !this.collapse) {
      if (piece.length > 0) this.piece(piece, start, end);
      return;
    }
    for (let k = 0; k < piece.length; ) {
      const cp = piece.codePointAt(k) as number;
      this.put(cp, start, end, -1);
      k += cp > 0xffff ? 2 : 1;
    }
  }

  /** An unchanged stretch of the original: units keep their own ranges. */
  putSame(from: number, to: number): void {
    for (let k = from; k < to; ) {
      const cp = this.original.codePointAt(k) as number;
      const len = cp > 0xffff ? 2 : 1;
      this.put(cp, k, k + len, k);
      k += len;
    }
  }

  finish(): SegmentedText {
    this.flushText();
    const text = this.parts.length === 1 && this.parts[0] === this.original ? this.original : this.parts.join("");
    return new SegmentedText(text, this.original.length, this.segNorm, this.segOrig, this.segEnd, this.segIdentity);
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

/** Per ASCII unit: 1 when no option changes or drops it (it can be copied in bulk). */
const PLAIN_TABLES = new Map<string, Uint8Array>();
function plainTable(o: NormalizationOptions, ascii: Array<string | null>): Uint8Array {
  const key = `${o.caseFold === true}${o.leetspeak === true}${o.collapseWhitespace === true}${o.squash === true}`;
  let t = PLAIN_TABLES.get(key);
  if (t) return t;
  t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const plain = ascii[c] === null && !(o.collapseWhitespace && isSpace(c)) && !(o.squash && !isAlnum(c));
    t[c] = plain ? 1 : 0;
  }
  PLAIN_TABLES.set(key, t);
  return t;
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

interface Prepared {
  anyOn: boolean;
  ascii: Array<string | null>;
  plain: Uint8Array;
  collapseOnly: boolean;
}

const PREPARED = new WeakMap<NormalizationOptions, Prepared>();

/** Per-options tables, computed once per options object (packs reuse theirs for every call). */
function prepare(o: NormalizationOptions): Prepared {
  let p = PREPARED.get(o);
  if (p) return p;
  const ascii = asciiTable(o);
  p = {
    anyOn: OPTION_ORDER.some((k) => o[k] === true),
    ascii,
    plain: plainTable(o, ascii),
    collapseOnly: o.collapseWhitespace === true && o.squash !== true && ascii[32] === null,
  };
  PREPARED.set(o, p);
  return p;
}

/** True when no option changes the text: all ASCII, every unit plain (lone spaces allowed when collapsing). */
function isUntouched(text: string, p: Prepared): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return false;
    if (p.plain[c] === 1) continue;
    if (c === 32 && p.collapseOnly && (i === 0 || text.charCodeAt(i - 1) !== 32) && !(i + 1 < n && isSpace(text.charCodeAt(i + 1)))) continue;
    return false;
  }
  return true;
}

const ZERO: readonly number[] = Object.freeze([0]);
const NONE: readonly number[] = Object.freeze([-1]);
const ONE: readonly number[] = Object.freeze([1]);

function identityText(original: string): SegmentedText {
  return new SegmentedText(original, original.length, ZERO, ZERO, NONE, ONE);
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
  const prep = prepare(o);
  if (!prep.anyOn || isUntouched(original, prep)) return identityText(original);
  const { ascii, plain, collapseOnly } = prep;
  const out = new Emitter(original, o.collapseWhitespace === true, o.squash === true);
  let i = 0;
  while (i < n) {
    const c = original.charCodeAt(i);
    // Runs of untouched ASCII are copied in bulk (the last one stays out if a combining mark follows it).
    if (c < 0x80 && (plain[c] === 1 || c === 32)) {
      let j = i;
      while (j < n) {
        const d = original.charCodeAt(j);
        if (d >= 0x80) break;
        if (plain[d] === 1) {
          j++;
          continue;
        }
        // Under collapseWhitespace a lone space is unchanged too (its neighbours are in the run, so only the
        // first position can follow white space already written).
        if (d === 32 && collapseOnly && !(j === i && out.inSpace) && !(j + 1 < n && isSpace(original.codePointAt(j + 1) as number))) {
          j++;
          continue;
        }
        break;
      }
      if (j === i) j = -1;
      if (j > i && o.nfkc && j < n && original.charCodeAt(j) >= 0x300) j--;
      if (j > i) {
        out.putRun(i, j);
        i = j;
        continue;
      }
    }
    // ASCII fast path, unless a combining mark follows (NFKC would compose it; marks start at U+0300).
    if (c < 0x80 && !(o.nfkc && i + 1 < n && original.charCodeAt(i + 1) >= 0x300)) {
      const r = ascii[c];
      if (r === null || r === undefined) out.put(c, i, i + 1, i);
      else if (r.length === 1 && !(o.squash && !isAlnum(r.charCodeAt(0)))) out.oneToOne(r, i);
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
    if (t === cluster) out.putSame(i, j);
    else out.putPiece(t, i, j);
    i = j;
  }
  return out.finish();
}

/**
 * Maps a span `[start, end)` of the normalized text back to the original text: from the start of the first
 * unit to the end of the last. An empty span maps to an empty span at the corresponding position.
 */
export function mapSpan(nt: NormalizedText, start: number, end: number): { start: number; end: number } {
  const len = nt.text.length;
  const s = Math.max(0, Math.min(start, len));
  const e = Math.max(s, Math.min(end, len));
  const seg = nt instanceof SegmentedText || nt instanceof ComposedText ? nt : null;
  const startOf = (i: number): number => (seg ? seg.startOf(i) : (nt.starts[i] as number));
  const endOf = (i: number): number => (seg ? seg.endOf(i) : (nt.ends[i] as number));
  if (e > s) return { start: startOf(s), end: endOf(e - 1) };
  const at = s < len ? startOf(s) : nt.originalLength;
  return { start: at, end: at };
}

/** A normalization of a normalization: offsets go through both maps. */
class ComposedText implements NormalizedText {
  private materialized: { starts: Int32Array; ends: Int32Array } | null = null;

  constructor(
    private readonly outer: SegmentedText,
    private readonly base: SegmentedText | ComposedText,
  ) {}

  get text(): string {
    return this.outer.text;
  }

  get originalLength(): number {
    return this.base.originalLength;
  }

  startOf(i: number): number {
    return this.base.startOf(this.outer.startOf(i));
  }

  endOf(i: number): number {
    return this.base.endOf(this.outer.endOf(i) - 1);
  }

  private materialize(): { starts: Int32Array; ends: Int32Array } {
    if (!this.materialized) {
      const n = this.text.length;
      const starts = new Int32Array(n);
      const ends = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        starts[i] = this.startOf(i);
        ends[i] = this.endOf(i);
      }
      this.materialized = { starts, ends };
    }
    return this.materialized;
  }

  get starts(): Int32Array {
    return this.materialize().starts;
  }

  get ends(): Int32Array {
    return this.materialize().ends;
  }
}

/**
 * Normalizes an already normalized text with more options and composes the offset maps, so that (for
 * example) `squash` reuses the work of the options it extends. `further` should only add options that come
 * after all of `base`'s in the fixed order (squash after anything), or the result differs from normalizing
 * the original with the union of both.
 */
export function normalizeFurther(base: NormalizedText, further: NormalizationOptions): NormalizedText {
  const outer = normalizeText(base.text, further) as SegmentedText;
  if (!(base instanceof SegmentedText || base instanceof ComposedText)) throw new TypeError("normalizeFurther needs a text from normalizeText");
  return new ComposedText(outer, base);
}

