// Text normalization before scanning (pure): NFKC, case folding, invisible-character removal, homoglyph and
// leetspeak folding, whitespace collapsing, squashing — with an offset map back to the original text.
import { decodeTag, foldHomoglyph, foldLeet, isInvisible } from "./normalize-tables.js";
import { ComposedText, Emitter, SegmentedText, isAlnum, isSpace } from "./normalize-map.js";

/** Declared per rule set (per pack pattern). Every option defaults to off. */
export interface NormalizationOptions {
  /** Unicode NFKC, applied per cluster (a code point plus its combining marks). */
  nfkc?: boolean;
  /** Lowercase every code point (`toLowerCase`, locale-independent). Patterns must then be lowercase. */
  caseFold?: boolean;
  /**
   * Remove zero-width characters, soft hyphen, bidi controls, variation selectors and Hangul fillers; read tag
   * characters U+E0020–U+E007E as the ASCII they shadow (hidden "ASCII smuggling" text), drop the other tags.
   */
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

const MARK = /\p{M}/u;

const OPTION_ORDER = ["stripInvisible", "nfkc", "homoglyphs", "caseFold", "leetspeak", "collapseWhitespace", "squash"] as const;

/** A canonical key naming a set of options (used to group patterns that share one normalization). */
export function normalizationKey(options: NormalizationOptions | undefined): string {
  const on = OPTION_ORDER.filter((k) => options?.[k] === true);
  return on.length === 0 ? "none" : on.join("+");
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

const LATIN_MARKED = /[\u00c0-\u024f\u1e00-\u1eff]|[A-Za-z][\u0300-\u036f]/;
const MARKS_G = /\p{M}/gu;
const LATIN_BASE = /^[A-Za-z\u00c0-\u024f\u1e00-\u1eff]/;

/**
 * A Latin letter with diacritics read as its base letter (`ï` → `i`, `c` + U+0301 → `c`): to a reader `ïgnörë`
 * is `ignore`, and one accent (which NFKC composes into `ć`) must not hide a phrase. Other scripts keep their
 * marks. Part of `homoglyphs` under `nfkc` (the phrase packs), after NFKC, so compatibility forms fold first.
 */
function stripLatinMarks(t: string): string {
  if (!LATIN_MARKED.test(t)) return t;
  const d = t.normalize("NFD");
  return LATIN_BASE.test(d) ? d.replace(MARKS_G, "").normalize("NFC") : t;
}

/** The full chain for one cluster (a code point and its combining marks), in the documented order. */
export function transformCluster(cluster: string, o: NormalizationOptions): string {
  let t = cluster;
  if (o.stripInvisible) t = mapCodePoints(t, (cp) => (isInvisible(cp) ? "" : decodeTag(cp)));
  if (o.homoglyphs) t = mapCodePoints(t, foldHomoglyph);
  if (o.nfkc) {
    t = t.normalize("NFKC");
    if (o.homoglyphs) t = stripLatinMarks(mapCodePoints(t, foldHomoglyph));
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
    if (c < 0x80 && (plain[c] === 1 || c === 32 || (c >= 9 && c <= 13))) {
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
        // A lone tab or line break before ASCII (which no option turns into white space) or the end becomes
        // one space with its own offset: it is copied too and replaced in the finished text (`loneBreaks`).
        if (d >= 9 && d <= 13 && collapseOnly && !(j === i && out.inSpace) && (j + 1 >= n || (original.charCodeAt(j + 1) < 0x80 && !isSpace(original.charCodeAt(j + 1))))) {
          out.loneBreaks = true;
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

