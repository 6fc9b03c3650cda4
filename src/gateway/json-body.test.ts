// checkDepth(): nesting bound and repeated keys, on the raw text before JSON.parse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BodyError, checkDepth } from "./json-body.js";

const dup = (t: string): boolean => {
  try {
    checkDepth(t, 64);
    return false;
  } catch (e) {
    return e instanceof BodyError && e.code === "DUPLICATE_KEY";
  }
};

test("a key repeated in one object is refused; the same key in different objects or as a value is not", () => {
  assert.equal(dup('{"a":1,"a":2}'), true);
  assert.equal(dup('{"a":{"b":1},"c":[{"b":2},{"b":3}],"d":{"a":1}}'), false);
  assert.equal(dup('{"a":"a","b":["a","a"]}'), false);
  assert.equal(dup('{"x":{"a":1,"b":{"c":1},"a":2}}'), true);
  assert.equal(dup('[{"a":1},{"a":1,"a":1}]'), true);
  assert.equal(dup('{"\\u0061":1,"a":2}'), true); // equal after unescaping
  assert.equal(dup('{"a\\"":1,"a":2}'), false);
  assert.equal(dup(' { "a" : 1 , "a" : 2 } '), true);
});
