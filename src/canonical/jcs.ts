// RFC 8785 JSON Canonicalization Scheme, strict: anything that is not plain JSON data is an error.

export class CanonicalizationError extends Error {
  constructor(
    message: string,
    /** JSON-pointer-like path to the offending value, e.g. `/args/amount`. */
    readonly path: string,
  ) {
    super(`${message} at \`${path || "/"}\``);
    this.name = "CanonicalizationError";
  }
}

const MAX_DEPTH = 100_000;

/** Serializes `value` per RFC 8785. Throws CanonicalizationError on non-JSON data. */
export function canonicalize(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, "", new Set(), 0);
  return parts.join("");
}

function write(v: unknown, out: string[], path: string, seen: Set<object>, depth: number): void {
  switch (typeof v) {
    case "string":
      out.push(quote(v, path));
      return;
    case "number":
      if (!Number.isFinite(v)) throw new CanonicalizationError(`non-finite number \`${String(v)}\``, path);
      // ES6 Number-to-string is exactly RFC 8785's number serialization (and -0 becomes 0).
      out.push(Object.is(v, -0) ? "0" : String(v));
      return;
    case "boolean":
      out.push(v ? "true" : "false");
      return;
    case "object":
      break;
    default:
      throw new CanonicalizationError(`${typeof v} is not JSON data`, path);
  }
  if (v === null) {
    out.push("null");
    return;
  }
  if (depth > MAX_DEPTH) throw new CanonicalizationError(`nesting deeper than ${MAX_DEPTH}`, path);
  if (seen.has(v)) throw new CanonicalizationError("cyclic value", path);
  seen.add(v);
  if (Array.isArray(v)) {
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(",");
      if (!(i in v)) throw new CanonicalizationError("sparse array hole", `${path}/${i}`);
      write(v[i], out, `${path}/${i}`, seen, depth + 1);
    }
    out.push("]");
  } else {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalizationError(`${(v as object).constructor?.name ?? "exotic"} object is not JSON data`, path);
    }
    // Keys sort by UTF-16 code units, which is what JS string comparison does.
    const keys = Object.keys(v).sort();
    out.push("{");
    let first = true;
    for (const k of keys) {
      const child = (v as Record<string, unknown>)[k];
      const childPath = `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      if (child === undefined) throw new CanonicalizationError("undefined is not JSON data", childPath);
      if (!first) out.push(",");
      first = false;
      out.push(quote(k, childPath));
      out.push(":");
      write(child, out, childPath, seen, depth + 1);
    }
    out.push("}");
  }
  seen.delete(v);
}

// Matches a lone (unpaired) surrogate.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function quote(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new CanonicalizationError("string holds a lone surrogate", path);
  // JSON.stringify escapes exactly as RFC 8785 requires for well-formed strings.
  return JSON.stringify(s);
}
