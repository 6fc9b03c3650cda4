// Compile-time diagnostics: every unsupported construct is rejected with its own code, the rule id and column.

import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePatternSet, scanText, SCAN_ERRORS } from "../src/scan/index.js";

function firstError(pattern: string, id = "rule-1") {
  const r = compilePatternSet([{ id, pattern }], { file: "rules.yaml" });
  assert.equal(r.ok, false, `\`${pattern}\` should be rejected`);
  const d = r.diagnostics.find((x) => x.severity === "error");
  assert.ok(d);
  return d;
}

const CASES: [string, string, number][] = [
  ["(a)\\1", "SCAN_BACKREFERENCE", 4],
  ["(?P<x>a)(?P=x)", "SCAN_BACKREFERENCE", 9],
  ["(?<x>a)\\k<x>", "SCAN_BACKREFERENCE", 8],
  ["foo(?=bar)", "SCAN_LOOKAHEAD", 4],
  ["foo(?!bar)", "SCAN_LOOKAHEAD", 4],
  ["(?<=foo)bar", "SCAN_LOOKBEHIND", 1],
  ["(?<!foo)bar", "SCAN_LOOKBEHIND", 1],
  ["(?>ab)c", "SCAN_ATOMIC_GROUP", 1],
  ["a*+", "SCAN_POSSESSIVE", 3],
  ["(?(1)a|b)", "SCAN_CONDITIONAL", 1],
  ["a\\Gb", "SCAN_UNSUPPORTED_ESCAPE", 2],
  ["ab\\Z", "SCAN_UNSUPPORTED_ESCAPE", 3],
  ["\\p{NotAProperty}", "SCAN_UNKNOWN_PROPERTY", 1],
  ["[[:nope:]]", "SCAN_UNKNOWN_POSIX_CLASS", 2],
  ["(?q)a", "SCAN_UNKNOWN_FLAG", 3],
  ["[z-a]", "SCAN_BAD_RANGE", 2],
  ["[\\d-z]", "SCAN_BAD_RANGE", 2],
  ["[😀]", "SCAN_ASTRAL_CHAR", 2],
  ["a{2001}", "SCAN_REPEAT_TOO_LARGE", 2],
  ["(ab", "SCAN_SYNTAX", 1],
  ["ab)", "SCAN_SYNTAX", 3],
  ["[ab", "SCAN_SYNTAX", 1],
  ["*a", "SCAN_SYNTAX", 1],
  ["a**", "SCAN_SYNTAX", 3],
  ["a\\", "SCAN_SYNTAX", 2],
  ["a{3,2}", "SCAN_SYNTAX", 2],
];

test("each unsupported construct has its own code, the rule id and the column", () => {
  for (const [pattern, code, col] of CASES) {
    const d = firstError(pattern);
    assert.equal(d.code, code, `\`${pattern}\``);
    assert.ok(code in SCAN_ERRORS, `${code} is registered`);
    assert.equal(d.span?.col, col, `column of \`${pattern}\``);
    assert.equal(d.span?.file, "rules.yaml");
    assert.match(d.message, /^pattern `rule-1`: .* at column \d+$/);
  }
});

test("verbose patterns report line and column", () => {
  const d = firstError("(?x)\n  abc\n  (?=x)");
  assert.equal(d.code, "SCAN_LOOKAHEAD");
  assert.equal(d.span?.line, 3);
  assert.equal(d.span?.col, 3);
  assert.match(d.message, /line 3 column 3/);
});

test("bad specs and duplicate ids are diagnostics, not crashes", () => {
  const r = compilePatternSet([{ id: "a", pattern: "x" }, { id: "a", pattern: "y" }, { id: "", pattern: "z" }, null as never]);
  assert.equal(r.ok, false);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ["SCAN_DUPLICATE_ID", "SCAN_BAD_SPEC", "SCAN_BAD_SPEC"]);
});

test("wrongly typed fields are diagnostics", () => {
  const bad = [{ id: "t", pattern: "a", tier: 1.5 }, { id: "c", pattern: "a", caseInsensitive: "yes" }, { id: "k", pattern: "a", keywords: [1] }];
  for (const spec of bad) {
    const r = compilePatternSet([spec as never]);
    assert.equal(r.ok, false);
    assert.equal(r.diagnostics[0]?.code, "SCAN_BAD_SPEC");
  }
  const notArray = compilePatternSet("x" as never);
  assert.equal(notArray.ok, false);
});

test("empty-matching patterns compile with a warning", () => {
  const r = compilePatternSet([{ id: "e", pattern: "a*" }]);
  assert.ok(r.ok);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ["SCAN_EMPTY_MATCH"]);
});

test("the accepted subset parses", () => {
  const ok = [
    "(?i)[\\w.-]{0,50}?(?:adafruit)(?:[ \\t\\w.-]{0,20})",
    "\\b(p8e-(?i)[a-z0-9]{32})(?:[\\x60'\"\\s;]|\\\\[nr]|$)",
    "(?-i:ATLASSIAN|[Aa]tlassian)",
    "(?x) a \\  b [ c d ] # comment",
    "\\pL\\p{Greek}\\P{Lu}\\p{^N}",
    "[[:alpha:][:^digit:]]",
    "\\u00e9\\x{1F600}\\U0001F600\\0\\a\\e\\f\\v",
    "\\Qa.b*\\E",
    "(?s:.)(?m:^$)(?U)a+",
    "a{,3}",
    "(?#comment)x",
  ];
  for (const p of ok) {
    const r = compilePatternSet([{ id: "ok", pattern: p }]);
    assert.ok(r.ok, `\`${p}\`: ${r.ok ? "" : r.diagnostics.map((d) => d.message).join("; ")}`);
  }
});

test("absurd nesting is a diagnostic, not a stack overflow", () => {
  const d = firstError(`${"(".repeat(5000)}a${")".repeat(5000)}`);
  assert.equal(d.code, "SCAN_SYNTAX");
  assert.match(d.message, /nested deeper/);
  const ok = compilePatternSet([{ id: "n", pattern: `${"(?:".repeat(150)}a${")".repeat(150)}` }]);
  assert.ok(ok.ok);
});

test("characters above U+FFFF outside a class match as their surrogate pair, quantified as one", () => {
  for (const p of ["😀+", "\\x{1F600}+", "\\u{1F600}+"]) {
    const r = compilePatternSet([{ id: "p", pattern: p }]);
    assert.ok(r.ok, `${p}: ${JSON.stringify(r.diagnostics)}`);
    assert.deepEqual(scanText(r.set, "x😀😀X a😀 ").map((m) => [m.start, m.end]), [[1, 5], [8, 10]], p);
  }
});

test("\\s is RE2's [\\t\\n\\f\\r ] (no vertical tab); [[:space:]] has \\v, as in RE2", () => {
  const spans = (pattern: string, text: string): number[][] => {
    const r = compilePatternSet([{ id: "p", pattern }]);
    assert.ok(r.ok, JSON.stringify(r.diagnostics));
    return scanText(r.set, text).map((m) => [m.start, m.end]);
  };
  assert.deepEqual(spans("a\\sb", "a\vb a\tb a\nb a\fb a\rb a b"), [[4, 7], [8, 11], [12, 15], [16, 19], [20, 23]]);
  assert.deepEqual(spans("a\\Sb", "a\vb"), [[0, 3]]);
  assert.deepEqual(spans("a[[:space:]]b", "a\vb"), [[0, 3]]);
});
