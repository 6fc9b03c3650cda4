// A PostgreSQL writer whose inserts fail for good (here: another session already wrote the records it is about to
// write, unique_violation) stops at once and fails the pending records instead of retrying forever. Real server
// (127.0.0.1:5432, `WARDEN_TEST_PG` overrides); under CI=true a missing server FAILS, otherwise the test skips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decide } from "../src/index.js";
import { AuditLog, AuditUnavailableError } from "../src/audit/log.js";
import { PgStorage } from "../src/audit/pg-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { compileFixturePolicy, fixtureKeys, randomActions } from "./record-fixtures.js";
import { PG_URL, pgAvailability, withPgLog } from "./pg-fixture.js";



const { down, skip } = await pgAvailability("audit-pg-write-failure");

test("PostgreSQL: a permanent insert error (unique_violation) fails the record at once and stops the writer", { skip, timeout: 30_000 }, async () => {
  assert.equal(down, null, `PostgreSQL at ${PG_URL} is required under CI=true: ${down}`);
  await withPgLog("pg-wfail", async ({ t, logId, admin }) => {
    const keys = fixtureKeys(t.dir);
    const policy = compileFixturePolicy();
    const actions = randomActions(4, 6);
    const log = await AuditLog.open(PgStorage.fromUrl(`${PG_URL}#${logId}`), { keys: keys.ring, durability: "strict", blockTimeoutMs: 60_000 });
    await log.record(actions[0], decide(policy, actions[0]));
    // Someone else writes record 1 behind the writer's back.
    await admin.query("INSERT INTO warden_audit_entries (log, seq, entry) VALUES ($1, 1, 'x')", [logId]);
    const start = Date.now();
    await assert.rejects(log.record(actions[1], decide(policy, actions[1])), (e: Error) => {
      assert.ok(e instanceof AuditUnavailableError, String(e));
      assert.match(e.message, /cannot be written \(another writer appended records 1… to audit log `[^`]+`; this writer cannot go on beside it/);
      return true;
    });
    assert.ok(Date.now() - start < 5000, "at once, not after retries or the block timeout");
    assert.equal(log.stats().writeErrors, 1, "not retried");
    await assert.rejects(log.close(), AuditUnavailableError);
  });
});

/** The backend holding the writer lock of `logId` (its advisory lock: two int4 keys, objsubid 2). */
async function lockHolder(admin: import("pg").Client, logId: string): Promise<number | null> {
  const r = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = hashtext('warden_audit_log')::oid AND objid = hashtext($1)::oid",
    [logId],
  );
  return r.rows[0]?.pid ?? null;
}

/**
 * Drops the connection that holds the writer lock of `logId`, as a server restart or an idle kill does (57P01), and
 * gives the writer a moment to hear of it; returns the pid it had.
 */
async function dropLockConnection(admin: import("pg").Client, logId: string): Promise<number> {
  const pid = await lockHolder(admin, logId);
  assert.ok(pid !== null, "the writer holds its lock");
  await admin.query("SELECT pg_terminate_backend($1)", [pid]);
  await new Promise((r) => setTimeout(r, 200));
  return pid;
}

test("PostgreSQL: the writer lock's connection dropping does not kill the process; the next write takes the lock again", { skip, timeout: 30_000 }, async () => {
  assert.equal(down, null, `PostgreSQL at ${PG_URL} is required under CI=true: ${down}`);
  await withPgLog("pg-lock", async ({ t, logId, target, admin }) => {
    const keys = fixtureKeys(t.dir);
    const policy = compileFixturePolicy();
    const actions = randomActions(6, 8);
    const log = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring, durability: "strict", blockTimeoutMs: 10_000 });
    for (const a of actions.slice(0, 3)) await log.record(a, decide(policy, a));
    // unhandled, the connection's 'error' crashed the process
    const pid = await dropLockConnection(admin, logId);
    for (const a of actions.slice(3)) await log.record(a, decide(policy, a));
    const again = await lockHolder(admin, logId);
    assert.ok(again !== null && again !== pid, "the lock was taken again on a new connection");
    await log.close();
    const storage = PgStorage.fromUrl(target);
    const report = await verifyLog(storage, { keys: keys.ring });
    await storage.close();
    assert.equal(report.ok, true, JSON.stringify(report.errors));
    assert.equal(report.records, 6);
  });
});

test("PostgreSQL: a writer that lost its lock to another writer stops instead of writing beside it", { skip, timeout: 30_000 }, async () => {
  assert.equal(down, null, `PostgreSQL at ${PG_URL} is required under CI=true: ${down}`);
  await withPgLog("pg-lock2", async ({ t, logId, target, admin }) => {
    const keys = fixtureKeys(t.dir);
    const policy = compileFixturePolicy();
    const actions = randomActions(3, 9);
    const first = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring, durability: "strict", blockTimeoutMs: 10_000 });
    await first.record(actions[0], decide(policy, actions[0]));
    await dropLockConnection(admin, logId);
    const second = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring, durability: "strict" });
    await assert.rejects(first.record(actions[1], decide(policy, actions[1])), (e: Error) => {
      assert.ok(e instanceof AuditUnavailableError, String(e));
      assert.match(e.message, /lost the writer lock on audit log `[^`]+` \(terminating connection[^)]*\) and another writer holds it now/);
      return true;
    });
    await assert.rejects(first.close(), AuditUnavailableError);
    await second.record(actions[2], decide(policy, actions[2]));
    await second.close();
  });
});

test("PostgreSQL: a writer whose lock was lost while another wrote after it stops naming that writer, not permissions", { skip, timeout: 30_000 }, async () => {
  assert.equal(down, null, `PostgreSQL at ${PG_URL} is required under CI=true: ${down}`);
  await withPgLog("pg-lock3", async ({ t, logId, target, admin }) => {
    const keys = fixtureKeys(t.dir);
    const policy = compileFixturePolicy();
    const actions = randomActions(6, 10);
    const first = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring, durability: "strict", blockTimeoutMs: 10_000 });
    for (const a of actions.slice(0, 3)) await first.record(a, decide(policy, a));
    await dropLockConnection(admin, logId);
    // another writer opens, appends and closes while the first has no lock
    const second = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring, durability: "strict" });
    for (const a of actions.slice(3, 5)) await second.record(a, decide(policy, a));
    await second.close();
    await assert.rejects(first.record(actions[5], decide(policy, actions[5])), (e: Error) => {
      assert.ok(e instanceof AuditUnavailableError, String(e));
      assert.match(e.message, /another writer appended records 3… to audit log `[^`]+` while this writer's lock was lost \(terminating connection/);
      assert.doesNotMatch(e.message, /fix the permissions or storage named/);
      return true;
    });
    await assert.rejects(first.close(), AuditUnavailableError);
    const storage = PgStorage.fromUrl(target);
    const report = await verifyLog(storage, { keys: keys.ring });
    await storage.close();
    assert.equal(report.ok, true, JSON.stringify(report.errors));
    assert.equal(report.records, 5);
  });
});

test("PostgreSQL: a batch retried after its write did commit (answer lost) is done, not 'another writer'", { skip, timeout: 30_000 }, async () => {
  assert.equal(down, null, `PostgreSQL at ${PG_URL} is required under CI=true: ${down}`);
  await withPgLog("pg-retry", async ({ logId }) => {
    const { EntryBatch } = await import("../src/audit/batch.js");
    const storage = new PgStorage(PG_URL, logId);
    await storage.open({ log: logId });
    try {
      const batch = EntryBatch.of(["a\tx\n", "b\ty\n"]);
      await storage.appendEntries(batch, 0);
      await storage.appendEntries(EntryBatch.of(["a\tx\n", "b\ty\n"]), 0); // the retry: same rows, already there
      await assert.rejects(storage.appendEntries(EntryBatch.of(["a\tx\n", "c\tz\n"]), 0), /another writer appended records 0…/);
      await storage.appendHead('{"size":2}\n', 2);
      await storage.appendHead('{"size":2}\n', 2); // the same head again: done
      await assert.rejects(storage.appendHead('{"size":2,"other":true}\n', 2), /duplicate key/);
    } finally {
      await storage.close();
    }
  });
});
