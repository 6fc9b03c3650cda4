// Drops just before close reach the signed log. Found by review: maxPending 5, onFull "drop", a stalled storage,
// 12 appends, then close(): stats().dropped was 7 but every stored record carried "dropped":0 — the count was to ride
// on the next record, and there was none. close() now appends a marker record carrying it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decide } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import type { EntryBatch } from "../src/audit/batch.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { exportLog, type DecisionEventV1 } from "../src/audit/export.js";
import { replayLog } from "../src/record/replay.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";

const policy = compileFixturePolicy();

class StalledStorage extends FileStorage {
  gate: Promise<void> | null = null;
  override async appendEntries(batch: EntryBatch, firstSeq: number): Promise<void> {
    if (this.gate) await this.gate;
    return super.appendEntries(batch, firstSeq);
  }
}

test("drops with no record after them: close() appends a marker carrying the count; verify, replay and export read it", async () => {
  const t = tempDir("drop-marker");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const storage = new StalledStorage(dir);
    const log = await AuditLog.open(storage, { keys: keys.ring, maxPending: 5, onFull: "drop", batchMs: 1 });
    let release!: () => void;
    storage.gate = new Promise((r) => (release = r));
    const actions = randomActions(12, 31);
    const seqs = actions.map((a) => log.append(a, decide(policy, a)).seq);
    assert.deepEqual(seqs, [0, 1, 2, 3, 4, null, null, null, null, null, null, null]);
    await new Promise((r) => setTimeout(r, 20));
    storage.gate = null;
    release();
    await log.close();
    assert.equal(log.stats().dropped, 7);
    const lines = readFileSync(join(dir, "entries-000000000000.jsonl"), "utf8").trim().split("\n");
    const records = lines.map((l) => (JSON.parse(l.slice(0, l.indexOf("\t"))) as { record: { dropped: number; reasons: Array<{ code: string }>; verdict: string } }).record);
    assert.equal(records.length, 6);
    assert.equal(records.reduce((n, r) => n + r.dropped, 0), 7, "the signed log tells of every drop");
    const marker = records[5] as (typeof records)[number];
    assert.equal(marker.dropped, 7);
    assert.equal(marker.verdict, "BLOCK");
    assert.deepEqual(marker.reasons.map((r) => r.code), ["AUDIT_RECORDS_DROPPED"]);
    const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
    assert.equal(v.ok, true, JSON.stringify(v.errors));
    assert.equal(v.sealed, 6);
    const r = await replayLog(new FileStorage(dir, { repair: false }), { policy, keys: keys.ring });
    assert.equal(r.ok, true, JSON.stringify({ skipped: r.skipped, drift: r.drift.map((d) => d.differs) }));
    assert.equal(r.invalid, 1, "the marker is input that was not an action: nothing to re-decide");
    const events: DecisionEventV1[] = [];
    const x = await exportLog(new FileStorage(dir, { repair: false }), (l) => events.push(JSON.parse(l) as DecisionEventV1));
    assert.equal(x.events, 6);
    assert.equal(events[5]?.dropped_before, 7);
    assert.deepEqual(events[5]?.reason_codes, ["AUDIT_RECORDS_DROPPED"]);
  } finally {
    t.cleanup();
  }
});

test("no drops: no marker", async () => {
  const t = tempDir("drop-marker-none");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, durability: "strict" });
    for (const a of randomActions(3, 32)) await log.record(a, decide(policy, a));
    await log.close();
    assert.equal(readFileSync(join(dir, "entries-000000000000.jsonl"), "utf8").trim().split("\n").length, 3);
  } finally {
    t.cleanup();
  }
});
