// Property test of the log's lifecycle: random interleavings of appends (batched and strict), flushes,
// clean closes, crashes (abandon, torn tails), reopenings and key rotations always leave a log that
// verifies, holds every durable record exactly once in order, and replays identically.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { decide, MemoryThrottleStore } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { replayLog } from "../src/record/replay.js";
import { Keyring, rotateKeyring } from "../src/keys/keyring.js";
import { compileFixturePolicy, randomActions, tempDir } from "./record-fixtures.js";

type Op =
  | { op: "append"; n: number; strict: boolean }
  | { op: "flush" }
  | { op: "close" }
  | { op: "crash"; torn: number }
  | { op: "rotate" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("append" as const), n: fc.integer({ min: 1, max: 12 }), strict: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 2, arbitrary: fc.constant({ op: "close" as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("crash" as const), torn: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: "rotate" as const }) },
);

test("property: any sequence of appends, flushes, closes, crashes and rotations leaves a verifiable, replayable log", async () => {
  const policy = compileFixturePolicy();
  const actions = randomActions(2000, 99);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
      const t = tempDir(`life-${run++}`);
      try {
        const dir = join(t.dir, "log");
        let file = rotateKeyring(null, new Date("2026-01-01T00:00:00Z"));
        let keys = Keyring.fromFile(file);
        const open = (durability: "strict" | "batched") =>
          AuditLog.open(new FileStorage(dir, { segmentEntries: 7 }), { keys, durability, headEvery: 5, batchRecords: 4, batchMs: 1, sensitive: ["args.ssn"] });
        let log: AuditLog | null = null;
        let durable = 0; // records known to be on disk
        let next = 0;
        const store = new MemoryThrottleStore();
        for (const o of ops) {
          if (o.op === "append") {
            log ??= await open(o.strict ? "strict" : "batched");
            for (let i = 0; i < o.n; i++) {
              const a = actions[next++ % actions.length] as Record<string, unknown>;
              const d = decide(policy, a, { throttle: store });
              store.commit(d);
              const r = await log.record(a, d);
              if (o.strict) {
                await r.durable;
                durable = (r.seq as number) + 1;
              }
            }
          } else if (o.op === "flush" && log) {
            await log.flush();
            durable = log.size;
          } else if (o.op === "close" && log) {
            await log.close();
            durable = log.size;
            log = null;
          } else if (o.op === "crash" && log) {
            const atLeast = durable;
            await log.abandon();
            log = null;
            const segs = readdirSync(dir).filter((f) => f.startsWith("entries-")).sort();
            const tear = o.torn > 0 && segs.length > 0;
            if (tear) appendFileSync(join(dir, segs[segs.length - 1] as string), "x".repeat(o.torn));
            const reopened = await open("batched");
            assert.ok(reopened.size >= atLeast, `lost durable records: ${reopened.size} < ${atLeast}`);
            if (tear) assert.match(reopened.repairs.join("\n"), new RegExp(`torn tail of ${o.torn} bytes`));
            durable = reopened.size;
            await reopened.close();
          } else if (o.op === "rotate") {
            file = rotateKeyring(file, new Date("2026-02-01T00:00:00Z"));
            keys = Keyring.fromFile(file);
            if (log) {
              await log.close();
              durable = log.size;
              log = null;
            }
          }
        }
        if (log) {
          await log.close();
          durable = log.size;
        }
        if (durable === 0 && !readdirSync(t.dir).includes("log")) return;
        const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys });
        assert.equal(v.ok, true, JSON.stringify(v.errors.slice(0, 3)));
        assert.equal(v.records, durable);
        const r = await replayLog(new FileStorage(dir, { repair: false }), { policy, keys });
        assert.equal(r.drifted, 0);
        assert.equal(r.matched, durable);
      } finally {
        t.cleanup();
      }
    }),
    { numRuns: 60 },
  );
});
