// A retried write never duplicates or corrupts the log: a short write followed by ENOSPC, or an fdatasync that fails
// (EIO), left half a batch in the segment file and the retry appended the whole batch after it (reviewer:
// "record 2: record is not well-formed JSON", or 11 lines for 10 records), then signed a head over an in-memory
// tree the disk no longer matched. The file storage now cuts the segment back to where the batch started before a
// retry. The faults are injected into the real FileHandle (as a full disk or a failing device would show them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { decide } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";

const policy = compileFixturePolicy();
const actions = randomActions(12, 21);

type Proto = { write: (...a: unknown[]) => Promise<{ bytesWritten: number }>; datasync: () => Promise<void> };

/** Patches FileHandle.prototype for the duration of `fn`: `fault` decides per call whether to tear or fail it. */
async function withFaults(
  fault: { write?: (buf: Buffer, n: number) => "short" | "fail" | null; sync?: (n: number) => boolean },
  fn: () => Promise<void>,
): Promise<void> {
  const scratch = tempDir("probe");
  const probe = await open(join(scratch.dir, "x"), "w");
  const proto = Object.getPrototypeOf(probe) as Proto;
  await probe.close();
  scratch.cleanup();
  const write = proto.write;
  const datasync = proto.datasync;
  let writes = 0;
  let syncs = 0;
  proto.write = async function (this: unknown, ...a: unknown[]) {
    const [buf, off, len, pos] = a as [Buffer, number, number, number | null];
    const what = Buffer.isBuffer(buf) ? (fault.write?.(buf, ++writes) ?? null) : null;
    if (what === "fail") throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    if (what === "short") return write.call(this, buf, off, Math.max(1, Math.floor(len / 2)), pos);
    return write.apply(this, a);
  };
  proto.datasync = async function (this: unknown) {
    if (fault.sync?.(++syncs)) throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
    return datasync.call(this);
  };
  try {
    await fn();
  } finally {
    proto.write = write;
    proto.datasync = datasync;
  }
}

async function writeAndCheck(name: string, fault: Parameters<typeof withFaults>[0], opts: { segmentEntries?: number; batched?: boolean } = {}): Promise<void> {
  const t = tempDir(name);
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const events: string[] = [];
    await withFaults(fault, async () => {
      const log = await AuditLog.open(new FileStorage(dir, { segmentEntries: opts.segmentEntries ?? 100_000 }), {
        keys: keys.ring,
        durability: opts.batched ? "batched" : "strict",
        batchMs: 1,
        retryMaxMs: 20,
        onEvent: (e) => events.push(`${e.type}: ${e.message}`),
      });
      if (opts.batched) {
        for (const a of actions.slice(0, 10)) log.append(a, decide(policy, a));
        await log.flush();
      } else for (const a of actions.slice(0, 10)) await log.record(a, decide(policy, a));
      await log.close();
    });
    assert.ok(events.some((e) => e.startsWith("write-error: audit write failed")), `the fault happened: ${events.join(" | ")}`);
    const lines = readdirSync(dir)
      .filter((f) => f.startsWith("entries-"))
      .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").slice(0, -1));
    assert.equal(lines.length, 10, "one line per record, none twice, no fragment");
    const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
    assert.equal(v.ok, true, JSON.stringify(v.errors));
    assert.equal(v.records, 10);
    assert.equal(v.sealed, 10);
  } finally {
    t.cleanup();
  }
}

const isEntry = (buf: Buffer): boolean => buf.subarray(0, 10).toString() === '{"record":';
const isHead = (buf: Buffer): boolean => buf.subarray(0, 7).toString() === '{"log":';

test("a short write then ENOSPC: the retry cuts the half-written batch before writing it again", { timeout: 20_000 }, async () => {
  let n = 0;
  let torn = false;
  await writeAndCheck("retry-short", {
    write: (buf) => {
      if (!isEntry(buf)) return null;
      if (torn) {
        torn = false;
        return "fail";
      }
      if (++n === 3) {
        torn = true;
        return "short";
      }
      return null;
    },
  });
});

test("an fdatasync that fails (EIO): the batch is cut back and written once more, not appended twice", { timeout: 20_000 }, async () => {
  await writeAndCheck("retry-sync", { sync: (n) => n === 3 });
});

test("a batch that started a new segment and failed there: the segment is removed and the batch rewritten", { timeout: 20_000 }, async () => {
  let n = 0;
  await writeAndCheck("retry-segment", { write: (buf) => (isEntry(buf) && ++n === 2 ? "short" : null), sync: (k) => k === 2 }, { segmentEntries: 4, batched: true });
});

test("a tree head write torn part-way is cut before the head is written again", { timeout: 20_000 }, async () => {
  let failed = 0;
  let torn = false;
  const t = tempDir("retry-head");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await withFaults(
      {
        write: (buf) => {
          if (!isHead(buf)) return null;
          if (torn) {
            torn = false;
            return "fail";
          }
          if (failed++ === 0) {
            torn = true;
            return "short";
          }
          return null;
        },
      },
      async () => {
        const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, durability: "strict", headEvery: 2 });
        for (const a of actions.slice(0, 6)) await log.record(a, decide(policy, a));
        await log.close();
      },
    );
    assert.ok(failed > 1, "the head write was torn");
    const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
    assert.equal(v.ok, true, JSON.stringify(v.errors));
    assert.equal(v.sealed, 6);
  } finally {
    t.cleanup();
  }
});
