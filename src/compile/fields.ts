// Safe field access on untrusted actions: own data properties only, so `__proto__`/`constructor` are plain data.
import type { Action } from "../types.js";

/** The value a getter returns when the path does not exist. */
export const MISSING: unique symbol = Symbol("missing");
export type FieldValue = unknown | typeof MISSING;
export type Getter = (a: Action) => FieldValue;

const hasOwn = Object.prototype.hasOwnProperty;

function step(o: unknown, key: string): FieldValue {
  if (typeof o !== "object" || o === null) return MISSING;
  if (Array.isArray(o)) {
    // Only canonical non-negative integers index arrays (`01`, `-1`, `1e0` do not).
    if (!/^(0|[1-9]\d{0,8})$/.test(key)) return MISSING;
    const i = Number(key);
    return i < o.length ? (o[i] as unknown) : MISSING;
  }
  return hasOwn.call(o, key) ? (o as Record<string, unknown>)[key] : MISSING;
}

/**
 * Compiles `args.counterparty` into a getter with the same meaning as readField(). It is generated code with the
 * keys as constants, so every getter has its own monomorphic property loads: measured ~3-4x faster than one
 * shared closure doing keyed loads (bench/codegen.bench.ts). The root is a plain object (decide() checks it
 * first), so only a value Object.prototype also has (polluted or built-in) needs an own-property check there;
 * nested objects may come from in-process callers with any prototype, so every nested read is checked.
 */
export function makeGetter(path: string): Getter {
  const segs = path.split(".");
  const lines = ["let o = a, v;"];
  segs.forEach((seg, i) => {
    const k = JSON.stringify(seg);
    const inherited = i === 0 && seg !== "__proto__" ? `v === P[${k}] && !H.call(o, ${k})` : `!H.call(o, ${k})`;
    lines.push(
      `if (typeof o !== "object" || o === null) return M;`,
      `if (Array.isArray(o)) { o = S(o, ${k}); if (o === M) return M; }`,
      `else { v = o[${k}]; if (v === undefined ? !H.call(o, ${k}) : ${inherited}) return M; o = v; }`,
    );
  });
  lines.push("return o;");
  const factory = new Function("H", "M", "P", "S", `return function get(a) {\n${lines.join("\n")}\n};`) as (h: typeof hasOwn, m: typeof MISSING, p: object, st: typeof step) => Getter;
  return factory(hasOwn, MISSING, Object.prototype, step);
}

/** Reads a path without compiling a getter (for explanations and templates). */
export function readField(a: unknown, path: string): FieldValue {
  let o: FieldValue = a;
  for (const k of path.split(".")) {
    o = step(o, k);
    if (o === MISSING) return MISSING;
  }
  return o;
}

/** Short, safe rendering of a value for messages: never more than ~80 characters. */
// C0/C1 controls and lone surrogates: escaped so that messages stay printable and canonicalizable (RFC 8785).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** True when no character needs escaping (the common case, checked without a regex). */
function clean(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/**
 * Action text echoed into a decision: cut to `max` code units without splitting a surrogate pair, with
 * controls and lone surrogates written as `\uXXXX`, so a decision is always valid, canonicalizable JSON text.
 */
export function safeEcho(s: string, max: number): string {
  let cut = s;
  if (s.length > max) {
    let end = max - 3;
    const c = s.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end--;
    cut = `${s.slice(0, end)}...`;
  }
  return clean(cut) ? cut : cut.replace(UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * String(v), with a fast path for values of at most two decimals (amounts): V8 converts a fractional number it has
 * not seen recently in a runtime call (~0.5 us), this path is plain arithmetic. Same text: below 8e12 a double
 * spacing is under 0.005, so a two-decimal value's shortest round-trip form is its two-decimal form without a
 * trailing zero (checked against String() in src/engine/fast-reasons.test.ts).
 */
export function numberText(v: number): string {
  if (Number.isInteger(v) || !(v < 8e12 && v > -8e12)) return String(v);
  const c = Math.round(v * 100);
  if (c / 100 !== v) return String(v);
  const neg = c < 0;
  const abs = neg ? -c : c;
  const whole = Math.floor(abs / 100);
  const cents = abs - whole * 100;
  const frac = cents % 10 === 0 ? String(cents / 10) : cents < 10 ? `0${cents}` : String(cents);
  return `${neg ? "-" : ""}${whole}.${frac}`;
}

export function showValue(v: FieldValue): string {
  if (v === MISSING) return "(missing)";
  if (typeof v === "string") return safeEcho(v, 64);
  if (typeof v === "number") return numberText(v);
  if (typeof v === "boolean" || v === null) return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v !== "object") return typeof v;
  const o = v as Record<string, unknown>;
  // A quantity reads as one: `900 mcg/m2`.
  if (hasOwn.call(o, "value") && hasOwn.call(o, "unit") && typeof o["unit"] === "string" && (typeof o["value"] === "number" || typeof o["value"] === "string")) {
    return showValue(`${String(o["value"])} ${o["unit"]}`);
  }
  return `an object with ${Object.keys(o).length} keys`;
}
