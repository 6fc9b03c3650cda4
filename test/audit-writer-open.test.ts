// A writer opening an existing log signs nothing it has not checked: a record rewritten or appended without the
// keys, a forged or foreign tree head, or the wrong keyring makes it refuse the log (naming the first bad record)
// instead of sealing the damage under a new signed head. Healthy logs, crashed tails and rotated keys still open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { AuditLogError } from "../src/audit/storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { rotateKeyFile } from "../src/keys/keyfile.js";
import type { Keyring } from "../src/keys/keyring.js";
import { fixtureKeys, tempDir } from "./record-fixtures.js";
import { writeSampleLog } from "./sample-log.js";
import { cli } from "./cli-capture.js";


/** Writes `n` records; closes (sealing them) unless `crash`, which leaves them unsealed as a killed writer would. */
const write = (dir: string, keys: Keyring, n: number, crash = false, seed = 1): Promise<void> => writeSampleLog(dir, keys, n, { crash, seed, durability: "strict" });

const open = (dir: string, keys: Keyring) => AuditLog.open(new FileStorage(dir), { keys });
const SEG = "entries-000000000000.jsonl";
const lines = (dir: string, name = SEG): string[] => readFileSync(join(dir, name), "utf8").split("\n").filter(Boolean);
const put = (dir: string, list: string[], name = SEG): void => writeFileSync(join(dir, name), list.map((l) => `${l}\n`).join(""));
/** Every file of the log with its bytes, to show a refused writer changed nothing. */
const snapshot = (dir: string): Record<string, string> => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));

/** Replaces the first `"verdict":"X"` of a record line by `to` (the reviewer's forgery: flip a decision). */
function flipVerdict(line: string, to: string): string {
  const m = /"verdict":"([A-Z]+)"/.exec(line);
  assert.ok(m && m[1] !== to, "the fixture record has a verdict to flip");
  return line.replace(m[0], `"verdict":"${to}"`);
}

test("a record rewritten without the key, with heads.jsonl removed, is refused, not sealed", async () => {
  const t = tempDir("wopen-forge");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await write(dir, keys.ring, 8);
    const entries = lines(dir);
    const i = entries.findIndex((l) => !l.includes('"verdict":"ALLOW"'));
    assert.ok(i >= 0);
    entries[i] = flipVerdict(entries[i] as string, "ALLOW");
    put(dir, entries);
    rmSync(join(dir, "heads.jsonl"));
    const before = snapshot(dir);
    await assert.rejects(open(dir, keys.ring), (e: Error) => {
      assert.ok(e instanceof AuditLogError);
      assert.match(e.message, new RegExp(`^record ${i} of file:.* is not covered by a signed tree head and does not verify \\(hmac signature .* does not match\\)`));
      assert.match(e.message, /warden audit verify/);
      return true;
    });
    assert.deepEqual(snapshot(dir), before, "the refused writer wrote nothing (no head, no LOCK left)");
    const report = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
    assert.ok(report.errors.some((e) => e.seq === i && /hmac signature/.test(e.reason)), "verify finds the same record");
  } finally {
    t.cleanup();
  }
});

test("a record with a garbage HMAC appended after the last head is refused; the same tail intact is checked and sealed", async () => {
  const t = tempDir("wopen-tail");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await write(dir, keys.ring, 5);
    await write(dir, keys.ring, 2, true, 2); // a crashed writer: records 5 and 6 unsealed
    const good = snapshot(dir);
    const entries = lines(dir);
    entries[6] = (entries[6] as string).replace(/("hmac":\{"kid":"[^"]+","sig":")([^"]{8})/, (_m, head: string) => `${head}AAAAAAAA`);
    assert.notEqual(entries[6], lines(dir)[6]);
    put(dir, entries);
    await assert.rejects(open(dir, keys.ring), /^AuditLogError: record 6 of .* \(hmac signature .* does not match\)/);

    // Undamaged, the same tail opens: it is checked, sealed, and the log verifies.
    for (const [f, text] of Object.entries(good)) writeFileSync(join(dir, f), text);
    const events: string[] = [];
    const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, onEvent: (e) => events.push(e.message) });
    assert.equal(log.size, 7);
    assert.equal(log.stats().headSize, 7);
    await log.close();
    assert.match(events.join("\n"), /checked and sealed 2 records left unsealed/);
    assert.equal((await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring })).ok, true);
  } finally {
    t.cleanup();
  }
});

test("a tail record whose seq or log is wrong (a record copied in) is refused", async () => {
  const t = tempDir("wopen-seq");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await write(dir, keys.ring, 3);
    const entries = lines(dir);
    put(dir, [...entries, entries[1] as string]); // a genuine, signed record, replayed at position 3
    await assert.rejects(open(dir, keys.ring), /record 3 of .* \(record claims seq 1 at position 3/);
  } finally {
    t.cleanup();
  }
});

test("a last tree head that is forged, damaged, or from another log is refused", async () => {
  const t = tempDir("wopen-head");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await write(dir, keys.ring, 4);
    const heads = lines(dir, "heads.jsonl");
    const last = JSON.parse(heads[heads.length - 1] as string) as { log: string; sig: { sig: string } };
    const sig = last.sig.sig;
    const forged = { ...last, sig: { ...last.sig, sig: `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}` } };
    put(dir, [...heads.slice(0, -1), JSON.stringify(forged)], "heads.jsonl");
    await assert.rejects(open(dir, keys.ring), /last signed tree head of .* \(line 1 of its heads\) has a signature \(key `ed25519-[^`]+`\) that does not verify: it was forged or damaged/);
    put(dir, [...heads.slice(0, -1), "{not a head"], "heads.jsonl");
    await assert.rejects(open(dir, keys.ring), /last signed tree head of .* is damaged: tree head is not JSON/);
    put(dir, [...heads.slice(0, -1), (heads[heads.length - 1] as string).replace(last.log, "0000000000000000")], "heads.jsonl");
    await assert.rejects(open(dir, keys.ring), /belongs to log `0000000000000000`/);
    put(dir, heads, "heads.jsonl");
    await (await open(dir, keys.ring)).close();
  } finally {
    t.cleanup();
  }
});

test("the wrong keyring is refused (sealed log and unsealed tail); a rotated one still opens", async () => {
  const t = tempDir("wopen-keys");
  try {
    const keys = fixtureKeys(t.dir);
    const other = fixtureKeys(join(t.dir, "other"));
    const dir = join(t.dir, "log");
    await write(dir, keys.ring, 3);
    const before = snapshot(dir);
    await assert.rejects(open(dir, other.ring), /last signed tree head of .* is signed with key `ed25519-[^`]+`, which the keyring given does not hold: pass the keyring this log is written with/);
    assert.deepEqual(snapshot(dir), before);

    const tail = join(t.dir, "tail");
    await write(tail, keys.ring, 3, true); // no head at all yet
    await assert.rejects(open(tail, other.ring), /record 0 of .* \(signed with unknown key: hmac key `hmac-[^`]+` not available\); pass the keyring this log is written with/);

    const rotated = rotateKeyFile(keys.keyring, new Date("2026-04-01T00:00:00Z"));
    await write(dir, rotated.ring, 2, false, 3);
    await write(tail, rotated.ring, 2, false, 3);
    for (const d of [dir, tail]) {
      const r = await verifyLog(new FileStorage(d, { repair: false }), { keys: rotated.ring });
      assert.equal(r.ok, true, JSON.stringify(r.errors));
      assert.equal(r.records, 5);
    }
  } finally {
    t.cleanup();
  }
});

test("CLI: the reviewer's reproduction (flip a BLOCK to ALLOW, delete heads.jsonl, append) now fails and seals nothing", async () => {
  const t = tempDir("wopen-cli");
  try {
    const keyDir = join(t.dir, "k");
    assert.equal((await cli(["keys", "gen", "--out", keyDir])).code, 0);
    const keyring = join(keyDir, "warden-keys.json");
    const p = join(t.dir, "policy.yaml");
    writeFileSync(p, readFileSync("examples/policies/finance.yaml"));
    const log = join(t.dir, "log");
    const first = await cli(["check", "--policy", p, "--trace", "examples/traces/finance.jsonl", "--audit", log, "--key", keyring]);
    assert.match(first.err, /audit: \d+ records/);
    const entries = lines(log);
    const i = entries.findIndex((l) => l.includes('"verdict":"BLOCK","wardenVersion"'));
    assert.ok(i >= 0);
    entries[i] = (entries[i] as string).replace('"verdict":"BLOCK","wardenVersion"', '"verdict":"ALLOW","wardenVersion"');
    put(log, entries);
    rmSync(join(log, "heads.jsonl"));
    const again = await cli(["check", "--policy", p, "--action", "examples/actions/payment-unknown.json", "--audit", log, "--key", keyring]);
    assert.equal(again.code, 2, again.err);
    assert.match(again.err, new RegExp(`warden check: record ${i} of file:.* does not verify`));
    const verify = await cli(["audit", "verify", log, "--key", join(keyDir, "warden-public.jwks.json")]);
    assert.equal(verify.code, 1, "no signed head covers the forged record: the auditor sees an unsealed log");
  } finally {
    t.cleanup();
  }
});
