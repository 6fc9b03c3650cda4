// What JSON cannot carry faithfully to a sidecar: an action holding such a value is never sent, because the
// sidecar would decide a different action (or none) from the one the tool receives.

import { plainProto } from "../engine/action-check.js";

export interface WireProblem {
  /** Dotted path of the value (`args.amount`, `args.items.2`). */
  field: string;
  message: string;
}


const join = (path: string, key: string | number): string => (path === "" ? String(key) : `${path}.${key}`);

/**
 * The first value in `value` that JSON.stringify would throw on, drop or change (null: none): BigInts, cycles,
 * functions and symbols (dropped, or null in a list), non-finite numbers (null), symbol keys (dropped), and
 * objects other than plain ones, lists and valid Dates (a Map becomes `{}`, a class loses its prototype, a
 * `toJSON` sends something else). `undefined` object properties are allowed: JSON drops them, as the tool would
 * see them missing; `undefined` in a list becomes null, so it is refused.
 */
export function wireProblem(value: unknown, path = ""): WireProblem | null {
  return walk(value, path, new Set());
}

function walk(v: unknown, path: string, open: Set<object>): WireProblem | null {
  const at = path === "" ? "the value" : `\`${path}\``;
  switch (typeof v) {
    case "string":
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(v) ? null : { field: path, message: `${at} is ${v}, which JSON sends as null; pass a finite number (or a string)` };
    case "bigint":
      return { field: path, message: `${at} is a BigInt, which JSON cannot carry; pass it as a number or a string` };
    case "function":
      return { field: path, message: `${at} is a function, which JSON drops; pass data only` };
    case "symbol":
      return { field: path, message: `${at} is a symbol, which JSON drops; pass a string` };
    case "undefined":
      return { field: path, message: `${at} is undefined inside a list, which JSON sends as null; remove it or pass null` };
  }
  if (v === null) return null;
  const o = v as object;
  // JSON sends a Date as its ISO string (the sidecar sees a string where the tool gets a Date; both say the same time)
  if (v instanceof Date && Object.getPrototypeOf(v) === Date.prototype && Reflect.ownKeys(v).length === 0) {
    return Number.isNaN(v.getTime()) ? { field: path, message: `${at} is an invalid Date, which JSON sends as null; pass a valid Date or an RFC 3339 string` } : null;
  }
  if (!Array.isArray(o) && !plainProto(o)) {
    const kind = (o.constructor as { name?: unknown } | undefined)?.name;
    return { field: path, message: `${at} is ${typeof kind === "string" && kind !== "" ? `a ${kind}` : "an object with a custom prototype"}, which JSON would not send as the tool receives it; pass a plain object, a list or a string` };
  }
  if (open.has(o)) return { field: path, message: `${at} refers back to an object that contains it (a cycle), which JSON cannot carry; pass a tree of plain values` };
  if (Object.getOwnPropertySymbols(o).some((s) => Object.prototype.propertyIsEnumerable.call(o, s))) {
    return { field: path, message: `${at} has a symbol key, which JSON drops; use string keys` };
  }
  open.add(o);
  try {
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        // a hole reads as undefined, and JSON sends it as null, like undefined
        const p = walk(o[i], join(path, i), open);
        if (p) return p;
      }
      return null;
    }
    for (const [k, x] of Object.entries(o)) {
      if (x === undefined) continue;
      const p = walk(x, join(path, k), open);
      if (p) return p;
    }
    return null;
  } finally {
    open.delete(o);
  }
}
