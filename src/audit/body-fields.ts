// Reads the few top-level fields verification needs (v, id, log, seq, inputHash, input) from a record body's
// JSON text without parsing the rest: the body is ~1 KB, mostly reasons and obligations that verification
// never looks at once a signature vouches for the bytes, and JSON.parse of all of it was a fifth of the
// per-record cost. Values are skipped by structure (strings through indexOf), never interpreted.

export interface BodyFields {
  v: unknown;
  id: unknown;
  log: unknown;
  seq: unknown;
  inputHash: unknown;
  input: unknown;
}

const WANTED: ReadonlySet<string> = new Set(["v", "id", "log", "seq", "inputHash", "input"]);

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** Index just past the string that opens at `i` (a quote), or -1 when it never closes. */
function skipString(s: string, i: number): number {
  let q = s.indexOf('"', i + 1);
  while (q >= 0) {
    // A quote ends the string unless an odd number of backslashes precede it.
    let b = q - 1;
    while (s.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    q = s.indexOf('"', q + 1);
  }
  return -1;
}

/** Index just past the JSON value that starts at `i`, or -1 when it is cut short or unbalanced. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(s, j) - 1;
        if (j < 0) return -1;
      } else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A scalar (number, true, false, null) runs to the next separator.
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET) break;
    j++;
  }
  return j > i ? j : -1;
}

/** A value's text as a JS value: plain strings and small integers directly, anything else through JSON.parse. */
function valueOf(text: string): unknown {
  const n = text.length;
  if (n >= 2 && text.charCodeAt(0) === QUOTE && text.indexOf("\\") < 0) return text.slice(1, -1);
  if (n > 0 && n <= 15) {
    let v = 0;
    let k = 0;
    for (; k < n; k++) {
      const d = text.charCodeAt(k) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (k === n && (n === 1 || text.charCodeAt(0) !== 48)) return v;
  }
  return JSON.parse(text) as unknown;
}

/** The fields, or what is wrong with the body's shape (not an object, cut short, a field missing or repeated). */
export function readBodyFields(body: string): BodyFields | string {
  if (body.charCodeAt(0) !== OPEN_BRACE) return "record is not a JSON object";
  const found: Record<string, unknown> = {};
  let i = 1;
  let closed = body === "{}";
  while (!closed && i < body.length) {
    if (body.charCodeAt(i) !== QUOTE) return `record is not well-formed JSON at byte ${i}`;
    const keyEnd = skipString(body, i);
    if (keyEnd < 0 || body.charCodeAt(keyEnd) !== COLON) return `record is not well-formed JSON at byte ${i}`;
    const rawKey = body.slice(i + 1, keyEnd - 1);
    const valueEnd = skipValue(body, keyEnd + 1);
    if (valueEnd < 0) return `record is not well-formed JSON at byte ${keyEnd + 1}`;
    const key = rawKey.indexOf("\\") < 0 ? rawKey : (JSON.parse(`"${rawKey}"`) as string);
    if (WANTED.has(key)) {
      if (Object.prototype.hasOwnProperty.call(found, key)) return `record has field \`${key}\` twice`;
      try {
        found[key] = valueOf(body.slice(keyEnd + 1, valueEnd));
      } catch {
        return `record field \`${key}\` is not well-formed JSON`;
      }
    }
    const sep = body.charCodeAt(valueEnd);
    if (sep === CLOSE_BRACE) {
      if (valueEnd !== body.length - 1) return `record has bytes after its end (byte ${valueEnd + 1})`;
      closed = true;
    } else if (sep !== COMMA) return `record is not well-formed JSON at byte ${valueEnd}`;
    i = valueEnd + 1;
  }
  if (!closed) return "record is cut short";
  for (const key of WANTED) if (!Object.prototype.hasOwnProperty.call(found, key)) return `record has no \`${key}\``;
  return found as unknown as BodyFields;
}
