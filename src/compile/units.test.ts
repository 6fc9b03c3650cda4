// Exact decimals and unit conversion: thresholds compare as written, across units, without float rounding.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareDecimal, decimalFromNumber, formatDecimal, parseDecimal } from "./decimal.js";
import { compareQuantity, parseDurationMs, parseQuantity } from "./units.js";

const d = (s: string) => parseDecimal(s)!;
const q = (v: unknown) => {
  const r = parseQuantity(v);
  assert.ok(r.ok, `not a quantity: ${JSON.stringify(v)}`);
  return r.quantity;
};

test("decimals compare exactly where doubles would round", () => {
  assert.equal(compareDecimal(d("10000.0000000000000001"), d("10000")), 1);
  assert.equal(compareDecimal(decimalFromNumber(0.1 + 0.2)!, d("0.3")), 1);
  assert.equal(compareDecimal(decimalFromNumber(0.1)!, d("0.1")), 0);
  assert.equal(compareDecimal(d("1e400"), d("9".repeat(399))), 1);
  assert.equal(compareDecimal(d("-5"), d("3")), -1);
  assert.equal(compareDecimal(d("0.000"), d("-0")), 0);
  assert.equal(parseDecimal("1e9999999"), undefined, "exponents are bounded");
  assert.equal(parseDecimal("12abc"), undefined);
});

test("decimal comparison agrees with double comparison on doubles (property)", () => {
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), (a, b) => {
    const c = compareDecimal(decimalFromNumber(a)!, decimalFromNumber(b)!);
    assert.equal(c, a < b ? -1 : a > b ? 1 : 0);
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (a) => {
    assert.equal(Number(formatDecimal(decimalFromNumber(a)!)), a === 0 ? 0 : a);
  }), { numRuns: 1000 });
});

test("units convert exactly: mcg/m2 to mg/m2, sizes, durations, currencies", () => {
  assert.equal(compareQuantity(q("750 mcg/m2"), q("0.75 mg/m2")), 0);
  assert.equal(compareQuantity(q({ value: 751, unit: "mcg/m2" }), q("0.75 mg/m2")), 1);
  assert.equal(compareQuantity(q("1.5 mg/m2"), q({ value: "1.5", unit: "mg/m2" })), 0);
  assert.equal(compareQuantity(q("0.5 mg/kg"), q("0.75 mg/m2")), undefined, "incompatible dimensions");
  assert.equal(compareQuantity(q("10 kB"), q("10000 B")), 0);
  assert.equal(compareQuantity(q("1 KiB"), q("1 kB")), 1);
  assert.equal(compareQuantity(q("100 USD"), q("100 EUR")), undefined);
  assert.equal(parseDurationMs("1h"), 3_600_000);
  assert.equal(parseDurationMs("1.5 h"), 5_400_000);
  assert.equal(parseDurationMs("30s"), 30_000);
  assert.equal(parseDurationMs("10 kB"), undefined);
  assert.deepEqual(parseQuantity(0.5), { ok: false, problem: "missing-unit" });
  assert.deepEqual(parseQuantity("0.5 parsecs"), { ok: false, problem: "unknown-unit", unit: "parsecs" });
});
