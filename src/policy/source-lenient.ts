// The `yaml` package's reading of policy text, for what js-yaml's strict parser refuses: the errors users saw before,
// and texts that package accepts (a flow list's closing `]` at its key's indentation, as many policies are written).
import { createRequire } from "node:module";
import { joinPath, type ParsedSource } from "./source.js";

type Yaml = typeof import("yaml");
type YamlNode = import("yaml").Node;

// Loaded on first use: importing the package costs ~140 ms in a fresh process, and most policies never need it.
let yamlModule: Yaml | undefined;
function yaml(): Yaml {
  return (yamlModule ??= createRequire(import.meta.url)("yaml") as Yaml);
}

const CORE = "tag:yaml.org,2002:";
/** A tag as written: `!!str` rather than its resolved name. */
const shownTag = (tag: string): string => (tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag);
/** `%` directive lines before the first `---` (the only place they can be). */
const DIRECTIVES = /^(?:%[^\n]*\r?\n|#[^\n]*\r?\n|[ \t]*\r?\n)*---/;

/**
 * Fills `out` (value, offsets, number texts, diagnostics) from the `yaml` package's document. `report` adds a
 * diagnostic at a source offset.
 */
export function parseLenient(
  out: ParsedSource,
  report: (offset: number, message: string, help?: string, code?: string, severity?: "error" | "warning") => void,
): void {
  const { isAlias, isMap, isPair, isScalar, isSeq, parseDocument } = yaml();
  const text = out.text;
  const doc = parseDocument(text, { uniqueKeys: true, merge: false, prettyErrors: false, version: "1.2" });
  for (const e of doc.errors) report(e.pos[0], e.message.split("\n")[0]?.toLowerCase() ?? "syntax error", undefined, e.code === "DUPLICATE_KEY" ? "DUPLICATE_KEY" : "SYNTAX_ERROR");
  if (doc.errors.length > 0) return;
  // The same refusals as the strict path: only YAML 1.2, no %TAG.
  const head = DIRECTIVES.exec(text)?.[0] ?? "";
  for (const m of head.matchAll(/^%(\S+)[ \t]*(\S*)/gm)) {
    if (m[1] === "YAML" && m[2] === "1.2") continue;
    report(m.index ?? 0, m[1] === "YAML" ? `policies are yaml 1.2, this file declares \`%YAML ${m[2]}\`` : `\`%${m[1]}\` directives are not supported in policies`, "remove the directive");
    return;
  }
  for (const e of doc.warnings) report(e.pos[0], e.message.split("\n")[0]?.toLowerCase() ?? "yaml warning", undefined, "SYNTAX_ERROR", "warning");

  /** A tag that only restates the node's kind (`!!str` on a scalar, `!!map`, `!!seq`, or `!`) is accepted. */
  const tagRefused = (n: YamlNode, kind: "str" | "map" | "seq"): boolean => {
    if (n.tag === undefined || n.tag === "!" || n.tag === CORE + kind) return false;
    report(n.range?.[0] ?? 0, `yaml tag \`${shownTag(n.tag)}\` is not supported in policies`, "write the value without a tag; quote it to make it a string");
    return true;
  };
  const walk = (node: unknown, path: string): unknown => {
    const n = node as YamlNode | null;
    if (n && n.range) out.positions.set(path, n.range[0]);
    if (isMap(n)) {
      if (tagRefused(n, "map")) return null;
      // Keys are defined, never assigned, so `__proto__` stays plain data (and values stay printable).
      const obj: Record<string, unknown> = {};
      for (const item of n.items) {
        if (!isPair(item)) continue;
        const keyNode = item.key as YamlNode | null;
        if (keyNode === null || (isScalar(keyNode) && keyNode.range != null && keyNode.range[0] === keyNode.range[1])) {
          report(keyNode?.range?.[0] ?? n.range?.[0] ?? 0, "a mapping key is missing (a `:` with nothing before it)", "write the key before the `:`, or remove the stray `:`");
          continue;
        }
        if ((!isScalar(keyNode) || keyNode.tag !== undefined || keyNode.anchor !== undefined)) {
          report(keyNode.range?.[0] ?? 0, "mapping keys in a policy must be plain values (no lists, mappings, tags, anchors or aliases as keys)");
          continue;
        }
        const key = String(keyNode.value);
        const childPath = joinPath(path, key);
        if (keyNode.range) out.keyPositions.set(childPath, keyNode.range[0]);
        if (Object.prototype.hasOwnProperty.call(obj, key)) {
          report(keyNode.range?.[0] ?? 0, `map keys must be unique: \`${key}\` appears twice`, "remove or rename one of them", "DUPLICATE_KEY");
          continue;
        }
        Object.defineProperty(obj, key, { value: walk(item.value, childPath), enumerable: true, writable: true, configurable: true });
        if (!out.positions.has(childPath) && keyNode.range) out.positions.set(childPath, keyNode.range[0]);
      }
      return obj;
    }
    if (isSeq(n)) return tagRefused(n, "seq") ? null : n.items.map((item, i) => walk(item, joinPath(path, i)));
    if (isScalar(n)) {
      if (tagRefused(n, "str")) return null;
      if (typeof n.value === "number" && n.range) out.numberText.set(path, text.slice(n.range[0], n.range[1]).trim());
      return n.value;
    }
    if (isAlias(n)) {
      // Aliases could multiply a small file into a huge policy (billion laughs); policies spell things out.
      report(n.range?.[0] ?? 0, "yaml aliases (`*name`) are not supported in policies", "write the value out, or use `lists:` / rule groups to share it");
      return null;
    }
    return null;
  };
  out.value = walk(doc.contents, "");
}
