// The arguments as a recorded decision sees them: object properties that are `undefined` left out, as JSON leaves
// them out (a JS caller passes `{ encoding: undefined }` for "no encoding"; the record's canonical JSON has no
// undefined, and a recording governor refuses an action it could not record).
import { plainProto } from "../engine/action-check.js";

/** `v` itself when no object property below it is `undefined`; else a copy without them (lists keep their slots). */
export function dropUndefined<T>(v: T, depth = 0): T {
  if (typeof v !== "object" || v === null || depth > 64) return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const x = dropUndefined(v[i] as unknown, depth + 1);
      if (x !== v[i]) (copy ??= v.slice())[i] = x;
    }
    return (copy ?? v) as T;
  }
  if (!plainProto(v)) return v;
  let copy: Record<string, unknown> | null = null;
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) {
      copy ??= { ...(v as Record<string, unknown>) };
      delete copy[k];
      continue;
    }
    const y = dropUndefined(x, depth + 1);
    // defineProperty: a key such as `__proto__` stays plain data
    if (y !== x) Object.defineProperty((copy ??= { ...(v as Record<string, unknown>) }), k, { value: y, enumerable: true, writable: true, configurable: true });
  }
  return (copy ?? v) as T;
}
