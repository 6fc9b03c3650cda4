// One writer per folder log, also when writers race. Found by review: writers starting together on a new folder each
// wrote their own manifest.json (a new log id) before taking the lock, so a "successful" writer's records belonged to
// another log (2 of 12 trials); a second writer in the same process took the LOCK over as its own pid's and records
// interleaved; four writers taking over a stale LOCK got "(ENOENT) … fix the folder's permissions".
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { decide } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { AuditLogError } from "../src/audit/storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";
import { writeSampleLog } from "./sample-log.js";

const CHILD = join(import.meta.dirname, "audit-open-race-child.ts");
const policy = compileFixturePolicy();
const actions = randomActions(10, 4);

/** Starts `n` racing writers on `dir`, lets them go at once, and returns what each printed. */
async function race(dir: string, keyFile: string, n: number, scratch: string): Promise<Array<{ wrote?: string; refused?: string }>> {
  const go = join(scratch, `go-${Date.now()}-${Math.random()}`);
  const children = Array.from({ length: n }, () => spawn(process.execPath, ["--import", "tsx", CHILD, dir, keyFile, go], { stdio: ["ignore", "pipe", "pipe"] }));
  const outputs = children.map(
    (c) =>
      new Promise<string>((resolve) => {
        let out = "";
        let err = "";
        c.stdout.on("data", (d: Buffer) => (out += d.toString()));
        c.stderr.on("data", (d: Buffer) => (err += d.toString()));
        c.on("close", () => resolve(out + err));
      }),
  );
  const ready = children.map((c) => new Promise<void>((resolve) => c.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve())));
  await Promise.all(ready);
  writeFileSync(go, "");
  return (await Promise.all(outputs)).map((o) => {
    const line = o.split("\n").find((l) => l.startsWith("{"));
    assert.ok(line, `a racer printed no result: ${o}`);
    return JSON.parse(line) as { wrote?: string; refused?: string };
  });
}

test("writers starting together on a new folder: one log id, every record in it, the others refused (6 trials x 4 racers)", { timeout: 180_000 }, async () => {
  const t = tempDir("race-new");
  try {
    const keys = fixtureKeys(t.dir);
    for (let trial = 0; trial < 6; trial++) {
      const dir = join(t.dir, `log${trial}`);
      const results = await race(dir, keys.keyring, 4, t.dir);
      const wrote = results.filter((r) => r.wrote !== undefined);
      assert.ok(wrote.length >= 1, JSON.stringify(results));
      const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { log: string };
      for (const w of wrote) assert.equal(w.wrote, manifest.log, `trial ${trial}: a writer that succeeded wrote records of log ${w.wrote}, the manifest says ${manifest.log}`);
      for (const r of results) if (r.refused !== undefined) assert.match(r.refused, /is open in process \d+ \(one writer per log\)|another writer/, r.refused);
      const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
      assert.equal(v.ok, true, `trial ${trial}: ${JSON.stringify(v.errors.slice(0, 3))}`);
      assert.equal(v.records, 5 * wrote.length);
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes("LOCK") || f.endsWith(".tmp")), [], "no lock or temporary file left");
    }
  } finally {
    t.cleanup();
  }
});

test("four writers taking over a stale LOCK: the losers are told another writer took it (not ENOENT, not permissions)", { timeout: 180_000 }, async () => {
  const t = tempDir("race-stale");
  try {
    const keys = fixtureKeys(t.dir);
    for (let trial = 0; trial < 4; trial++) {
      const dir = join(t.dir, `log${trial}`);
      await writeSampleLog(dir, keys.ring, 2);
      const dead = spawn(process.execPath, ["-e", ""]);
      await new Promise((r) => dead.on("close", r));
      writeFileSync(join(dir, "LOCK"), `${dead.pid}\n`); // left by a writer that was killed
      const results = await race(dir, keys.keyring, 4, t.dir);
      const wrote = results.filter((r) => r.wrote !== undefined);
      assert.ok(wrote.length >= 1, JSON.stringify(results));
      for (const r of results) {
        if (r.refused === undefined) continue;
        assert.doesNotMatch(r.refused, /ENOENT|permissions/, r.refused);
        assert.match(r.refused, /another writer|is open in process \d+/, r.refused);
      }
      const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
      assert.equal(v.ok, true, `trial ${trial}: ${JSON.stringify(v.errors.slice(0, 3))}`);
      assert.equal(v.records, 2 + 5 * wrote.length);
      assert.ok(!existsSync(join(dir, "LOCK")) && !existsSync(join(dir, "LOCK.takeover")));
    }
  } finally {
    t.cleanup();
  }
});

test("a second writer in the same process is refused (also by another path to the folder); the first keeps its LOCK", async () => {
  const t = tempDir("race-inproc");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const a = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, durability: "strict" });
    const lock = readFileSync(join(dir, "LOCK"), "utf8");
    symlinkSync(dir, join(t.dir, "alias"));
    for (const path of [dir, join(t.dir, "alias")]) {
      await assert.rejects(AuditLog.open(new FileStorage(path), { keys: keys.ring }), (e: Error) => {
        assert.ok(e instanceof AuditLogError, String(e));
        assert.match(e.message, /is already open for writing in this process \(one writer per log\)/);
        return true;
      });
      assert.equal(readFileSync(join(dir, "LOCK"), "utf8"), lock, "the refused writer left the first one's LOCK alone");
    }
    for (const x of actions.slice(0, 4)) await a.record(x, decide(policy, x));
    await a.close();
    assert.ok(!existsSync(join(dir, "LOCK")));
    // closed: the folder can be opened again in this process
    const b = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, durability: "strict" });
    for (const x of actions.slice(4, 6)) await b.record(x, decide(policy, x));
    await b.close();
    const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
    assert.equal(v.ok, true, JSON.stringify(v.errors));
    assert.equal(v.records, 6);
  } finally {
    t.cleanup();
  }
});

test("a writer deletes only a LOCK it made: one another writer put in its place stays", async () => {
  const t = tempDir("race-token");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const a = await AuditLog.open(new FileStorage(dir), { keys: keys.ring });
    const other = `${process.pid} 0123456789abcdef\n`; // same pid, another writer's token
    writeFileSync(join(dir, "LOCK"), other);
    await a.close();
    assert.equal(readFileSync(join(dir, "LOCK"), "utf8"), other);
  } finally {
    t.cleanup();
  }
});

test("a LOCK.takeover held by a live process: the writer is told another writer is taking the lock over", async () => {
  const t = tempDir("race-guard");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    mkdirSync(t.dir, { recursive: true });
    await writeSampleLog(dir, keys.ring, 1);
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => dead.on("close", r));
    writeFileSync(join(dir, "LOCK"), `${dead.pid}\n`);
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"]);
    try {
      writeFileSync(join(dir, "LOCK.takeover"), `${sleeper.pid} 0123456789abcdef\n`);
      await assert.rejects(AuditLog.open(new FileStorage(dir), { keys: keys.ring }), /another writer \(process \d+\) is taking over the stale lock of audit log .* at the same time/);
      assert.equal(readFileSync(join(dir, "LOCK"), "utf8"), `${dead.pid}\n`);
    } finally {
      sleeper.kill();
    }
  } finally {
    t.cleanup();
  }
});

test("a writer killed between its LOCK and its manifest leaves a folder the next writer takes over (not a 'damaged log'); one with records stays refused", async () => {
  const t = tempDir("race-nomanifest");
  try {
    const keys = fixtureKeys(t.dir);
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => dead.on("close", r));
    const dir = join(t.dir, "new");
    mkdirSync(dir);
    // what the killed writer left: its lock and the manifest it had not linked yet
    writeFileSync(join(dir, "LOCK"), `${dead.pid} 0123456789abcdef\n`);
    writeFileSync(join(dir, `manifest.json.${dead.pid}.0123456789abcdef.tmp`), "{\"format\":");
    const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring });
    const policy = compileFixturePolicy();
    for (const a of randomActions(3, 4)) await log.record(a, decide(policy, a));
    await log.close();
    const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
    assert.equal(v.ok, true, JSON.stringify(v.errors.slice(0, 3)));
    assert.equal(v.records, 3);
    // a stale lock beside records but no manifest is still a damaged log, not a new one
    const damaged = join(t.dir, "damaged");
    await writeSampleLog(damaged, keys.ring, 2);
    writeFileSync(join(damaged, "LOCK"), `${dead.pid} 0123456789abcdef\n`);
    const { rmSync } = await import("node:fs");
    rmSync(join(damaged, "manifest.json"));
    await assert.rejects(AuditLog.open(new FileStorage(damaged), { keys: keys.ring }), /holds audit log files .* but no manifest\.json: it is a damaged audit log/);
  } finally {
    t.cleanup();
  }
});
