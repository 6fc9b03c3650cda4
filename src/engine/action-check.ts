// Structural checks on an untrusted action before any rule runs: a malformed action is BLOCKed, never guessed at.
import { ACTION_KINDS } from "../types.js";

export interface ActionProblem {
  field: string;
  message: string;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const hasOwn = Object.prototype.hasOwnProperty;

/** Parses an RFC 3339 timestamp to epoch ms; undefined when malformed or out of range. */
export function parseTime(s: string): number | undefined {
  if (s.length > 40) return undefined;
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [mo, d, h, mi, se] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return undefined;
  const ms = Date.parse(s.replace(/\.(\d{3})\d+/, ".$1"));
  return Number.isFinite(ms) ? ms : undefined;
}

/** True for `{}`-literal / JSON.parse objects and null-prototype objects. */
function plainProto(o: object): boolean {
  const p = Object.getPrototypeOf(o) as unknown;
  return p === Object.prototype || p === null;
}

/** An own property or undefined; inherited values (a polluted Object.prototype) are never read. */
function own(o: object, k: string): unknown {
  const v = (o as Record<string, unknown>)[k];
  return v !== undefined && hasOwn.call(o, k) ? v : undefined;
}

function isPlainObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function checkAction(a: unknown): ActionProblem | undefined {
  if (!isPlainObject(a)) return { field: "", message: `an action must be a JSON object, got ${Array.isArray(a) ? "a list" : a === null ? "null" : typeof a}` };
  const o = a as object;
  if (!plainProto(o)) return { field: "", message: "an action must be a plain JSON object (no class instances or custom prototypes)" };
  const kind = own(o, "kind");
  if (typeof kind !== "string" || !(ACTION_KINDS as readonly string[]).includes(kind)) {
    return { field: "kind", message: `\`kind\` must be one of ${ACTION_KINDS.join(", ")}, got ${kind === undefined ? "nothing" : JSON.stringify(kind)?.slice(0, 40)}` };
  }
  const tool = own(o, "tool");
  if (tool !== undefined && (typeof tool !== "string" || tool.length === 0 || tool.length > 256)) {
    return { field: "tool", message: "`tool` must be a non-empty string of at most 256 characters" };
  }
  if (kind === "tool_call" && tool === undefined) return { field: "tool", message: "a tool_call action must name its `tool`" };
  const at = own(o, "at");
  if (at !== undefined && (typeof at !== "string" || parseTime(at) === undefined)) {
    return { field: "at", message: "`at` must be an RFC 3339 time such as `2026-03-02T10:15:00Z`" };
  }
  const agent = own(o, "agent");
  if (agent !== undefined) {
    if (!isPlainObject(agent)) return { field: "agent", message: "`agent` must be an object" };
    for (const k of ["id", "role"]) {
      const v = own(agent as object, k);
      if (v !== undefined && typeof v !== "string") return { field: `agent.${k}`, message: `\`agent.${k}\` must be a string` };
    }
    const labels = own(agent as object, "labels");
    if (labels !== undefined && !isPlainObject(labels)) return { field: "agent.labels", message: "`agent.labels` must be an object of strings" };
  }
  for (const k of ["args", "context"]) {
    const v = own(o, k);
    if (v !== undefined && !isPlainObject(v)) return { field: k, message: `\`${k}\` must be an object` };
  }
  const text = own(o, "text");
  if (text !== undefined && typeof text !== "string") return { field: "text", message: "`text` must be a string" };
  return undefined;
}
