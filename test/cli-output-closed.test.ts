// The CLI's output going away (`warden check … | head -1`, a full disk) must not kill the process before its
// audit log is flushed and closed: every decision it made is recorded, and the log verifies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "bin/warden.js");
const policy = join(root, "examples/policies/finance.yaml");

test("a reader that closes early (EPIPE) leaves a complete, verifiable audit log and no crash", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-epipe-"));
  try {
    const lines = readFileSync(join(root, "examples/traces/finance.jsonl"), "utf8").split("\n").filter((l) => l.trim() !== "");
    const trace = join(dir, "trace.jsonl");
    const n = 4000;
    writeFileSync(trace, Array.from({ length: n }, (_, i) => lines[i % lines.length]).join("\n") + "\n");
    assert.equal(spawnSync(process.execPath, [bin, "keys", "gen", "--out", join(dir, "keys")]).status, 0);
    const key = join(dir, "keys", "warden-keys.json");
    const child = spawn(process.execPath, [bin, "check", "--policy", policy, "--trace", trace, "--audit", join(dir, "log"), "--key", key], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    // read one chunk, then go away like `head -1`
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on("close", (c) => done(c)));
    assert.doesNotMatch(stderr, /Unhandled|EPIPE|at .*\.js:\d+/, stderr);
    assert.ok(code === 0 || code === 1, `exit ${code}: ${stderr}`);
    const v = spawnSync(process.execPath, [bin, "audit", "verify", join(dir, "log"), "--key", key, "--json"], { encoding: "utf8" });
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.equal(JSON.parse(v.stdout).records, n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed write of the output that is not EPIPE (a full disk) is reported and fails the command", { skip: existsSync("/dev/full") ? false : "needs /dev/full" }, () => {
  const full = openSync("/dev/full", "w"); // every write fails with ENOSPC
  try {
    const r = spawnSync(process.execPath, [bin, "validate", policy], { encoding: "utf8", stdio: ["ignore", full, "pipe"] });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /could not write the output \(ENOSPC\)/);
  } finally {
    closeSync(full);
  }
});
