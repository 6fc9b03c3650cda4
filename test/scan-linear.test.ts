// Linear time on any input: catastrophic-backtracking patterns on 100 KB inputs, asserted by counting DFA
// steps (the work the scanner does), never by wall time.

import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePatternSet, scanText, type CompiledPatternSet } from "../src/scan/index.js";

function compile(pattern: string, maxExtension?: number): CompiledPatternSet {
  const r = compilePatternSet([{ id: "p", pattern }], maxExtension === undefined ? {} : { maxExtension });
  assert.ok(r.ok);
  return r.set;
}

/** Verification steps taken so far (the detection pass is exactly one step per unit by construction). */
function steps(set: CompiledPatternSet): number {
  return set.matchers.reduce((a, m) => a + (m ? m.steps : 0), 0);
}

const N = 100_000;

test("(a+)+$ on 100 KB", () => {
  const set = compile("(a+)+$");
  assert.deepEqual(scanText(set, `${"a".repeat(N)}b`), []);
  assert.deepEqual(scanText(set, "a".repeat(N)), [{ patternId: "p", start: 0, end: N }]);
  assert.ok(steps(set) <= 4 * N + 10, `steps ${steps(set)}`);
});

test("(a|aa)*b and (a|aa)*c on 100 KB", () => {
  const set = compile("(a|aa)*b");
  assert.deepEqual(scanText(set, "a".repeat(N)), [{ patternId: "p", start: 0, end: 0 + 1 }].slice(0, 0));
  assert.deepEqual(scanText(set, `${"a".repeat(N)}b`), [{ patternId: "p", start: 0, end: N + 1 }]);
  assert.ok(steps(set) <= 4 * N + 10, `steps ${steps(set)}`);
});

test("(x+x+)+y and nested counted repeats on 100 KB", () => {
  const set = compile("(x+x+)+y|(?:[a-z]{1,30}){1,30}Q");
  scanText(set, "x".repeat(N));
  scanText(set, "ab".repeat(N / 2));
  assert.ok(steps(set) <= 8 * N + 10, `steps ${steps(set)}`);
});

test("work grows linearly with the input, bounded by (5 + maxExtension) steps per unit", () => {
  // a short match everywhere whose longer alternative never completes: each match costs one extension
  const set = compile("a[ab]*c|a", 16);
  const small = 10_000;
  scanText(set, "a".repeat(small));
  const s1 = steps(set);
  scanText(set, "a".repeat(10 * small));
  const s2 = steps(set) - s1;
  assert.equal(scanText(set, "aaa").length, 3);
  assert.ok(s1 <= (5 + 16) * small + 10, `steps ${s1}`);
  assert.ok(s2 <= 10 * s1 + 2000, `10x input: ${s2} vs ${s1}`);
});

test("many candidate windows stay linear (a factor on every few units)", () => {
  const set = compile("(?i)token[ =:]{1,3}[a-z0-9]{8,64}");
  const text = "token=abc ".repeat(N / 10);
  const found = scanText(set, text);
  assert.equal(found.length, 0);
  assert.ok(steps(set) <= 6 * N, `steps ${steps(set)}`);
});

test("counted repeats longer than the 1,024-state cache never flush it (each step would rebuild a state)", () => {
  // `[a-z]{1030}` walks a chain of 1,030 states per match; a cache flushed on every walk made each step rebuild a
  // state of up to 1,030 NFA nodes: 18 s on 100 KB. The cache now holds as many states as the NFA has nodes.
  for (const [pattern, n] of [["[a-z]{1030}", 1030], ["a{2000}", 2000], ["[A-Za-z0-9]{1100,}", 1100]] as const) {
    const set = compile(pattern);
    const found = scanText(set, "a".repeat(N));
    assert.equal(found.length, Math.floor(N / (pattern.endsWith(",}") ? n + 256 : n)), pattern);
    const m = set.matchers.find((x) => x !== undefined && x !== null);
    assert.ok(m, pattern);
    assert.equal(m.flushes, 0, `${pattern}: ${m.flushes} cache flushes`);
    assert.ok(m.states <= 3 * (n + 70), `${pattern}: ${m.states} states`);
  }
});
