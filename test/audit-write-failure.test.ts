// A writer that cannot write gives up in bounded time: a permanent error (EACCES, EISDIR, …) fails the pending
// records at once and stops the writer; a storage that keeps failing is waited on no longer than blockTimeoutMs
// (strict record(), flush(), close()). Callers then BLOCK (AUDIT_UNAVAILABLE) instead of hanging.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { decide } from "../src/index.js";
import { AuditLog, AuditUnavailableError } from "../src/audit/log.js";
import type { EntryBatch } from "../src/audit/batch.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { AuditSink } from "../src/gateway/audit-sink.js";
import { Governor } from "../src/gateway/governor.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";

const policy = compileFixturePolicy();
// Without the fix these hung forever; the timeout turns a hang into a failure.
const actions = randomActions(20, 11);

/** The real segment files, whose writes fail with `fault` (an errno-style error) while it is set. */
class FaultyStorage extends FileStorage {
  fault: { code: string; message: string } | null = null;
  headFault: { code: string; message: string } | null = null;
  writes = 0;
  override async appendHead(line: string, size: number): Promise<void> {
    if (this.headFault) throw Object.assign(new Error(this.headFault.message), { code: this.headFault.code });
    return super.appendHead(line, size);
  }
  override async appendEntries(batch: EntryBatch, firstSeq: number): Promise<void> {
    this.writes++;
    if (this.fault) throw Object.assign(new Error(this.fault.message), { code: this.fault.code });
    return super.appendEntries(batch, firstSeq);
  }
}

const EACCES = { code: "EACCES", message: "EACCES: permission denied, open '/var/log/warden/entries-000000000000.jsonl'" };
const ENOSPC = { code: "ENOSPC", message: "ENOSPC: no space left on device, write" };

/** Resolves with how long `p` took to settle, and its rejection (if any). */
async function timed(p: Promise<unknown>): Promise<{ ms: number; error: Error | null }> {
  const start = Date.now();
  try {
    await p;
    return { ms: Date.now() - start, error: null };
  } catch (e) {
    return { ms: Date.now() - start, error: e as Error };
  }
}

test("strict: a permanent write error fails the record at once (not after the block timeout), stops the writer, and close() returns", { timeout: 20_000 }, async () => {
  const t = tempDir("wfail-strict");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const storage = new FaultyStorage(dir);
    const log = await AuditLog.open(storage, { keys: keys.ring, durability: "strict", blockTimeoutMs: 60_000 });
    await log.record(actions[0], decide(policy, actions[0]));
    storage.fault = EACCES;
    const r = await timed(log.record(actions[1], decide(policy, actions[1])));
    assert.ok(r.error instanceof AuditUnavailableError, String(r.error));
    assert.ok(r.ms < 2000, `failed after ${r.ms} ms, not at once`);
    assert.match(r.error.message, /cannot be written \(EACCES: permission denied, open .*\); retrying cannot fix that, so the writer stopped/);
    assert.equal(storage.writes, 2, "no retries");
    assert.throws(() => log.append(actions[2], decide(policy, actions[2])), /EACCES/);
    await assert.rejects(log.record(actions[2], decide(policy, actions[2])), AuditUnavailableError);
    const c = await timed(log.close());
    assert.ok(c.error instanceof AuditUnavailableError && c.ms < 2000, `close: ${String(c.error)} after ${c.ms} ms`);
    assert.ok(!existsSync(join(dir, "LOCK")), "storage closed, lock released");
    // The durable record stays; the next writer checks and seals it.
    await (await AuditLog.open(new FileStorage(dir), { keys: keys.ring })).close();
    const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
    assert.equal(v.ok, true, JSON.stringify(v.errors));
    assert.equal(v.records, 1);
  } finally {
    t.cleanup();
  }
});

test("batched: a permanent write error rejects the receipts' durable promises, later appends, and close(), promptly", { timeout: 20_000 }, async () => {
  const t = tempDir("wfail-batched");
  try {
    const keys = fixtureKeys(t.dir);
    const storage = new FaultyStorage(join(t.dir, "log"));
    storage.fault = EACCES;
    const log = await AuditLog.open(storage, { keys: keys.ring, blockTimeoutMs: 60_000, batchMs: 1 });
    const receipts = actions.slice(0, 5).map((a) => log.append(a, decide(policy, a)));
    const d = await timed(receipts[4]?.durable as Promise<void>);
    assert.ok(d.error instanceof AuditUnavailableError && d.ms < 2000, String(d.error));
    for (const rc of receipts) await assert.rejects(rc.durable, AuditUnavailableError);
    await assert.rejects(log.record(actions[6], decide(policy, actions[6])), /EACCES/);
    const c = await timed(log.close());
    assert.ok(c.error instanceof AuditUnavailableError && c.ms < 2000, `close: ${String(c.error)} after ${c.ms} ms`);
    assert.equal(storage.writes, 1, "no retries");
  } finally {
    t.cleanup();
  }
});

test("a real permanent error (a folder where the next segment goes: EISDIR) stops the writer", { timeout: 20_000 }, async () => {
  const t = tempDir("wfail-eisdir");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const log = await AuditLog.open(new FileStorage(dir, { segmentEntries: 2 }), { keys: keys.ring, durability: "strict", blockTimeoutMs: 60_000 });
    mkdirSync(join(dir, "entries-000000000002.jsonl"));
    await log.record(actions[0], decide(policy, actions[0]));
    await log.record(actions[1], decide(policy, actions[1]));
    const r = await timed(log.record(actions[2], decide(policy, actions[2])));
    assert.ok(r.error instanceof AuditUnavailableError && r.ms < 2000, String(r.error));
    assert.match(r.error.message, /EISDIR/);
    await assert.rejects(log.close(), AuditUnavailableError);
  } finally {
    t.cleanup();
  }
});

test("a storage that keeps failing (ENOSPC, retried) is waited on no longer than blockTimeoutMs: strict record(), flush(), close()", { timeout: 20_000 }, async () => {
  const t = tempDir("wfail-transient");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const strictStorage = new FaultyStorage(join(dir, "strict"));
    const strict = await AuditLog.open(strictStorage, { keys: keys.ring, durability: "strict", blockTimeoutMs: 300, retryMaxMs: 20 });
    strictStorage.fault = ENOSPC;
    const r = await timed(strict.record(actions[0], decide(policy, actions[0])));
    assert.ok(r.error instanceof AuditUnavailableError, String(r.error));
    assert.match(r.error.message, /record 0 was not durable within 300 ms \(ENOSPC/);
    assert.ok(r.ms >= 250 && r.ms < 3000, `${r.ms} ms`);
    assert.ok(strictStorage.writes > 1, "a transient error is retried");
    const c = await timed(strict.close());
    assert.ok(c.error instanceof AuditUnavailableError && c.ms < 3000, `close: ${String(c.error)} after ${c.ms} ms`);
    assert.match(c.error.message, /1 audit records could not be written: .* made no progress for 300 ms \(ENOSPC/);
    assert.ok(!existsSync(join(dir, "strict", "LOCK")));

    const batchedStorage = new FaultyStorage(join(dir, "batched"));
    const batched = await AuditLog.open(batchedStorage, { keys: keys.ring, blockTimeoutMs: 300, retryMaxMs: 20, batchMs: 1 });
    batchedStorage.fault = ENOSPC;
    for (const a of actions.slice(0, 3)) await batched.record(a, decide(policy, a));
    await assert.rejects(batched.flush(), /3 audit records could not be written/);
    // flush() giving up leaves the writer running: storage comes back, the records are written.
    batchedStorage.fault = null;
    await batched.flush();
    assert.equal(batched.stats().durableSize, 3);
    batchedStorage.fault = ENOSPC;
    batched.append(actions[3], decide(policy, actions[3]));
    const bc = await timed(batched.close());
    assert.ok(bc.error instanceof AuditUnavailableError && bc.ms < 3000, `close: ${String(bc.error)} after ${bc.ms} ms`);
  } finally {
    t.cleanup();
  }
});

test("a tree head write failing in the flush loop: retried later when transient, stops the writer when permanent (no unhandled rejection)", { timeout: 20_000 }, async () => {
  const t = tempDir("wfail-head");
  try {
    const keys = fixtureKeys(t.dir);
    const storage = new FaultyStorage(join(t.dir, "log"));
    const log = await AuditLog.open(storage, { keys: keys.ring, durability: "strict", headEvery: 2, blockTimeoutMs: 60_000 });
    storage.headFault = ENOSPC;
    for (const a of actions.slice(0, 4)) await log.record(a, decide(policy, a));
    await log.flush(); // a record resolves once durable; its head follows
    assert.equal(log.stats().headSize, 0);
    assert.match(log.stats().lastError ?? "", /ENOSPC/);
    storage.headFault = null;
    await log.record(actions[4], decide(policy, actions[4]));
    await log.flush();
    assert.equal(log.stats().headSize, 5, "the next head seals everything");
    storage.headFault = { code: "EACCES", message: "EACCES: permission denied, open 'heads.jsonl'" };
    await log.record(actions[5], decide(policy, actions[5]));
    await log.record(actions[6], decide(policy, actions[6])); // durable; the head due after it fails
    await assert.rejects(log.flush(), /cannot take a tree head \(EACCES/);
    assert.throws(() => log.append(actions[7], decide(policy, actions[7])), /cannot take a tree head \(EACCES/);
    await assert.rejects(log.close(), AuditUnavailableError);
  } finally {
    t.cleanup();
  }
});

test("the Governor turns a writer that cannot write into BLOCK AUDIT_UNAVAILABLE (strict), not a hang", { timeout: 20_000 }, async () => {
  const t = tempDir("wfail-governor");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const storage = new FaultyStorage(dir);
    const sink = await AuditSink.open({ dir, keys: keys.keyring, storage, durability: "strict", blockTimeoutMs: 60_000 });
    const governor = new Governor(policy, { sink });
    const allowed = actions.find((a) => decide(policy, a).verdict === "ALLOW");
    assert.ok(allowed);
    assert.equal((await governor.decide(allowed)).verdict, "ALLOW");
    storage.fault = EACCES;
    const r = await timed(governor.decide(allowed));
    assert.ok(r.ms < 2000, `${r.ms} ms`);
    const d = await governor.decide(allowed);
    assert.equal(d.verdict, "BLOCK");
    assert.equal(d.reasons[0]?.code, "AUDIT_UNAVAILABLE");
    assert.match(d.reasons[0]?.message ?? "", /EACCES/);
    await assert.rejects(sink.close(), AuditUnavailableError);
  } finally {
    t.cleanup();
  }
});
