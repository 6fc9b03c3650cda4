// EntryBatch keeps entries as UTF-8 bytes: ranges, lines, growth past its capacity and concat are exact.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryBatch } from "../src/audit/batch.js";

test("entry batches keep exact bytes through growth, ranges and concat", () => {
  const lines = ["{\"a\":1}\t{}\n", "ä😀\u2028\t\"x\"\n", `${"y".repeat(5000)}\n`, "\n"];
  const b = new EntryBatch(16); // grows several times
  for (const l of lines) b.push(l);
  assert.equal(b.length, 4);
  assert.deepEqual(b.lines(), lines);
  assert.equal(b.bytes().toString("utf8"), lines.join(""));
  assert.equal(b.bytes(1, 3).toString("utf8"), lines.slice(1, 3).join(""));
  assert.equal(b.bytes(0, 0).length, 0);
  const c = EntryBatch.of(["z\n"]).concat(b);
  assert.deepEqual(c.lines(), ["z\n", ...lines]);
  assert.equal(c.bytes(2, 5).toString("utf8"), lines.slice(1).join(""));
  assert.deepEqual(new EntryBatch().concat(new EntryBatch()).lines(), []);
});

test("a released buffer, grown or not, serves a later batch with only that batch's bytes", () => {
  const big = "x".repeat(1500) + "\n";
  for (let round = 0; round < 6; round++) {
    const b = new EntryBatch();
    const lines = Array.from({ length: 300 }, (_, i) => `${round}:${i}:${big}`); // ~450 KB: grows past 256 KiB
    for (const l of lines) b.push(l);
    assert.equal(b.bytes().toString("utf8"), lines.join(""));
    assert.deepEqual(b.lines(), lines);
    b.release();
    const small = new EntryBatch();
    small.push(`after ${round}\n`);
    assert.equal(small.bytes().toString("utf8"), `after ${round}\n`);
    small.release();
  }
});
