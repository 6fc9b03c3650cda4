// RFC 8785 JSON Canonicalization Scheme, strict: anything that is not plain JSON data is an error.
//
// Shape of the implementation, and why:
// - a recursive writer for the common case (shallow actions, ~µs), with no per-node path strings, Sets
//   or allocations beyond the output: the path of an offending value is rebuilt only when an error unwinds;
// - past RECURSION_LIMIT levels it hands the subtree to an iterative writer with an explicit stack, so a
//   10,000-level (or 1,000,000-level) document never overflows the JS stack;
// - cycles can only make nesting deeper, so the recursive writer only counts depth: a cycle drives it to
//   RECURSION_LIMIT, where the iterative writer (which keeps the open containers in a Set) catches it;
//   then, and only then, the value is walked again tracking ancestors so the error names the shortest
//   path to the cycle.
import { isWellFormed, wellFormedText } from "./well-formed.js";

export class CanonicalizationError extends Error {
  constructor(
    message: string,
    /** JSON-pointer path to the offending value, e.g. `/args/amount` ("" for the root). */
    readonly path: string,
  ) {
    // the path may hold the very lone surrogate it points at: the message stays text JSON can carry
    super(`${message} at \`${wellFormedText(path || "/")}\``);
    this.name = "CanonicalizationError";
  }
}

/** Recursion depth after which the iterative writer takes over (well under any default JS stack). */
const RECURSION_LIMIT = 256;
/** Hard cap on nesting; beyond it the input is rejected (memory, not the stack, is the limit). */
export const MAX_DEPTH = 1_000_000;

/** Internal error: collects path segments innermost-first while it unwinds. */
class Fault {
  readonly segments: Array<string | number> = [];
  constructor(readonly message: string) {}
}

/** Serializes `value` per RFC 8785. Throws CanonicalizationError on non-JSON data. */
export function canonicalize(value: unknown): string {
  try {
    return writeValue(value, 0, null);
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    if (e.message === CYCLE) {
      try {
        writeValue(value, 0, []);
      } catch (precise) {
        if (precise instanceof Fault) throw new CanonicalizationError(precise.message, pointer(precise.segments.reverse()));
        throw precise;
      }
    }
    throw new CanonicalizationError(e.message, pointer(e.segments.reverse()));
  }
}

const CYCLE = "cyclic value";

/** The JCS form of one string (for writers of fixed schemas that assemble JCS by hand). */
export function canonicalString(s: string): string {
  try {
    return quote(s);
  } catch (e) {
    if (e instanceof Fault) throw new CanonicalizationError(e.message, "");
    throw e;
  }
}

/** Same as canonicalize, as UTF-8 bytes (what gets hashed and signed). */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), "utf8");
}

function pointer(segments: Array<string | number>): string {
  let p = "";
  for (const s of segments) p += "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1");
  return p;
}

/** Characters that need escaping, or a surrogate that needs a pairing check. Most strings have none. */
const NEEDS_CARE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function quote(s: string): string {
  // One regex test per string: measured faster here than a char-code loop, even for short strings.
  if (!NEEDS_CARE.test(s)) return '"' + s + '"';
  // JSON.stringify escapes exactly as RFC 8785 requires for well-formed strings (and is native-fast).
  if (!isWellFormed(s)) throw new Fault("string holds a lone surrogate");
  return JSON.stringify(s);
}

/** Quoted object keys, memoized: the same few keys recur in every record (bounded, so input cannot grow it). */
const quotedKeys = new Map<string, string>();
function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = quote(k);
    if (quotedKeys.size < 4096 && k.length <= 64) quotedKeys.set(k, q);
  }
  return q;
}

/** UTF-16 code unit order (what RFC 8785 §3.2.3 asks for); a comparator beats the default's ToString. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorts keys by code units: insertion sort for the few keys JSON objects usually have (no call per compare). */
function sortKeys(keys: string[]): void {
  const n = keys.length;
  if (n > 12) {
    keys.sort(byCodeUnits);
    return;
  }
  for (let i = 1; i < n; i++) {
    const k = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > k) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = k;
  }
}

function scalar(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return quote(v);
    case "number":
      if (v !== v || v === Infinity || v === -Infinity) throw new Fault(`non-finite number \`${String(v)}\``);
      // ES6 Number-to-string is exactly RFC 8785's number serialization; -0 becomes "0" either way.
      return "" + v;
    case "boolean":
      return v ? "true" : "false";
    case "object":
      return v === null ? "null" : undefined;
    default:
      throw new Fault(v === undefined ? "undefined is not JSON data" : `${typeof v} is not JSON data`);
  }
}

function checkPlainObject(v: object): void {
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
    throw new Fault(`${typeof name === "string" && name ? name : "exotic"} object is not JSON data`);
  }
}

/** `ancestors` is null on the fast path; an array when a cycle's shortest path is being found. */
function writeValue(v: unknown, depth: number, ancestors: object[] | null): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  const obj = v as object;
  if (depth >= RECURSION_LIMIT) return writeIterative(obj, depth, ancestors);
  if (ancestors !== null) {
    if (ancestors.includes(obj)) throw new Fault(CYCLE);
    ancestors.push(obj);
  }
  let out: string;
  if (Array.isArray(obj)) {
    out = "[";
    let i = 0;
    try {
      for (; i < obj.length; i++) {
        const child: unknown = obj[i];
        if (child === undefined && !(i in obj)) throw new Fault("sparse array hole");
        out += (i === 0 ? "" : ",") + writeValue(child, depth + 1, ancestors);
      }
    } catch (e) {
      if (e instanceof Fault) e.segments.push(i);
      throw e;
    }
    out += "]";
  } else {
    checkPlainObject(obj);
    const keys = Object.keys(obj);
    if (keys.length > 1) sortKeys(keys);
    out = "{";
    let k = "";
    try {
      for (let i = 0; i < keys.length; i++) {
        k = keys[i] as string;
        out += (i === 0 ? "" : ",") + quoteKey(k) + ":" + writeValue((obj as Record<string, unknown>)[k], depth + 1, ancestors);
      }
    } catch (e) {
      if (e instanceof Fault) e.segments.push(k);
      throw e;
    }
    out += "}";
  }
  ancestors?.pop();
  return out;
}

/** One open container on the iterative writer's stack. */
interface Frame {
  obj: object;
  keys: string[] | null; // null for arrays
  next: number;
  length: number;
}

/** Writes a deep subtree without recursion; `outerDepth` containers enclose it (the recursive writer's). */
function writeIterative(root: object, outerDepth: number, outer: object[] | null): string {
  const onPath = new Set<object>(outer);
  const stack: Frame[] = [];
  let out = "";
  const open = (obj: object): void => {
    if (outerDepth + stack.length >= MAX_DEPTH) throw new Fault(`nesting deeper than ${MAX_DEPTH}`);
    if (onPath.has(obj)) throw new Fault(CYCLE);
    onPath.add(obj);
    if (Array.isArray(obj)) {
      stack.push({ obj, keys: null, next: 0, length: obj.length });
      out += "[";
    } else {
      checkPlainObject(obj);
      const keys = Object.keys(obj);
      sortKeys(keys);
      stack.push({ obj, keys, next: 0, length: keys.length });
      out += "{";
    }
  };
  try {
    open(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Frame;
      if (top.next === top.length) {
        out += top.keys === null ? "]" : "}";
        onPath.delete(top.obj);
        stack.pop();
        continue;
      }
      const i = top.next++;
      if (i > 0) out += ",";
      let child: unknown;
      if (top.keys === null) {
        child = (top.obj as unknown[])[i];
        if (child === undefined && !(i in top.obj)) throw new Fault("sparse array hole");
      } else {
        const k = top.keys[i] as string;
        out += quoteKey(k) + ":";
        child = (top.obj as Record<string, unknown>)[k];
      }
      const s = scalar(child);
      if (s !== undefined) out += s;
      else open(child as object);
    }
  } catch (e) {
    if (e instanceof Fault) {
      // The failing child is at index `next - 1` of each open frame, innermost first.
      for (let j = stack.length - 1; j >= 0; j--) {
        const f = stack[j] as Frame;
        if (f.next === 0) continue; // a frame that failed while opening has no current child
        e.segments.push(f.keys === null ? f.next - 1 : (f.keys[f.next - 1] as string));
      }
    }
    throw e;
  }
  return out;
}
