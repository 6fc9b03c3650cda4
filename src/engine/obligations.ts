// Obligations of fired rules: MODIFY changes applied to a copy, SANDBOX profiles merged restrictively.
import { readField, MISSING } from "../compile/fields.js";
import { compareDecimal, decimalFromNumber, parseDecimal } from "../compile/decimal.js";
import type { Action, ModifyChange, ModifyObligation, SandboxProfile } from "../types.js";
import type { ScanArgIR } from "../compile/ir.js";
import { packsFor, redactFindings } from "../compile/scan-leaf.js";

export interface ModifyResult {
  obligation: ModifyObligation;
  /** Set when a change could not be applied to a value that is present (fail closed: BLOCK). */
  failure?: { rule: string; field: string; message: string };
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Returns a copy of `root` with `path` set to `value`, copying only the objects along the path. */
function setPath(root: unknown, segs: string[], value: unknown): unknown {
  const [head, ...rest] = segs as [string, ...string[]];
  if (Array.isArray(root)) {
    const copy = root.slice();
    copy[Number(head)] = rest.length === 0 ? value : setPath(root[Number(head)], rest, value);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(root as Record<string, unknown>) };
  // defineProperty keeps keys like `__proto__` as plain data.
  Object.defineProperty(copy, head, {
    value: rest.length === 0 ? value : setPath((root as Record<string, unknown>)[head], rest, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

export function applyModify(action: Action, changes: Array<ModifyChange & { rule: string }>, scanArgsOf: (rule: string) => ScanArgIR[] = () => []): ModifyResult {
  let current: Action = action;
  const applied: ModifyObligation["changes"] = [];
  let failure: ModifyResult["failure"];
  for (const c of changes) {
    const segs = c.field.split(".");
    const v = readField(current, c.field);
    const parent = segs.length > 1 ? readField(current, segs.slice(0, -1).join(".")) : current;
    const parentOk = parent !== MISSING && typeof parent === "object" && parent !== null;
    let next: unknown = MISSING;
    if (c.op === "redact" && v !== MISSING) next = c.with;
    else if (c.op === "redact_matches" && v !== MISSING) {
      let value: unknown = v;
      let count = 0;
      for (const arg of scanArgsOf(c.rule)) {
        const r = redactFindings(packsFor(arg), value, c.with);
        value = r.value;
        count += r.count;
      }
      if (count > 0) next = value;
    }
    else if (c.op === "replace" && parentOk) next = c.value;
    else if (c.op === "clamp" && v !== MISSING) {
      const exact = typeof v === "string" ? parseDecimal(v) : undefined;
      if (typeof v === "number" && Number.isFinite(v)) {
        next = c.min !== undefined && v < c.min ? c.min : c.max !== undefined && v > c.max ? c.max : v;
      } else if (exact !== undefined) {
        // An exact decimal string (as conditions read it) is compared exactly; out of range, it becomes the bound.
        const lo = c.min === undefined ? undefined : decimalFromNumber(c.min);
        const hi = c.max === undefined ? undefined : decimalFromNumber(c.max);
        next = lo && compareDecimal(exact, lo) < 0 ? c.min : hi && compareDecimal(exact, hi) > 0 ? c.max : v;
      } else {
        failure ??= { rule: c.rule, field: c.field, message: `cannot clamp \`${c.field}\`: it is neither a finite number nor an exact decimal string` };
      }
    }
    if (next !== MISSING && !(Array.isArray(parent) && !/^(0|[1-9]\d*)$/.test(segs[segs.length - 1] ?? ""))) {
      current = setPath(current, segs, next) as Action;
      applied.push({ ...c, applied: true });
    } else applied.push({ ...c, applied: false });
  }
  const result: ModifyResult = { obligation: { changes: applied, action: current } };
  if (failure) result.failure = failure;
  return result;
}

/**
 * What every profile allows: an empty allow list allows nothing, so it empties the merge. `narrower(a, b)` is
 * whichever of two entries lies within the other (null when neither does), so `/workspace` ∩ `/workspace/sub`
 * is `/workspace/sub` and `*` ∩ `example.com` is `example.com`, not nothing.
 */
function intersect(lists: string[][], narrower: (a: string, b: string) => string | null): string[] {
  let acc = lists[0] ?? [];
  for (const list of lists.slice(1)) {
    const next = new Set<string>();
    for (const a of acc) for (const b of list) {
      const n = narrower(a, b);
      if (n !== null) next.add(n);
    }
    acc = [...next];
  }
  return acc;
}

/** A sandbox path with glob characters is a pattern, not a literal path (the bubblewrap sandbox refuses those). */
export const isPathPattern = (p: string): boolean => /[*?[\]{}]/.test(p);
const withSlash = (p: string): string => (p.endsWith("/") ? p : `${p}/`);
/** The deeper of two literal paths when one contains the other; patterns only meet themselves. */
function narrowerPath(a: string, b: string): string | null {
  if (a === b) return a;
  if (isPathPattern(a) || isPathPattern(b)) return null;
  if (withSlash(b).startsWith(withSlash(a))) return b;
  if (withSlash(a).startsWith(withSlash(b))) return a;
  return null;
}
/** `*` allows any host; `*.example.com` any host under example.com; host names compare case-insensitively. */
function narrowerHost(a: string, b: string): string | null {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la === lb || lb === "*") return a;
  if (la === "*") return b;
  if (la.startsWith("*.") && lb.endsWith(la.slice(1))) return b;
  if (lb.startsWith("*.") && la.endsWith(lb.slice(1))) return a;
  return null;
}
/** Variable names are exact; `*` allows any. */
const narrowerName = (a: string, b: string): string | null => (a === b || b === "*" ? a : a === "*" ? b : null);

const union = (lists: string[][]): string[] => [...new Set(lists.flat())];

/** Several SANDBOX rules fired: allow lists intersect (empty means none), denies and read-only paths accumulate. */
export function mergeSandboxes(profiles: SandboxProfile[]): SandboxProfile {
  if (profiles.length === 1) return profiles[0] as SandboxProfile;
  const set: Record<string, string> = {};
  for (const p of profiles) for (const [k, v] of Object.entries(p.env.set)) if (!hasOwn.call(set, k)) set[k] = v;
  return {
    filesystem: {
      allow: intersect(profiles.map((p) => p.filesystem.allow), narrowerPath),
      readOnly: union(profiles.map((p) => p.filesystem.readOnly)),
      deny: union(profiles.map((p) => p.filesystem.deny)),
    },
    network: { allow: intersect(profiles.map((p) => p.network.allow), narrowerHost), deny: union(profiles.map((p) => p.network.deny)) },
    env: { allow: intersect(profiles.map((p) => p.env.allow), narrowerName), set },
  };
}
