// The fused pack scan (one set over the shared base view, src/scan/pack-fused.ts) reports exactly the findings
// of the per-normalization sets: fast-check texts mix pack examples with homoglyphs, combining marks,
// invisible characters, odd white space, leetspeak and case; the fused set survives an artifact round trip.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compilePacks, loadPack, scanWithPacks, type CompiledPacks } from "../src/scan/pack.js";
import { baseView, collapseAscii, loadFused, storeFused } from "../src/scan/pack-fused.js";
import { mapSpan, normalizeText } from "../src/scan/normalize.js";
import { homoglyphEntries } from "../src/scan/normalize-tables.js";
import { injectionPack } from "../src/scan/packs/injection.js";
import { piiPack } from "../src/scan/packs/pii.js";
import { secretsPack } from "../src/scan/packs/secrets.js";
import { shellPack } from "../src/scan/packs/shell.js";

const r = compilePacks(loadPack("all"));
assert.ok(r.ok);
const FUSED: CompiledPacks = r.compiled;
const PLAIN: CompiledPacks = { ...FUSED, fused: null };

const EXAMPLES: string[] = [];
for (const p of [injectionPack, secretsPack, piiPack, shellPack]) for (const rule of p.rules) EXAMPLES.push(...rule.examples.match, ...rule.examples.noMatch);
const PIECES = [
  ...homoglyphEntries().map(([from]) => from),
  "\u200b", "\u202e", "\u2066", "\u00ad", "\ufeff", "\u0301", "\u0308", "\u0327",
  " ", "  ", "\n", "\t", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085",
  "ﬁ", "Ⅸ", "İ", "ß", "ẞ", "\u212a", "ſ", "ϲ", "Σ", "ς", "ǅ", "é", "É", "😀", "𝐀", "Ａ", "１", "\ud800", "\udc00",
  "0", "1", "3", "4", "5", "7", "@", "$", "-", ".", "_", "'", "|", ";", ":", "=", "/",
];

function disguise(base: string, edits: Array<[number, number, boolean]>, upper: boolean): string {
  let t = upper ? base.toUpperCase() : base;
  for (const [pos, piece, replace] of edits) {
    const at = pos % (t.length + 1);
    const p = PIECES[piece % PIECES.length] as string;
    t = t.slice(0, at) + p + t.slice(at + (replace ? 1 : 0));
  }
  return t;
}

test("fused scan: every fusable group is in the fused set", () => {
  assert.ok(FUSED.fused);
  assert.deepEqual(FUSED.fused.keys, [
    "stripInvisible+nfkc+collapseWhitespace|-",
    "stripInvisible+nfkc+collapseWhitespace|boundary",
    "stripInvisible+nfkc+homoglyphs+caseFold+collapseWhitespace|-",
    "stripInvisible+nfkc+homoglyphs+caseFold+leetspeak+collapseWhitespace|-",
    "stripInvisible+nfkc+homoglyphs+caseFold+leetspeak+collapseWhitespace|boundary",
  ]);
});

test("fused scan: the same findings as one set per normalization (disguised pack examples)", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...EXAMPLES),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 8 }),
      fc.boolean(),
      fc.constantFrom("", "note: ", "x", "1"),
      (ex, edits, upper, prefix) => {
        const text = prefix + disguise(ex, edits, upper);
        assert.deepEqual(scanWithPacks(FUSED, text), scanWithPacks(PLAIN, text), JSON.stringify(text));
      },
    ),
    { numRuns: 3000 },
  );
});

test("fused scan: the same findings on concatenated examples and random units", () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...EXAMPLES), fc.constantFrom(...PIECES), fc.string({ unit: "binary", maxLength: 6 })), { maxLength: 12 }), (parts) => {
      const text = parts.join("");
      assert.deepEqual(scanWithPacks(FUSED, text), scanWithPacks(PLAIN, text), JSON.stringify(text));
    }),
    { numRuns: 1500 },
  );
});

test("fused scan: the ASCII base view is white-space collapsing with the same offsets as normalizeText", () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom("a", "B", "1", " ", "  ", "\n", "\t\r", "-", "x y", "\u000b"), { maxLength: 30 }), (parts) => {
      const text = parts.join("");
      const fast = collapseAscii(text);
      const ref = normalizeText(text, { stripInvisible: true, nfkc: true, collapseWhitespace: true });
      assert.equal(fast.text, ref.text);
      for (let s = 0; s <= ref.text.length; s++) for (let e = s; e <= ref.text.length; e++) assert.deepEqual(mapSpan(fast, s, e), mapSpan(ref, s, e));
    }),
  );
});

test("fused scan: texts whose views are not unit maps of the base take the per-group path", () => {
  const f = FUSED.fused;
  assert.ok(f);
  // lunate sigma: homoglyph folding turns it into `c` before NFKC would turn it into a final sigma
  assert.equal(baseView("ignore \u03f2", f.views, f.viewsKey).ok, false);
  assert.equal(baseView("caf\u00e9 na\u00efve", f.views, f.viewsKey).ok, true);
  assert.equal(baseView("plain ascii", f.views, f.viewsKey).ascii, true);
});

test("fused scan: stored and loaded, byte-identical and the same findings", () => {
  const f = FUSED.fused;
  assert.ok(f);
  const stored = JSON.stringify(storeFused(f));
  const loaded = loadFused(JSON.parse(stored));
  assert.equal(JSON.stringify(storeFused(loaded)), stored);
  const again = compilePacks(loadPack("injection"));
  const again2 = compilePacks(loadPack("injection"));
  assert.ok(again.ok && again2.ok && again.compiled.fused && again2.compiled.fused);
  assert.equal(JSON.stringify(storeFused(again.compiled.fused)), JSON.stringify(storeFused(again2.compiled.fused)));
  const viaArtifact: CompiledPacks = { ...FUSED, fused: loaded };
  for (const t of EXAMPLES) assert.deepEqual(scanWithPacks(viaArtifact, t), scanWithPacks(PLAIN, t));
  assert.throws(() => loadFused({ ...JSON.parse(stored), viewById: [["nope", 0]] }));
});
