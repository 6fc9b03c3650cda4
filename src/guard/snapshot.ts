// A private copy of a guarded call's arguments, taken before deciding: the tool then runs on exactly what was
// decided (and approved), whatever the caller does to its own object while the decision or the approval is pending.

/** Deeper than this, a copy would need an explicit stack; such arguments are refused (BLOCK), not decided. */
export const SNAPSHOT_MAX_DEPTH = 1000;

/** Arguments that cannot be copied as data (nested too deep, or an object that is not data): refused, not decided. */
export class SnapshotRefusedError extends Error {}

/**
 * Plain objects and arrays are copied all the way down (own enumerable keys, each getter read once, so what is
 * decided and what runs cannot differ; `__proto__` stays a plain data key; shared and cyclic parts stay shared and
 * cyclic in the copy), and Dates are copied too (a sidecar sends them as strings rules read). Primitives (and
 * functions and symbols, which the checks after this refuse) are kept. Any other object — a class instance, a Map,
 * a typed array — is refused with SnapshotRefusedError naming its field: kept as it is, it could change after the
 * decision (a Proxy can even claim to be one thing here and another to the checks that follow).
 */
export function snapshotArgs<T>(v: T, field = "args"): T {
  return copy(v, 0, new Map(), field) as T;
}

function copy(v: unknown, depth: number, seen: Map<object, unknown>, field: string): unknown {
  if (typeof v !== "object" || v === null) return v;
  const done = seen.get(v);
  if (done !== undefined) return done;
  if (depth > SNAPSHOT_MAX_DEPTH) throw new SnapshotRefusedError(`arguments are nested deeper than ${SNAPSHOT_MAX_DEPTH} levels; pass flatter arguments`);
  if (Array.isArray(v)) {
    const out: unknown[] = new Array<unknown>(v.length);
    seen.set(v, out);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i], depth + 1, seen, `${field}.${i}`);
    return out;
  }
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    // A Date is data to a sidecar (sent as its ISO string, which rules read): copied, so changing the caller's Date
    // afterwards cannot change what runs. getTime() throws for anything that only claims Date's prototype.
    if (proto === Date.prototype) {
      try {
        const out = new Date(Date.prototype.getTime.call(v));
        seen.set(v, out);
        return out;
      } catch {
        // not a Date: refused below
      }
    }
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    const what = typeof name === "string" && name !== "" ? `a ${name.slice(0, 40)}` : "an object with a custom prototype";
    throw new SnapshotRefusedError(`\`${field}\` is ${what}, not JSON data: pass plain objects, arrays, strings, numbers, booleans or null (a Date is fine)`);
  }
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
  seen.set(v, out);
  // symbol keys too: they are not data, and the checks after this must still see (and refuse) them
  for (const k of Reflect.ownKeys(v)) {
    if (!Object.prototype.propertyIsEnumerable.call(v, k)) continue;
    Object.defineProperty(out, k, { value: copy((v as Record<PropertyKey, unknown>)[k], depth + 1, seen, typeof k === "string" ? `${field}.${k}` : field), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
