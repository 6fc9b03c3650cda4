// Builders for phrase patterns over case-folded, leet-folded, whitespace-collapsed text (injection pack).
// They keep the pack readable and the automata small: bounded filler words, no wide counted repeats.

/**
 * Between two words: one to three characters that are not letters (space, punctuation, quotes), where a JSON
 * or C escape `\n` `\r` `\t` `\u0020` `\u00a0` and an HTML space entity (`&nbsp;`, `&#32;`, `&#x20;`, `&#160;` as leetspeak reads
 * them) count as one: text lifted out of JSON or HTML keeps its line breaks and spaces in that form.
 */
export const SEP = "(?:[^a-z]|\\\\(?:[nrt]|u(?:oo2o|ooao))|&nbsp;|&#(?:x2o|xao|e2|i6o);){1,3}";
/** Optional separator (zero to three non-letters), e.g. around `:` or `=`. */
export const OPT_SEP = "[^a-z]{0,3}";

const LEET_DIGITS: Readonly<Record<string, string>> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t" };

/**
 * A literal word as it looks after leetspeak folding: digits fold like the text (`base64` -> `base6a`) and,
 * since `1` became `i`, every `l` also accepts `i`. Regex metacharacters are escaped; spaces become SEP.
 */
export function word(w: string): string {
  return w.replace(/[013457]/g, (d) => LEET_DIGITS[d] ?? d).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&").replace(/l/g, "[li]").replace(/ /g, SEP);
}

/** One of several words or short phrases (spaces inside a phrase become SEP). */
export function oneOf(...words: string[]): string {
  return `(?:${words.map(word).join("|")})`;
}

/** One of several literals, escaped but not leet-folded (for markup rules that keep digits and symbols). */
export function oneOfRaw(...words: string[]): string {
  return `(?:${words.map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&").replace(/ /g, SEP)).join("|")})`;
}

/** A marker for an optional element in `phrase`. */
export interface Optional {
  optional: string;
  /** True when `optional` already ends with its separator (fillers). */
  separated: boolean;
}
export function opt(re: string): Optional {
  return { optional: re, separated: false };
}

/** Up to `max` filler words from `words`, each followed by a separator (use inside `phrase`). */
export function fillers(max: number, ...words: string[]): Optional {
  return { optional: `(?:${oneOf(...words)}${SEP}){0,${max}}`, separated: true };
}

/**
 * Elements joined by SEP; an optional element carries its own separator so that leaving it out does not
 * leave a double separator. The last element must be required.
 */
export function phrase(...parts: Array<string | Optional>): string {
  let out = "";
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    if (typeof p === "string") out += p + (last ? "" : SEP);
    else if (p.separated) out += p.optional;
    else out += `(?:${p.optional}${SEP})?`;
  });
  return out;
}

/** Same normalization for every phrase rule. */
export const PHRASE_NORMALIZATION = {
  nfkc: true, caseFold: true, stripInvisible: true, homoglyphs: true, leetspeak: true, collapseWhitespace: true,
} as const;

/** Markup rules (tags, comments, URLs): like phrases but without leetspeak, which would eat `$`, `@`, digits. */
export const MARKUP_NORMALIZATION = {
  nfkc: true, caseFold: true, stripInvisible: true, homoglyphs: true, collapseWhitespace: true,
} as const;

/** Letters and digits only: defeats words split by spaces, dots, dashes or zero-width characters. */
export const SQUASH_NORMALIZATION = { ...PHRASE_NORMALIZATION, squash: true } as const;

/** Up to `max` arbitrary words (letters and apostrophes), each followed by a separator (use inside `phrase`). */
export function anyWords(max: number): Optional {
  return { optional: `(?:[a-z']+${SEP}){0,${max}}`, separated: true };
}
