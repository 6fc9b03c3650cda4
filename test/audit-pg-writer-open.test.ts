// A writer opening a PostgreSQL log checks it as it does a folder (src/audit/writer-check.ts, the shared open path):
// rows rewritten without the key with the heads deleted, and the wrong keyring, are refused, not sealed. Real server
// (127.0.0.1:5432, `WARDEN_TEST_PG` overrides); under CI=true a missing server FAILS, otherwise the tests skip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decide } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { PgStorage } from "../src/audit/pg-storage.js";
import { AuditLogError } from "../src/audit/storage.js";
import { compileFixturePolicy, fixtureKeys, randomActions } from "./record-fixtures.js";
import { PG_URL, pgAvailability, withPgLog } from "./pg-fixture.js";



/** The error a writer's open fails with; a writer that opens is closed (its pool would keep the test alive) and fails the test. */
async function refusal(keys: Parameters<typeof AuditLog.open>[1]["keys"], target: string): Promise<Error> {
  let log: AuditLog;
  try {
    log = await AuditLog.open(PgStorage.fromUrl(target), { keys });
  } catch (e) {
    assert.ok(e instanceof AuditLogError, String(e));
    return e;
  }
  await log.close();
  assert.fail("the writer opened the log (and sealed it)");
}

const { down, skip } = await pgAvailability("audit-pg-writer-open");

test("PostgreSQL: a rewritten record under deleted heads, and the wrong keyring, make the writer refuse the log", { skip }, async () => {
  assert.equal(down, null, `PostgreSQL at ${PG_URL} is required under CI=true: ${down}`);
  await withPgLog("pg-wopen", async ({ t, logId, target, admin }) => {
    const keys = fixtureKeys(t.dir);
    const other = fixtureKeys(`${t.dir}/other`);
    const policy = compileFixturePolicy();
    const log = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring });
    for (const a of randomActions(6, 4)) await log.record(a, decide(policy, a));
    await log.close();

    assert.match((await refusal(other.ring, target)).message, /last signed tree head of postgres:.* is signed with key `ed25519-[^`]+`, which the keyring given does not hold/);

    const heads = (await admin.query<{ size: string; head: string }>("SELECT size, head FROM warden_audit_heads WHERE log = $1", [logId])).rows;
    assert.ok(heads.length > 0);
    // Record 2 rewritten by someone without the keys (a field of the signed body changed), and the heads deleted.
    const edit = await admin.query("UPDATE warden_audit_entries SET entry = replace(entry, '\"epoch\":0', '\"epoch\":1') WHERE log = $1 AND seq = 2", [logId]);
    assert.equal(edit.rowCount, 1);
    await admin.query("DELETE FROM warden_audit_heads WHERE log = $1", [logId]);
    assert.match((await refusal(keys.ring, target)).message, /^record 2 of postgres:.* does not verify \(hmac signature .* does not match\)/);
    const after = await admin.query("SELECT count(*)::int AS n FROM warden_audit_heads WHERE log = $1", [logId]);
    assert.equal(after.rows[0].n, 0, "no head was signed over the rewritten record");
  });
});
