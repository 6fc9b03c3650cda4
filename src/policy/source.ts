// Parses policy text (YAML or JSON) into plain data plus a map from data paths to source positions.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import type { Diagnostic, SourceSpan } from "../diagnostics.js";

/** Plain data as parsed, with positions: `positions.get("rules.0.when")` is where that value starts. */
export interface ParsedSource {
  file: string;
  value: unknown;
  positions: Map<string, SourceSpan>;
  /** Positions of mapping keys (for "unknown field" errors): `keyPositions.get("rules.0.verdct")`. */
  keyPositions: Map<string, SourceSpan>;
  /** Exact source text of numeric scalars, so thresholds compare as written, not as rounded doubles. */
  numberText: Map<string, string>;
  diagnostics: Diagnostic[];
}

/** Joins a data path: `joinPath("rules", 0)` is `rules.0`. */
export function joinPath(base: string, key: string | number): string {
  return base === "" ? String(key) : `${base}.${key}`;
}

export function parseSource(text: string, file: string): ParsedSource {
  const lineCounter = new LineCounter();
  const out: ParsedSource = {
    file,
    value: undefined,
    positions: new Map(),
    keyPositions: new Map(),
    numberText: new Map(),
    diagnostics: [],
  };
  const span = (offset: number, path?: string): SourceSpan => {
    const { line, col } = lineCounter.linePos(offset);
    return path === undefined ? { file, line: Math.max(line, 1), col } : { file, line: Math.max(line, 1), col, path };
  };
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
    version: "1.2",
  });
  for (const e of [...doc.errors, ...doc.warnings]) {
    out.diagnostics.push({
      code: e.code === "DUPLICATE_KEY" ? "DUPLICATE_KEY" : "SYNTAX_ERROR",
      severity: doc.errors.includes(e as never) ? "error" : "warning",
      message: e.message.split("\n")[0]?.toLowerCase() ?? "syntax error",
      span: span(e.pos[0]),
    });
  }
  if (doc.errors.length > 0) return out;

  const walk = (node: unknown, path: string): unknown => {
    const n = node as YamlNode | null;
    if (n && n.range) out.positions.set(path, span(n.range[0], path));
    if (isMap(n)) {
      // Keys are defined, never assigned, so `__proto__` stays plain data (and values stay printable).
      const obj: Record<string, unknown> = {};
      for (const item of n.items) {
        if (!isPair(item)) continue;
        const keyNode = item.key as YamlNode | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const childPath = joinPath(path, key);
        if (keyNode && keyNode.range) out.keyPositions.set(childPath, span(keyNode.range[0], childPath));
        Object.defineProperty(obj, key, { value: walk(item.value, childPath), enumerable: true, writable: true, configurable: true });
        if (!out.positions.has(childPath) && keyNode?.range) out.positions.set(childPath, span(keyNode.range[0], childPath));
      }
      return obj;
    }
    if (isSeq(n)) return n.items.map((item, i) => walk(item, joinPath(path, i)));
    if (isScalar(n)) {
      if (typeof n.value === "number" && n.range) out.numberText.set(path, text.slice(n.range[0], n.range[1]).trim());
      return n.value;
    }
    if (isAlias(n)) {
      // Aliases could multiply a small file into a huge policy (billion laughs); policies spell things out.
      out.diagnostics.push({ code: "SYNTAX_ERROR", severity: "error", message: "yaml aliases (`*name`) are not supported in policies", span: span(n.range?.[0] ?? 0, path), help: "write the value out, or use `lists:` / rule groups to share it" });
      return null;
    }
    return null;
  };
  out.value = walk(doc.contents, "");
  return out;
}

/** The best position for a path: the path itself, else its nearest ancestor. */
export function spanFor(src: ParsedSource, path: string, preferKey = false): SourceSpan {
  let p = path;
  for (;;) {
    const s = (preferKey ? src.keyPositions.get(p) : undefined) ?? src.positions.get(p);
    if (s) return { ...s, path };
    if (p === "") return { file: src.file, line: 1, col: 1, path };
    const i = p.lastIndexOf(".");
    p = i < 0 ? "" : p.slice(0, i);
  }
}
