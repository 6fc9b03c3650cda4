// PII pack: payment cards (Luhn), IBANs (mod-97 + country length), US SSNs (structure), e-mail addresses,
// phone numbers. Checksums make the card and IBAN rules precise; e-mail and phone rules find real contact
// data in ordinary requests by design (see docs/scanner-packs.md for the measured rates).
import type { Pack, PackRule } from "./types.js";

// Fullwidth digits and letters fold to ASCII; invisible characters cannot split a number. The same options
// as the shell pack, so both share one normalized copy of the text.
const N = { stripInvisible: true, nfkc: true, collapseWhitespace: true };

const SEP = "[ -]?";
const rules: PackRule[] = [
  {
    id: "payment-card",
    // Visa 13/16/19, Mastercard 16 (51-55, 2221-2720), Amex 15, Discover 16/19 (6011, 644-649, 65, 622126-622925),
    // JCB 16/19 (3528-3589), Diners 14; UnionPay (62) and Mir (2200-2204) 16-19; groups of 4 with optional single
    // space or dash. Luhn drops random 16-digit numbers (9 in 10 fail it).
    pattern: [
      `(?:4[0-9]{3}|5[1-5][0-9]{2}|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720|6(?:011|5[0-9]{2}|4[4-9][0-9])|35[2-8][0-9])(?:${SEP}[0-9]{4}){3}(?:[0-9]{3})?`,
      `(?:62[0-9]{2}|220[0-4])(?:${SEP}[0-9]{4}){3}(?:[0-9]{1,3})?`,
      `4[0-9]{12}`,
      `3[47][0-9]{2}${SEP}[0-9]{6}${SEP}[0-9]{5}`,
      `3(?:0[0-5]|[68][0-9])[0-9]${SEP}[0-9]{6}${SEP}[0-9]{4}`,
    ].join("|"),
    boundary: "digit",
    validator: "luhn",
    severity: "high",
    description: "payment card number (major brands' prefixes and lengths, Luhn-checked)",
    normalization: N,
    mask: "edges",
    examples: {
      match: ["card 4111 1111 1111 1111 exp 12/29", "5500-0000-0000-0004", "amex 378282246310005", "６０１１１１１１１１１１１１１７", "discover 6221260000000000", "unionpay 6212345678901232", "unionpay 62123456789012347", "mir 2200 0000 0000 0004", "mastercard 2221000000000009"],
      noMatch: ["4111 1111 1111 1112", "order 41111111111111110000", "tracking 1234567812345678", "2210000000000002", "2721000000000004"],
    },
  },
  {
    id: "iban",
    // Lower case too (the validator upper-cases): `gb82 west 1234 5698 7654 32` is the same account.
    pattern: "[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?",
    boundary: "word",
    validator: "iban",
    severity: "high",
    description: "IBAN (country length and ISO 7064 mod-97 checked)",
    normalization: N,
    mask: "edges",
    examples: {
      match: ["IBAN: GB82 WEST 1234 5698 7654 32", "pay DE89370400440532013000 today", "FR1420041010050500013M02606", "iban gb82 west 1234 5698 7654 32"],
      noMatch: ["GB82 WEST 1234 5698 7654 33", "AB12 CDEF GHIJ KLMN"],
    },
  },
  {
    id: "us-ssn",
    pattern: "[0-9]{3}-[0-9]{2}-[0-9]{4}|(?:SSN|[Ss]ocial [Ss]ecurity (?:[Nn]umber|[Nn]o\\.?|#))[:#]? {0,2}[0-9]{3} ?[0-9]{2} ?[0-9]{4}",
    boundary: "digit",
    validator: "us-ssn",
    severity: "high",
    description: "US social security number (dashed, or undashed after an SSN label); area/group/serial structure checked, no checksum exists",
    normalization: N,
    mask: "edges",
    examples: { match: ["SSN 123-45-6780", "social security number: 123456780"], noMatch: ["000-12-3456", "call 555-12-34567", "order 123456780"] },
  },
  {
    id: "email",
    pattern: "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,24}",
    boundary: "word",
    severity: "medium",
    description: "e-mail address (git SSH remotes such as `git@github.com:` and IRC hosts are not reported)",
    allowMatches: ["^git@", "@irc\\."],
    normalization: N,
    mask: "edges",
    examples: { match: ["mail jane.doe+tag@example.co.uk now"], noMatch: ["user@localhost", "@handle", "a@b", "git clone git@github.com:org/repo.git", "#chan@irc.rizon.net"] },
  },
  {
    id: "phone-e164",
    pattern: "\\+[1-9][0-9]{7,14}",
    boundary: "digit",
    severity: "medium",
    description: "phone number in E.164 form (+ country code, 8–15 digits)",
    normalization: N,
    mask: "edges",
    examples: { match: ["call +14155552671", "+447911123456"], noMatch: ["+1234", "1+1234567890"] },
  },
  {
    id: "phone-nanp",
    pattern: "(?:\\+?1[ .-]?)?(?:\\([2-9][0-9]{2}\\) ?|[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}",
    boundary: "digit",
    severity: "medium",
    description: "North American phone number written with separators: (415) 555-2671, 415-555-2671, +1 415.555.2671",
    normalization: N,
    mask: "edges",
    examples: { match: ["(415) 555-2671", "call 415-555-2671 today", "+1 415.555.2671"], noMatch: ["2024-05-15", "415-155-2671", "12-345-6789"] },
  },
  {
    id: "phone-international",
    pattern: "\\+[1-9][0-9]{0,2}[ .-](?:\\(0?[0-9]{1,4}\\)|[0-9]{1,4})(?:[ .-][0-9]{2,4}){2,4}",
    boundary: "digit",
    severity: "low",
    description: "international phone number with separators (+44 20 7946 0958); looser, hence low severity",
    normalization: N,
    mask: "edges",
    examples: { match: ["+44 20 7946 0958", "+33 1 23 45 67 89"], noMatch: ["+1 2", "1 + 2 = 3"] },
  },
];

export const piiPack: Pack = {
  name: "pii",
  description: "payment cards (Luhn), IBANs (mod-97), US SSNs, e-mail addresses, phone numbers",
  rules,
};
