// Character tables for scan normalization: invisible code points, Latin homoglyphs, leetspeak digits.
// Written by hand from the Unicode code charts (Cyrillic, Greek, Halfwidth and Fullwidth Forms, IPA);
// docs/scanner-packs.md reproduces them. Only look-alikes of ASCII letters are folded: the goal is to defeat
// "ignоre" written with a Cyrillic о, not to transliterate scripts.

/**
 * Zero-width and formatting characters, soft hyphen, bidi controls, variation selectors and Hangul fillers:
 * removed by `stripInvisible`. Tag characters that spell ASCII (U+E0020–U+E007E) are not in this set: they are
 * decoded (`decodeTag`); the other tag characters (U+E0000–U+E001F, U+E007F CANCEL TAG) are.
 */
export function isInvisible(cp: number): boolean {
  return (
    cp === 0x00ad || // soft hyphen
    cp === 0x034f || // combining grapheme joiner
    cp === 0x061c || // arabic letter mark (bidi)
    cp === 0x115f || cp === 0x1160 || // hangul choseong and jungseong fillers
    (cp >= 0x180b && cp <= 0x180f) || // mongolian free variation selectors 1-3, vowel separator, selector 4
    (cp >= 0x200b && cp <= 0x200f) || // zero-width space/non-joiner/joiner, LRM, RLM
    (cp >= 0x202a && cp <= 0x202e) || // bidi embeddings and overrides
    (cp >= 0x2060 && cp <= 0x2064) || // word joiner, invisible operators
    (cp >= 0x2066 && cp <= 0x206f) || // bidi isolates, deprecated format characters (U+206A–U+206F)
    cp === 0x3164 || // hangul filler
    (cp >= 0xfe00 && cp <= 0xfe0f) || // variation selectors
    cp === 0xfeff || // zero-width no-break space / BOM
    cp === 0xffa0 || // halfwidth hangul filler
    (cp >= 0xe0000 && cp <= 0xe001f) || cp === 0xe007f || // tag characters that spell nothing (language tag, cancel tag)
    (cp >= 0xe0100 && cp <= 0xe01ef) // variation selectors supplement
  );
}

/**
 * A tag character U+E0020–U+E007E read as the ASCII character it shadows (U+0020–U+007E), else undefined.
 * Tag characters render as nothing, so text written in them ("ASCII smuggling") is invisible to a person
 * but readable by a model: the scan must read it too, not drop it.
 */
export function decodeTag(cp: number): string | undefined {
  return cp >= 0xe0020 && cp <= 0xe007e ? String.fromCharCode(cp - 0xe0000) : undefined;
}

/** Look-alike -> ASCII letter. Both cases, so the table works with and without `caseFold`. */
const HOMOGLYPH_PAIRS: ReadonlyArray<readonly [string, string]> = [
  // Cyrillic lowercase
  ["а", "a"], ["в", "b"], ["с", "c"], ["ԁ", "d"], ["е", "e"], ["ё", "e"], ["һ", "h"], ["і", "i"], ["ї", "i"],
  ["ј", "j"], ["к", "k"], ["ӏ", "l"], ["м", "m"], ["п", "n"], ["о", "o"], ["р", "p"], ["ԛ", "q"], ["г", "r"],
  ["ѕ", "s"], ["т", "t"], ["у", "y"], ["ԝ", "w"], ["х", "x"], ["ь", "b"], ["ԍ", "g"], ["ц", "u"],
  // Cyrillic uppercase
  ["А", "A"], ["В", "B"], ["С", "C"], ["Е", "E"], ["Ё", "E"], ["Н", "H"], ["І", "I"], ["Ї", "I"], ["Ј", "J"],
  ["К", "K"], ["М", "M"], ["О", "O"], ["Р", "P"], ["Ԛ", "Q"], ["Ѕ", "S"], ["Т", "T"], ["У", "Y"], ["Ү", "Y"],
  ["Ԝ", "W"], ["Х", "X"], ["Ӏ", "I"], ["Ԍ", "G"],
  // Greek lowercase
  ["α", "a"], ["β", "b"], ["ε", "e"], ["η", "n"], ["ι", "i"], ["κ", "k"], ["ν", "v"], ["ο", "o"], ["ρ", "p"],
  ["τ", "t"], ["υ", "u"], ["χ", "x"], ["ϲ", "c"], ["ϳ", "j"], ["ω", "w"], ["γ", "y"],
  // Greek uppercase
  ["Α", "A"], ["Β", "B"], ["Ε", "E"], ["Ζ", "Z"], ["Η", "H"], ["Ι", "I"], ["Κ", "K"], ["Μ", "M"], ["Ν", "N"],
  ["Ο", "O"], ["Ρ", "P"], ["Τ", "T"], ["Υ", "Y"], ["Χ", "X"], ["Ϲ", "C"],
  // Latin extensions and IPA that pass for ASCII letters
  ["ı", "i"], ["ɩ", "i"], ["ɑ", "a"], ["ɡ", "g"], ["ɢ", "G"], ["ʜ", "H"], ["ɪ", "I"], ["ʟ", "L"], ["ɴ", "N"],
  ["ʀ", "R"], ["ʏ", "Y"], ["ᴀ", "A"], ["ᴄ", "C"], ["ᴅ", "D"], ["ᴇ", "E"], ["ᴋ", "K"], ["ᴍ", "M"], ["ᴏ", "O"],
  ["ᴘ", "P"], ["ᴛ", "T"], ["ᴜ", "U"], ["ᴠ", "V"], ["ᴡ", "W"], ["ᴢ", "Z"], ["ß", "ss"],
  // The rest of the small capitals (no NFKC decomposition, unlike the superscript modifier letters ᵃ ᵇ ᶜ…, which
  // NFKC folds): "ɪɢɴᴏʀᴇ ᴀʟʟ ᴘʀᴇᴠɪᴏᴜꜱ ɪɴꜱᴛʀᴜᴄᴛɪᴏɴꜱ" needs ꜱ.
  ["ʙ", "B"], ["ꜰ", "F"], ["ᴊ", "J"], ["ꞯ", "Q"], ["ꜱ", "S"],
  // Armenian
  ["օ", "o"], ["ս", "u"], ["հ", "h"], ["ո", "n"],
];

const HOMOGLYPHS = new Map<number, string>();
for (const [from, to] of HOMOGLYPH_PAIRS) HOMOGLYPHS.set(from.codePointAt(0) as number, to);

/** ASCII replacement for a look-alike code point, or undefined. Fullwidth ASCII (U+FF01–FF5E) is folded too. */
export function foldHomoglyph(cp: number): string | undefined {
  if (cp >= 0xff01 && cp <= 0xff5e) return String.fromCharCode(cp - 0xff01 + 0x21);
  if (cp === 0x3000) return " "; // ideographic space
  return HOMOGLYPHS.get(cp);
}

/** Entries of the homoglyph table, for documentation and tests. */
export function homoglyphEntries(): ReadonlyArray<readonly [string, string]> {
  return HOMOGLYPH_PAIRS;
}

/**
 * Leetspeak digits and symbols -> letters. `1` folds to `i` (never `l`): pack patterns that contain `l`
 * accept `i` as well (see `leetWord` in packs/phrases.ts), which covers both readings.
 */
const LEET: Readonly<Record<string, string>> = {
  "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s",
};

export function foldLeet(cp: number): string | undefined {
  return cp < 0x80 ? LEET[String.fromCharCode(cp)] : undefined;
}
