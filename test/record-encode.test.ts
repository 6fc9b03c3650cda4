// The hand-assembled record encoding equals the generic canonicalizer on real decisions, and the record
// hash / signatures behave (unit tests of src/record/record.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalize } from "../src/canonical/jcs.js";
import { decide, MemoryThrottleStore } from "../src/index.js";
import { encodeBody, hashRecord, recordBody, signRecord, verifyRecordSignatures } from "../src/record/record.js";
import { storeInput } from "../src/record/input.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";

test("encodeBody == canonicalize(body) on 3,000 real decisions (every verdict, throttles, approvals)", () => {
  const policy = compileFixturePolicy();
  const store = new MemoryThrottleStore();
  const seen = new Set<string>();
  randomActions(3000, 13).forEach((a, i) => {
    const d = decide(policy, a, { throttle: store });
    store.commit(d);
    seen.add(d.verdict);
    const s = storeInput(a, [], "encrypt", null);
    const body = recordBody({ log: "0123abcd", seq: i, time: "2026-03-02T10:00:00.000Z", epoch: i % 3, dropped: i % 2 }, a, s.inputHash, s.input, d);
    assert.equal(encodeBody(body), canonicalize(body));
  });
  assert.ok(seen.size >= 4, [...seen].join(","));
  // Odd values too: nulls, unicode, escapes.
  const d = decide(policy, { kind: "message", text: "x" });
  const odd = recordBody({ log: "l", seq: 0, time: "t\u2028\"", epoch: 0, dropped: 0 }, { kind: "message", agent: { id: "ä\n😀" } }, "h", { mode: "inline", hash: "h" }, d);
  assert.equal(encodeBody(odd), canonicalize(odd));
  assert.throws(() => encodeBody({ ...odd, seq: 1.5 }), /safe integer/);
});

test("signatures cover the record hash; any change to the body is caught", () => {
  const t = tempDir("sig");
  try {
    const keys = fixtureKeys(t.dir).ring;
    const policy = compileFixturePolicy();
    const a = randomActions(1, 3)[0] as Record<string, unknown>;
    const s = storeInput(a, [], "encrypt", null);
    const body = recordBody({ log: "l", seq: 0, time: "2026-01-01T00:00:00.000Z", epoch: 0, dropped: 0 }, a, s.inputHash, s.input, decide(policy, a));
    const enc = signRecord(body, keys, "both");
    assert.equal(enc.recordHash, hashRecord(body));
    const sig = (JSON.parse(enc.signed) as { sig: Parameters<typeof verifyRecordSignatures>[1] }).sig;
    assert.deepEqual(verifyRecordSignatures(enc.recordHash, sig, keys), { errors: [], unchecked: [] });
    const other = hashRecord({ ...body, verdict: body.verdict === "ALLOW" ? "BLOCK" : "ALLOW" });
    assert.equal(verifyRecordSignatures(other, sig, keys).errors.length, 2);
    assert.match(verifyRecordSignatures(enc.recordHash, { hmac: { kid: 1 } } as never, keys).errors[0] ?? "", /malformed/);
    assert.match(verifyRecordSignatures(enc.recordHash, {}, keys).errors[0] ?? "", /no signature/);
    // A lenient-base64 variant of a valid signature is refused.
    const variant = { hmac: { kid: sig.hmac?.kid as string, sig: `${sig.hmac?.sig as string}=` } };
    assert.equal(verifyRecordSignatures(enc.recordHash, variant, keys).errors.length, 1);
  } finally {
    t.cleanup();
  }
});

test("encodeSignatures == canonicalize for every signature combination", async () => {
  const { encodeSignatures } = await import("../src/record/record.js");
  const a = { kid: "hmac-x", sig: "abc_-" };
  const b = { kid: "ed25519-y", sig: "Zz09" };
  for (const s of [{}, { hmac: a }, { ed25519: b }, { hmac: a, ed25519: b }]) assert.equal(encodeSignatures(s), canonicalize(s));
});
