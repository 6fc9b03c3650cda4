// Unit tests for the strict JCS canonicalizer (the RFC 8785 vector suite is jcs-vectors.test.ts beside it).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalize, CanonicalizationError } from "./jcs.js";

test("sorts keys by UTF-16 code units and serializes numbers the ES6 way", () => {
  assert.equal(canonicalize({ b: 1, a: [1e21, 0.1, -0], "\u20ac": "x", "\ud83d\ude00": true }), '{"a":[1e+21,0.1,0],"b":1,"\u20ac":"x","\ud83d\ude00":true}');
});

test("rejects what is not JSON data, naming where", () => {
  assert.throws(() => canonicalize({ a: { b: NaN } }), (e: unknown) => e instanceof CanonicalizationError && e.path === "/a/b");
  assert.throws(() => canonicalize({ a: undefined }), CanonicalizationError);
  assert.throws(() => canonicalize({ f: () => 1 }), CanonicalizationError);
  assert.throws(() => canonicalize("\ud800"), CanonicalizationError);
  const cyclic: Record<string, unknown> = {};
  cyclic["self"] = cyclic;
  assert.throws(() => canonicalize(cyclic), /cyclic/);
});

test("error paths are JSON pointers, escaped, through arrays and objects", () => {
  const bad = { "a/b": [1, { "c~d": Symbol("x") }] };
  assert.throws(() => canonicalize(bad), (e: unknown) => e instanceof CanonicalizationError && e.path === "/a~1b/1/c~0d" && /symbol is not JSON data/.test(e.message));
  assert.throws(() => canonicalize([1, , 3]), (e: unknown) => e instanceof CanonicalizationError && e.path === "/1" && /sparse/.test(e.message));
  assert.throws(() => canonicalize([undefined]), /undefined is not JSON data at `\/0`/);
  assert.throws(() => canonicalize({ n: 10n }), /bigint/);
  assert.throws(() => canonicalize({ d: new Date(0) }), /Date object is not JSON data at `\/d`/);
  assert.throws(() => canonicalize(new Map()), /Map object/);
  assert.throws(() => canonicalize({ x: -Infinity }), /non-finite number `-Infinity`/);
  assert.throws(() => canonicalize({ k: "ok", ["\udc00"]: 1 }), /lone surrogate/);
  assert.throws(() => canonicalize("a\ud83d"), /lone surrogate at `\/`/);
  assert.equal(canonicalize(Object.create(null) as object), "{}");
});

test("shared (non-cyclic) references are fine; cycles are caught at any depth", () => {
  const shared = { v: 1 };
  assert.equal(canonicalize({ a: shared, b: [shared, shared] }), '{"a":{"v":1},"b":[{"v":1},{"v":1}]}');
  const deepCycle: Record<string, unknown> = {};
  let cur = deepCycle;
  for (let i = 0; i < 1000; i++) {
    const next: Record<string, unknown> = {};
    cur["n"] = next;
    cur = next;
  }
  cur["back"] = deepCycle;
  assert.throws(() => canonicalize(deepCycle), (e: unknown) => e instanceof CanonicalizationError && /cyclic/.test(e.message) && e.path.endsWith("/n/back"));
});

function nest(depth: number, leaf: unknown, asObject: boolean): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asObject ? { k: v } : [v];
  return v;
}

test("10,000 and 200,000 levels of nesting work without recursion (arrays and objects)", () => {
  for (const depth of [10_000, 200_000]) {
    assert.equal(canonicalize(nest(depth, 1, false)), "[".repeat(depth) + "1" + "]".repeat(depth));
    assert.equal(canonicalize(nest(depth, null, true)), '{"k":'.repeat(depth) + "null" + "}".repeat(depth));
  }
  // The same document through JSON.parse (what a hostile wire payload looks like).
  const text = "[".repeat(10_000) + '{"b":2,"a":1}' + "]".repeat(10_000);
  assert.equal(canonicalize(JSON.parse(text)), "[".repeat(10_000) + '{"a":1,"b":2}' + "]".repeat(10_000));
  // An error deep inside names the full path.
  const deepBad = nest(5_000, { x: NaN }, false);
  assert.throws(() => canonicalize(deepBad), (e: unknown) => e instanceof CanonicalizationError && e.path === "/0".repeat(5_000) + "/x");
});

// Reference model: the obvious recursive definition (keys sorted, JSON.stringify for leaves).
function model(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(model).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${model((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

test("property: equals the reference model, round-trips through JSON.parse, is idempotent", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const c = canonicalize(v);
      assert.equal(c, model(v));
      assert.equal(canonicalize(JSON.parse(c)), c);
    }),
    { numRuns: 500 },
  );
});

test("property: the iterative writer (deep) agrees with the recursive one (shallow)", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.integer({ min: 250, max: 600 }), (v, depth) => {
      assert.equal(canonicalize(nest(depth, v, true)), '{"k":'.repeat(depth) + canonicalize(v) + "}".repeat(depth));
    }),
    { numRuns: 100 },
  );
});

test("property: strings with unpaired surrogates are rejected, well-formed ones accepted", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      const wellFormed = !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
      if (wellFormed) assert.equal(canonicalize({ [s]: s }), `{${JSON.stringify(s)}:${JSON.stringify(s)}}`);
      else assert.throws(() => canonicalize({ [s]: 1 }), CanonicalizationError);
    }),
    { numRuns: 500 },
  );
});
