// Smoke tests for the strict JCS canonicalizer (the RFC 8785 vector suite lives in test/jcs-vectors.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
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
