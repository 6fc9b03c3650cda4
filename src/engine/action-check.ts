// Structural checks on an untrusted action before any rule runs: a malformed action is BLOCKed, never guessed at.
import { ACTION_KINDS } from "../types.js";
import { safeEcho } from "../compile/fields.js";

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
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const se = Number(m[6]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || se > 60) return undefined;
  const frac = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const zone = m[8] as string;
  let offset = 0;
  if (zone !== "Z" && zone !== "z") {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offset = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  // A leap second (:60) counts as :59.999 of the same minute's end; time is proleptic Gregorian UTC.
  return (daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + Math.min(se, 59)) * 1000 + frac - offset;
}

/** Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm; exact for every year). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

/** True for `{}`-literal / JSON.parse objects and null-prototype objects. */
function plainProto(o: object): boolean {
  const p = Object.getPrototypeOf(o) as unknown;
  return p === Object.prototype || p === null;
}

function isPlainObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const KINDS: ReadonlySet<string> = new Set(ACTION_KINDS);
// Tool names are echoed into decisions, keys and logs: no controls, no lone surrogates.
const BAD_NAME = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

interface ActionShape {
  kind?: unknown;
  tool?: unknown;
  at?: unknown;
  agent?: { id?: unknown; role?: unknown; labels?: unknown };
  args?: unknown;
  context?: unknown;
  text?: unknown;
}

const OBJECT_PROTO = Object.prototype as Record<string, unknown>;

/** True when `v` (read from `o[k]`) came from a polluted Object.prototype rather than from `o` itself. */
function inherited(o: object, k: string, v: unknown): boolean {
  return v === OBJECT_PROTO[k] && !hasOwn.call(o, k);
}

// Named reads (monomorphic and fast); a value Object.prototype also has must be an own property, so a
// polluted prototype can never supply a field.
export function checkAction(a: unknown): ActionProblem | undefined {
  if (!isPlainObject(a)) return { field: "", message: `an action must be a JSON object, got ${Array.isArray(a) ? "a list" : a === null ? "null" : typeof a}` };
  const o = a as ActionShape;
  if (!plainProto(o)) return { field: "", message: "an action must be a plain JSON object (no class instances or custom prototypes)" };
  const kind = o.kind;
  if (typeof kind !== "string" || !KINDS.has(kind) || inherited(o, "kind", kind)) {
    return { field: "kind", message: `\`kind\` must be one of ${ACTION_KINDS.join(", ")}, got ${kind === undefined ? "nothing" : safeEcho(JSON.stringify(kind) ?? typeof kind, 40)}` };
  }
  const tool = o.tool;
  if (tool !== undefined) {
    if (typeof tool !== "string" || tool.length === 0 || tool.length > 256 || inherited(o, "tool", tool)) return { field: "tool", message: "`tool` must be a non-empty string of at most 256 characters" };
    if (BAD_NAME.test(tool)) return { field: "tool", message: "`tool` must not contain control characters or lone surrogates" };
  } else if (kind === "tool_call") return { field: "tool", message: "a tool_call action must name its `tool`" };
  const at = o.at;
  if (at !== undefined && (typeof at !== "string" || parseTime(at) === undefined || inherited(o, "at", at))) {
    return { field: "at", message: "`at` must be an RFC 3339 time such as `2026-03-02T10:15:00Z`" };
  }
  const agent = o.agent;
  if (agent !== undefined) {
    if (!isPlainObject(agent) || inherited(o, "agent", agent)) return { field: "agent", message: "`agent` must be an object" };
    const { id, role, labels } = agent;
    if (id !== undefined && (typeof id !== "string" || inherited(agent, "id", id))) return { field: "agent.id", message: "`agent.id` must be a string" };
    if (role !== undefined && (typeof role !== "string" || inherited(agent, "role", role))) return { field: "agent.role", message: "`agent.role` must be a string" };
    if (labels !== undefined && (!isPlainObject(labels) || inherited(agent, "labels", labels))) return { field: "agent.labels", message: "`agent.labels` must be an object of strings" };
  }
  if (o.args !== undefined && (!isPlainObject(o.args) || inherited(o, "args", o.args))) return { field: "args", message: "`args` must be an object" };
  if (o.context !== undefined && (!isPlainObject(o.context) || inherited(o, "context", o.context))) return { field: "context", message: "`context` must be an object" };
  if (o.text !== undefined && (typeof o.text !== "string" || inherited(o, "text", o.text))) return { field: "text", message: "`text` must be a string" };
  return undefined;
}
