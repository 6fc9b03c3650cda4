// parseSignatures (the shortcut for the default `{"hmac":{kid, sig}}`) against JSON.parse: the same value for every
// text JSON.parse accepts, and a refusal for every text it refuses.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseSignatures } from "./verify-entry.js";

const tricky = fc.string({ unit: fc.constantFrom('"', "\\", "}", ",", ":", "a", "é", "\u2028", "\u0000", "\n", "-", "_") });
const pair = fc.record({ kid: tricky, sig: tricky });

test("parseSignatures reads what JSON.parse reads", () => {
  const shapes = fc.oneof(
    fc.record({ hmac: fc.record({ kid: fc.string(), sig: fc.base64String() }) }),
    fc.record({ hmac: pair }),
    fc.record({ ed25519: pair }),
    fc.record({ ed25519: pair, hmac: pair }),
    fc.record({ hmac: fc.record({ kid: tricky, sig: tricky, extra: tricky }) }),
    fc.record({ hmac: fc.record({ kid: fc.integer(), sig: tricky }) }),
    fc.jsonValue(),
  );
  fc.assert(
    fc.property(shapes, (value) => {
      const text = JSON.stringify(value);
      assert.deepEqual(parseSignatures(text), JSON.parse(text), text);
    }),
    { numRuns: 3000 },
  );
});

test("parseSignatures refuses what JSON.parse refuses", () => {
  const good = '{"hmac":{"kid":"hmac-abc","sig":"AAAA"}}';
  assert.deepEqual(parseSignatures(good), { hmac: { kid: "hmac-abc", sig: "AAAA" } });
  for (const bad of [
    good.slice(0, -1),
    `${good}}`,
    `${good} x`,
    '{"hmac":{"kid":"a\u0001","sig":"b"}}',
    '{"hmac":{"kid":"a","sig":"b\\"}}',
    '{"hmac":{"kid":"a","sig":"b","sig":"c"}}x',
    '{"hmac":{"kid":"a"","sig":"b"}}',
  ]) {
    assert.throws(() => JSON.parse(bad), SyntaxError, bad);
    assert.throws(() => parseSignatures(bad), SyntaxError, bad);
  }
});
