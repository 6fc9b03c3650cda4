// Request-body guards for the sidecar and the CLI: UTF-8 only, a bounded JSON nesting depth and no repeated key in
// an object, checked before parsing, with precise errors.

import { isUtf8 } from "node:buffer";
import { doubleIsExact, parseDecimal } from "../compile/decimal.js";
import { lineCol } from "../diagnostics.js";

export class BodyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Where in the text the problem is, when it is at one place (for a caller that names the file and line). */
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** `line:column` (1-based) of `offset` in `text`. */
function at(text: string, offset: number): string {
  const { line, col } = lineCol(text, offset);
  return `${line}:${col}`;
}

/**
 * Throws BodyError when brackets nest deeper than `maxDepth`, when a number would not be read exactly, or when an object names a key twice (strings are
 * skipped, escapes honoured; keys compare after unescaping). JSON.parse keeps the last of repeated keys, while
 * another reader of the same text may take the first: `{"amount": 48000, "amount": 5}` would be decided on 5
 * and paid as 48000. Text that is not valid JSON is left for JSON.parse to report.
 */
export function checkDepth(text: string, maxDepth: number): void {
  // per open bracket: the keys seen so far (objects) or null (arrays)
  const keys: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) {
          escaped = true;
          i++;
        } else if (d === 34) break;
      }
      const top = keys[keys.length - 1];
      if (expectKey && top) {
        let key = text.slice(start + 1, i);
        if (escaped) {
          try {
            key = JSON.parse(text.slice(start, i + 1)) as string;
          } catch {
            return; // not valid JSON: JSON.parse reports it
          }
        }
        if (top.has(key)) throw new BodyError("DUPLICATE_KEY", `JSON object has the key ${JSON.stringify(key)} twice (the second at ${at(text, start)}); send each key once`, start);
        top.add(key);
      }
      expectKey = false;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (keys.length + 1 > maxDepth) throw new BodyError("JSON_TOO_DEEP", `request body nests deeper than ${maxDepth} levels (at ${at(text, i)})`, i);
      keys.push(c === 123 ? new Set() : null);
      expectKey = c === 123;
    } else if (c === 125 || c === 93) {
      keys.pop();
      expectKey = false;
    } else if (c === 44 /* , */) expectKey = keys[keys.length - 1] != null;
    else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const start = i;
      while (i + 1 < text.length && NUMBER_CHAR.test(text[i + 1] as string)) i++;
      const why = inexactNumber(text.slice(start, i + 1));
      if (why !== null) throw new BodyError("LOSSY_NUMBER", `the number ${text.slice(start, Math.min(i + 1, start + 40))} at ${at(text, start)} ${why}; send it as a string ("…") to be compared as an exact decimal`, start);
    }
  }
}

const NUMBER_CHAR = /[0-9eE.+-]/;

/**
 * Why JSON.parse would not give this number token's exact value, or null. A double holds ~15-17 significant
 * digits: `10000.0000000000001` would be read as 10000 and pass a `gt: 10000` check it fails; `1e400` becomes
 * Infinity and `1e-400` zero. Short tokens without an exponent are always exact to their shortest form.
 */
function inexactNumber(token: string): string | null {
  const hasExp = token.includes("e") || token.includes("E");
  if (!hasExp && token.length <= 15) return null; // at most 15 digits: every such decimal round-trips through a double
  const d = parseDecimal(token);
  if (d === undefined) return null; // not a JSON number: JSON.parse reports it
  const n = Number(token);
  if (!Number.isFinite(n)) return "is beyond the range of a double";
  return doubleIsExact(d) ? null : d.sign !== 0 && n === 0 ? "is too small for a double (it would be read as 0)" : "has more digits than a double holds (it would be rounded)";
}

/** Parses a JSON request body with a line:column position on error. */
/**
 * The body as text, refusing bytes that are not UTF-8. Decoding would replace them with U+FFFD, and the action
 * would be decided on text the caller never sent (`evil\xff-co` is not `evil-co` here, but may be to the tool).
 */
export function decodeBody(body: Buffer): string {
  if (!isUtf8(body)) throw new BodyError("INVALID_UTF8", "request body is not valid UTF-8; send JSON encoded as UTF-8");
  return body.toString("utf8");
}

export function parseBody(text: string, maxDepth: number): unknown {
  if (text.trim() === "") throw new BodyError("EMPTY_BODY", "request body is empty; send a JSON object");
  if (text.charCodeAt(0) === 0xfeff) throw new BodyError("INVALID_JSON", "request body is not valid JSON at 1:1: it starts with a byte order mark (U+FEFF); send JSON without one", 0);
  checkDepth(text, maxDepth);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const offset = jsonErrorOffset(msg, text);
    throw new BodyError("INVALID_JSON", `request body is not valid JSON${offset === undefined ? "" : ` at ${at(text, offset)}`}: ${msg}`, offset);
  }
}

/**
 * Where JSON.parse stopped, from V8's message: `at position N`, or the end for `Unexpected end of JSON input`;
 * undefined when the message names no place (a position guessed would point at the wrong character).
 */
export function jsonErrorOffset(message: string, text: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  if (m) return Number(m[1]);
  return /end of JSON input/.test(message) ? text.length : undefined;
}
