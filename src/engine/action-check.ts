// Structural checks on an untrusted action before any rule runs: a malformed action is BLOCKed, never guessed at.
import { ACTION_KINDS } from "../types.js";
import { safeEcho } from "../compile/fields.js";
import { isWellFormed } from "../canonical/well-formed.js";

export interface ActionProblem {
  field: string;
  message: string;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The digit at `i` as 0-9, or a value outside 0-9 (`>>> 0` then makes every non-digit compare above 9). */
function dig(s: string, i: number): number {
  return (s.charCodeAt(i) - 48) | 0;
}

/**
 * Parses an RFC 3339 timestamp (`2026-03-02T10:15:00Z`, `.123456`, `+05:30`) to epoch ms; undefined when
 * malformed or impossible. Hand-rolled on char codes: every action with a time goes through it (measured
 * ~50 ns vs ~740 ns for a regex with Number() conversions; equal on 2 million random strings).
 */
export function parseTime(s: string): number | undefined {
  const t = scanTime(s, true);
  return t === t ? t : undefined;
}

/** Whether `s` is a valid RFC 3339 time, without computing it (checkAction: about half the cost of parseTime). */
export function validTime(s: string): boolean {
  return scanTime(s, false) === 0;
}

/** NaN when malformed or impossible; else epoch ms when `compute`, 0 when not. */
function scanTime(s: string, compute: boolean): number {
  const n = s.length;
  if (n < 20 || n > 40) return NaN;
  const c0 = dig(s, 0), c1 = dig(s, 1), c2 = dig(s, 2), c3 = dig(s, 3), c5 = dig(s, 5), c6 = dig(s, 6), c8 = dig(s, 8), c9 = dig(s, 9);
  const c11 = dig(s, 11), c12 = dig(s, 12), c14 = dig(s, 14), c15 = dig(s, 15), c17 = dig(s, 17), c18 = dig(s, 18);
  if (
    c0 >>> 0 > 9 || c1 >>> 0 > 9 || c2 >>> 0 > 9 || c3 >>> 0 > 9 || c5 >>> 0 > 9 || c6 >>> 0 > 9 || c8 >>> 0 > 9 ||
    c9 >>> 0 > 9 || c11 >>> 0 > 9 || c12 >>> 0 > 9 || c14 >>> 0 > 9 || c15 >>> 0 > 9 || c17 >>> 0 > 9 || c18 >>> 0 > 9
  ) return NaN;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const tee = s.charCodeAt(10);
  if (tee !== 84 && tee !== 116) return NaN;
  const y = c0 * 1000 + c1 * 100 + c2 * 10 + c3;
  const mo = c5 * 10 + c6;
  const d = c8 * 10 + c9;
  const h = c11 * 10 + c12;
  const mi = c14 * 10 + c15;
  const se = c17 * 10 + c18;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60 || d > daysInMonth(y, mo)) return NaN;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    let k = 0;
    for (i++; i < n; i++, k++) {
      const v = s.charCodeAt(i) - 48;
      if (v < 0 || v > 9) break;
      if (k < 3) ms = ms * 10 + v;
    }
    if (k === 0 || k > 9) return NaN;
    for (; k < 3; k++) ms *= 10;
  }
  let offset = 0;
  const z = i < n ? s.charCodeAt(i) : 0;
  if (z === 90 || z === 122) {
    if (i + 1 !== n) return NaN;
  } else if (z === 43 || z === 45) {
    if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return NaN;
    const a = dig(s, i + 1), b = dig(s, i + 2), c = dig(s, i + 4), e = dig(s, i + 5);
    if (a >>> 0 > 9 || b >>> 0 > 9 || c >>> 0 > 9 || e >>> 0 > 9) return NaN;
    const oh = a * 10 + b;
    const om = c * 10 + e;
    if (oh > 23 || om > 59) return NaN;
    offset = (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  } else return NaN;
  if (!compute) return 0;
  // A leap second (:60) counts as :59 of the same minute; time is proleptic Gregorian UTC.
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + Math.min(se, 59) * 1000 + ms - offset;
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
export function plainProto(o: object): boolean {
  const p = Object.getPrototypeOf(o) as unknown;
  return p === Object.prototype || p === null;
}

function isPlainObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const KINDS: ReadonlySet<string> = new Set(ACTION_KINDS);
/**
 * Tool names are echoed into decisions, keys and logs: no C0/C1 controls, no lone surrogates. A loop over char
 * codes (the regex it replaces, /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
 * cost a regex call on every action).
 */
function badName(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
    if (c >= 0xd800 && c <= 0xdfff) {
      // A high surrogate followed by a low one is a pair (skipped whole); any other surrogate is lone.
      const next = c <= 0xdbff && i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    }
  }
  return false;
}

interface ActionShape {
  kind?: unknown;
  tool?: unknown;
  at?: unknown;
  agent?: { id?: unknown; role?: unknown; labels?: unknown };
  args?: unknown;
  context?: unknown;
  text?: unknown;
}

// Named loads on Object.prototype (constant keys, so monomorphic): a field whose value equals Object.prototype's
// (a polluted prototype) counts only if it is the action's own property.
const OBJECT_PROTO = Object.prototype as ActionShape & { id?: unknown; role?: unknown; labels?: unknown };

// Named reads (monomorphic and fast); a value Object.prototype also has must be an own property, so a
// polluted prototype can never supply a field.
export function checkAction(a: unknown): ActionProblem | undefined {
  if (!isPlainObject(a)) return { field: "", message: `an action must be a JSON object, got ${Array.isArray(a) ? "a list" : a === null ? "null" : typeof a}` };
  const o = a as ActionShape;
  if (!plainProto(o)) return { field: "", message: "an action must be a plain JSON object (no class instances or custom prototypes)" };
  const kind = o.kind;
  if (typeof kind !== "string" || (kind !== "tool_call" && !KINDS.has(kind)) || (kind === OBJECT_PROTO.kind && !hasOwn.call(o, "kind"))) {
    return { field: "kind", message: `\`kind\` must be one of ${ACTION_KINDS.join(", ")}, got ${kind === undefined ? "nothing" : safeEcho(JSON.stringify(kind) ?? typeof kind, 40)}` };
  }
  const tool = o.tool;
  if (tool !== undefined) {
    if (typeof tool !== "string" || tool.length === 0 || tool.length > 256 || (tool === OBJECT_PROTO.tool && !hasOwn.call(o, "tool"))) return { field: "tool", message: "`tool` must be a non-empty string of at most 256 characters" };
    if (badName(tool)) return { field: "tool", message: "`tool` must not contain control characters or lone surrogates" };
  } else if (kind === "tool_call" || kind === "tool_result") {
    // a tool result comes from a tool: without its name, every rule matched by tool or class would skip it
    return { field: "tool", message: `a ${kind} action must name its \`tool\`` };
  }
  const at = o.at;
  if (at !== undefined && (typeof at !== "string" || !validTime(at) || (at === OBJECT_PROTO.at && !hasOwn.call(o, "at")))) {
    return { field: "at", message: "`at` must be an RFC 3339 time such as `2026-03-02T10:15:00Z`" };
  }
  const agent = o.agent;
  if (agent !== undefined) {
    if (!isPlainObject(agent) || (agent === OBJECT_PROTO.agent && !hasOwn.call(o, "agent"))) return { field: "agent", message: "`agent` must be an object" };
    const { id, role, labels } = agent;
    if (id !== undefined && (typeof id !== "string" || (id === OBJECT_PROTO.id && !hasOwn.call(agent, "id")))) return { field: "agent.id", message: "`agent.id` must be a string" };
    if (role !== undefined && (typeof role !== "string" || (role === OBJECT_PROTO.role && !hasOwn.call(agent, "role")))) return { field: "agent.role", message: "`agent.role` must be a string" };
    if (labels !== undefined) {
      if (!isPlainObject(labels) || (labels === OBJECT_PROTO.labels && !hasOwn.call(agent, "labels"))) return { field: "agent.labels", message: "`agent.labels` must be an object of strings" };
      // Labels are matched as strings (`match.labels`) and name the agent in records: a number or list is malformed.
      for (const k in labels as Record<string, unknown>) {
        if (hasOwn.call(labels, k) && typeof (labels as Record<string, unknown>)[k] !== "string") return { field: `agent.labels.${safeEcho(k, 60)}`, message: `\`agent.labels.${safeEcho(k, 60)}\` must be a string (labels are an object of strings)` };
      }
    }
  }
  if (o.args !== undefined && (!isPlainObject(o.args) || (o.args === OBJECT_PROTO.args && !hasOwn.call(o, "args")))) return { field: "args", message: "`args` must be an object" };
  if (o.context !== undefined && (!isPlainObject(o.context) || (o.context === OBJECT_PROTO.context && !hasOwn.call(o, "context")))) return { field: "context", message: "`context` must be an object" };
  if (o.text !== undefined && (typeof o.text !== "string" || (o.text === OBJECT_PROTO.text && !hasOwn.call(o, "text")))) return { field: "text", message: "`text` must be a string" };
  return undefined;
}

/**
 * Where a value is not JSON data, if anywhere: a string with a lone surrogate (keys too), a non-finite number,
 * `undefined`, a class instance, a sparse array, anything cyclic. JSON parsers produce only JSON data, except a
 * lone surrogate escape (`"\ud800"`) and an overflowing number (`1e400`); callers in JavaScript can pass anything.
 * Not part of checkAction: decide() reads such values as indeterminate, and a generic walk costs more than the
 * rest of the check (~0.4 µs on the decide benchmark's actions); recorded decisions need it (src/engine/recordable.ts).
 */
export function jsonDataProblem(root: object): ActionProblem | undefined {
  const path: string[] = [];
  const why = walk(root, 0, path);
  if (why === null) return undefined;
  path.reverse();
  const field = path.length > 16 ? `${path.slice(0, 16).join(".")}…` : path.join(".");
  return { field, message: `\`${safeEcho(field, 120) || "the action"}\` ${why}` };
}

/**
 * Past this depth the walk goes on with an explicit stack (no stack overflow) that also catches cycles. Below it,
 * plain recursion: on the decide benchmark's actions it measured 0.24 µs a call, the explicit stack alone 1.0 µs.
 */
const RECURSION_LIMIT = 64;

/** Null when `v` is JSON data; else why not, with the path to it pushed onto `path` innermost first. */
function walk(v: unknown, depth: number, path: string[]): string | null {
  const why = scalarProblem(v);
  if (why !== undefined) return why;
  if (v === null) return null;
  if (depth >= RECURSION_LIMIT) return deepWalk(v as object, path);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const w = i in v ? walk(v[i], depth + 1, path) : HOLE;
      if (w !== null) return path.push(String(i)), w;
    }
    return null;
  }
  if (!plainProto(v as object)) return NOT_PLAIN;
  for (const k of Object.keys(v as object)) {
    if (badString(k)) return path.push(safeEcho(k, 40)), BAD_KEY;
    const w = walk((v as Record<string, unknown>)[k], depth + 1, path);
    if (w !== null) return path.push(k), w;
  }
  return null;
}

const HOLE = "is a hole in a sparse array, which is not JSON data";
const NOT_PLAIN = "is an instance of a class (Date, Map, …), not a plain JSON object";
const BAD_KEY = "is a key with a lone surrogate, which JSON text cannot carry";

/** Why a value that is not an object is not JSON data; null for a good scalar or null; undefined for an object. */
function scalarProblem(v: unknown): string | null | undefined {
  switch (typeof v) {
    case "string":
      return badString(v) ? "holds a lone surrogate (half of a UTF-16 pair), which JSON text cannot carry" : null;
    case "number":
      return Number.isFinite(v) ? null : `is ${String(v)}, not a finite number (JSON numbers are finite; a value past ±1.8e308 overflows)`;
    case "boolean":
      return null;
    case "object":
      return v === null ? null : undefined;
    default:
      return v === undefined ? "is undefined: leave the key out (JSON has no undefined)" : `is a ${typeof v}, which is not JSON data`;
  }
}

interface Frame {
  value: object;
  keys: readonly string[] | null;
  next: number;
}

/** walk() for deep values: an explicit stack, and the objects on the current path to catch a cycle. */
function deepWalk(start: object, path: string[]): string | null {
  const stack: Frame[] = [];
  const onPath = new Set<object>();
  const enter = (o: object): string | null => {
    if (onPath.has(o)) return "is cyclic (it contains itself), which JSON cannot carry";
    if (!Array.isArray(o) && !plainProto(o)) return NOT_PLAIN;
    onPath.add(o);
    stack.push({ value: o, keys: Array.isArray(o) ? null : Object.keys(o), next: 0 });
    return null;
  };
  const fail = (why: string, key?: string): string => {
    if (key !== undefined) path.push(key);
    for (let i = stack.length - 2; i >= 0; i--) {
      const f = stack[i] as Frame;
      path.push(f.keys === null ? String(f.next - 1) : (f.keys[f.next - 1] as string));
    }
    return why;
  };
  const first = enter(start);
  if (first !== null) return first;
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as Frame;
    const n = f.keys === null ? (f.value as unknown[]).length : f.keys.length;
    if (f.next >= n) {
      onPath.delete(f.value);
      stack.pop();
      continue;
    }
    const i = f.next++;
    let key: string;
    let child: unknown;
    if (f.keys === null) {
      key = String(i);
      if (!(i in (f.value as unknown[]))) return fail(HOLE, key);
      child = (f.value as unknown[])[i];
    } else {
      key = f.keys[i] as string;
      if (badString(key)) return fail(BAD_KEY, safeEcho(key, 40));
      child = (f.value as Record<string, unknown>)[key];
    }
    const why = scalarProblem(child);
    if (why === undefined) {
      const w = enter(child as object);
      if (w !== null) return fail(w, key);
    } else if (why !== null) return fail(why, key);
  }
  return null;
}

/** A lone surrogate anywhere in `s` (a well-formed string holds only complete pairs). */
function badString(s: string): boolean {
  return !isWellFormed(s);
}
