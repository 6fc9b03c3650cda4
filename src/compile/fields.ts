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

/** Compiles `args.counterparty` into a getter specialized for its depth. */
export function makeGetter(path: string): Getter {
  const segs = path.split(".");
  if (segs.length === 1) {
    const [k0] = segs as [string];
    return (a) => (hasOwn.call(a, k0) ? (a as Record<string, unknown>)[k0] : MISSING);
  }
  if (segs.length === 2) {
    const [k0, k1] = segs as [string, string];
    return (a) => {
      const o = hasOwn.call(a, k0) ? (a as Record<string, unknown>)[k0] : undefined;
      if (typeof o !== "object" || o === null || Array.isArray(o)) return step(o, k1);
      return hasOwn.call(o, k1) ? (o as Record<string, unknown>)[k1] : MISSING;
    };
  }
  return (a) => {
    let o: FieldValue = a;
    for (const k of segs) {
      o = step(o, k);
      if (o === MISSING) return MISSING;
    }
    return o;
  };
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
export function showValue(v: FieldValue): string {
  if (v === MISSING) return "(missing)";
  if (typeof v === "string") return v.length > 64 ? `${v.slice(0, 61)}...` : v;
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return typeof v === "object" ? "an object" : typeof v;
}
