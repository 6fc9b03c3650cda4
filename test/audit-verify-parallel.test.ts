// The parallel verifier (worker threads and the reading thread over chunks of the segment files) reports exactly what the inline one
// does: on a clean multi-segment log, and on flipped bytes, deleted, swapped, duplicated and torn records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decide, MemoryThrottleStore } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { verifyLog, type VerifyReport } from "../src/audit/verify.js";
import { compileFixturePolicy, fixtureKeys, randomActions, rng, tempDir } from "./record-fixtures.js";

test("parallel verification == inline verification, clean and tampered", async () => {
  const t = tempDir("verify-parallel");
  try {
    const keys = fixtureKeys(t.dir).ring;
    const dir = join(t.dir, "log");
    const policy = compileFixturePolicy();
    const log = await AuditLog.open(new FileStorage(dir, { segmentEntries: 700 }), { keys, headEvery: 500, sensitive: ["args.ssn"] });
    const store = new MemoryThrottleStore();
    for (const a of randomActions(2000, 21)) {
      const d = decide(policy, a, { throttle: store });
      store.commit(d);
      log.append(a, d);
    }
    await log.close();
    const segs = readdirSync(dir).filter((f) => f.startsWith("entries-")).sort();
    assert.equal(segs.length, 3);
    const strip = (r: VerifyReport): unknown => ({ ...r, storage: "" });
    const both = async (what: string): Promise<VerifyReport> => {
      const inline = await verifyLog(new FileStorage(dir, { repair: false }), { keys, threads: 1 });
      // this thread and one worker, or two workers: chunks go to a worker with room, the rest are checked here
      for (const threads of [2, 3]) {
        const parallel = await verifyLog(new FileStorage(dir, { repair: false }), { keys, threads });
        assert.deepEqual(strip(parallel), strip(inline), `${what}, ${threads} threads`);
      }
      // chunks that end mid-line (64 KiB), and chunks smaller than one line (the buffer grows)
      for (const chunkBytes of [64 << 10, 500]) {
        const chunked = await verifyLog(new FileStorage(dir, { repair: false }), { keys, threads: 2, chunkBytes });
        assert.deepEqual(strip(chunked), strip(inline), `${what}, ${chunkBytes}-byte chunks`);
      }
      return inline;
    };
    const clean = await both("clean");
    assert.equal(clean.ok, true);
    assert.equal(clean.records, 2000);
    assert.equal(clean.checked.hmac, 2000);

    const r = rng(7);
    const seg = join(dir, segs[1] as string);
    const original = readFileSync(seg);
    const lines = original.toString("utf8").split("\n").slice(0, -1);
    const cases: Array<[string, Buffer]> = [];
    for (let k = 0; k < 3; k++) {
      const bad = Buffer.from(original);
      const i = Math.floor(r() * bad.length);
      bad[i] = (bad[i] as number) ^ (k % 2 === 0 ? 0x01 : 0xff);
      cases.push([`flip @${i}`, bad]);
    }
    const join1 = (ls: string[]): Buffer => Buffer.from(ls.map((l) => `${l}\n`).join(""));
    const i = 1 + Math.floor(r() * (lines.length - 2));
    cases.push([`delete ${i}`, join1(lines.filter((_, j) => j !== i))]);
    cases.push([`swap ${i}`, join1([...lines.slice(0, i), lines[i + 1] as string, lines[i] as string, ...lines.slice(i + 2)])]);
    cases.push([`duplicate ${i}`, join1([...lines.slice(0, i + 1), lines[i] as string, ...lines.slice(i + 1)])]);
    cases.push(["torn tail", original.subarray(0, original.length - 17)]);
    for (const [what, bytes] of cases) {
      writeFileSync(seg, bytes);
      const rep = await both(what);
      assert.equal(rep.ok, false, `${what} must be detected`);
    }
    writeFileSync(seg, original);
    assert.equal((await both("restored")).ok, true);
  } finally {
    t.cleanup();
  }
});
