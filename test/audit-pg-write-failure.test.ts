// A PostgreSQL writer whose inserts fail for good (here: another session already wrote the records it is about to
// write, unique_violation) stops at once and fails the pending records instead of retrying forever. Real server
// (127.0.0.1:5432, `WARDEN_TEST_PG` overrides); under CI=true a missing server FAILS, otherwise the test skips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decide } from "../src/index.js";
import { AuditLog, AuditUnavailableError } from "../src/audit/log.js";
import { PgStorage } from "../src/audit/pg-storage.js";
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
      assert.match(e.message, /cannot be written \(duplicate key value violates unique constraint/);
      return true;
    });
    assert.ok(Date.now() - start < 5000, "at once, not after retries or the block timeout");
    assert.equal(log.stats().writeErrors, 1, "not retried");
    await assert.rejects(log.close(), AuditUnavailableError);
  });
});
