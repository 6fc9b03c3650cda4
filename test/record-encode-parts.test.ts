// The fixed-schema writers for reasons and throttle state equal the generic canonicalizer on every value,
// including off-schema ones (extra, missing or mistyped keys, non-finite numbers, inherited properties).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalize } from "../src/canonical/jcs.js";
import { encodeReasons, encodeState } from "../src/record/encode-parts.js";

/** Same output or the same error as canonicalize. */
function same(fn: (v: never) => string, v: unknown): void {
  let want: string | Error;
  try {
    want = canonicalize(v);
  } catch (e) {
    want = e as Error;
  }
  if (want instanceof Error) assert.throws(() => fn(v as never), { message: want.message });
  else assert.equal(fn(v as never), want);
}

const odd = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant(-0), fc.constant(1e21), fc.constant("\ud800"));
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | typeof odd extends fc.Arbitrary<infer U> ? U : never> => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: odd }) as never;

const reason = fc.record(
  {
    rule: maybe(fc.string()),
    code: maybe(fc.constantFrom("ALLOWED", "BLOCKED", "Ä\n")),
    verdict: maybe(fc.constantFrom("ALLOW", "BLOCK", "ESCALATE")),
    shadow: maybe(fc.boolean()),
    message: maybe(fc.string({ unit: "grapheme" })),
    field: maybe(fc.string()),
    detail: fc.oneof(fc.dictionary(fc.string(), odd), odd),
    extra: odd,
  },
  { requiredKeys: ["rule", "code", "verdict", "shadow", "message"] },
);

const seen = fc.oneof(
  fc.record({ mode: fc.constant("gcra"), tat: fc.oneof(fc.constant(null), maybe(fc.integer())) }),
  fc.record({ mode: fc.constant("sliding"), count: maybe(fc.nat()), oldest: fc.oneof(fc.constant(null), maybe(fc.integer())) }, { requiredKeys: ["mode", "count"] }),
  fc.record({ mode: fc.constant("calendar"), windowStart: maybe(fc.integer()), count: maybe(fc.nat()) }),
  fc.record({ mode: odd, tat: odd, extra: odd }, { requiredKeys: [] }),
);

const observation = fc.record(
  {
    rule: maybe(fc.string()),
    mode: maybe(fc.constantFrom("sliding", "calendar", "gcra")),
    count: maybe(fc.nat()),
    limit: maybe(fc.nat()),
    window: maybe(fc.constantFrom("1h", "10s")),
    allowed: maybe(fc.boolean()),
    retryAfterMs: maybe(fc.nat()),
    atMs: maybe(fc.double({ noNaN: false })),
    perMs: maybe(fc.nat()),
    seen,
    nextTat: maybe(fc.integer()),
    extra: odd,
  },
  { requiredKeys: ["rule", "mode", "count", "limit", "window", "allowed", "retryAfterMs", "atMs", "perMs", "seen"] },
);

test("encodeReasons == canonicalize on random and off-schema reasons", () => {
  fc.assert(fc.property(fc.array(reason, { maxLength: 4 }), (rs) => same(encodeReasons, rs)), { numRuns: 3000 });
  same(encodeReasons, [{ rule: "r", code: "C", verdict: "BLOCK", shadow: false, message: "m" }]);
  same(encodeReasons, Object.freeze([Object.freeze({ rule: "r", code: "C", verdict: "BLOCK", shadow: false, message: "m", field: "args.x" })]));
  // eslint-disable-next-line no-sparse-arrays
  same(encodeReasons, [, { rule: "r" }]);
  same(encodeReasons, [Object.assign(Object.create({ message: "inherited" }) as object, { rule: "r", code: "C", verdict: "BLOCK", shadow: false })]);
});

test("encodeState == canonicalize on random and off-schema throttle state", () => {
  fc.assert(fc.property(fc.dictionary(fc.string(), observation, { maxKeys: 3 }), (t) => same(encodeState, { throttle: t })), { numRuns: 3000 });
  fc.assert(fc.property(odd, fc.dictionary(fc.string(), odd), (a, b) => {
    same(encodeState, a);
    same(encodeState, { throttle: b });
    same(encodeState, { throttle: {}, extra: a });
  }));
  same(encodeState, { throttle: {} });
  // An inherited `message`/`seen` must not stand in for an own property.
  const proto = { seen: { mode: "gcra", tat: null } };
  const o = Object.assign(Object.create(proto) as object, { rule: "r", mode: "gcra", count: 1, limit: 2, window: "1h", allowed: true, retryAfterMs: 0, atMs: 1, perMs: 2, extra: 1 });
  same(encodeState, { throttle: { k: o } });
});
