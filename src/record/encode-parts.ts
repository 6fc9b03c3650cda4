// JCS of the decision parts every record carries (reasons, throttle observations), written from their fixed
// schemas in sorted key order. The generic canonicalizer sorts keys and walks every value; these writers
// know the order, so a record costs a few string concatenations. Anything off-schema (extra or missing
// keys, other types, exotic prototypes, non-finite numbers) goes to canonicalize(), which then decides:
// so the output is always exactly canonicalize(value), or its error.
import { canonicalize, CanonicalizationError, canonicalString } from "../canonical/jcs.js";
import type { Reason, ThrottleObservation } from "../types.js";

const q = canonicalString;

const plain = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

const hasOwn = Object.prototype.hasOwnProperty;

/** Every name is an own property of `o` (an inherited one, e.g. from a polluted prototype, must not count). */
function own(o: object, names: readonly string[]): boolean {
  for (let i = 0; i < names.length; i++) if (!hasOwn.call(o, names[i] as string)) return false;
  return true;
}

const REASON_KEYS = ["rule", "code", "verdict", "shadow", "message"] as const;
const OBSERVATION_KEYS = ["rule", "mode", "count", "limit", "window", "allowed", "retryAfterMs", "atMs", "perMs", "seen"] as const;

/** A finite number as JCS writes it (ES Number::toString; -0 is "0"), or null when it is not one. */
const num = (v: unknown): string | null => (typeof v === "number" && v - v === 0 ? "" + v : null);

function encodeReason(r: unknown): string {
  if (!plain(r)) return canonicalize(r);
  const { rule, code, verdict, shadow, field, message, detail } = r;
  const expected = 5 + (field !== undefined ? 1 : 0) + (detail !== undefined ? 1 : 0);
  if (
    typeof rule !== "string" ||
    typeof code !== "string" ||
    typeof verdict !== "string" ||
    typeof shadow !== "boolean" ||
    typeof message !== "string" ||
    (field !== undefined && (typeof field !== "string" || !hasOwn.call(r, "field"))) ||
    (detail !== undefined && !hasOwn.call(r, "detail")) ||
    Object.keys(r).length !== expected ||
    !own(r, REASON_KEYS)
  ) {
    return canonicalize(r);
  }
  return (
    `{"code":${q(code)}${detail !== undefined ? `,"detail":${canonicalize(detail)}` : ""}${field !== undefined ? `,"field":${q(field)}` : ""}` +
    `,"message":${q(message)},"rule":${q(rule)},"shadow":${shadow ? "true" : "false"},"verdict":${q(verdict)}}`
  );
}

/** Errors come from the canonicalizer on the whole value, so their path is the same as canonicalize's. */
function whole<T>(value: T, write: (v: T) => string): string {
  try {
    return write(value);
  } catch (e) {
    if (e instanceof CanonicalizationError) return canonicalize(value);
    throw e;
  }
}

/** JCS of a reasons array (Decision.reasons / Decision.shadow). */
export function encodeReasons(reasons: readonly Reason[]): string {
  return whole(reasons, writeReasons);
}

function writeReasons(reasons: readonly Reason[]): string {
  if (!Array.isArray(reasons)) return canonicalize(reasons);
  if (reasons.length === 0) return "[]";
  let out = "[";
  for (let i = 0; i < reasons.length; i++) {
    if (!(i in reasons)) return canonicalize(reasons); // a hole: let the canonicalizer name it
    out += (i === 0 ? "" : ",") + encodeReason(reasons[i]);
  }
  return out + "]";
}

function encodeSeen(s: unknown): string {
  if (!plain(s)) return canonicalize(s);
  const n = Object.keys(s).length;
  const mode = hasOwn.call(s, "mode") ? s["mode"] : undefined;
  if (mode === "gcra" && n === 2 && hasOwn.call(s, "tat")) {
    const tat = s["tat"] === null ? "null" : num(s["tat"]);
    if (tat !== null) return `{"mode":"gcra","tat":${tat}}`;
  } else if (mode === "sliding" && n === 3 && hasOwn.call(s, "count") && hasOwn.call(s, "oldest")) {
    const count = num(s["count"]);
    const oldest = s["oldest"] === null ? "null" : num(s["oldest"]);
    if (count !== null && oldest !== null) return `{"count":${count},"mode":"sliding","oldest":${oldest}}`;
  } else if (mode === "calendar" && n === 3 && hasOwn.call(s, "count") && hasOwn.call(s, "windowStart")) {
    const count = num(s["count"]);
    const start = num(s["windowStart"]);
    if (count !== null && start !== null) return `{"count":${count},"mode":"calendar","windowStart":${start}}`;
  }
  return canonicalize(s);
}

function encodeObservation(o: unknown): string {
  if (!plain(o)) return canonicalize(o);
  const { rule, mode, window, allowed, seen } = o;
  const count = num(o["count"]);
  const limit = num(o["limit"]);
  const retry = num(o["retryAfterMs"]);
  const atMs = num(o["atMs"]);
  const perMs = num(o["perMs"]);
  const hasTat = o["nextTat"] !== undefined;
  const nextTat = hasTat ? num(o["nextTat"]) : "";
  if (
    typeof rule !== "string" ||
    typeof mode !== "string" ||
    typeof window !== "string" ||
    typeof allowed !== "boolean" ||
    count === null ||
    limit === null ||
    retry === null ||
    atMs === null ||
    perMs === null ||
    nextTat === null ||
    (hasTat && !hasOwn.call(o, "nextTat")) ||
    Object.keys(o).length !== (hasTat ? 11 : 10) ||
    !own(o, OBSERVATION_KEYS)
  ) {
    return canonicalize(o);
  }
  return (
    `{"allowed":${allowed ? "true" : "false"},"atMs":${atMs},"count":${count},"limit":${limit},"mode":${q(mode)}` +
    `${hasTat ? `,"nextTat":${nextTat}` : ""},"perMs":${perMs},"retryAfterMs":${retry},"rule":${q(rule)},"seen":${encodeSeen(seen)},"window":${q(window)}}`
  );
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** JCS of Decision.state (`{throttle: {key: observation}}`). */
export function encodeState(state: unknown): string {
  return whole(state, writeState);
}

function writeState(state: unknown): string {
  if (!plain(state) || Object.keys(state).length !== 1 || !hasOwn.call(state, "throttle") || !plain(state["throttle"])) return canonicalize(state);
  const throttle = state["throttle"];
  const keys = Object.keys(throttle);
  if (keys.length === 0) return `{"throttle":{}}`;
  if (keys.length > 1) keys.sort(byCodeUnits);
  let out = `{"throttle":{`;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out += `${i === 0 ? "" : ","}${q(k)}:${encodeObservation(throttle[k])}`;
  }
  return out + "}}";
}
