// readBodyFields against JSON.parse on generated records, and its refusals of malformed bodies.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalize } from "../canonical/jcs.js";
import { readBodyFields } from "./body-fields.js";

const WANTED = ["v", "id", "log", "seq", "inputHash", "input"] as const;

// Strings full of what a skipper can trip on: quotes, backslashes, braces, brackets, commas, colons.
const tricky = fc.string({ unit: fc.constantFrom('"', "\\", "{", "}", "[", "]", ",", ":", "a", "é", "\u2028", "\u0000") });
const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, tricky, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie("arr"), tie("obj")),
  arr: fc.array(tie("value"), { maxLength: 4 }),
  obj: fc.dictionary(tricky, tie("value"), { maxKeys: 4 }),
})).value;

test("reads the same fields JSON.parse does, whatever the other fields hold", () => {
  // `input` as Warden writes it ({hash, mode}: read by a shortcut), with odd texts or extra keys, or anything else
  const inputs = fc.oneof(
    fc.record({ hash: fc.string(), mode: fc.constantFrom("inline", "encrypted", "redacted") }),
    fc.record({ hash: tricky, mode: tricky }),
    fc.record({ hash: tricky, mode: tricky, extra: jsonish }),
    fc.record({ hash: jsonish, mode: jsonish }),
    jsonish,
  );
  fc.assert(
    fc.property(fc.dictionary(tricky, jsonish, { maxKeys: 6 }), inputs, tricky, fc.nat(), (others, input, log, seq) => {
      const record: Record<string, unknown> = { ...others, v: 1, id: `${log}:${seq}`, log, seq, inputHash: `sha256:${log}`, input };
      for (const text of [canonicalize(record), JSON.stringify(record)]) {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const got = readBodyFields(Buffer.from(text));
        assert.equal(typeof got, "object", `${String(got)} for ${text}`);
        for (const k of WANTED) assert.deepEqual((got as unknown as Record<string, unknown>)[k], parsed[k], `field ${k} of ${text}`);
      }
    }),
    { numRuns: 2000 },
  );
});

test("numbers and escaped strings come back as JSON.parse gives them; a key written with escapes is not the field", () => {
  const text = '{"id":"a\\"b:1é","input":{"hash":"h","mode":"inline"},"inputHash":"x","log":"a\\\\","seq":0,"v":1.0}';
  assert.deepEqual(readBodyFields(Buffer.from(text)), { id: 'a"b:1é', input: { hash: "h", mode: "inline" }, inputHash: "x", log: "a\\", seq: 0, v: 1 });
  assert.match(readBodyFields(Buffer.from(text.replace('"id"', '"\\u0069d"'))) as string, /has no `id`/);
  const big = readBodyFields(Buffer.from('{"id":"","input":null,"inputHash":"","log":"","seq":12345678901234567890,"v":-1}'));
  assert.equal(typeof big, "object");
  assert.equal((big as { seq: unknown }).seq, 12345678901234567890);
  assert.equal((big as { v: unknown }).v, -1);
});

test("malformed bodies are refused with what is wrong", () => {
  const ok = '{"id":"l:0","input":{"hash":"h","mode":"inline"},"inputHash":"h","log":"l","seq":0,"v":1}';
  assert.equal(typeof readBodyFields(Buffer.from(ok)), "object");
  const cases: Array<[string, RegExp]> = [
    ["[]", /not a JSON object/],
    ["{}", /has no `v`/],
    [ok.slice(0, -1), /cut short|not well-formed/],
    [`${ok} `, /bytes after its end/],
    [ok.replace('"seq":0,', '"seq":0,"seq":1,'), /field `seq` twice/],
    [ok.replace('"seq":0,', ""), /has no `seq`/],
    [ok.replace('"log":"l"', '"log":"l'), /not well-formed/],
    [ok.replace('"seq":0', '"seq":0x'), /field `seq` is not well-formed/],
    [ok.replace('"seq":0,', '"seq":,'), /not well-formed/],
    [ok.replace(',"v":1}', ',}'), /not well-formed/],
    [ok.replace('"input":{"hash":"h","mode":"inline"}', '"input":{"hash":"h"'), /not well-formed/],
  ];
  for (const [text, want] of cases) {
    const got = readBodyFields(Buffer.from(text));
    assert.equal(typeof got, "string", `accepted ${text}`);
    assert.match(got as string, want, text);
  }
});
