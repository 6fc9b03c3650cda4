// Request-body guards for the sidecar: a bounded JSON nesting depth checked before parsing, precise errors.

export class BodyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Throws BodyError when brackets nest deeper than `maxDepth` (strings are skipped, escapes honoured). */
export function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) throw new BodyError("JSON_TOO_DEEP", `request body nests deeper than ${maxDepth} levels (at offset ${i})`);
    } else if (c === 125 || c === 93) depth--;
  }
}

/** Parses a JSON request body with a line:column position on error. */
export function parseBody(text: string, maxDepth: number): unknown {
  if (text.trim() === "") throw new BodyError("EMPTY_BODY", "request body is empty; send a JSON object");
  checkDepth(text, maxDepth);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    const offset = m ? Number(m[1]) : text.length;
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const col = offset - before.lastIndexOf("\n");
    throw new BodyError("INVALID_JSON", `request body is not valid JSON at ${line}:${col}: ${msg}`);
  }
}
