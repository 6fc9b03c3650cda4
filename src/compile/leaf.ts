// The meaning of one condition leaf, interpreted: true, false, or indeterminate (missing / ill-typed value).
import { compareDecimal, decimalFromNumber, parseDecimal, type Decimal } from "./decimal.js";
import type { ArgIR, LeafIR, Scalar } from "./ir.js";
import { compareQuantity, parseQuantity, type Quantity } from "./units.js";
import { MISSING, type FieldValue } from "./fields.js";
import { packsFor, scanValue } from "./scan-leaf.js";

// Zero-width characters, soft hyphen, bidi controls and tags: invisible, so never part of a compared name.
// Unicode's Default_Ignorable_Code_Point: every character that renders as nothing (soft hyphen, zero-width and bidi
// marks, variation selectors, Hangul fillers, tags, U+034F, U+061C, …). A hand list missed several of them.
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
/** Turkish dotted capital İ lowercases to `i` + U+0307, dotless ı to itself: both are read as `i`. */
const TURKISH_I = /[\u0130\u0131]/g;
/** A combining dot above on i or j (what `"İ".toLowerCase()` leaves, or typed decomposed): the dot they already have. */
const DOT_ON_I = /(?<=[ij])\u0307+/g;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * What `ignore_case` compares: Unicode NFKC (fullwidth `ｖ` is `v`), default-ignorable (invisible) characters
 * removed, Turkish `İ`/`ı` read as `i`, then lowercased, so a name cannot slip past a case-insensitive rule by
 * looking the same and not being equal.
 */
export function foldCase(s: string): string {
  if (!NON_ASCII.test(s)) return s.toLowerCase();
  // invisibles out before NFKC (so what they separated composes) and after (NFKC can yield one, e.g. U+FFA0)
  return s.replace(INVISIBLE, "").normalize("NFKC").replace(INVISIBLE, "").replace(TURKISH_I, "i").toLowerCase().replace(DOT_ON_I, "").normalize("NFKC");
}

/** Three-valued outcome: F = false, T = true, E = indeterminate (never treated as permission). */
export const F = 0;
export const T = 1;
export const E = 2;
export type Tri = 0 | 1 | 2;

/** Why a leaf was indeterminate, in words (for reasons and `warden explain`). */
export function leafProblem(leaf: LeafIR, v: FieldValue, lists: Record<string, Scalar[]>): string | undefined {
  if (evalLeaf(leaf, v, lists) !== E) return undefined;
  if (v === MISSING) return `field \`${leaf.field}\` is missing`;
  if (typeof v === "number" && !Number.isFinite(v)) return `field \`${leaf.field}\` is not a finite number`;
  if (leaf.arg.kind === "quantity" || (leaf.arg.kind === "range" && leaf.arg.lo.kind === "quantity")) {
    const q = parseQuantity(v);
    if (!q.ok) return q.problem === "missing-unit" ? `field \`${leaf.field}\` has no unit` : q.problem === "unknown-unit" ? `field \`${leaf.field}\` has unknown unit \`${q.unit ?? ""}\`` : `field \`${leaf.field}\` is not a quantity`;
    return `field \`${leaf.field}\` has unit \`${q.quantity.unit.name}\`, which does not convert to the rule's unit`;
  }
  const t = Array.isArray(v) ? "a list" : v === null ? "null" : typeof v;
  return `field \`${leaf.field}\` is ${t}, which \`${leaf.op}\` cannot compare`;
}

/** Exact numeric reading of a value: finite numbers and strict decimal strings. */
export function numericValue(v: FieldValue): Decimal | undefined {
  if (typeof v === "number") return decimalFromNumber(v);
  if (typeof v === "string") return parseDecimal(v);
  return undefined;
}

/** Compares a value with a numeric or quantity operand: -1/0/1, or undefined when not comparable. */
export function compareWith(arg: ArgIR, v: FieldValue): number | undefined {
  if (arg.kind === "number") {
    const d = numericValue(v);
    const t = parseDecimal(arg.text);
    return d && t ? compareDecimal(d, t) : undefined;
  }
  if (arg.kind === "quantity") {
    const q = parseQuantity(v);
    const t = parseQuantity(arg.text);
    return q.ok && t.ok ? compareQuantity(q.quantity, t.quantity) : undefined;
  }
  return undefined;
}

function scalarOf(arg: ArgIR): Scalar | undefined {
  switch (arg.kind) {
    case "string": return arg.value;
    case "bool": return arg.value;
    case "null": return null;
    default: return undefined;
  }
}

function fold(x: Scalar, ci: boolean): Scalar {
  return ci && typeof x === "string" ? foldCase(x) : x;
}

function typeOf(v: Scalar): string {
  return v === null ? "null" : typeof v;
}

function isScalar(v: FieldValue): v is Scalar {
  return v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

/** Scalar equality: numbers compare as exact decimals (so `"10000.0"` eq 10000), strings exactly or folded. */
function equals(arg: ArgIR, v: FieldValue, ci: boolean): Tri {
  if (v === MISSING) return E;
  if (arg.kind === "number" || arg.kind === "quantity") {
    const c = compareWith(arg, v);
    return c === undefined ? E : c === 0 ? T : F;
  }
  const s = scalarOf(arg);
  if (arg.kind === "null") return v === null ? T : F;
  if (typeof v !== typeof s) return E;
  return fold(v as Scalar, ci) === fold(s as Scalar, ci) ? T : F;
}

function members(arg: ArgIR, lists: Record<string, Scalar[]>): Scalar[] {
  return arg.kind === "set" ? arg.values : arg.kind === "list" ? (lists[arg.name] ?? []) : [];
}

function byteSize(v: FieldValue): number | undefined {
  if (typeof v === "string") return utf8Length(v);
  if (v === MISSING) return undefined;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? undefined : utf8Length(s);
  } catch {
    return undefined;
  }
}

/** UTF-8 byte length without allocating (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Some element equals the operand: true; else indeterminate if an element could not be compared; else false. */
function listHas(arg: ArgIR, list: unknown[], ci: boolean): Tri {
  let indeterminate = false;
  for (const item of list) {
    const r = equals(arg, item as FieldValue, ci);
    if (r === T) return T;
    if (r === E) indeterminate = true;
  }
  return indeterminate ? E : F;
}

export function evalLeaf(leaf: LeafIR, v: FieldValue, lists: Record<string, Scalar[]>): Tri {
  const { op, arg, ignoreCase: ci } = leaf;
  switch (op) {
    case "exists": return v === MISSING ? F : T;
    case "missing": return v === MISSING ? T : F;
    case "eq": return equals(arg, v, ci);
    case "ne": { const r = equals(arg, v, ci); return r === E ? E : r === T ? F : T; }
    case "in":
    case "not_in": {
      if (!isScalar(v)) return E;
      const all = members(arg, lists);
      // A value of a type no member has is not "not a member": it is ill-typed (indeterminate).
      const type = typeOf(v);
      if (all.length > 0 && !all.some((m) => typeOf(m) === type)) return E;
      const x = fold(v, ci);
      const hit = all.some((m) => fold(m, ci) === x);
      return (hit === (op === "in")) ? T : F;
    }
    case "includes":
      return Array.isArray(v) ? listHas(arg, v, ci) : E;
    case "lt": case "lte": case "gt": case "gte": {
      const c = compareWith(arg, v);
      if (c === undefined) return E;
      const ok = op === "lt" ? c < 0 : op === "lte" ? c <= 0 : op === "gt" ? c > 0 : c >= 0;
      return ok ? T : F;
    }
    case "between": {
      if (arg.kind !== "range") return E;
      const lo = compareWith(arg.lo, v);
      const hi = compareWith(arg.hi, v);
      if (lo === undefined || hi === undefined) return E;
      return lo >= 0 && hi <= 0 ? T : F;
    }
    case "contains": {
      if (typeof v === "string") {
        const s = scalarOf(arg);
        if (typeof s !== "string") return E;
        return (ci ? foldCase(v).includes(foldCase(s)) : v.includes(s)) ? T : F;
      }
      return Array.isArray(v) ? listHas(arg, v, ci) : E;
    }
    case "starts_with":
    case "ends_with": {
      const s = scalarOf(arg);
      if (typeof v !== "string" || typeof s !== "string") return E;
      const a = ci ? foldCase(v) : v;
      const b = ci ? foldCase(s) : s;
      return (op === "starts_with" ? a.startsWith(b) : a.endsWith(b)) ? T : F;
    }
    case "longer_than":
    case "shorter_than": {
      if (arg.kind !== "count" || !(typeof v === "string" || Array.isArray(v))) return E;
      return (op === "longer_than" ? v.length > arg.value : v.length < arg.value) ? T : F;
    }
    case "larger_than":
    case "smaller_than": {
      const n = byteSize(v);
      if (arg.kind !== "bytes" || n === undefined) return E;
      return (op === "larger_than" ? n > arg.value : n < arg.value) ? T : F;
    }
    case "matches":
    case "scan":
      // Nothing to scan is no evidence of an attack: a missing field is false here, not indeterminate.
      if (arg.kind !== "scan") return E;
      return scanValue(packsFor(arg), v, leaf.field, 1).length > 0 ? T : F;
  }
}

/** A quantity operand parsed once (used by the compiled fast path). */
export function operandQuantity(arg: ArgIR): Quantity | undefined {
  if (arg.kind !== "quantity") return undefined;
  const q = parseQuantity(arg.text);
  return q.ok ? q.quantity : undefined;
}
