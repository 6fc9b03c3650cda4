// The PostgreSQL audit sink against the real server (127.0.0.1:5432, database `test`): the same tree,
// proofs, verification and replay as files; one writer per log; a stalled sink fills the bounded
// buffer and drops are counted into the log. Under CI=true a missing server FAILS; otherwise it skips.
import { test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { decide, MemoryThrottleStore } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { PgStorage } from "../src/audit/pg-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { buildInclusionProof, verifyProofBundle } from "../src/audit/proof.js";
import { replayLog } from "../src/record/replay.js";
import { AuditLogError } from "../src/audit/storage.js";
import { Keyring } from "../src/keys/keyring.js";
import { runCli } from "../src/cli/main.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";
import { PG_URL, pgAvailability, withPgLog } from "./pg-fixture.js";



async function verifyPg(target: string, keys: Keyring) {
  const storage = PgStorage.fromUrl(target);
  try {
    return await verifyLog(storage, { keys });
  } finally {
    await storage.close();
  }
}

const { down, skip } = await pgAvailability("audit-pg");

test("PostgreSQL is reachable (required under CI=true)", { skip }, () => {
  assert.equal(down, null, `PostgreSQL at ${PG_URL} is required under CI=true: ${down}`);
});

test("the PostgreSQL sink: write, verify, prove, replay, tamper detection, one writer per log", { skip }, async () => {
  await withPgLog("pg", async ({ t, logId, target, admin }) => {
    const keys = fixtureKeys(t.dir);
    const policy = compileFixturePolicy();
    const log = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring, headEvery: 100, batchRecords: 64, sensitive: ["args.ssn"] });
    await assert.rejects(AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring }), AuditLogError, "a second writer is refused");
    const store = new MemoryThrottleStore();
    for (const a of randomActions(500, 21)) {
      const d = decide(policy, a, { throttle: store });
      store.commit(d);
      await log.record(a, d);
    }
    await log.close();

    const report = await verifyPg(target, keys.ring);
    assert.equal(report.ok, true, JSON.stringify(report.errors));
    assert.equal(report.records, 500);
    assert.equal(report.sealed, 500);

    const proofStorage = PgStorage.fromUrl(target);
    const bundle = await buildInclusionProof(proofStorage, 250);
    await proofStorage.close();
    assert.equal(verifyProofBundle(JSON.parse(JSON.stringify(bundle)), Keyring.fromJwks(keys.ring.toJwks())).ok, true);

    const replayStorage = PgStorage.fromUrl(target);
    const replay = await replayLog(replayStorage, { policy, keys: keys.ring });
    await replayStorage.close();
    assert.equal(replay.matched, 500);

    // The CLI reads the same target.
    const out = { s: "", out(x: string) { this.s += x; }, err() {}, readStdin: async () => "", cwd: process.cwd(), env: {} };
    assert.equal(await runCli(["audit", "verify", target, "--key", keys.keyring], out), 0, out.s);

    // Tampering in the database is found and the first bad record named.
    const original = (await admin.query<{ entry: string }>("SELECT entry FROM warden_audit_entries WHERE log = $1 AND seq = 250", [logId])).rows[0]?.entry as string;
    await admin.query("UPDATE warden_audit_entries SET entry = replace(entry, '\"verdict\":\"', '\"verdict\":\"X') WHERE log = $1 AND seq = 250", [logId]);
    let bad = await verifyPg(target, keys.ring);
    assert.equal(bad.ok, false);
    assert.equal(bad.firstBad?.seq, 250);
    await admin.query("UPDATE warden_audit_entries SET entry = $2 WHERE log = $1 AND seq = 250", [logId, original]);
    await admin.query("DELETE FROM warden_audit_entries WHERE log = $1 AND seq = 100", [logId]);
    bad = await verifyPg(target, keys.ring);
    assert.equal(bad.ok, false);
    assert.equal(bad.firstBad?.seq, 100);
  });
});

test("a stalled PostgreSQL sink: the bounded buffer drops and counts (drop) or holds the caller (block)", { skip }, async () => {
  const t = tempDir("pg-stall");
  const logId = `stall-${process.pid}-${Date.now()}`;
  const target = `${PG_URL}#${logId}`;
  const locker = new pg.Client({ connectionString: PG_URL });
  await locker.connect();
  try {
    const keys = fixtureKeys(t.dir);
    const policy = compileFixturePolicy();
    const actions = randomActions(60, 5);
    const events: string[] = [];
    const log = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring, maxPending: 10, onFull: "drop", batchMs: 1, onEvent: (e) => events.push(e.type) });
    // Stall the sink for real: another session holds an exclusive lock on the entries table.
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE warden_audit_entries IN ACCESS EXCLUSIVE MODE");
    const receipts = [];
    for (const a of actions.slice(0, 10)) receipts.push(log.append(a, decide(policy, a)));
    await new Promise((r) => setTimeout(r, 50)); // the batch is now in flight, blocked on the lock
    for (const a of actions.slice(10, 25)) receipts.push(log.append(a, decide(policy, a)));
    assert.equal(receipts.filter((r) => r.seq === null).length, 15);
    assert.equal(log.stats().dropped, 15);
    await locker.query("COMMIT");
    await Promise.all(receipts.map((r) => r.durable));
    const next = log.append(actions[30], decide(policy, actions[30]));
    assert.equal(next.seq, 10);
    await log.close();
    assert.ok(events.includes("drop"));
    const report = await verifyPg(target, keys.ring);
    assert.equal(report.ok, true, JSON.stringify(report.errors));
    assert.equal(report.records, 11);

    // Block mode: the caller waits while the sink is stalled and fails closed after the timeout.
    const blocking = await AuditLog.open(PgStorage.fromUrl(target), { keys: keys.ring, maxPending: 5, onFull: "block", blockTimeoutMs: 100, batchMs: 1 });
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE warden_audit_entries IN ACCESS EXCLUSIVE MODE");
    for (const a of actions.slice(40, 45)) blocking.append(a, decide(policy, a));
    await assert.rejects(blocking.record(actions[45], decide(policy, actions[45])), /unavailable/);
    await locker.query("COMMIT");
    await blocking.flush();
    const through = await blocking.record(actions[46], decide(policy, actions[46]));
    assert.equal(through.seq, 16);
    await blocking.close();
  } finally {
    await locker.query("ROLLBACK").catch(() => {});
    const s = new PgStorage(PG_URL, logId);
    await s.dropLog().catch(() => {});
    await s.close();
    await locker.end();
    t.cleanup();
  }
});

test("serve / mcp --audit postgres://…#log write to PostgreSQL, not to a folder named after the PG_URL", { skip }, async () => {
  const { openSink } = await import("../src/cli/commands/serve.js");
  const t = tempDir("pg-sink");
  const logId = `sink-${process.pid}-${Date.now()}`;
  const target = `${PG_URL}#${logId}`;
  try {
    const keys = fixtureKeys(t.dir);
    const io = { out() {}, err() {}, readStdin: async () => "", cwd: t.dir, env: {} };
    const sink = await openSink(io, target, keys.keyring, "strict", "serve");
    assert.ok(sink);
    const policy = compileFixturePolicy();
    try {
      for (const a of randomActions(5, 3)) await sink.append(a, decide(policy, a));
      // named by the storage (which masks a PG_URL's credentials), not by the PG_URL given
      assert.match(sink.state().kind, /^audit:postgres:postgres:\/\/\*\*\*@/);
    } finally {
      await sink.close();
    }
    const { readdirSync } = await import("node:fs");
    assert.deepEqual(readdirSync(t.dir).sort(), ["keys"], "no folder was made for the PG_URL");
    const report = await verifyPg(target, keys.ring);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.records, 5);
  } finally {
    t.cleanup();
  }
});
