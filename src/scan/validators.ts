// Match validators (pure): checksums and structural checks a regex cannot express. A pack pattern may name
// one; matches that fail it are dropped. Each takes the matched text exactly as it appears in the input.

/** Names a pattern may use in its `validator` field. */
export type ValidatorName = "luhn" | "iban" | "us-ssn" | "aba-routing" | "jwt";

/** Luhn (mod 10) over the digits of `s`, ignoring spaces and dashes; 12–19 digits as card numbers have. */
export function isLuhnValid(s: string): boolean {
  const digits = s.replace(/[\s-]/g, "");
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * IBAN lengths by country (the ISO 13616 / SWIFT IBAN registry). A code missing here is rejected: an
 * unknown country cannot be checked, and accepting it would let any 2 letters + 2 digits through.
 */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21,
  CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18,
  FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24,
  ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29,
  PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23,
  ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

export function ibanLength(country: string): number | undefined {
  return IBAN_LENGTHS[country];
}

/**
 * IBAN: known country, that country's length, check digits 02–98 (ISO 13616 computes them as 98 − (n mod 97), so
 * 00, 01 and 99 never occur, though some pass the mod-97 test), and the ISO 7064 mod-97 check equal to 1. Spaces
 * allowed.
 */
export function isIbanValid(s: string): boolean {
  const iban = s.replace(/[\s-]/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const check = iban.slice(2, 4);
  if (check === "00" || check === "01" || check === "99") return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    // Letters count as two digits (A=10 … Z=35); fold digit by digit to stay within safe integers.
    const value = code >= 65 ? String(code - 55) : ch;
    for (const d of value) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/** US SSN structure (no checksum exists): area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function isUsSsnValid(s: string): boolean {
  // The number is at the end of the match (a label such as `SSN:` may precede it).
  const m = /(?:^|\D)(\d{3})[- ]?(\d{2})[- ]?(\d{4})$/.exec(s.trim());
  if (!m) return false;
  const [, area, group, serial] = m as unknown as [string, string, string, string];
  if (area === "000" || area === "666" || area.startsWith("9")) return false;
  if (group === "00" || serial === "0000") return false;
  // Numbers published in advertising and widely reused as examples.
  return !["078051120", "219099999", "123456789"].includes(area + group + serial);
}

/** ABA routing number: 9 digits with weights 3-7-1 summing to a multiple of 10. */
export function isAbaRoutingValid(s: string): boolean {
  if (!/^\d{9}$/.test(s)) return false;
  const w = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (s.charCodeAt(i) - 48) * (w[i] as number);
  return sum % 10 === 0 && s !== "000000000";
}

function decodeBase64Url(part: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  try {
    return atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  } catch {
    return undefined;
  }
}

/** JWT: the header segment decodes to a JSON object naming an `alg` (signatures are not checked). */
export function isJwtValid(s: string): boolean {
  const header = decodeBase64Url(s.split(".")[0] ?? "");
  if (header === undefined) return false;
  try {
    const h: unknown = JSON.parse(header);
    return typeof h === "object" && h !== null && typeof (h as { alg?: unknown }).alg === "string";
  } catch {
    return false;
  }
}

export const VALIDATORS: Readonly<Record<ValidatorName, (match: string) => boolean>> = {
  luhn: isLuhnValid,
  iban: isIbanValid,
  "us-ssn": isUsSsnValid,
  "aba-routing": isAbaRoutingValid,
  jwt: isJwtValid,
};

export function isValidatorName(name: string): name is ValidatorName {
  return Object.prototype.hasOwnProperty.call(VALIDATORS, name);
}
