// Registry of every diagnostic code the pattern scanner emits, with a one-line description each.

export const SCAN_ERRORS = {
  SCAN_BAD_SPEC: "a pattern spec is missing its id or pattern, or a field has the wrong type",
  SCAN_DUPLICATE_ID: "two patterns in one set share an id",
  SCAN_SYNTAX: "the pattern is not well formed (unbalanced parenthesis, unterminated class, dangling escape, nothing to repeat)",
  SCAN_BACKREFERENCE: "backreferences (`\\1`, `\\k<name>`) need backtracking and are not supported",
  SCAN_LOOKAHEAD: "lookahead (`(?=..)`, `(?!..)`) is not supported; rewrite it as a plain suffix or a class",
  SCAN_LOOKBEHIND: "lookbehind (`(?<=..)`, `(?<!..)`) is not supported; rewrite it as a plain prefix or use `\\b`",
  SCAN_ATOMIC_GROUP: "atomic groups (`(?>..)`) are not supported; a plain group matches the same strings",
  SCAN_POSSESSIVE: "possessive quantifiers (`a*+`) are not supported; drop the trailing `+`",
  SCAN_CONDITIONAL: "conditionals and recursion (`(?(..)..)`, `(?R)`) are not supported",
  SCAN_UNSUPPORTED_ESCAPE: "an escape sequence outside the documented subset (e.g. `\\G`, `\\K`, `\\X`, `\\Z`, `\\C`)",
  SCAN_UNKNOWN_PROPERTY: "`\\p{..}` names a property or script the runtime's Unicode tables do not know",
  SCAN_UNKNOWN_POSIX_CLASS: "`[[:name:]]` names no POSIX class",
  SCAN_UNKNOWN_FLAG: "an inline flag other than `i`, `m`, `s`, `x`, `U`",
  SCAN_BAD_RANGE: "a class range whose end is before its start, or whose ends are classes",
  SCAN_ASTRAL_CHAR: "a character above U+FFFF inside a character class; the scanner works on UTF-16 code units, so outside a class such a character (literal or `\\x{1F600}`) matches as its surrogate pair, but a class cannot hold a pair",
  SCAN_REPEAT_TOO_LARGE: "a counted repeat above 2000, or a pattern whose automaton would exceed the size limit",
  SCAN_EMPTY_MATCH: "the pattern can match the empty string; empty matches are never reported",
  SCAN_LAZY_FALLBACK: "the pattern's automaton exceeds the state budget; it runs as a lazily built DFA with a bounded cache (still linear time)",
} as const;

export type ScanErrorCode = keyof typeof SCAN_ERRORS;
