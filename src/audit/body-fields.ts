// Reads the few top-level fields verification needs (v, id, log, seq, inputHash, input) from a record body's
// JSON text without parsing the rest: the body is ~1 KB, mostly reasons and obligations that verification
// never looks at once a signature vouches for the bytes, and JSON.parse of all of it was a fifth of the
// per-record cost. Works on the UTF-8 bytes (a loop over a Uint8Array is several times faster than over a
// string's char codes); values are skipped by structure, never interpreted.

export interface BodyFields {
  v: unknown;
  id: unknown;
  log: unknown;
  seq: unknown;
  inputHash: unknown;
  input: unknown;
}

const WANTED = ["v", "id", "log", "seq", "inputHash", "input"] as const;
const INPUT = WANTED.indexOf("input");
const WANTED_BYTES: readonly Uint8Array[] = WANTED.map((k) => Buffer.from(k, "latin1"));

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** Index just past the string that opens at `i` (a quote), or -1 when it never closes. */
function skipString(b: Uint8Array, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    const c = b[j] as number;
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) j++;
  }
  return -1;
}

/** Index just past the JSON value that starts at `i`, or -1 when it is cut short or unbalanced. */
function skipValue(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < b.length; j++) {
      const d = b[j] as number;
      if (d === QUOTE) {
        // strings inline: most of a record's bytes are inside them
        for (j++; j < b.length; j++) {
          const e = b[j] as number;
          if (e === QUOTE) break;
          if (e === BACKSLASH) j++;
        }
        if (j >= b.length) return -1;
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
  while (j < b.length) {
    const d = b[j];
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET) break;
    j++;
  }
  return j > i ? j : -1;
}

/** The value in b[start, end) as a JS value: plain strings and small integers directly, anything else through JSON.parse. */
function valueOf(b: Buffer, start: number, end: number): unknown {
  const n = end - start;
  if (n >= 2 && b[start] === QUOTE) {
    let k = start + 1;
    while (k < end - 1 && b[k] !== BACKSLASH) k++;
    if (k === end - 1) return b.toString("utf8", start + 1, end - 1);
  }
  if (n > 0 && n <= 15 && (n === 1 || b[start] !== 48)) {
    let v = 0;
    let k = start;
    for (; k < end; k++) {
      const d = (b[k] as number) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (k === end) return v;
  }
  return JSON.parse(b.toString("utf8", start, end)) as unknown;
}

const INPUT_HEAD = Buffer.from('{"hash":"', "latin1");
const INPUT_MODE = Buffer.from('","mode":"', "latin1");

/** Whether b[start, end) holds no quote, backslash or control byte (a JSON string's text that needs no decoding). */
function plainText(b: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const c = b[k] as number;
    if (c === QUOTE || c === BACKSLASH || c < 0x20) return false;
  }
  return true;
}

/**
 * The `input` value: `{"hash":"…","mode":"…"}` with plain texts (what Warden writes) is read directly; anything
 * else goes through valueOf (JSON.parse), which was a tenth of the walk's cost for this one small object.
 */
function inputOf(b: Buffer, start: number, end: number): unknown {
  const head = INPUT_HEAD.length;
  if (end - start >= head + INPUT_MODE.length + 2 && b[end - 1] === CLOSE_BRACE && b[end - 2] === QUOTE && b.compare(INPUT_HEAD, 0, head, start, start + head) === 0) {
    const mid = b.indexOf(INPUT_MODE, start + head);
    const modeStart = mid + INPUT_MODE.length;
    if (mid >= 0 && modeStart <= end - 2 && plainText(b, start + head, mid) && plainText(b, modeStart, end - 2)) {
      return { hash: b.toString("utf8", start + head, mid), mode: b.toString("utf8", modeStart, end - 2) };
    }
  }
  return valueOf(b, start, end);
}

/** Which wanted field the key in b[start, end) (between its quotes) names, or -1; compared as bytes, no string made. */
function wantedIndex(b: Uint8Array, start: number, end: number): number {
  keys: for (let k = 0; k < WANTED_BYTES.length; k++) {
    const w = WANTED_BYTES[k] as Uint8Array;
    if (w.length !== end - start) continue;
    for (let i = 0; i < w.length; i++) if (b[start + i] !== w[i]) continue keys;
    return k;
  }
  return -1;
}

/**
 * The fields, or what is wrong with the body's shape (not an object, cut short, a field missing or repeated).
 * `body` is the record's JSON as UTF-8 bytes (a key written with escapes is not recognized: it reads as missing).
 */
export function readBodyFields(body: Buffer): BodyFields | string {
  if (body[0] !== OPEN_BRACE) return "record is not a JSON object";
  const values: unknown[] = new Array(WANTED.length);
  const seen: boolean[] = WANTED.map(() => false);
  let i = 1;
  let closed = body.length === 2 && body[1] === CLOSE_BRACE;
  while (!closed && i < body.length) {
    if (body[i] !== QUOTE) return `record is not well-formed JSON at byte ${i}`;
    const keyEnd = skipString(body, i);
    if (keyEnd < 0 || body[keyEnd] !== COLON) return `record is not well-formed JSON at byte ${i}`;
    const valueEnd = skipValue(body, keyEnd + 1);
    if (valueEnd < 0) return `record is not well-formed JSON at byte ${keyEnd + 1}`;
    const k = wantedIndex(body, i + 1, keyEnd - 1);
    if (k >= 0) {
      if (seen[k]) return `record has field \`${WANTED[k] as string}\` twice`;
      seen[k] = true;
      try {
        values[k] = k === INPUT ? inputOf(body, keyEnd + 1, valueEnd) : valueOf(body, keyEnd + 1, valueEnd);
      } catch {
        return `record field \`${WANTED[k] as string}\` is not well-formed JSON`;
      }
    }
    const sep = body[valueEnd];
    if (sep === CLOSE_BRACE) {
      if (valueEnd !== body.length - 1) return `record has bytes after its end (byte ${valueEnd + 1})`;
      closed = true;
    } else if (sep !== COMMA) return `record is not well-formed JSON at byte ${valueEnd}`;
    i = valueEnd + 1;
  }
  if (!closed) return "record is cut short";
  for (let k = 0; k < WANTED.length; k++) if (!seen[k]) return `record has no \`${WANTED[k] as string}\``;
  return { v: values[0], id: values[1], log: values[2], seq: values[3], inputHash: values[4], input: values[5] };
}
