// When verify re-derives a record's bytes from the schema: for records no checked signature vouches for, and for
// every record under `deep`. A record the key holder signed with bytes Warden's encoder would not write passes
// the signature check and is caught only by that re-derivation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { decide } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { bodyHash, splitEntry } from "../src/audit/entry.js";
import { checkEntryText as checkEntry, type EntryContext } from "../src/audit/verify-entry.js";
import { encodeSignatures, recordSigningText } from "../src/record/record.js";
import { Keyring } from "../src/keys/keyring.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";

/** The first entry line of a fresh one-record log, and the context to check it with. */
async function oneEntry(dir: string): Promise<{ line: string; keys: Keyring; log: string }> {
  const keys = fixtureKeys(dir).ring;
  const logDir = join(dir, "log");
  const log = await AuditLog.open(new FileStorage(logDir), { keys, durability: "strict" });
  const a = randomActions(1, 5)[0] as Record<string, unknown>;
  await log.record(a, decide(compileFixturePolicy(), a));
  await log.close();
  const seg = readdirSync(logDir).find((f) => f.startsWith("entries-")) as string;
  return { line: readFileSync(join(logDir, seg), "utf8").split("\n")[0] as string, keys, log: log.log };
}

/** The same entry with its body edited and signed again with the real HMAC key. */
function resigned(line: string, keys: Keyring, edit: (body: string) => string): string {
  const e = splitEntry(line);
  if (typeof e === "string") throw new Error(e);
  const body = edit(e.bodyText);
  const sigText = encodeSignatures({ hmac: keys.hmacSign(recordSigningText(bodyHash(body))) });
  return `{"record":${body},"sig":${sigText}}\t${e.attachment}`;
}

test("a record signed with bytes the encoder would not write passes the signature, and only the schema check catches it", async () => {
  const t = tempDir("verify-schema");
  try {
    const { line, keys, log } = await oneEntry(t.dir);
    const ctx = (over: Partial<EntryContext>): EntryContext => ({ log, keys, hmacRequired: true, deep: false, ...over });
    assert.deepEqual(checkEntry(line, 0, ctx({})).problems, []);
    assert.deepEqual(checkEntry(line, 0, ctx({ deep: true })).problems, [], "a Warden-written record passes the deep check");

    const edits: Array<[string, (b: string) => string]> = [
      ["an extra field", (b) => b.replace('"agent":', '"admin":true,"agent":')],
      ["a mistyped field", (b) => b.replace('"enforced":true', '"enforced":"yes"')],
      ["a non-canonical number", (b) => b.replace('"epoch":0', '"epoch":0.0')],
      ["keys out of order", (b) => b.replace(/^\{("agent":[^,]*),("at":[^,]*),/, "{$2,$1,")],
    ];
    for (const [what, edit] of edits) {
      const forged = resigned(line, keys, edit);
      assert.notEqual(forged, line, what);
      const signedOnly = checkEntry(forged, 0, ctx({}));
      assert.equal(signedOnly.hmac, true, `${what}: the HMAC checks`);
      const deep = checkEntry(forged, 0, ctx({ deep: true }));
      const unkeyed = checkEntry(forged, 0, ctx({ keys: null, hmacRequired: false }));
      for (const [mode, r] of [["deep", deep], ["no key", unkeyed]] as const) {
        assert.equal(r.problems.length, 1, `${what} (${mode}): ${JSON.stringify(r.problems)}`);
        assert.match(r.problems[0] as string, /not canonical|malformed/, `${what} (${mode})`);
      }
      // The default trusts what the key holder signed: the bytes are authentic, so only the fields it compares count.
      assert.deepEqual(signedOnly.problems, [], what);
    }
  } finally {
    t.cleanup();
  }
});

test("a record checked only through a JWKS (HMAC not available) gets the schema check", async () => {
  const t = tempDir("verify-schema-jwks");
  try {
    const { line, keys, log } = await oneEntry(t.dir);
    const jwks = Keyring.fromJwks(JSON.parse(readFileSync(join(t.dir, "keys", "warden-public.jwks.json"), "utf8")));
    const forged = resigned(line, keys, (b) => b.replace('"agent":', '"admin":true,"agent":'));
    const r = checkEntry(forged, 0, { log, keys: jwks, hmacRequired: false, deep: false });
    assert.equal(r.hmac, false);
    assert.equal(r.unchecked, 1);
    assert.match(r.problems.join("; "), /not canonical/);
    assert.deepEqual(checkEntry(line, 0, { log, keys: jwks, hmacRequired: false, deep: false }).problems, []);
  } finally {
    t.cleanup();
  }
});
