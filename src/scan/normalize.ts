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

/** Units being transformed: the text so far and the original range of each unit. */
interface Stage {
  text: string;
  starts: number[];
  ends: number[];
}

/**
 * Rewrites a stage code point by code point (or cluster by cluster): `step` returns the replacement of the
 * piece, or undefined to keep it. Kept units keep their own ranges; replacement units all take the range of
 * the piece they replace, so a match inside a folded piece maps to the whole original piece.
 */
function rewrite(stage: Stage, pieces: RegExp | "codepoints", step: (piece: string) => string | undefined): Stage {
  const out: Stage = { text: "", starts: [], ends: [] };
  const parts: string[] = [];
  const src = stage.text;
  let next = 0;
  let m: RegExpExecArray | null = null;
  if (pieces !== "codepoints") pieces.lastIndex = 0;
  for (;;) {
    let piece: string;
    let at: number;
    if (pieces === "codepoints") {
      if (next >= src.length) break;
      const cp = src.codePointAt(next) as number;
      at = next;
      next += cp > 0xffff ? 2 : 1;
      piece = src.slice(at, next);
    } else {
      if ((m = pieces.exec(src)) === null) break;
      piece = m[0];
      at = m.index;
    }
    const replacement = step(piece);
    if (replacement === undefined || replacement === piece) {
      parts.push(piece);
      for (let k = 0; k < piece.length; k++) {
        out.starts.push(stage.starts[at + k] as number);
        out.ends.push(stage.ends[at + k] as number);
      }
      continue;
    }
    const from = stage.starts[at] as number;
    const to = stage.ends[at + piece.length - 1] as number;
    parts.push(replacement);
    for (let k = 0; k < replacement.length; k++) {
      out.starts.push(from);
      out.ends.push(to);
    }
  }
  out.text = parts.join("");
  return out;
}

const CODE_POINTS = "codepoints" as const;
const CLUSTERS = /\P{M}\p{M}*|\p{M}+/gu;
const WHITESPACE_RUNS = /\s+|[^\s]+/gu;
const NON_ALNUM = /[^\p{L}\p{N}]/u;

const HAS_INVISIBLE = /[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u{e0000}-\u{e007f}]/u;

/** Applies `options` in a fixed order: stripInvisible, homoglyphs, nfkc (then homoglyphs again), caseFold, leetspeak, collapseWhitespace, squash. */
export function normalizeText(original: string, options: NormalizationOptions | undefined): NormalizedText {
  const n = original.length;
  let stage: Stage = { text: original, starts: new Array<number>(n), ends: new Array<number>(n) };
  for (let i = 0; i < n; i++) {
    stage.starts[i] = i;
    stage.ends[i] = i + 1;
  }
  const o = options ?? {};
  if (o.stripInvisible && HAS_INVISIBLE.test(stage.text)) {
    stage = rewrite(stage, CODE_POINTS, (p) => (isInvisible(p.codePointAt(0) as number) ? "" : undefined));
  }
  // Look-alikes fold before NFKC (which turns lunate `ϲ` into `ς`) and again after it (which turns
  // mathematical `𝚶` into Greek `Ο`), and before case folding (Greek `Ν` looks like `N`, its lowercase `ν`
  // like `v`).
  const foldLookalikes = (): void => {
    if (o.homoglyphs && /[^\x00-\x7f]/.test(stage.text)) {
      stage = rewrite(stage, CODE_POINTS, (p) => foldHomoglyph(p.codePointAt(0) as number));
    }
  };
  foldLookalikes();
  // ASCII text is NFKC already; skip the per-cluster work.
  if (o.nfkc && /[^\x00-\x7f]/.test(stage.text)) {
    stage = rewrite(stage, CLUSTERS, (p) => p.normalize("NFKC"));
    foldLookalikes();
  }
  if (o.caseFold && stage.text !== stage.text.toLowerCase()) {
    stage = rewrite(stage, CODE_POINTS, (p) => p.toLowerCase());
  }
  if (o.leetspeak && /[013457@$]/.test(stage.text)) {
    stage = rewrite(stage, CODE_POINTS, (p) => foldLeet(p.codePointAt(0) as number));
  }
  if (o.collapseWhitespace && /\s/.test(stage.text)) {
    stage = rewrite(stage, WHITESPACE_RUNS, (p) => (/^\s/.test(p) && p !== " " ? " " : undefined));
  }
  if (o.squash && NON_ALNUM.test(stage.text)) {
    stage = rewrite(stage, CODE_POINTS, (p) => (NON_ALNUM.test(p) ? "" : undefined));
  }
  return {
    text: stage.text,
    starts: Int32Array.from(stage.starts),
    ends: Int32Array.from(stage.ends),
    originalLength: n,
  };
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
