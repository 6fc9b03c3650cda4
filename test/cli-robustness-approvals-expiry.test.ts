// A held request whose `expiresAt` cannot be read as a time used to stay pending forever (NaN <= now is false; and
// Date.parse reads "99999" as the year 99999), and could still be approved at any later date. It fails closed now: it counts as expired, so it can never be approved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApprovalError, ApprovalStore } from "../src/approvals/store.js";
import { runCli } from "../src/cli/main.js";
import type { CliIO } from "../src/cli/io.js";

function request(id: string, expiresAt: unknown): string {
  return `${JSON.stringify({ type: "request", id, createdAt: "2026-01-01T00:00:00.000Z", expiresAt, group: "g", rule: "r", code: "C", message: "m", action: { tool: "pay" }, policy: "p" })}\n`;
}

test("a request with an unparseable expiresAt is expired: never pending, never approvable", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-apr-expiry-"));
  const bad: Array<[string, unknown]> = [["apr_text", "next tuesday"], ["apr_empty", ""], ["apr_number", 4102444800000], ["apr_missing", undefined], ["apr_null", null], ["apr_loose", "99999"], ["apr_day", "2099-13-45T00:00:00Z"]];
  writeFileSync(join(dir, "approvals.jsonl"), bad.map(([id, at]) => request(id, at)).join("") + request("apr_ok", "2099-01-01T00:00:00.000Z"));
  const store = new ApprovalStore(dir);
  assert.deepEqual(store.list("pending").map((r) => r.request.id), ["apr_ok"]);
  for (const [id] of bad) {
    assert.equal(store.get(id)?.status, "expired", id);
    assert.throws(() => store.resolve(id, "approved", "alice"), (e: unknown) => e instanceof ApprovalError && e.code === "ALREADY_RESOLVED", id);
  }
  // a proxy waiting on one gets its timeout at once (it used to poll forever)
  const waited = await store.waitFor("apr_text", { pollMs: 10 });
  assert.equal(waited.status, "expired");
  assert.equal(waited.resolution?.by, "warden:timeout");
  // and the console cannot approve one
  let err = "";
  const io: CliIO = { out: () => {}, err: (t) => void (err += t), readStdin: async () => "", cwd: dir, env: {} };
  assert.equal(await runCli(["approvals", "approve", "apr_empty", "--dir", dir], io), 1);
  assert.match(err, /approval `apr_empty` is already expired/);
  assert.equal(store.get("apr_ok")?.status, "pending");
});
