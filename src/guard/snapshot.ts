// A private copy of a guarded call's arguments, taken before deciding: the tool then runs on exactly what was
// decided (and approved), whatever the caller does to its own object while the decision or the approval is pending.
import { plainProto } from "../engine/action-check.js";

/** Deeper than this, a copy would need an explicit stack; such arguments are refused (BLOCK), not decided. */
export const SNAPSHOT_MAX_DEPTH = 1000;

export class SnapshotTooDeepError extends Error {}

/**
 * Plain objects and arrays are copied all the way down (own enumerable keys, each getter read once, so what is
 * decided and what runs cannot differ; `__proto__` stays a plain data key; shared and cyclic parts stay shared and
 * cyclic in the copy), and Dates are copied too (a sidecar sends them as strings rules read). Anything else —
 * primitives, class instances, Maps, Buffers, functions — is kept as it is: no rule reads inside those (a decision
 * about them is refused or reads them as missing), and copying a class instance would lose what makes it one.
 */
export function snapshotArgs<T>(v: T): T {
  return copy(v, 0, new Map()) as T;
}

function copy(v: unknown, depth: number, seen: Map<object, unknown>): unknown {
  if (typeof v !== "object" || v === null) return v;
  const done = seen.get(v);
  if (done !== undefined) return done;
  if (depth > SNAPSHOT_MAX_DEPTH) throw new SnapshotTooDeepError(`arguments are nested deeper than ${SNAPSHOT_MAX_DEPTH} levels`);
  if (Array.isArray(v)) {
    const out: unknown[] = new Array<unknown>(v.length);
    seen.set(v, out);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i], depth + 1, seen);
    return out;
  }
  if (!plainProto(v)) {
    // A Date is data to a sidecar (sent as its ISO string, which rules read): copied, so changing the caller's Date
    // afterwards cannot change what runs. getTime() throws for anything that only claims Date's prototype.
    if (Object.getPrototypeOf(v) === Date.prototype) {
      try {
        const out = new Date(Date.prototype.getTime.call(v));
        seen.set(v, out);
        return out;
      } catch {
        return v;
      }
    }
    return v;
  }
  const out: Record<string, unknown> = Object.getPrototypeOf(v) === null ? Object.create(null) : {};
  seen.set(v, out);
  // symbol keys too: they are not data, and the checks after this must still see (and refuse) them
  for (const k of Reflect.ownKeys(v)) {
    if (!Object.prototype.propertyIsEnumerable.call(v, k)) continue;
    Object.defineProperty(out, k, { value: copy((v as Record<PropertyKey, unknown>)[k], depth + 1, seen), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
