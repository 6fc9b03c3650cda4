// Offline replay over 10,000+ random actions (throttled ones included): same verdict, reasons and record
// hash from the stored canonical action and the recorded throttle state; drift is caught and shown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { decide, MemoryThrottleStore } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { replayLog } from "../src/record/replay.js";
import { compileFixturePolicy, fixtureKeys, POLICY_YAML, randomActions, tempDir } from "./record-fixtures.js";

test("10,000 random actions replay to the identical verdict, reasons and record hash; a changed policy drifts", async () => {
  const t = tempDir("replay");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const policy = compileFixturePolicy();
    const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, sensitive: ["args.ssn"], sensitiveMode: "encrypt" });
    const store = new MemoryThrottleStore();
    const verdicts: Record<string, number> = {};
    for (const a of randomActions(10_000, 42)) {
      const d = decide(policy, a, { throttle: store });
      store.commit(d);
      verdicts[d.verdict] = (verdicts[d.verdict] ?? 0) + 1;
      await log.record(a, d);
    }
    await log.close();
    assert.ok((verdicts["THROTTLE"] ?? 0) > 500, `throttled: ${verdicts["THROTTLE"]}`);
    assert.ok((verdicts["ALLOW"] ?? 0) > 1000 && (verdicts["BLOCK"] ?? 0) > 1000 && (verdicts["ESCALATE"] ?? 0) > 100, JSON.stringify(verdicts));

    const same = await replayLog(new FileStorage(dir, { repair: false }), { policy, keys: keys.ring });
    assert.equal(same.records, 10_000);
    assert.equal(same.replayed, 10_000, JSON.stringify(same.skipped.slice(0, 3)));
    assert.equal(same.matched, 10_000, JSON.stringify(same.drift.slice(0, 1), null, 1));
    assert.equal(same.ok, true);

    // Without the keyring, encrypted ssn fields cannot be restored: those records are skipped, never guessed.
    const noKey = await replayLog(new FileStorage(dir, { repair: false }), { policy, keys: null });
    assert.equal(noKey.ok, false);
    assert.ok(noKey.skipped.length > 1000 && noKey.skipped.every((s) => /keyring/.test(s.reason)));
    assert.equal(noKey.drifted, 0);

    // A tighter search budget: throttled decisions change, and each drift names what differs.
    const tighter = compileFixturePolicy(POLICY_YAML.replace("limit: 3, per: 1min", "limit: 2, per: 1min"));
    const drift = await replayLog(new FileStorage(dir, { repair: false }), { policy: tighter, keys: keys.ring });
    assert.equal(drift.ok, false);
    assert.equal(drift.policyMismatch, 10_000);
    assert.equal(drift.drift.length, 20);
    assert.ok(drift.drift.every((d) => d.differs.includes("record hash") && d.recordHash !== d.replayedHash));
    assert.ok((drift.differs["verdict"] ?? 0) > 100, JSON.stringify(drift.differs));
    assert.equal(drift.differs["record hash"], 10_000);
    // The verdict drift is exactly what the change touches: search.web calls that are now throttled.
    const onlyVerdict = await replayLog(new FileStorage(dir, { repair: false }), { policy: tighter, keys: keys.ring, maxDrift: 100_000 });
    for (const d of onlyVerdict.drift.filter((x) => x.differs.includes("verdict"))) {
      assert.equal(d.record.tool, "search.web");
      assert.equal(d.replayed.verdict, "THROTTLE");
    }
  } finally {
    t.cleanup();
  }
});
