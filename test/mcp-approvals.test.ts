// The durable approval store behind ESCALATE: shared by processes through one append-only file; the first
// resolution wins; deadlines deny; a torn last line (crash mid-write) is ignored, damage elsewhere is not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApprovalError, ApprovalStore } from "../src/approvals/store.js";
import { runCli } from "../src/cli/main.js";
import { captureIO as io } from "./cli-capture.js";

const fresh = (): string => mkdtempSync(join(tmpdir(), "warden-approvals-"));
const req = { group: "ops", rule: "r", code: "NEEDS_APPROVAL", message: "needs a human", action: { tool: "deploy", args: { env: "prod" } }, policy: "sha256:x" };

test("two stores on one directory see each other; the first resolution wins", () => {
  const dir = fresh();
  const proxy = new ApprovalStore(dir);
  const consoleA = new ApprovalStore(dir);
  const consoleB = new ApprovalStore(dir);
  const r = proxy.request(req, 60_000);
  assert.equal(consoleA.list("pending")[0]?.request.id, r.id);
  assert.equal(consoleA.resolve(r.id, "approved", "alice").status, "approved");
  assert.throws(() => consoleB.resolve(r.id, "denied", "bob"), (e: unknown) => e instanceof ApprovalError && e.code === "ALREADY_RESOLVED");
  // even a resolution appended behind the store's back after the first does not change the outcome
  appendFileSync(join(dir, "approvals.jsonl"), `${JSON.stringify({ type: "resolution", id: r.id, status: "denied", by: "mallory", at: new Date().toISOString() })}\n`);
  assert.equal(proxy.get(r.id)?.status, "approved");
  assert.equal(proxy.get(r.id)?.resolution?.by, "alice");
  assert.throws(() => proxy.resolve("apr_nope", "approved", "x"), (e: unknown) => e instanceof ApprovalError && e.code === "UNKNOWN_APPROVAL");
});

test("a request past its deadline is expired and can no longer be approved; waitFor records the timeout", async () => {
  let now = new Date("2026-03-02T10:00:00Z");
  const store = new ApprovalStore(fresh(), () => now);
  const r = store.request(req, 1000);
  now = new Date("2026-03-02T10:00:01.001Z");
  assert.equal(store.get(r.id)?.status, "expired");
  assert.throws(() => store.resolve(r.id, "approved", "late"), /already expired/);
  const rec = await store.waitFor(r.id, { pollMs: 1 });
  assert.equal(rec.status, "expired");
  assert.equal(rec.resolution?.by, "warden:timeout");
});

test("waitFor returns as soon as another process resolves, and a cancelled wait is recorded", async () => {
  const dir = fresh();
  const store = new ApprovalStore(dir);
  const r = store.request(req, 60_000);
  const waiting = store.waitFor(r.id, { pollMs: 5 });
  setTimeout(() => new ApprovalStore(dir).resolve(r.id, "denied", "carol", "not now"), 30);
  const rec = await waiting;
  assert.equal(rec.status, "denied");
  assert.equal(rec.resolution?.note, "not now");
  const r2 = store.request(req, 60_000);
  const ac = new AbortController();
  const w2 = store.waitFor(r2.id, { pollMs: 5, signal: ac.signal });
  ac.abort();
  assert.equal((await w2).resolution?.by, "warden:cancelled");
});

test("a torn last line is ignored and cut by the next writer; a damaged line in the middle is reported", () => {
  const dir = fresh();
  const store = new ApprovalStore(dir);
  const r = store.request(req, 60_000);
  appendFileSync(join(dir, "approvals.jsonl"), '{"type":"resolution","id":"' + r.id + '","sta');
  assert.equal(store.get(r.id)?.status, "pending");
  // the next writer cuts the fragment instead of gluing its event onto it
  const r2 = store.request(req, 60_000);
  assert.equal(store.list().length, 2);
  assert.equal(store.resolve(r2.id, "approved", "erin").status, "approved");
  assert.doesNotMatch(readFileSync(join(dir, "approvals.jsonl"), "utf8"), /"sta\n|"sta\{/);
  const text = readFileSync(join(dir, "approvals.jsonl"), "utf8");
  writeFileSync(join(dir, "approvals.jsonl"), `garbage\n${text}\n`);
  assert.throws(() => store.list(), (e: unknown) => e instanceof ApprovalError && e.code === "STORE_CORRUPT" && /approvals\.jsonl:1/.test(e.message));
});

test("a complete last event without its newline is kept by the next writer: a denial stays a denial", () => {
  const dir = fresh();
  const store = new ApprovalStore(dir);
  const x = store.request(req, 60_000);
  const y = store.request(req, 60_000);
  appendFileSync(join(dir, "approvals.jsonl"), JSON.stringify({ type: "resolution", id: x.id, status: "denied", by: "alice", at: new Date().toISOString() }));
  assert.equal(store.get(x.id)?.status, "denied");
  assert.equal(store.resolve(y.id, "approved", "bob").status, "approved");
  assert.equal(store.get(x.id)?.status, "denied");
  assert.throws(() => store.resolve(x.id, "approved", "mallory"), (e: unknown) => e instanceof ApprovalError && e.code === "ALREADY_RESOLVED");
  // a line that is JSON but not an event object is damage, reported, not a crash
  appendFileSync(join(dir, "approvals.jsonl"), "null\n");
  store.request(req, 60_000);
  assert.throws(() => store.list(), (e: unknown) => e instanceof ApprovalError && e.code === "STORE_CORRUPT" && /not an event object/.test(e.message));
});

test("`warden approvals` lists as JSON and reports unknown ids with exit 1", async () => {
  const dir = fresh();
  const r = new ApprovalStore(dir).request(req, 60_000);
  const o = io();
  assert.equal(await runCli(["approvals", "list", "--dir", dir, "--json"], o), 0);
  assert.equal(JSON.parse(o.stdout)[0].request.id, r.id);
  const u = io();
  assert.equal(await runCli(["approvals", "approve", "apr_missing", "--dir", dir], u), 1);
  assert.match(u.stderr, /no approval request `apr_missing`/);
  const bad = io();
  assert.equal(await runCli(["approvals", "list", "--dir", dir, "--status", "weird"], bad), 2);
});

