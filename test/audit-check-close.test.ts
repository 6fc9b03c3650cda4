// `warden check --audit` closes its log on every exit path. Found by review: after a write error retrying cannot fix
// (a PostgreSQL role that may only SELECT), recorder.record threw and recorder.close() was never called, so the
// process hung forever holding the log's advisory lock; a folder log's run exited but left its LOCK behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { join, resolve } from "node:path";
import { AuditLog } from "../src/audit/log.js";
import { PgStorage } from "../src/audit/pg-storage.js";
import { decide } from "../src/index.js";
import { cli } from "./cli-capture.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";
import { PG_URL, pgAvailability, withPgLog } from "./pg-fixture.js";

const POLICY = resolve("examples/policies/finance.yaml");
const TRACE = resolve("examples/traces/finance.jsonl");

type Proto = { write: (...a: unknown[]) => Promise<unknown> };

/** Entry writes fail with EACCES (a permanent error) while `fn` runs. */
async function withEacces<T>(fn: () => Promise<T>): Promise<T> {
  const t = tempDir("probe");
  const probe = await open(join(t.dir, "x"), "w");
  const proto = Object.getPrototypeOf(probe) as Proto;
  await probe.close();
  t.cleanup();
  const write = proto.write;
  proto.write = async function (this: unknown, ...a: unknown[]) {
    const buf = a[0];
    if (Buffer.isBuffer(buf) && buf.subarray(0, 10).toString() === '{"record":') throw Object.assign(new Error("EACCES: permission denied, write"), { code: "EACCES" });
    return write.apply(this, a);
  };
  try {
    return await fn();
  } finally {
    proto.write = write;
  }
}

test("folder log: a run stopped by a permanent write error (strict) exits 1 and releases the log (no LOCK left, reopenable)", async () => {
  const t = tempDir("check-close-file");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const r = await withEacces(() => cli(["check", "--policy", POLICY, "--trace", TRACE, "--audit", dir, "--key", keys.keyring, "--durability", "strict"]));
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /warden check: audit log unavailable, stopping .*EACCES/);
    assert.ok(!existsSync(join(dir, "LOCK")), "the LOCK was released");
    // and this process may open it again (it is not left registered as open)
    const again = await cli(["check", "--policy", POLICY, "--trace", TRACE, "--audit", dir, "--key", keys.keyring]);
    assert.equal(again.code, 0, again.err);
  } finally {
    t.cleanup();
  }
});

test("folder log: a run that fails for another reason after opening the log (a trace file that is not there) releases it", async () => {
  const t = tempDir("check-close-other");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const r = await cli(["check", "--policy", POLICY, "--trace", join(t.dir, "missing.jsonl"), "--audit", dir, "--key", keys.keyring]);
    assert.notEqual(r.code, 0);
    assert.ok(!existsSync(join(dir, "LOCK")), "the LOCK was released");
  } finally {
    t.cleanup();
  }
});

const { down, skip } = await pgAvailability("audit-check-close");

test("PostgreSQL: a role that may only read the log's rows: check exits 1 and gives back its connections and advisory lock", { skip, timeout: 60_000 }, async () => {
  assert.equal(down, null, `PostgreSQL at ${PG_URL} is required under CI=true: ${down}`);
  await withPgLog("pg-ro", async ({ t, logId, target, admin }) => {
    const keys = fixtureKeys(t.dir);
    const policy = compileFixturePolicy();
    const a = randomActions(1, 5)[0] as Record<string, unknown>;
    const first = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring });
    await first.record(a, decide(policy, a));
    await first.close();
    const role = `warden_ro_${process.pid}`;
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    try {
      // It can open the log (read it, take the writer lock); every insert fails: 42501 insufficient_privilege.
      await admin.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
      await admin.query(`GRANT SELECT ON warden_audit_logs, warden_audit_entries, warden_audit_heads TO ${role}`);
      const url = new URL(PG_URL);
      url.username = role;
      url.password = "";
      const r = await cli(["check", "--policy", POLICY, "--trace", TRACE, "--audit", `${url.href}#${logId}`, "--key", keys.keyring, "--durability", "strict"]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /audit log unavailable, stopping .*permission denied/);
      const locks = await admin.query(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = hashtext('warden_audit_log')::oid AND objid = hashtext($1)::oid",
        [logId],
      );
      assert.equal(locks.rowCount, 0, "the writer lock was released");
      const sessions = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1", [role]);
      assert.equal((sessions.rows[0] as { n: number }).n, 0, "no connection of the run is left open (it kept the process alive)");
    } finally {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]).catch(() => {});
      await admin.query(`DROP OWNED BY ${role}`).catch(() => {});
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
