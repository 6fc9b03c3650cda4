// Artifacts: compile twice => byte-identical serialization and hash; a loaded artifact scans exactly like the
// compiled set; malformed artifacts are refused; keyword gates behave as in gitleaks.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compilePatternSet, loadPatternSet, patternSetHash, PatternSetLoadError, scanText, serializePatternSet, automatonSizes } from "../src/scan/index.js";

const ATOMS = ["a", "b", "ab", "[a-c]", "\\d", "\\w+", "x{2,3}", "\\bfoo\\b", "(?i)bar", "^z", "q$", "[^\\n]{2}", "k+y"];
const patternArb = fc.array(fc.constantFrom(...ATOMS), { minLength: 1, maxLength: 3 }).map((xs) => xs.join(""));
const textArb = fc.array(fc.constantFrom("a", "b", "c", "1", "foo", "BAR", "x", "z", "q", " ", "\n", "k", "y"), { maxLength: 30 }).map((xs) => xs.join(""));

test("compile twice gives byte-identical artifacts and hashes; loading preserves scans", () => {
  fc.assert(
    fc.property(fc.array(patternArb, { minLength: 1, maxLength: 6 }), fc.array(textArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 8, max: 4096 }), (ps, texts, budget) => {
      const specs = ps.map((pattern, i) => ({ id: `p${i}`, pattern, tier: i % 3, keywords: i % 2 === 0 ? [] : ["foo", "k"] }));
      const a = compilePatternSet(specs, { stateBudget: budget });
      const b = compilePatternSet(specs, { stateBudget: budget });
      assert.ok(a.ok && b.ok);
      const bytes = serializePatternSet(a.set);
      assert.equal(serializePatternSet(b.set), bytes);
      assert.equal(patternSetHash(a.set), patternSetHash(b.set));
      assert.match(patternSetHash(a.set), /^sha256:[0-9a-f]{64}$/);
      const loaded = loadPatternSet(bytes);
      assert.equal(serializePatternSet(loaded), bytes);
      for (const t of texts) assert.deepEqual(scanText(loaded, t), scanText(a.set, t));
    }),
    { numRuns: 60 },
  );
});

test("a tiny state budget splits the set and falls back to lazy DFAs, with the same matches", () => {
  const specs = [
    { id: "hex", pattern: "[a-f0-9]{12}" },
    { id: "tok", pattern: "tok_[A-Za-z0-9]{8,}" },
    { id: "w", pattern: "\\bword\\b" },
  ];
  const big = compilePatternSet(specs);
  const small = compilePatternSet(specs, { stateBudget: 4 });
  assert.ok(big.ok && small.ok);
  assert.ok(small.diagnostics.some((d) => d.code === "SCAN_LAZY_FALLBACK"));
  assert.ok(automatonSizes(small.set).detectors.some((d) => d.kind === "lazy"));
  const text = "x tok_ABCdef12345 deadbeef0123 word words 0123456789abcdef";
  assert.deepEqual(scanText(small.set, text), scanText(big.set, text));
  assert.deepEqual(
    scanText(big.set, text).map((m) => m.patternId),
    ["tok", "hex", "w", "hex"],
  );
});

test("keywords gate a pattern on the whole text, case-insensitively", () => {
  const r = compilePatternSet([{ id: "k", pattern: "[0-9]{6}", keywords: ["PIN"] }]);
  assert.ok(r.ok);
  assert.deepEqual(scanText(r.set, "code 123456"), []);
  assert.deepEqual(scanText(r.set, "your pin: 123456"), [{ patternId: "k", start: 10, end: 16 }]);
  assert.deepEqual(scanText(r.set, "123456 ... Pin"), [{ patternId: "k", start: 0, end: 6 }]);
});

test("malformed artifacts are refused with PatternSetLoadError", () => {
  const r = compilePatternSet([{ id: "a", pattern: "abc" }]);
  assert.ok(r.ok);
  const good = JSON.parse(serializePatternSet(r.set)) as Record<string, unknown>;
  const bad: string[] = [
    "not json",
    JSON.stringify({ ...good, format: "other" }),
    JSON.stringify({ ...good, nfa: { ...(good.nfa as object), out1: "AAAA" } }),
    JSON.stringify({ ...good, detectors: [{ ...((good.detectors as object[])[0] as object), trans: "AAAAAA==" }] }),
    JSON.stringify({ ...good, patterns: [{ ...((good.patterns as object[])[0] as object), fwdStart: "x" }] }),
  ];
  for (const b of bad) assert.throws(() => loadPatternSet(b), PatternSetLoadError);
});

test("minTier scans only the higher tiers", () => {
  const r = compilePatternSet([
    { id: "low", pattern: "alpha", tier: 0 },
    { id: "high", pattern: "beta", tier: 5 },
    { id: "mid", pattern: "gamma", tier: 2 },
  ]);
  assert.ok(r.ok);
  assert.deepEqual(r.set.detectors.map((d) => d.tier), [5, 2, 0]);
  const text = "alpha beta gamma";
  assert.deepEqual(scanText(r.set, text).map((m) => m.patternId), ["low", "high", "mid"]);
  assert.deepEqual(scanText(r.set, text, { minTier: 2 }).map((m) => m.patternId), ["high", "mid"]);
  assert.deepEqual(scanText(r.set, text, { minTier: 6 }), []);
});

test("lazy DFAs that flush their cache constantly give the same matches", () => {
  let flushes = 0;
  fc.assert(
    fc.property(fc.array(patternArb, { minLength: 1, maxLength: 4 }), fc.array(textArb, { minLength: 1, maxLength: 4 }), (ps, texts) => {
      const specs = ps.map((pattern, i) => ({ id: `p${i}`, pattern }));
      const r = compilePatternSet(specs, { stateBudget: 2 }); // detectors fall back to lazy DFAs too
      assert.ok(r.ok);
      const doc = JSON.parse(serializePatternSet(r.set)) as Record<string, unknown>;
      const tiny = loadPatternSet(JSON.stringify({ ...doc, cacheLimit: 2 }));
      const normal = loadPatternSet(serializePatternSet(r.set));
      for (const t of texts) assert.deepEqual(scanText(tiny, t), scanText(normal, t), `${JSON.stringify(ps)} on ${JSON.stringify(t)}`);
      for (const m of tiny.matchers) flushes += m ? m.flushes : 0;
      for (const d of tiny.detectors) flushes += d.kind === "lazy" ? d.dfa.flushes : 0;
    }),
    { numRuns: 150 },
  );
  assert.ok(flushes > 100, `caches flushed ${flushes} times`);
});

test("a frozen compiled set still scans (caches live in its mutable parts)", () => {
  const r = compilePatternSet([{ id: "k", pattern: "key=[a-z]{4}" }]);
  assert.ok(r.ok);
  const set = Object.freeze(r.set);
  assert.deepEqual(scanText(set, "x key=abcd"), [{ patternId: "k", start: 2, end: 10 }]);
  assert.deepEqual(scanText(set, "key=wxyz"), [{ patternId: "k", start: 0, end: 8 }]);
});
