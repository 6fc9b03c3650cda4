// The audit log end to end: write, seal, reopen, verify; strict durability; key rotation; sensitive
// inputs; the bounded buffer with counted drops; torn tails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, readdirSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { decide, MemoryThrottleStore } from "../src/index.js";
import { AuditLog, AuditUnavailableError } from "../src/audit/log.js";
import type { EntryBatch } from "../src/audit/batch.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { loadKeys, rotateKeyFile } from "../src/keys/keyfile.js";
import { Keyring } from "../src/keys/keyring.js";
import { restoreInput } from "../src/record/input.js";
import { parseEntry } from "../src/audit/entry.js";
import type { AuditStorage } from "../src/audit/storage.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";

const policy = compileFixturePolicy();

async function writeLog(dir: string, keys: Keyring, n: number, opts: Partial<Parameters<typeof AuditLog.open>[1]> = {}, seed = 1): Promise<AuditLog> {
  const log = await AuditLog.open(new FileStorage(dir, { segmentEntries: 40 }), { keys, headEvery: 25, ...opts });
  const store = new MemoryThrottleStore();
  for (const a of randomActions(n, seed)) {
    const d = decide(policy, a, { throttle: store });
    store.commit(d);
    await log.record(a, d);
  }
  return log;
}

const verify = (dir: string, keys: Keyring | null, allowUnsealed = false) => verifyLog(new FileStorage(dir, { repair: false }), { keys, allowUnsealed });

test("a written, sealed log verifies: signatures, tree, heads; segments roll over; reopen continues", async () => {
  const t = tempDir("log");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const log = await writeLog(dir, keys.ring, 100);
    await log.close();
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("entries-")).sort(), ["entries-000000000000.jsonl", "entries-000000000040.jsonl", "entries-000000000080.jsonl"]);
    let r = await verify(dir, keys.ring);
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    assert.equal(r.records, 100);
    assert.equal(r.sealed, 100);
    assert.equal(r.checked.hmac, 100);
    assert.ok(r.checked.heads >= 1);
    const again = await writeLog(dir, keys.ring, 30, {}, 2);
    assert.equal(again.size, 130);
    await again.close();
    r = await verify(dir, keys.ring);
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    assert.equal(r.records, 130);
    // Without a key: structure and tree only, with a warning.
    r = await verify(dir, null);
    assert.equal(r.ok, true);
    assert.match(r.warnings.join("\n"), /no key given/);
  } finally {
    t.cleanup();
  }
});

test("strict mode: record() resolves only once the entry is on disk", async () => {
  const t = tempDir("strict");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, durability: "strict" });
    const actions = randomActions(20, 3);
    const pending = actions.map((a) => log.record(a, decide(policy, a)));
    const receipts = await Promise.all(pending);
    const onDisk = readFileSync(join(dir, "entries-000000000000.jsonl"), "utf8").split("\n").filter(Boolean).length;
    assert.equal(onDisk, 20);
    assert.deepEqual(receipts.map((r) => r.seq), [...Array(20).keys()]);
    assert.equal(log.stats().headSize, 0, "no head before 1000 records, the interval or close");
    // Each resolved receipt is durable: a later record() after one resolves sees it counted.
    const one = await log.record(actions[0], decide(policy, actions[0]));
    assert.equal(log.stats().durableSize, (one.seq as number) + 1);
    await log.close();
  } finally {
    t.cleanup();
  }
});

test("key rotation: old records keep verifying with the rotated keyring and with the public JWKS", async () => {
  const t = tempDir("rotate");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await (await writeLog(dir, keys.ring, 30, { signatures: "both" })).close();
    const rotated = rotateKeyFile(keys.keyring, new Date("2026-04-01T00:00:00Z"));
    assert.notEqual(rotated.ring.active.hmac, keys.ring.active.hmac);
    await (await writeLog(dir, rotated.ring, 30, { signatures: "both" }, 5)).close();
    const full = await verify(dir, loadKeys(rotated.keyring));
    assert.equal(full.ok, true, JSON.stringify(full.errors));
    assert.equal(full.checked.hmac, 60);
    assert.equal(full.checked.ed25519, 60);
    const pub = await verify(dir, loadKeys(rotated.jwks));
    assert.equal(pub.ok, true, JSON.stringify(pub.errors));
    assert.equal(pub.checked.ed25519, 60);
    assert.equal(pub.checked.hmac, 0);
    // The old keyring alone does not know the new keys: that is an error, not a pass.
    const old = await verify(dir, Keyring.fromFile(keys.file));
    assert.equal(old.ok, false);
    assert.equal(old.firstBad?.seq, 30);
    // A different keyring entirely fails at the first record.
    const other = fixtureKeys(join(t.dir, "other"));
    const wrong = await verify(dir, other.ring);
    assert.equal(wrong.ok, false);
    assert.equal(wrong.firstBad?.seq, 0);
  } finally {
    t.cleanup();
  }
});

test("sensitive fields: encrypted ones restore with the key; redacted ones are hashed under the key", async () => {
  const t = tempDir("sensitive");
  try {
    const keys = fixtureKeys(t.dir);
    for (const mode of ["encrypt", "redact"] as const) {
      const dir = join(t.dir, `log-${mode}`);
      const actions = randomActions(40, 9).filter((a) => a["tool"] === "payments.send");
      assert.ok(actions.length > 3);
      await (await writeLog(dir, keys.ring, 0, { sensitive: ["args.ssn", "context.*"], sensitiveMode: mode })).close();
      const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, sensitive: ["args.ssn", "context.*"], sensitiveMode: mode });
      for (const a of actions) await log.record(a, decide(policy, a));
      await log.close();
      const lines = readFileSync(join(dir, "entries-000000000000.jsonl"), "utf8").split("\n").filter(Boolean);
      assert.equal(lines.length, actions.length);
      for (let i = 0; i < lines.length; i++) {
        const e = parseEntry(lines[i] as string);
        assert.ok(typeof e !== "string");
        const ssn = (actions[i] as { args: { ssn: string } }).args.ssn;
        assert.ok(!lines[i]?.includes(ssn), "the ssn must not appear in clear");
        assert.equal(e.signed.record.input.mode, mode === "encrypt" ? "encrypted" : "redacted");
        const restored = restoreInput(e.signed.record, e.attachment, keys.ring);
        if (mode === "encrypt") {
          assert.ok(restored.ok, JSON.stringify(restored));
          assert.deepEqual(restored.action, JSON.parse(JSON.stringify(actions[i])));
          assert.equal(restoreInput(e.signed.record, e.attachment, null).ok, false);
        } else {
          assert.equal(restored.ok, false);
          const stored = JSON.parse(e.attachment) as { action: { args: { ssn: { mac: string; kid: string } } } };
          assert.equal(stored.action.args.ssn.mac, keys.ring.keyedHash(stored.action.args.ssn.kid, `warden.field.v1\n${JSON.stringify(ssn)}`));
        }
      }
      assert.equal((await verify(dir, keys.ring)).ok, true);
    }
  } finally {
    t.cleanup();
  }
});

/** A real FileStorage behind a switch that makes writes fail, as a full disk or a dead database would. */
class SwitchableStorage implements AuditStorage {
  down = false;
  constructor(private readonly inner: FileStorage) {}
  get describe(): string {
    return this.inner.describe;
  }
  open(c: { log: string } | null) {
    return this.inner.open(c);
  }
  scanEntries(fn: (line: string, seq: number) => void) {
    return this.inner.scanEntries(fn);
  }
  readHeads() {
    return this.inner.readHeads();
  }
  async appendEntries(batch: EntryBatch, first: number) {
    if (this.down) throw new Error("sink down");
    return this.inner.appendEntries(batch, first);
  }
  async appendHead(line: string, size: number) {
    if (this.down) throw new Error("sink down");
    return this.inner.appendHead(line, size);
  }
  close() {
    return this.inner.close();
  }
}

test("bounded buffer, drop mode: drops are counted and written into the next record, never silent", async () => {
  const t = tempDir("drop");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const storage = new SwitchableStorage(new FileStorage(dir));
    const events: string[] = [];
    const log = await AuditLog.open(storage, { keys: keys.ring, maxPending: 5, onFull: "drop", batchMs: 1, onEvent: (e) => events.push(e.type) });
    const actions = randomActions(20, 4);
    storage.down = true;
    const receipts = actions.slice(0, 12).map((a) => log.append(a, decide(policy, a)));
    assert.equal(receipts.filter((r) => r.seq === null).length, 7);
    assert.equal(log.stats().dropped, 7);
    for (let i = 0; i < 200 && !events.includes("write-error"); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(events.includes("write-error") && events.includes("drop"));
    storage.down = false;
    await log.flush(); // the retry drains the buffer
    const next = log.append(actions[12], decide(policy, actions[12]));
    await next.durable;
    await log.close();
    const lines = readFileSync(join(dir, "entries-000000000000.jsonl"), "utf8").split("\n").filter(Boolean);
    assert.equal(lines.length, 6);
    const last = parseEntry(lines[5] as string);
    assert.ok(typeof last !== "string");
    assert.equal(last.signed.record.dropped, 7);
    assert.equal((await verify(dir, keys.ring)).ok, true);
  } finally {
    t.cleanup();
  }
});

test("bounded buffer, block mode: the caller waits while the sink is down and fails closed after the timeout", async () => {
  const t = tempDir("block");
  try {
    const keys = fixtureKeys(t.dir);
    const storage = new SwitchableStorage(new FileStorage(join(t.dir, "log")));
    const log = await AuditLog.open(storage, { keys: keys.ring, maxPending: 3, onFull: "block", blockTimeoutMs: 400, retryMaxMs: 20, batchMs: 1 });
    const actions = randomActions(10, 6);
    storage.down = true;
    for (const a of actions.slice(0, 3)) log.append(a, decide(policy, a));
    assert.throws(() => log.append(actions[3], decide(policy, actions[3])), AuditUnavailableError);
    await assert.rejects(log.record(actions[3], decide(policy, actions[3])), AuditUnavailableError);
    // The sink comes back while a caller waits: it gets through.
    const waiting = log.record(actions[4], decide(policy, actions[4]));
    setTimeout(() => (storage.down = false), 10);
    const r = await waiting;
    assert.equal(r.seq, 3);
    assert.equal(log.stats().dropped, 0);
    await log.close();
  } finally {
    t.cleanup();
  }
});

test("a writer refusing a log whose signed head covers a cut-short record leaves every byte in place", async () => {
  const t = tempDir("torn-sealed");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const log = await writeLog(dir, keys.ring, 10, { durability: "strict" });
    await log.close(); // seals all 10
    const seg = join(dir, "entries-000000000000.jsonl");
    const size = statSync(seg).size;
    truncateSync(seg, size - 300); // the last sealed record loses its end: damage, not a crash
    await assert.rejects(AuditLog.open(new FileStorage(dir), { keys: keys.ring }), /does not match its last signed tree head/);
    assert.equal(statSync(seg).size, size - 300, "the refused writer cut evidence");
  } finally {
    t.cleanup();
  }
});

test("a torn tail is reported by verify, cut and reported on reopen, and the rest verifies", async () => {
  const t = tempDir("torn");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const log = await writeLog(dir, keys.ring, 10, { durability: "strict" });
    await log.flush();
    // Simulate a crash mid-write: half an entry, no seal for the last records, writer gone.
    const seg = join(dir, "entries-000000000000.jsonl");
    const lines = readFileSync(seg, "utf8").split("\n");
    appendFileSync(seg, (lines[3] as string).slice(0, 200));
    await log.storage.close();
    const before = await verify(dir, keys.ring, true);
    assert.equal(before.ok, false);
    assert.match(before.firstBad?.reason ?? "", /torn tail/);
    assert.equal(before.firstBad?.seq, 10);
    const reopened = await AuditLog.open(new FileStorage(dir, { segmentEntries: 40 }), { keys: keys.ring });
    assert.equal(reopened.size, 10);
    assert.match(reopened.repairs.join("\n"), /torn tail of 200 bytes/);
    await reopened.close();
    const after = await verify(dir, keys.ring);
    assert.equal(after.ok, true, JSON.stringify(after.errors));
    assert.equal(after.records, 10);
  } finally {
    t.cleanup();
  }
});
