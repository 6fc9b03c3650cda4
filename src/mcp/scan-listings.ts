// What a server says about itself reaches the agent's model as surely as a tool result does: its `instructions`
// (initialize) and the descriptions in tools/list, prompts/list, resources/list and resources/templates/list (a
// tool's description, title, the descriptions inside its inputSchema…). They are scanned for injected
// instructions like results; text with a finding is replaced by a notice naming what was found, and an entry
// whose identity (a tool's or prompt's name, a resource's uri) or an object key carries it is left out of the list.
import { isRecord } from "../policy/context.js";
import type { ResultScanner } from "./scan-results.js";

/** The list each listing method returns, and the field that names an entry (calls and reads use it as it is). */
export const LISTINGS: Readonly<Record<string, { key: string; id: string; what: string }>> = {
  "tools/list": { key: "tools", id: "name", what: "tool list" },
  "prompts/list": { key: "prompts", id: "name", what: "prompt list" },
  "resources/list": { key: "resources", id: "uri", what: "resource list" },
  "resources/templates/list": { key: "resourceTemplates", id: "uriTemplate", what: "resource template list" },
};

/** One piece of text found under a listed entry: where it is, and how to replace it (null: it cannot be, a key). */
interface Piece {
  field: string;
  text: string;
  set: ((text: string) => void) | null;
}

/** Every string value and every object key under `v`, with its path (`inputSchema.properties.path.description`). */
function pieces(v: unknown, field: string, set: Piece["set"], out: Piece[]): void {
  if (typeof v === "string") out.push({ field, text: v, set });
  else if (Array.isArray(v)) v.forEach((x, i) => pieces(x, field ? `${field}.${i}` : String(i), (t) => void (v[i] = t), out));
  else if (isRecord(v)) {
    for (const k of Object.keys(v)) {
      const at = field ? `${field}.${k}` : k;
      out.push({ field: `${at} (key)`, text: k, set: null });
      pieces(v[k], at, (t) => void (v[k] = t), out);
    }
  }
}

/**
 * Scans the pieces as one text, joined by newlines (an injection split across two fields is still seen), and
 * returns, for each piece any finding touches, the rules found there.
 */
function touched(scanner: ResultScanner, list: Piece[]): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  if (list.length === 0) return out;
  const starts: number[] = [];
  let at = 0;
  for (const p of list) {
    starts.push(at);
    at += p.text.length + 1;
  }
  for (const f of scanner.scan(list.map((p) => p.text).join("\n"))) {
    for (let i = 0; i < list.length; i++) {
      const start = starts[i] as number;
      const end = start + (list[i] as Piece).text.length;
      // a finding touches a piece when they overlap (an empty finding, the piece it is in)
      if ((f.start < end && f.end > start) || (f.start === f.end && f.start >= start && f.start <= end)) {
        let rules = out.get(i);
        if (rules === undefined) out.set(i, (rules = new Set()));
        rules.add(f.rule);
      }
    }
  }
  return out;
}

/** What the screening of one text found. */
export interface ListingFinding {
  /** The entry (a tool's name…), or `instructions`. */
  entry: string;
  /** Where in the entry (`description`, `inputSchema.properties.q.description`, `name`…). */
  field: string;
  rules: string[];
  /** replaced: the text is now a notice; removed: the entry was left out of the list. */
  outcome: "replaced" | "removed";
}

/** The text put in place of one that looks like injected instructions. */
export function notice(where: string, rules: Iterable<string>): string {
  return `[Warden removed this text: it looks like instructions injected into the server's ${where} (${[...rules].join(", ")})]`;
}

/**
 * A listing result (tools/list…) with its entries screened: a copy when anything was found (the original is
 * untouched), the result itself when nothing was. Entries that are not objects are passed on as they are.
 */
export function screenListing(scanner: ResultScanner, method: string, result: Record<string, unknown>): { result: Record<string, unknown>; findings: ListingFinding[] } {
  const spec = LISTINGS[method];
  const entries = spec === undefined ? undefined : result[spec.key];
  if (spec === undefined || !Array.isArray(entries)) return { result, findings: [] };
  const findings: ListingFinding[] = [];
  let changed = false;
  const kept: unknown[] = [];
  for (const entry of entries) {
    if (!isRecord(entry)) {
      kept.push(entry);
      continue;
    }
    const copy = structuredClone(entry);
    const list: Piece[] = [];
    pieces(copy, "", null, list);
    const hits = touched(scanner, list);
    if (hits.size === 0) {
      kept.push(entry);
      continue;
    }
    changed = true;
    const name = typeof entry[spec.id] === "string" ? (entry[spec.id] as string) : "?";
    // an entry's name or a key cannot be rewritten without changing what the agent would call or send: left out
    const removed = [...hits.keys()].some((i) => (list[i] as Piece).set === null || (list[i] as Piece).field === spec.id);
    for (const [i, rules] of hits) {
      const p = list[i] as Piece;
      findings.push({ entry: name, field: p.field, rules: [...rules], outcome: removed ? "removed" : "replaced" });
      if (!removed) p.set?.(notice(spec.what, rules));
    }
    if (!removed) kept.push(copy);
  }
  return changed ? { result: { ...result, [spec.key]: kept }, findings } : { result, findings };
}

/** The server's `instructions`, or a notice in their place when they look like injected instructions (with the rules found). */
export function screenInstructions(scanner: ResultScanner, instructions: string): { text: string; rules: string[] } {
  const rules = [...new Set(scanner.scan(instructions).map((f) => f.rule))];
  return rules.length === 0 ? { text: instructions, rules } : { text: notice("instructions", rules), rules };
}

/**
 * A notification from the server (a log or progress message, a task status, anything else it sends), with every
 * string in its params that looks like injected instructions replaced by a notice: clients show these to users and
 * some hand them to the model. All strings of the params are scanned as one text, so a phrase split across fields
 * (`logger` and `data`) is still seen. The notification itself when nothing was found; a copy with notices; or null
 * (drop it) when a finding is in an object key, which cannot be replaced.
 */
export function screenNotification<N extends { method: string; params?: Record<string, unknown> | undefined }>(scanner: ResultScanner, n: N): { notification: N | null; rules: string[] } {
  const params = n.params;
  if (!isRecord(params)) return { notification: n, rules: [] };
  // values joined without the keys between them (`logger` then `data` read as one sentence), keys on their own
  const [values, keys] = collect(params);
  const inValues = touched(scanner, values);
  const inKeys = touched(scanner, keys);
  if (inValues.size === 0 && inKeys.size === 0) return { notification: n, rules: [] };
  const rules = new Set<string>();
  for (const r of [...inValues.values(), ...inKeys.values()]) for (const rule of r) rules.add(rule);
  if (inKeys.size > 0) return { notification: null, rules: [...rules] };
  // the same walk over a copy lists the same pieces in the same order: replaced there, the original stays as it was
  const copy = structuredClone(params);
  const [targets] = collect(copy);
  const where = n.method === "notifications/message" ? "log message" : n.method === "notifications/progress" ? "progress message" : `\`${n.method}\` notification`;
  for (const [i, r] of inValues) (targets[i] as Piece).set?.(notice(where, r));
  return { notification: { ...n, params: copy }, rules: [...rules] };
}

/** The string values (replaceable) and the keys of a notification's params, each in walk order. */
function collect(params: Record<string, unknown>): [Piece[], Piece[]] {
  const list: Piece[] = [];
  pieces(params, "", null, list);
  return [list.filter((p) => p.set !== null), list.filter((p) => p.set === null)];
}
