// Tests for match validators: known-good and known-bad values, and fast-check properties of the checksums.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ibanLength, isAbaRoutingValid, isIbanValid, isJwtValid, isLuhnValid, isUsSsnValid, isValidatorName } from "./validators.js";

test("luhn accepts test card numbers and rejects one-digit changes", () => {
  for (const ok of ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005", "6011111111111117"]) assert.ok(isLuhnValid(ok), ok);
  for (const bad of ["4111111111111112", "1234567890123", "4111-1111", "abcd"]) assert.equal(isLuhnValid(bad), false, bad);
});

test("iban accepts registry examples, rejects bad check digits, lengths and countries", () => {
  for (const ok of ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR1420041010050500013M02606", "NO9386011117947"]) {
    assert.ok(isIbanValid(ok), ok);
  }
  for (const bad of ["GB82WEST12345698765433", "DE8937040044053201300", "XX82WEST12345698765432", "GB82 WEST"]) {
    assert.equal(isIbanValid(bad), false, bad);
  }
  assert.equal(ibanLength("DE"), 22);
});

test("iban rejects check digits 00, 01 and 99 even when the mod-97 test passes (valid ones are 02-98)", () => {
  for (const bad of ["GB99WEST12345698765417", "GB01WEST12345698765435", "GB00WEST12345698765453"]) {
    // the mod-97 remainder alone is 1 for these: only the range of the check digits rules them out
    let rem = 0;
    for (const ch of bad.slice(4) + bad.slice(0, 4)) for (const d of ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch) rem = (rem * 10 + Number(d)) % 97;
    assert.equal(rem, 1, bad);
    assert.equal(isIbanValid(bad), false, bad);
  }
  // the same accounts with their real check digits, at both ends of the range
  for (const ok of ["GB02WEST12345698765417", "GB98WEST12345698765435"]) assert.ok(isIbanValid(ok), ok);
});

function luhnDigit(body: string): string {
  for (let d = 0; d < 10; d++) if (isLuhnValid(body + d)) return String(d);
  throw new Error("no luhn digit");
}

test("property: a luhn check digit exists and any single-digit change breaks it", () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 12, maxLength: 18 }), fc.nat(), fc.integer({ min: 1, max: 9 }), (body, pos, delta) => {
      const card = body + luhnDigit(body);
      assert.ok(isLuhnValid(card));
      const i = pos % card.length;
      const changed = card.slice(0, i) + String(((card.charCodeAt(i) - 48 + delta) % 10)) + card.slice(i + 1);
      assert.equal(isLuhnValid(changed), false);
    }),
    { numRuns: 300 },
  );
});

test("property: computed IBAN check digits validate and single substitutions fail", () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 18, maxLength: 18 }), fc.nat(), fc.integer({ min: 1, max: 9 }), (bban, pos, delta) => {
      // DE: 2 letters, 2 check digits, 18 digits. Check digits = 98 - (bban + "DE00" as number mod 97).
      let rem = 0;
      for (const ch of bban + "131400") rem = (rem * 10 + Number(ch)) % 97;
      const iban = `DE${String(98 - rem).padStart(2, "0")}${bban}`;
      assert.ok(isIbanValid(iban), iban);
      const i = 4 + (pos % 18);
      const changed = iban.slice(0, i) + String((Number(iban[i]) + delta) % 10) + iban.slice(i + 1);
      assert.equal(isIbanValid(changed), false, changed);
    }),
    { numRuns: 300 },
  );
});

test("us ssn structure, aba routing checksum, jwt header", () => {
  assert.ok(isUsSsnValid("123-45-6780"));
  for (const bad of ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000", "078-05-1120"]) assert.equal(isUsSsnValid(bad), false, bad);
  assert.ok(isAbaRoutingValid("021000021"));
  assert.equal(isAbaRoutingValid("021000022"), false);
  assert.ok(isJwtValid("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig"));
  assert.equal(isJwtValid("eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxIn0.sig"), false); // {"foo":"bar"}: no alg
  assert.equal(isJwtValid("eyJub3Rqc29u.x.y"), false);
  assert.ok(isValidatorName("luhn"));
  assert.equal(isValidatorName("toString"), false);
});
