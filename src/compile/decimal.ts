// Exact decimal numbers (sign, bigint digits, power of ten) for money and unit thresholds: no float rounding.

export interface Decimal {
  /** -1, 0 or 1. */
  sign: number;
  /** Absolute digits without trailing zeros (0n for zero). */
  digits: bigint;
  /** value = sign × digits × 10^exp */
  exp: number;
  /** Number of decimal digits in `digits` (1 for zero). */
  len: number;
}

// Strict grammar; lengths are bounded so a hostile 10 MB "number" costs nothing.
const DECIMAL_RE = /^([+-]?)(\d{1,400})(?:\.(\d{1,400}))?(?:[eE]([+-]?\d{1,6}))?$/;

export const ZERO: Decimal = { sign: 0, digits: 0n, exp: 0, len: 1 };

/** Parses a decimal literal such as `10000.01`, `-1.5e3`; returns undefined when it is not one. */
export function parseDecimal(text: string): Decimal | undefined {
  if (text.length > 820) return undefined;
  const m = DECIMAL_RE.exec(text);
  if (!m) return undefined;
  const intPart = m[2] ?? "0";
  const frac = m[3] ?? "";
  const exp = (m[4] === undefined ? 0 : Number(m[4])) - frac.length;
  return make(m[1] === "-" ? -1 : 1, intPart + frac, exp);
}

/** The decimal a JSON number means: the shortest round-trip text of the double (`0.1` is 0.1). */
export function decimalFromNumber(n: number): Decimal | undefined {
  if (!Number.isFinite(n)) return undefined;
  return parseDecimal(String(n).replace("e+", "e"));
}

function make(sign: number, digitText: string, exp: number): Decimal {
  let s = digitText.replace(/^0+/, "");
  if (s === "") return ZERO;
  let e = exp;
  let end = s.length;
  while (end > 1 && s.charCodeAt(end - 1) === 48) end--;
  e += s.length - end;
  s = s.slice(0, end);
  return { sign, digits: BigInt(s), exp: e, len: s.length };
}

/** Exact product. */
export function multiply(a: Decimal, b: Decimal): Decimal {
  if (a.sign === 0 || b.sign === 0) return ZERO;
  return make(a.sign * b.sign, (a.digits * b.digits).toString(), a.exp + b.exp);
}

/** Exact comparison: -1, 0 or 1. Cost is bounded by the digit counts, never by the exponents. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  if (a.sign !== b.sign) return a.sign < b.sign ? -1 : 1;
  if (a.sign === 0) return 0;
  const mag = compareMagnitude(a, b);
  return a.sign > 0 || mag === 0 ? mag : -mag;
}

function compareMagnitude(a: Decimal, b: Decimal): number {
  // Position of the most significant digit decides unless equal.
  const ta = a.len + a.exp;
  const tb = b.len + b.exp;
  if (ta !== tb) return ta < tb ? -1 : 1;
  // Same leading position: align the shorter mantissa (shift <= digit count).
  let da = a.digits;
  let db = b.digits;
  if (a.exp > b.exp) da *= 10n ** BigInt(a.exp - b.exp);
  else if (b.exp > a.exp) db *= 10n ** BigInt(b.exp - a.exp);
  return da === db ? 0 : da < db ? -1 : 1;
}

/** Text form for messages and canonical artifacts, e.g. `10000.01`. */
export function formatDecimal(d: Decimal): string {
  if (d.sign === 0) return "0";
  const s = d.digits.toString();
  const minus = d.sign < 0 ? "-" : "";
  if (d.exp >= 0) return d.exp > 30 ? `${minus}${s}e${d.exp}` : minus + s + "0".repeat(d.exp);
  const point = s.length + d.exp;
  if (point > 0) return `${minus}${s.slice(0, point)}.${s.slice(point)}`;
  if (point > -30) return `${minus}0.${"0".repeat(-point)}${s}`;
  return `${minus}${s}e${d.exp}`;
}

/** True when the double `n` means exactly the decimal `d` (so a fast float comparison is exact). */
export function doubleIsExact(d: Decimal): boolean {
  const n = Number(formatDecimal(d));
  const back = decimalFromNumber(n);
  return back !== undefined && compareDecimal(back, d) === 0;
}
