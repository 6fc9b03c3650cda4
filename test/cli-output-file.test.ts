// --out files: never written over the command's own input (the policy, the audit log), and an unwritable
// path is a clear error (exit 2), not a stack trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli-capture.js";

const root = new URL("..", import.meta.url).pathname;

test("compile --out refuses its own policy file and unwritable paths, and writes elsewhere", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-out-"));
  cpSync(join(root, "examples/policies/finance.yaml"), join(dir, "p.yaml"));
  const before = readFileSync(join(dir, "p.yaml"), "utf8");
  const self = await cli(["compile", "p.yaml", "--out", "./p.yaml"], dir);
  assert.equal(self.code, 2);
  assert.match(self.err, /--out `\.\/p\.yaml` is, or is inside, the command's own input `p\.yaml`/);
  assert.equal(readFileSync(join(dir, "p.yaml"), "utf8"), before);
  const folder = await cli(["compile", "p.yaml", "--out", dir], dir);
  assert.equal(folder.code, 2);
  assert.match(folder.err, /cannot write --out .*: it is a folder/);
  const missing = await cli(["compile", "p.yaml", "--out", "no/such/dir/p.json"], dir);
  assert.match(missing.err, /its folder does not exist/);
  assert.equal((await cli(["compile", "p.yaml", "--out", "p.wpc.json"], dir)).code, 0);
  assert.match(readFileSync(join(dir, "p.wpc.json"), "utf8"), /^\{/);
});

test("audit export and proof --out refuse to write into the log they read", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-out-log-"));
  assert.equal((await cli(["keys", "gen", "--out", "keys"], dir)).code, 0);
  const check = await cli(["check", "--policy", join(root, "examples/policies/finance.yaml"), "--trace", join(root, "examples/traces/finance.jsonl"), "--audit", "log", "--key", "keys/warden-keys.json"], dir);
  assert.ok(check.code === 0 || check.code === 1, check.err);
  const seg = join(dir, "log", "entries-000000000000.jsonl");
  const before = readFileSync(seg, "utf8");
  const exp = await cli(["audit", "export", "log", "--out", "log/entries-000000000000.jsonl"], dir);
  assert.equal(exp.code, 2);
  assert.equal(readFileSync(seg, "utf8"), before);
  const proof = await cli(["audit", "proof", "log", "--record", "1", "--out", "log/p.json"], dir);
  assert.equal(proof.code, 2);
  assert.equal((await cli(["audit", "export", "log", "--out", "export.jsonl"], dir)).code, 0);
  assert.equal(readFileSync(join(dir, "export.jsonl"), "utf8").trim().split("\n").length, 9);
});
