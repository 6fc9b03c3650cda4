// YAML 1.2 core schema resolution of plain (unquoted, untagged) scalars: null, booleans, integers, floats, else text.
// The same patterns as the `yaml` package's core schema, which policies were parsed with before (so `yes` stays a
// string, `0x1F` is 31, `.inf` is a number the validator then refuses as not finite).

const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** The value of a plain scalar's text under the YAML 1.2 core schema. */
export function resolvePlainScalar(s: string): string | number | boolean | null {
  if (s.length === 0) return null;
  const c = s.charCodeAt(0);
  // Only these first characters can start a null, a boolean or a number: most scalars (names, ids) stop here.
  if (!(c === 0x7e || c === 0x2b || c === 0x2d || c === 0x2e || (c >= 0x30 && c <= 0x39) || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46)) return s;
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return c === 0x74 || c === 0x54;
  if (INT_OCT.test(s)) return parseInt(s.slice(2), 8);
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s)) return parseInt(s.slice(2), 16);
  if (FLOAT_SPECIAL.test(s)) return s.endsWith("nan") || s.endsWith("NaN") || s.endsWith("NAN") ? NaN : c === 0x2d ? -Infinity : Infinity;
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  return s;
}
