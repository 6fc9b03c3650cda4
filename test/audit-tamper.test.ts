// Exhaustive tamper detection on a small sealed log: EVERY single-byte flip (two masks) in every file,
// every deleted record, every swapped pair, every duplicated record and every truncation is detected.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decide, MemoryThrottleStore } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import type { Keyring } from "../src/keys/keyring.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";

async function sampleLog(dir: string, keys: Keyring): Promise<void> {
  const policy = compileFixturePolicy();
  // strict + headEvery 3 gives heads at sizes 3 and 5 (close); 3 entries per segment gives two segments.
  const log = await AuditLog.open(new FileStorage(dir, { segmentEntries: 3 }), { keys, durability: "strict", headEvery: 3, sensitive: ["args.ssn"] });
  const store = new MemoryThrottleStore();
  const actions = randomActions(5, 11);
  actions[1] = { ...actions[1], tool: "payments.send", args: { amount: 12, counterparty: "globex", ssn: "123-45-6789" } };
  for (const a of actions) {
    const d = decide(policy, a, { throttle: store });
    store.commit(d);
    await log.record(a, d);
  }
  await log.close();
}

test("every tampering of a sealed sample log is detected (100%, not a sample)", async () => {
  const t = tempDir("tamper");
  try {
    const keys = fixtureKeys(t.dir).ring;
    const dir = join(t.dir, "log");
    await sampleLog(dir, keys);
    const check = async (): Promise<{ ok: boolean; firstBad: number | null }> => {
      const r = await verifyLog(new FileStorage(dir, { repair: false }), { keys });
      return { ok: r.ok, firstBad: r.firstBad?.seq ?? null };
    };
    const clean = await check();
    assert.equal(clean.ok, true, "the untouched sample must verify");
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, ["entries-000000000000.jsonl", "entries-000000000003.jsonl", "heads.jsonl", "manifest.json"]);
    const originals = new Map(files.map((f) => [f, readFileSync(join(dir, f))]));
    const restore = (f: string): void => writeFileSync(join(dir, f), originals.get(f) as Buffer);
    const missed: string[] = [];
    let cases = 0;

    // 1. Every single-byte flip, in every file, with two masks (lowest bit; all bits).
    for (const f of files) {
      const orig = originals.get(f) as Buffer;
      for (let i = 0; i < orig.length; i++) {
        for (const mask of [0x01, 0xff]) {
          const bad = Buffer.from(orig);
          bad[i] = (bad[i] as number) ^ mask;
          writeFileSync(join(dir, f), bad);
          cases++;
          if ((await check()).ok) missed.push(`flip ${f}@${i}^${mask.toString(16)}`);
        }
      }
      restore(f);
    }
    const segs = files.filter((f) => f.startsWith("entries-"));
    const lines = segs.map((f) => (originals.get(f) as Buffer).toString("utf8").split("\n").slice(0, -1));
    const all = lines.flat();
    const writeRecords = (recs: string[]): void => {
      writeFileSync(join(dir, segs[0] as string), recs.slice(0, 3).map((l) => `${l}\n`).join(""));
      writeFileSync(join(dir, segs[1] as string), recs.slice(3).map((l) => `${l}\n`).join(""));
    };
    const expectBad = async (what: string, recs: string[], firstBad?: number): Promise<void> => {
      writeRecords(recs);
      cases++;
      const r = await check();
      if (r.ok) missed.push(what);
      else if (firstBad !== undefined && r.firstBad !== firstBad) missed.push(`${what}: first bad ${r.firstBad}, expected ${firstBad}`);
    };
    // 2. Every deleted record (the first bad record is named exactly).
    for (let i = 0; i < all.length; i++) await expectBad(`delete ${i}`, all.filter((_, j) => j !== i), i);
    // 3. Every swapped pair, adjacent or not.
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        const recs = [...all];
        [recs[i], recs[j]] = [recs[j] as string, recs[i] as string];
        await expectBad(`swap ${i},${j}`, recs, i);
      }
    }
    // 4. Every duplicated record, inserted right after itself and at the end.
    for (let i = 0; i < all.length; i++) {
      await expectBad(`duplicate ${i}`, [...all.slice(0, i + 1), all[i] as string, ...all.slice(i + 1)], i + 1);
      await expectBad(`duplicate ${i} at end`, [...all, all[i] as string], all.length);
    }
    writeRecords(all);
    // 5. Every truncation of every file (the tail of the log, the heads, the manifest).
    for (const f of files) {
      const orig = originals.get(f) as Buffer;
      for (let len = 0; len < orig.length; len++) {
        writeFileSync(join(dir, f), orig.subarray(0, len));
        cases++;
        if ((await check()).ok) missed.push(`truncate ${f} to ${len}`);
      }
      restore(f);
    }
    assert.equal((await check()).ok, true, "restored sample verifies again");
    assert.deepEqual(missed, [], `${missed.length} of ${cases} tamperings went undetected`);
    assert.ok(cases > 10_000, `only ${cases} cases`);
  } finally {
    t.cleanup();
  }
});
