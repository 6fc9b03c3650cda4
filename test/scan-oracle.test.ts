// Scanner vs oracle: random patterns and strings, identical matches under the documented semantics.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compilePatternSet, scanText } from "../src/scan/index.js";
import { jsSourceOf, oracleWithin } from "./scan-oracle-lib.js";

/**
 * Cases the backtracking oracle cannot judge in time (see oracleWithin) are skipped with fc.pre; each property
 * checks afterwards that they stayed rare, so a change that made most cases unjudgeable would fail, not pass.
 */
function judged(source: string, text: string, maxExtension: number, skips: { n: number }): [number, number][] {
  const want = oracleWithin(source, text, maxExtension);
  if (want === null) skips.n++;
  fc.pre(want !== null);
  return want as [number, number][];
}

function assertFewSkips(skips: { n: number }, runs: number): void {
  assert.ok(skips.n <= runs / 50, `${skips.n} of ${runs} cases were too slow for the oracle to judge`);
}

const ATOMS = ["a", "b", "c", "A", "1", "-", " ", "\\n", "[ab]", "[^a]", "[a-c1]", ".", "\\w", "\\W", "\\s", "\\d", "\\b", "\\B", "^", "$", "x"];

const patternArb: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...ATOMS),
    fc.array(tie("node"), { minLength: 2, maxLength: 3 }).map((xs) => xs.join("")),
    fc.tuple(tie("node"), tie("node")).map(([x, y]) => `(?:${x}|${y})`),
    fc.tuple(tie("node"), fc.constantFrom("*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}", "*?", "+?")).map(([x, q]) => `(?:${x})${q}`),
    tie("node").map((x) => `(?i:${x})`),
    tie("node").map((x) => `(${x})`),
  ),
})).node.map((x) => x);

const flagsArb = fc.constantFrom("", "(?m)", "(?s)", "(?i)", "(?ms)");
const textArb = fc.array(fc.constantFrom("a", "b", "c", "A", "B", "1", "-", " ", "\n", "_", "x"), { maxLength: 24 }).map((cs) => cs.join(""));

function scanPairs(pattern: string, text: string, maxExtension?: number): [number, number][] {
  const r = compilePatternSet([{ id: "p", pattern }], maxExtension === undefined ? {} : { maxExtension });
  assert.ok(r.ok, `pattern ${pattern} should compile`);
  return scanText(r.set, text).map((m) => [m.start, m.end]);
}

test("scanner equals the brute-force oracle on random patterns and strings", () => {
  const skips = { n: 0 };
  fc.assert(
    fc.property(flagsArb, patternArb, fc.array(textArb, { minLength: 1, maxLength: 4 }), (flags, body, texts) => {
      const pattern = flags + body;
      const src = jsSourceOf(pattern);
      assert.ok(src !== null);
      const r = compilePatternSet([{ id: "p", pattern }]);
      assert.ok(r.ok);
      for (const text of texts) {
        const got: number[][] = scanText(r.set, text).map((m) => [m.start, m.end]);
        assert.deepEqual(got, judged(src, text, 256, skips), `pattern ${JSON.stringify(pattern)} text ${JSON.stringify(text)}`);
      }
    }),
    { numRuns: 1500 },
  );
  assertFewSkips(skips, 1500);
});

test("the extension cap is part of the semantics (maxExtension = 2)", () => {
  const skips = { n: 0 };
  fc.assert(
    fc.property(patternArb, textArb, (body, text) => {
      const src = jsSourceOf(body) as string;
      assert.deepEqual(scanPairs(body, text, 2), judged(src, text, 2, skips), `pattern ${JSON.stringify(body)} text ${JSON.stringify(text)}`);
    }),
    { numRuns: 500 },
  );
  assertFewSkips(skips, 500);
});

test("a multi-pattern set reports exactly the union of each pattern's matches", () => {
  const skips = { n: 0 };
  fc.assert(
    fc.property(fc.array(patternArb, { minLength: 2, maxLength: 5 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }), textArb, (bodies, tiers, text) => {
      const specs = bodies.map((b, i) => ({ id: `p${i}`, pattern: b, tier: tiers[i] as number }));
      const r = compilePatternSet(specs, { stateBudget: 64 });
      assert.ok(r.ok);
      const got = scanText(r.set, text).map((m) => `${m.start}:${m.end}:${m.patternId}`);
      const want: { s: number; e: number; i: number }[] = [];
      bodies.forEach((b, i) => {
        for (const [s, e] of judged(jsSourceOf(b) as string, text, 256, skips)) want.push({ s, e, i });
      });
      want.sort((x, y) => x.s - y.s || x.e - y.e || x.i - y.i);
      assert.deepEqual(got, want.map((w) => `${w.s}:${w.e}:p${w.i}`));
    }),
    { numRuns: 400 },
  );
  assertFewSkips(skips, 400);
});

test("factor probes (what precedes and follows a literal) never lose a match", () => {
  let probed = 0;
  const skips = { n: 0 };
  fc.assert(
    fc.property(patternArb, fc.constantFrom("abc", "(?:abc|cab)", "a1-b", "(?i:bab)"), patternArb, fc.array(textArb, { minLength: 1, maxLength: 3 }), (pre, lit, post, texts) => {
      const pattern = `(?:${pre})${lit}(?:${post})`;
      const src = jsSourceOf(pattern) as string;
      const r = compilePatternSet([{ id: "p", pattern }]);
      assert.ok(r.ok);
      const info = r.set.patterns[0];
      if (info && (info.leadStart >= 0 || info.sufStart >= 0)) probed++;
      for (const t0 of texts) {
        // plant the literal so that hits happen
        const text = `${t0.slice(0, 8)}abc${t0.slice(8)}cab a1-b`;
        assert.deepEqual(scanText(r.set, text).map((m) => [m.start, m.end]), judged(src, text, 256, skips), `${pattern} on ${JSON.stringify(text)}`);
      }
    }),
    { numRuns: 400 },
  );
  assert.ok(probed > 100, `${probed} patterns had probes`);
  assertFewSkips(skips, 400);
});

test("fixed cases: boundaries, anchors, case folding, verbose mode", () => {
  const cases: [string, string, [number, number][]][] = [
    ["\\bfoo\\b", "foo food foo", [[0, 3], [9, 12]]],
    ["(?m)^ab$", "ab\nab\nabc", [[0, 2], [3, 5]]],
    ["^ab", "ab ab", [[0, 2]]],
    ["ab$", "ab ab", [[3, 5]]],
    ["(?i)akia[0-9]{2}", "xAkIa12 akia3", [[1, 7]]],
    ["(?x) a b # comment\n c", "xabcx", [[1, 4]]],
    ["a+", "baaab", [[1, 4]]],
    ["a|ab", "ab", [[0, 2]]],
    ["(?s)a.b", "a\nb", [[0, 3]]],
    ["a.b", "a\nb", []],
    ["x*", "xx", [[0, 2]]],
    ["\\Aab\\z", "ab", [[0, 2]]],
    ["[[:digit:]]+", "ab12c3", [[2, 4], [5, 6]]],
    ["\\x41\\u0042\\x{43}", "ABC", [[0, 3]]],
    ["(?P<n>ab)(?<m>c)", "abc", [[0, 3]]],
    ["\\p{Lu}+", "abÉCd", [[2, 4]]],
    ["a{,2}", "a{,2}", [[0, 5]]],
    ["(?i)k", "K\u212a", [[0, 1], [1, 2]]],
  ];
  for (const [pattern, text, want] of cases) assert.deepEqual(scanPairs(pattern, text), want, pattern);
});

test("the oracle gives up on a pattern whose backtracking explodes (it would run for days), and the scanner does not", () => {
  const pattern = "(?:(?:a|(?i:A)))*b";
  const text = "a".repeat(40);
  assert.equal(oracleWithin(jsSourceOf(pattern) as string, text, 256), null);
  assert.deepEqual(scanPairs(pattern, text), []);
  assert.deepEqual(oracleWithin(jsSourceOf(pattern) as string, "aab", 256), [[0, 3]]);
});
