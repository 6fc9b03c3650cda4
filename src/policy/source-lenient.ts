// The `yaml` package's reading of policy text, for what js-yaml's strict parser refuses: the errors users saw before,
// and texts that package accepts (a flow list's closing `]` at its key's indentation, as many policies are written).
import { createRequire } from "node:module";
import type { ParsedSource } from "./source.js";

type Yaml = typeof import("yaml");
type YamlNode = import("yaml").Node;

// Loaded on first use: importing the package costs ~140 ms in a fresh process, and most policies never need it.
let yamlModule: Yaml | undefined;
function yaml(): Yaml {
  return (yamlModule ??= createRequire(import.meta.url)("yaml") as Yaml);
}

/** Tags a node may carry: they restate what it is. Any other tag is refused, as on the strict path. */
const PLAIN_TAGS: ReadonlySet<string> = new Set(["tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "!"]);

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
  for (const e of doc.warnings) report(e.pos[0], e.message.split("\n")[0]?.toLowerCase() ?? "yaml warning", undefined, "SYNTAX_ERROR", "warning");

  const tagRefused = (n: YamlNode): boolean => {
    if (n.tag === undefined || PLAIN_TAGS.has(n.tag)) return false;
    report(n.range?.[0] ?? 0, `yaml tag \`${n.tag}\` is not supported in policies`, "write the value without a tag; quote it to make it a string");
    return true;
  };
  const walk = (node: unknown, path: string): unknown => {
    const n = node as YamlNode | null;
    if (n && n.range) out.positions.set(path, n.range[0]);
    if (n && !isAlias(n) && tagRefused(n)) return null;
    if (isMap(n)) {
      // Keys are defined, never assigned, so `__proto__` stays plain data (and values stay printable).
      const obj: Record<string, unknown> = {};
      for (const item of n.items) {
        if (!isPair(item)) continue;
        const keyNode = item.key as YamlNode | null;
        if (keyNode !== null && !isScalar(keyNode)) {
          report(keyNode.range?.[0] ?? 0, "mapping keys in a policy must be plain values (no lists, mappings, tags, anchors or aliases as keys)");
          continue;
        }
        const key = String(keyNode?.value ?? null);
        const childPath = path === "" ? key : `${path}.${key}`;
        if (keyNode?.range) out.keyPositions.set(childPath, keyNode.range[0]);
        if (Object.prototype.hasOwnProperty.call(obj, key)) {
          report(keyNode?.range?.[0] ?? 0, `map keys must be unique: \`${key}\` appears twice`, "remove or rename one of them", "DUPLICATE_KEY");
          continue;
        }
        Object.defineProperty(obj, key, { value: walk(item.value, childPath), enumerable: true, writable: true, configurable: true });
        if (!out.positions.has(childPath) && keyNode?.range) out.positions.set(childPath, keyNode.range[0]);
      }
      return obj;
    }
    if (isSeq(n)) return n.items.map((item, i) => walk(item, path === "" ? String(i) : `${path}.${i}`));
    if (isScalar(n)) {
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
