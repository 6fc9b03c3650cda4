// Field access on untrusted data: own properties only, arrays by canonical index, prototype keys are data.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { makeGetter, readField, MISSING } from "./fields.js";

test("generated getters agree with the plain reader on random data and paths", () => {
  const key = fc.constantFrom("a", "b", "0", "1", "__proto__", "constructor", "toString", "hasOwnProperty", "x.y");
  fc.assert(fc.property(fc.jsonValue(), fc.array(key.filter((k) => !k.includes(".")), { minLength: 1, maxLength: 4 }), (value, segs) => {
    const root = JSON.parse(JSON.stringify({ r: value }));
    const path = ["r", ...segs].join(".");
    assert.deepEqual(makeGetter(path)(root), readField(root, path));
  }), { numRuns: 3000 });
});

test("prototype members and polluted prototypes are never read as data", () => {
  const get = makeGetter("args.constructor");
  assert.equal(get({ kind: "message", args: {} } as never), MISSING);
  assert.equal(get(JSON.parse('{"kind":"message","args":{"constructor":"x"}}')), "x");
  assert.deepEqual(makeGetter("args.__proto__")(JSON.parse('{"args":{"__proto__":{"a":1}}}')), { a: 1 });
  assert.equal(makeGetter("args.toString")({ args: {} } as never), MISSING);
  const polluted = Object.prototype as Record<string, unknown>;
  polluted["role"] = "admin";
  try {
    assert.equal(makeGetter("agent.role")({ agent: {} } as never), MISSING);
    assert.equal(makeGetter("agent.role")({ agent: { role: "admin" } } as never), "admin");
  } finally {
    delete polluted["role"];
  }
  assert.equal(makeGetter("args.items.1")({ args: { items: ["a", "b"] } } as never), "b");
  assert.equal(makeGetter("args.items.01")({ args: { items: ["a", "b"] } } as never), MISSING);
  assert.equal(makeGetter("args.items.length")({ args: { items: ["a"] } } as never), MISSING);
});
