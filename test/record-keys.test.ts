// Keys and stored inputs: keyring validation (ids bound to material), JWKS export and import, rotation,
// file permissions; sensitive-field paths, encryption binding and tamper checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Keyring, KeyError, rotateKeyring } from "../src/keys/keyring.js";
import { generateKeyFiles, loadKeys, rotateKeyFile } from "../src/keys/keyfile.js";
import { parseFieldPaths, restoreInput, storeInput } from "../src/record/input.js";
import { recordSigningText, verifyRecordSignatures, type RecordSignaturesV1 } from "../src/record/record.js";
import { fixtureKeys, tempDir } from "./record-fixtures.js";

test("keys gen writes a 0600 keyring and a public JWKS; ids are bound to the key material", () => {
  const t = tempDir("keys");
  try {
    const files = generateKeyFiles(join(t.dir, "k"), new Date("2026-01-01T00:00:00Z"));
    assert.equal(statSync(files.keyring).mode & 0o777, 0o600);
    assert.throws(() => generateKeyFiles(join(t.dir, "k"), new Date()), KeyError);
    const jwks = JSON.parse(readFileSync(files.jwks, "utf8")) as { keys: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(jwks.keys[0] ?? {}).sort(), ["alg", "crv", "kid", "kty", "use", "x"]);
    const file = JSON.parse(readFileSync(files.keyring, "utf8")) as ReturnType<typeof rotateKeyring>;
    // A key id that does not match its material is refused (no silent mix-ups after hand edits).
    const badHmac = { ...file, hmac: [{ ...file.hmac[0]!, kid: "hmac-other" }], active: { ...file.active, hmac: "hmac-other" } };
    assert.throws(() => Keyring.fromFile(badHmac), /does not match its secret/);
    const badEd = { ...file, ed25519: [{ ...file.ed25519[0]!, kid: "ed25519-x" }] };
    assert.throws(() => Keyring.fromFile(badEd), /does not match its public key/);
    const mixed = { ...file, ed25519: [{ ...file.ed25519[0]!, jwk: { ...file.ed25519[0]!.jwk, d: rotateKeyring(null, new Date()).ed25519[0]!.jwk.d } }] };
    assert.throws(() => Keyring.fromFile(mixed), /halves differ/);
    assert.throws(() => Keyring.fromFile({ format: "nope" }), /not a warden keyring/);
    assert.throws(() => Keyring.fromJwks({ keys: [{ ...jwks.keys[0], kid: "ed25519-wrong" }] }), /does not match/);
    // A JWKS can verify but never sign.
    const pub = Keyring.fromJwks(jwks);
    assert.equal(pub.canSign, false);
    assert.throws(() => pub.hmacSign("x"), /cannot sign/);
    const msg = Buffer.from("m");
    const s = files.ring.edSign(msg);
    assert.equal(pub.edVerify(s.kid, msg, s.sig), true);
    assert.equal(pub.edVerify(s.kid, Buffer.from("n"), s.sig), false);
    assert.equal(pub.edVerify("ed25519-unknown", msg, s.sig), null);
    // Loose permissions on a secret file are reported.
    chmodSync(files.keyring, 0o644);
    const warnings: string[] = [];
    loadKeys(files.keyring, warnings);
    assert.match(warnings.join(), /mode 644/);
  } finally {
    t.cleanup();
  }
});

test("rotation keeps every old key and switches the active ones", () => {
  const t = tempDir("rotate-keys");
  try {
    const files = generateKeyFiles(join(t.dir, "k"), new Date("2026-01-01T00:00:00Z"));
    const before = files.ring.hmacSign("hello");
    const rotated = rotateKeyFile(files.keyring, new Date("2026-02-01T00:00:00Z"));
    assert.equal(rotated.file.hmac.length, 2);
    assert.equal(rotated.file.ed25519.length, 2);
    assert.notEqual(rotated.ring.active.hmac, before.kid);
    assert.equal(rotated.ring.hmacVerify(before.kid, "hello", before.sig), true);
    assert.equal((JSON.parse(readFileSync(rotated.jwks, "utf8")) as { keys: unknown[] }).keys.length, 2);
    assert.equal(statSync(rotated.keyring).mode & 0o777, 0o600);
  } finally {
    t.cleanup();
  }
});

test("sensitive paths: dotted, with * for any key or index; bad paths are reported", () => {
  assert.deepEqual(parseFieldPaths(["args.ssn", "args.cards.*.number"]).paths, [["args", "ssn"], ["args", "cards", "*", "number"]]);
  assert.equal(parseFieldPaths(["", "args..x"]).errors.length, 2);
  const t = tempDir("input");
  try {
    const keys = fixtureKeys(t.dir).ring;
    const action = { kind: "tool_call", tool: "t", args: { cards: [{ number: "4111111111111111", exp: "12/30" }, { number: "5500000000000004" }], ssn: "123-45-6789", "a/b": { "~": 1 } } };
    const paths = parseFieldPaths(["args.cards.*.number", "args.ssn", "args.a/b.~", "args.missing"]).paths;
    const enc = storeInput(action, paths, "encrypt", keys);
    assert.equal(enc.input.mode, "encrypted");
    assert.deepEqual((JSON.parse(enc.attachment) as { protected: string[] }).protected, ["/args/a~1b/~0", "/args/cards/0/number", "/args/cards/1/number", "/args/ssn"]);
    for (const secret of ["4111111111111111", "5500000000000004", "123-45-6789"]) assert.ok(!enc.attachment.includes(secret));
    const back = restoreInput({ inputHash: enc.inputHash, input: enc.input }, enc.attachment, keys);
    assert.ok(back.ok);
    assert.deepEqual(back.action, action);
    // A ciphertext moved to another field (or record) fails: the AAD binds input hash and path.
    const stored = JSON.parse(enc.attachment) as { action: { args: { ssn: unknown; cards: Array<{ number: unknown }> } } };
    [stored.action.args.ssn, stored.action.args.cards[0]!.number] = [stored.action.args.cards[0]!.number, stored.action.args.ssn];
    const moved = JSON.stringify(stored);
    const r = restoreInput({ inputHash: enc.inputHash, input: { mode: "encrypted", hash: `sha256:${createHash("sha256").update(moved).digest("hex")}` } }, moved, keys);
    assert.equal(r.ok, false);
    // Tampered attachment: refused before anything is decrypted.
    assert.equal(restoreInput({ inputHash: enc.inputHash, input: enc.input }, enc.attachment.replace('"v":1', '"v":2'), keys).ok, false);
    // Actions without any sensitive field stay inline (and cost no copy).
    const plain = storeInput({ kind: "message", text: "hi" }, paths, "encrypt", keys);
    assert.equal(plain.input.mode, "inline");
    assert.equal(plain.attachment, '{"kind":"message","text":"hi"}');
    // Non-JSON input is kept as an `invalid` marker, not a crash.
    const bad = storeInput({ x: NaN }, [], "encrypt", null);
    assert.equal(bad.input.mode, "invalid");
    assert.match(bad.attachment, /non-finite/);
  } finally {
    t.cleanup();
  }
});

test("record signatures from untrusted bytes: exactly {hmac?, ed25519?}, each exactly {kid, sig} strings", () => {
  const t = tempDir("sig-shape");
  try {
    const keys = fixtureKeys(t.dir).ring;
    const recordHash = `sha256:${createHash("sha256").update("r").digest("hex")}`;
    const good = keys.hmacSign(recordSigningText(recordHash));
    const check = (sig: unknown): string[] => verifyRecordSignatures(recordHash, sig as RecordSignaturesV1, keys).errors;
    assert.deepEqual(check({ hmac: good }), []);
    assert.deepEqual(check(JSON.parse(`{"hmac":${JSON.stringify(good)}}`)), []);
    const refused: Array<[unknown, RegExp]> = [
      [null, /not an object/],
      [[], /not an object/],
      ["x", /not an object/],
      [{}, /no signature/],
      [{ rsa: good }, /unknown signature type `rsa`/],
      [JSON.parse(`{"__proto__":${JSON.stringify(good)}}`), /unknown signature type `__proto__`/],
      [{ hmac: { kid: good.kid } }, /hmac signature is malformed/],
      [{ hmac: { ...good, extra: 1 } }, /hmac signature is malformed/],
      [{ hmac: { kid: good.kid, sig: 1 } }, /hmac signature is malformed/],
      [{ hmac: { kid: 1, sig: good.sig } }, /hmac signature is malformed/],
      [{ hmac: [good.kid, good.sig] }, /hmac signature is malformed/],
      [{ hmac: null }, /hmac signature is malformed/],
      [{ hmac: good, ed25519: "x" }, /ed25519 signature is malformed/],
      [{ hmac: { kid: good.kid, sig: `${good.sig.slice(0, -1)}${good.sig.endsWith("A") ? "B" : "A"}` } }, /does not match/],
    ];
    for (const [sig, want] of refused) {
      const errors = check(sig);
      assert.equal(errors.length, 1, JSON.stringify(sig));
      assert.match(errors[0] as string, want, JSON.stringify(sig));
    }
  } finally {
    t.cleanup();
  }
});
