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

test("a number JSON.parse would not read exactly is refused, naming it and where; exact ones pass", () => {
  const code = (t: string): string | null => {
    try {
      checkDepth(t, 64);
      return null;
    } catch (e) {
      return e instanceof BodyError ? `${e.code} ${e.message}` : String(e);
    }
  };
  // 10000.0000000000001 would be read as 10000 and pass `gt: 10000`
  assert.match(code('{"amount":10000.0000000000001}') ?? "", /^LOSSY_NUMBER the number 10000\.0000000000001 at 1:11 has more digits than a double holds .*send it as a string/);
  assert.match(code('{"a":[1,1e400]}') ?? "", /^LOSSY_NUMBER the number 1e400 at 1:9 is beyond the range of a double/);
  assert.match(code('{"a":-1e-400}') ?? "", /too small for a double/);
  assert.match(code('{"id":12345678901234567890}') ?? "", /LOSSY_NUMBER/);
  for (const ok of ['{"a":0.1}', '{"a":0.30000000000000004}', '{"a":123456789012345}', '{"a":-5e3}', '{"a":1.5e300}', '{"a":"10000.0000000000001"}', '{"a":[0,-0,1E2]}', '{"a":9007199254740991}']) {
    assert.equal(code(ok), null, ok);
  }
});
