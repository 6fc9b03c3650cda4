// Quantities with units: parse `"1.5 mg/m2"` or `{ value, unit }`, and compare exactly across units.
import { compareDecimal, decimalFromNumber, formatDecimal, multiply, parseDecimal, type Decimal } from "./decimal.js";

interface UnitDef {
  dimension: string;
  /** Multiplier to the dimension's base unit, as an exact decimal. */
  factor: Decimal;
}

export interface Unit {
  /** Canonical spelling, e.g. `mg/m2`. */
  name: string;
  dimension: string;
  num: Decimal;
  den: Decimal;
}

export interface Quantity {
  value: Decimal;
  unit: Unit;
}

const dec = (s: string): Decimal => parseDecimal(s) as Decimal;

// Simple units: [dimension, factor to base, canonical name, ...aliases]
const SIMPLE: Array<[string, string, string, ...string[]]> = [
  ["mass", "1e-9", "ng"],
  ["mass", "1e-6", "mcg", "ug", "\u00b5g", "\u03bcg"],
  ["mass", "1e-3", "mg"],
  ["mass", "1", "g"],
  ["mass", "1e3", "kg"],
  ["area", "1", "m2", "m^2", "m\u00b2"],
  ["area", "1e-4", "cm2", "cm^2", "cm\u00b2"],
  ["volume", "1e-3", "mL", "ml"],
  ["volume", "1e-1", "dL", "dl"],
  ["volume", "1", "L", "l"],
  ["time", "1", "ms", "millisecond", "milliseconds"],
  ["time", "1e3", "s", "sec", "secs", "second", "seconds"],
  ["time", "6e4", "min", "mins", "minute", "minutes"],
  ["time", "3.6e6", "h", "hr", "hrs", "hour", "hours"],
  ["time", "8.64e7", "d", "day", "days"],
  ["time", "6.048e8", "w", "wk", "week", "weeks"],
  ["size", "1", "B", "byte", "bytes"],
  ["size", "1e3", "kB", "KB"],
  ["size", "1e6", "MB"],
  ["size", "1e9", "GB"],
  ["size", "1e12", "TB"],
  ["size", "1024", "KiB"],
  ["size", "1048576", "MiB"],
  ["size", "1073741824", "GiB"],
  ["count", "1", "IU", "units", "unit"],
];

const TABLE = new Map<string, UnitDef & { name: string }>();
for (const [dimension, factor, name, ...aliases] of SIMPLE) {
  for (const n of [name, ...aliases]) TABLE.set(n, { dimension, factor: dec(factor), name });
}
const ONE = dec("1");
const CURRENCY_RE = /^[A-Z]{3}$/;

function simpleUnit(text: string): (UnitDef & { name: string }) | undefined {
  const u = TABLE.get(text);
  if (u) return u;
  // ISO 4217-style currency codes are each their own dimension: USD never converts to EUR.
  if (CURRENCY_RE.test(text)) return { dimension: `currency:${text}`, factor: ONE, name: text };
  return undefined;
}

/** Parses a unit such as `mg`, `mcg/m2`, `KiB`; undefined when unknown. */
export function parseUnit(text: string): Unit | undefined {
  const t = text.trim();
  if (t.length === 0 || t.length > 32) return undefined;
  const slash = t.indexOf("/");
  if (slash < 0) {
    const u = simpleUnit(t);
    return u && { name: u.name, dimension: u.dimension, num: u.factor, den: ONE };
  }
  const a = simpleUnit(t.slice(0, slash).trim());
  const b = simpleUnit(t.slice(slash + 1).trim());
  if (!a || !b) return undefined;
  return { name: `${a.name}/${b.name}`, dimension: `${a.dimension}/${b.dimension}`, num: a.factor, den: b.factor };
}

const QUANTITY_RE = /^\s*([+-]?\d{1,400}(?:\.\d{1,400})?(?:[eE][+-]?\d{1,6})?)\s*([^\s\d+\-.][^]{0,40})$/;

export type QuantityParse = { ok: true; quantity: Quantity } | { ok: false; problem: "missing-unit" | "unknown-unit" | "not-a-quantity"; unit?: string };

/** Parses `"1.5 mg/m2"`, `{ value: 1.5, unit: "mg/m2" }` or `{ value: "1.5", unit: ... }`. */
export function parseQuantity(v: unknown): QuantityParse {
  if (typeof v === "string") {
    if (v.length > 900) return { ok: false, problem: "not-a-quantity" };
    const m = QUANTITY_RE.exec(v);
    if (!m) {
      return parseDecimal(v.trim()) ? { ok: false, problem: "missing-unit" } : { ok: false, problem: "not-a-quantity" };
    }
    const value = parseDecimal(m[1] as string);
    const unitText = (m[2] as string).trim();
    const unit = parseUnit(unitText);
    if (!value) return { ok: false, problem: "not-a-quantity" };
    if (!unit) return { ok: false, problem: "unknown-unit", unit: unitText };
    return { ok: true, quantity: { value, unit } };
  }
  if (typeof v === "number") return Number.isFinite(v) ? { ok: false, problem: "missing-unit" } : { ok: false, problem: "not-a-quantity" };
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const raw = Object.hasOwn(o, "value") ? o["value"] : undefined;
    const unitRaw = Object.hasOwn(o, "unit") ? o["unit"] : undefined;
    const value = typeof raw === "number" ? decimalFromNumber(raw) : typeof raw === "string" ? parseDecimal(raw.trim()) : undefined;
    if (!value) return { ok: false, problem: "not-a-quantity" };
    if (typeof unitRaw !== "string") return { ok: false, problem: "missing-unit" };
    const unit = parseUnit(unitRaw);
    if (!unit) return { ok: false, problem: "unknown-unit", unit: unitRaw };
    return { ok: true, quantity: { value, unit } };
  }
  return { ok: false, problem: "not-a-quantity" };
}

/** Compares two quantities of the same dimension exactly; undefined when the dimensions differ. */
export function compareQuantity(a: Quantity, b: Quantity): number | undefined {
  if (a.unit.dimension !== b.unit.dimension) return undefined;
  // a.v × a.num / a.den  vs  b.v × b.num / b.den, cross-multiplied so every step is exact.
  const left = multiply(multiply(a.value, a.unit.num), b.unit.den);
  const right = multiply(multiply(b.value, b.unit.num), a.unit.den);
  return compareDecimal(left, right);
}

/** A duration such as `1h`, `30 s`, `1.5 h` in milliseconds (a float only at the very end). */
export function parseDurationMs(v: unknown): number | undefined {
  const q = parseQuantity(v);
  if (!q.ok || q.quantity.unit.dimension !== "time") return undefined;
  const ms = toBaseNumber(q.quantity);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** The quantity in its dimension's base unit (ms, bytes, g, ...) as a double. */
export function toBaseNumber(q: Quantity): number {
  return Number(formatForNumber(multiply(q.value, q.unit.num)));
}

function formatForNumber(d: Decimal): string {
  return `${d.sign < 0 ? "-" : ""}${d.digits.toString()}e${d.exp}`;
}

export function quantityText(q: Quantity): string {
  return `${formatDecimal(q.value)} ${q.unit.name}`;
}
