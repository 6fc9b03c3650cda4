// Audit sink down under the sidecar: with onFull=block the bounded buffer fills and further decisions become
// BLOCK AUDIT_UNAVAILABLE; with onFull=drop decisions go on and every drop is counted (healthz, metrics).
// Nothing accepted is lost once storage recovers. Faults are injected into the
// real segment-file storage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStorage } from "../src/audit/file-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { AuditSink } from "../src/gateway/audit-sink.js";
import { Governor } from "../src/gateway/governor.js";
import { buildGateway } from "../src/gateway/server.js";
import type { EntryBatch } from "../src/audit/batch.js";
import { generateKeyFiles } from "../src/keys/keyfile.js";
import { loadPolicyFile } from "../src/node/load.js";

class FlakyStorage extends FileStorage {
  down = false;
  override async appendEntries(batch: EntryBatch, firstSeq: number): Promise<void> {
    if (this.down) throw new Error("EIO: disk unavailable (injected)");
    return super.appendEntries(batch, firstSeq);
  }
}

const tmp = mkdtempSync(join(tmpdir(), "warden-audit-down-"));
const keys = generateKeyFiles(join(tmp, "keys"), new Date());
const loaded = loadPolicyFile("examples/policies/finance.yaml");
assert.ok(loaded.ok);
const pay = { kind: "tool_call", tool: "payments.send", agent: { id: "fin-7", role: "operator" }, args: { amount: 100, currency: "USD", counterparty: "globex" } };

async function setup(onFull: "block" | "drop", name: string) {
  const dir = join(tmp, name);
  const storage = new FlakyStorage(dir);
  const sink = await AuditSink.open({ dir, keys: keys.keyring, storage, onFull, maxPending: 3, blockTimeoutMs: 150, durability: "batched" });
  const { app } = buildGateway({ governor: new Governor(loaded.ok ? loaded.policy : null, { sink }) });
  return { dir, storage, sink, app };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("onFull=block: a full buffer turns decisions into BLOCK AUDIT_UNAVAILABLE; recovery writes every accepted record", async () => {
  const { dir, storage, sink, app } = await setup("block", "block");
  storage.down = true;
  const verdicts: string[] = [];
  for (let i = 0; i < 5; i++) verdicts.push((await app.inject({ method: "POST", url: "/v1/decide", payload: pay })).json().verdict);
  assert.deepEqual(verdicts.slice(0, 3), ["ALLOW", "ALLOW", "ALLOW"], "the bounded buffer absorbs the first records");
  const blocked = (await app.inject({ method: "POST", url: "/v1/decide", payload: pay })).json();
  assert.equal(blocked.verdict, "BLOCK");
  assert.equal(blocked.reasons[0].code, "AUDIT_UNAVAILABLE");
  assert.match(blocked.reasons[0].message, /EIO: disk unavailable/);
  const health = (await app.inject({ method: "GET", url: "/healthz" })).json();
  assert.equal(health.audit.ok, false);
  assert.equal(health.audit.pending, 3);
  assert.match((await app.inject({ method: "GET", url: "/metrics" })).body, /warden_audit_lag_records 3/);
  storage.down = false;
  await waitFor(() => sink.state().pending === 0);
  assert.equal((await app.inject({ method: "POST", url: "/v1/decide", payload: pay })).json().verdict, "ALLOW");
  await app.close();
  await sink.close();
  const report = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  assert.equal(report.records, 4, "three buffered during the outage plus one after; the refused ones were never allowed");
});

test("onFull=drop: decisions go on while the sink is down and every drop is counted", async () => {
  const { dir, storage, sink, app } = await setup("drop", "drop");
  storage.down = true;
  for (let i = 0; i < 6; i++) assert.equal((await app.inject({ method: "POST", url: "/v1/decide", payload: pay })).json().verdict, "ALLOW");
  const health = (await app.inject({ method: "GET", url: "/healthz" })).json();
  assert.ok(health.audit.dropped >= 3, JSON.stringify(health.audit));
  assert.match((await app.inject({ method: "GET", url: "/metrics" })).body, /warden_audit_dropped_total [3-9]/);
  storage.down = false;
  await waitFor(() => sink.state().pending === 0);
  await app.inject({ method: "POST", url: "/v1/decide", payload: pay });
  await app.close();
  await sink.close();
  const report = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
});
