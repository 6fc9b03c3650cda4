// End-to-end tests of the HTTP sidecar: decide/batch through Fastify's inject, auth, limits, hot reload,
// metrics, fail-closed audit, and once through a real `warden serve` process on a loopback port.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Governor } from "../src/gateway/governor.js";
import { watchPolicy } from "../src/gateway/reload.js";
import { buildGateway } from "../src/gateway/server.js";
import { MemorySink } from "../src/gateway/sink.js";
import { AuditSink } from "../src/gateway/audit-sink.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { generateKeyFiles } from "../src/keys/keyfile.js";
import { loadPolicyFile } from "../src/node/load.js";
import type { CompiledPolicy } from "../src/compile/build.js";

const tmp = mkdtempSync(join(tmpdir(), "warden-serve-"));
function policy(path = "examples/policies/finance.yaml"): CompiledPolicy {
  const r = loadPolicyFile(path);
  assert.ok(r.ok, "example policy compiles");
  return r.policy;
}
const pay = (counterparty: string, amount = 100) => ({ kind: "tool_call", tool: "payments.send", agent: { id: "fin-7", role: "operator" }, args: { amount, currency: "USD", counterparty } });
const AT = new Date("2026-03-02T10:00:00Z");

test("POST /v1/decide returns the Decision and records it", async () => {
  const sink = new MemorySink();
  const { app } = buildGateway({ governor: new Governor(policy(), { sink }), clock: () => AT });
  const allow = await app.inject({ method: "POST", url: "/v1/decide", payload: pay("globex") });
  assert.equal(allow.statusCode, 200);
  assert.equal(allow.json().verdict, "ALLOW");
  const block = await app.inject({ method: "POST", url: "/v1/decide", payload: pay("acme-unknown") });
  assert.equal(block.json().verdict, "BLOCK");
  assert.equal(block.json().reasons[0].code, "COUNTERPARTY_NOT_ALLOWLISTED");
  assert.equal(sink.entries.length, 2);
  // the sidecar stamps the decision time when the caller gives none
  assert.equal((sink.entries[0]?.action as { at: string }).at, AT.toISOString());
  await app.close();
});

test("malformed requests get a precise 400 and are never decided", async () => {
  const sink = new MemorySink();
  const { app } = buildGateway({ governor: new Governor(policy(), { sink }), maxDepth: 8 });
  const cases: Array<[string, string, RegExp]> = [
    ['{"kind": "tool_call",\n "tool": ', "INVALID_JSON", /2:\d+/],
    ["", "EMPTY_BODY", /empty/],
    ['{"kind":"tool_call","tool":"x","args":' + "[".repeat(20) + "]".repeat(20) + "}", "JSON_TOO_DEEP", /deeper than 8/],
    ['{"kind":"launch_missiles","tool":"x"}', "INVALID_ACTION", /kind/],
    // a repeated key: JSON.parse keeps the last (5), another reader may pay the first (48000)
    ['{"kind":"tool_call","tool":"x","args":{"amount":48000,"amount":5}}', "DUPLICATE_KEY", /key "amount" twice \(the second at 1:55\)/],
    ['{"kind":"tool_call","tool":"x","args":{"a\\u006d":1,"am":2}}', "DUPLICATE_KEY", /key "am" twice/],
    // 10000.0000000000001 would be read as 10000 and pass a `gt: 10000` rule it fails
    ['{"kind":"tool_call","tool":"payments.send","args":{"amount":10000.0000000000001}}', "LOSSY_NUMBER", /10000\.0000000000001 at 1:61 has more digits than a double holds.*as a string/],
    ['{"kind":"tool_call","tool":"x","args":{"n":1e400}}', "LOSSY_NUMBER", /beyond the range of a double/],
    ['[{"kind":"tool_call"}]', "INVALID_ACTION", /list/],
    ['{"kind":"tool_call","tool":"ledger.read","args":"x"}', "INVALID_ACTION", /args/],
  ];
  for (const [payload, code, msg] of cases) {
    const r = await app.inject({ method: "POST", url: "/v1/decide", headers: { "content-type": "application/json" }, payload });
    assert.equal(r.statusCode, 400, `${code}: ${r.body}`);
    assert.equal(r.json().error.code, code, r.body);
    assert.match(r.json().error.message, msg);
  }
  // Bytes that are not UTF-8 would be decided as U+FFFD, on text the caller never sent.
  const bad = Buffer.concat([Buffer.from('{"kind":"tool_call","tool":"ledger.read","args":{"to":"evil'), Buffer.from([0xff]), Buffer.from('-co"}}')]);
  const r8 = await app.inject({ method: "POST", url: "/v1/decide", headers: { "content-type": "application/json" }, payload: bad });
  assert.equal(r8.statusCode, 400, r8.body);
  assert.equal(r8.json().error.code, "INVALID_UTF8");
  // Valid multi-byte UTF-8 is fine.
  const ok8 = await app.inject({ method: "POST", url: "/v1/decide", headers: { "content-type": "application/json" }, payload: Buffer.from('{"kind":"tool_call","tool":"ledger.read","args":{"q":"ü€😀"}}') });
  assert.equal(ok8.statusCode, 200, ok8.body);
  sink.entries.length = 0;
  const text = await app.inject({ method: "POST", url: "/v1/decide", headers: { "content-type": "text/plain" }, payload: "hi" });
  assert.equal(text.statusCode, 415);
  // JSON declared in another charset is refused, not read as UTF-8; utf-8 spelled any way is fine
  const body = '{"kind":"tool_call","tool":"ledger.read"}';
  for (const cs of ["utf-16", "UTF-16LE", "iso-8859-1", '"latin1"']) {
    const r = await app.inject({ method: "POST", url: "/v1/decide", headers: { "content-type": `application/json; charset=${cs}` }, payload: body });
    assert.equal(r.statusCode, 415, cs);
    assert.equal(r.json().error.code, "UNSUPPORTED_MEDIA_TYPE");
    assert.match(r.json().error.message, /send the JSON as UTF-8/);
  }
  assert.equal(sink.entries.length, 0, "nothing malformed was decided");
  for (const cs of ["utf-8", "UTF-8", "utf8", '"utf-8"']) {
    const r = await app.inject({ method: "POST", url: "/v1/decide", headers: { "content-type": `application/json; charset=${cs}` }, payload: body });
    assert.equal(r.statusCode, 200, `${cs}: ${r.body}`);
  }
  await app.close();
});

test("body size limit is a 413", async () => {
  const { app } = buildGateway({ governor: new Governor(policy()), bodyLimit: 1000 });
  const r = await app.inject({ method: "POST", url: "/v1/decide", payload: { ...pay("globex"), text: "x".repeat(2000) } });
  assert.equal(r.statusCode, 413);
  assert.equal(r.json().error.code, "BODY_TOO_LARGE");
  await app.close();
});

test("a client trickling a request in is cut off near the request timeout (slowloris)", async () => {
  const { app } = buildGateway({ governor: new Governor(policy()), requestTimeoutMs: 300 });
  const url = new URL(await app.listen({ host: "127.0.0.1", port: 0 }));
  const { connect } = await import("node:net");
  const t0 = Date.now();
  const answer = await new Promise<string>((resolve) => {
    let got = "";
    const sock = connect(Number(url.port), "127.0.0.1", () => sock.write("POST /v1/decide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"kind\":"));
    sock.on("data", (c) => (got += c.toString()));
    sock.on("close", () => resolve(got));
    setTimeout(() => sock.destroy(), 5000);
  });
  const took = Date.now() - t0;
  assert.ok(took < 3000, `cut off after ${took} ms`);
  assert.match(answer, /^HTTP\/1\.1 408|^$/, "a 408 or a closed connection, never a decision");
  await app.close();
});

test("batch: decides in order; one malformed action rejects the whole batch with its index", async () => {
  const sink = new MemorySink();
  const { app } = buildGateway({ governor: new Governor(policy(), { sink }) });
  const ok = await app.inject({ method: "POST", url: "/v1/decide/batch", payload: { actions: [pay("globex"), pay("nobody"), pay("acme-corp", 50000)] } });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json().decisions.map((d: { verdict: string }) => d.verdict), ["ALLOW", "BLOCK", "ESCALATE"]);
  const bad = await app.inject({ method: "POST", url: "/v1/decide/batch", payload: { actions: [pay("globex"), { kind: "tool_call", tool: 5 }] } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.index, 1);
  assert.match(bad.json().error.field, /^actions\.1/);
  const notList = await app.inject({ method: "POST", url: "/v1/decide/batch", payload: [pay("globex")] });
  assert.equal(notList.json().error.code, "INVALID_BATCH");
  assert.equal(sink.entries.length, 3);
  await app.close();
});

test("throttle state is kept across requests and committed per decision", async () => {
  const { app } = buildGateway({ governor: new Governor(policy("examples/policies/research.yaml")) });
  const search = (i: number) => ({ kind: "tool_call", tool: "search", at: new Date(AT.getTime() + i * 1000).toISOString(), agent: { id: "r-1" }, args: { q: "x" } });
  const r = await app.inject({ method: "POST", url: "/v1/decide/batch", payload: { actions: Array.from({ length: 601 }, (_, i) => search(i)) } });
  const verdicts = r.json().decisions.map((d: { verdict: string }) => d.verdict);
  assert.equal(verdicts.filter((v: string) => v === "ALLOW").length, 600);
  assert.equal(verdicts[600], "THROTTLE");
  assert.ok(r.json().decisions[600].obligations.retryAfterMs > 0);
  await app.close();
});

test("bearer auth: /v1 and /metrics need the token; /healthz does not; admin is separate", async () => {
  const apiToken = "api-token-0123456789abcdef";
  const adminToken = "admin-token-0123456789abcdef";
  const file = join(tmp, "auth.yaml");
  copyFileSync("examples/policies/finance.yaml", file);
  const governor = new Governor(policy(file));
  const watcher = watchPolicy(file, governor, () => {}, 60_000);
  const { app } = buildGateway({ governor, apiToken, adminToken, watcher });
  assert.equal((await app.inject({ method: "POST", url: "/v1/decide", payload: pay("globex") })).statusCode, 401);
  assert.equal((await app.inject({ method: "POST", url: "/v1/decide", payload: pay("globex"), headers: { authorization: "Bearer wrong" } })).statusCode, 401);
  assert.equal((await app.inject({ method: "POST", url: "/v1/decide", payload: pay("globex"), headers: { authorization: `Bearer ${adminToken}` } })).statusCode, 401);
  const ok = await app.inject({ method: "POST", url: "/v1/decide", payload: pay("globex"), headers: { authorization: `Bearer ${apiToken}` } });
  assert.equal(ok.json().verdict, "ALLOW");
  assert.equal((await app.inject({ method: "GET", url: "/metrics" })).statusCode, 401);
  assert.equal((await app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
  assert.equal((await app.inject({ method: "POST", url: "/admin/reload", headers: { authorization: `Bearer ${apiToken}` } })).statusCode, 401);
  // The router decodes percent-encoded paths; auth follows the route it matched, not the URL's text.
  for (const [method, url] of [["POST", "/%76%31/decide"], ["POST", "/v1/%64ecide/batch"], ["POST", "/%76%31/approvals/outcome"], ["GET", "/%6detrics"], ["GET", "/metrics?x=/healthz"], ["GET", "/no/such/route"]] as const) {
    const r = await app.inject({ method, url, ...(method === "POST" ? { payload: pay("globex") } : {}) });
    assert.equal(r.statusCode, 401, `${method} ${url} without a token: ${r.statusCode} ${r.body}`);
  }
  for (const auth of [undefined, `Bearer ${apiToken}`]) {
    const r = await app.inject({ method: "POST", url: "/%61dmin/reload", ...(auth ? { headers: { authorization: auth } } : {}) });
    assert.equal(r.statusCode, 401, `POST /%61dmin/reload with ${auth ?? "no token"}: ${r.statusCode} ${r.body}`);
  }
  assert.equal((await app.inject({ method: "GET", url: "/%68ealthz" })).statusCode, 200);
  const encoded = await app.inject({ method: "POST", url: "/%76%31/decide", payload: pay("globex"), headers: { authorization: `Bearer ${apiToken}` } });
  assert.equal(encoded.json().verdict, "ALLOW");
  const reload = await app.inject({ method: "POST", url: "/admin/reload", headers: { authorization: `Bearer ${adminToken}` } });
  assert.equal(reload.statusCode, 200);
  assert.equal(reload.json().ok, true);
  watcher.close();
  await app.close();
  const { app: noAdmin } = buildGateway({ governor });
  assert.equal((await noAdmin.inject({ method: "POST", url: "/admin/reload" })).statusCode, 403);
  await noAdmin.close();
});

test("hot reload: a valid edit takes effect; a broken edit keeps the running policy and says why", async () => {
  const file = join(tmp, "reload.yaml");
  copyFileSync("examples/policies/finance.yaml", file);
  const governor = new Governor(policy(file));
  const outcomes: unknown[] = [];
  const watcher = watchPolicy(file, governor, (o) => outcomes.push(o), 50);
  const { app } = buildGateway({ governor, watcher });
  const before = (await app.inject({ method: "GET", url: "/healthz" })).json();
  assert.equal((await app.inject({ method: "POST", url: "/v1/decide", payload: pay("newcorp") })).json().verdict, "BLOCK");
  writeFileSync(file, readFileSync(file, "utf8").replace("wonka]", "wonka, newcorp]"));
  await waitFor(() => outcomes.length >= 1);
  const after = (await app.inject({ method: "GET", url: "/healthz" })).json();
  assert.notEqual(after.policy.hash, before.policy.hash);
  assert.equal((await app.inject({ method: "POST", url: "/v1/decide", payload: pay("newcorp") })).json().verdict, "ALLOW");
  writeFileSync(file, "id: finance\nversion: 4\ndefault: BLOCK\nrules:\n  - id: r\n    verdict: ALLOW\n    when: { field: args.a, gt: .nan }\n");
  await waitFor(() => outcomes.length >= 2);
  const health = (await app.inject({ method: "GET", url: "/healthz" })).json();
  assert.equal(health.policy.hash, after.policy.hash, "the running policy stays");
  assert.equal(health.reload.ok, false);
  assert.match(health.reload.errors.join("\n"), /NON_FINITE_NUMBER/);
  assert.equal((await app.inject({ method: "POST", url: "/v1/decide", payload: pay("newcorp") })).json().verdict, "ALLOW");
  const metrics = (await app.inject({ method: "GET", url: "/metrics" })).body;
  assert.match(metrics, /warden_decisions_total\{verdict="ALLOW"\} 2/);
  assert.match(metrics, /warden_decision_reasons_total\{verdict="BLOCK",rule="payments-allowlist",code="COUNTERPARTY_NOT_ALLOWLISTED"\} 1/);
  assert.match(metrics, /warden_decide_duration_seconds_count\{endpoint="decide"\} 3/);
  assert.match(metrics, new RegExp(`warden_policy_info\\{id="finance",version="3",hash="${after.policy.hash}"\\} 1`));
  watcher.close();
  await app.close();
});

test("fail closed: audit sink down blocks; no policy blocks and /healthz says 503", async () => {
  const sink = new MemorySink();
  sink.failWith = new Error("disk full");
  const { app } = buildGateway({ governor: new Governor(policy(), { sink }) });
  const r = await app.inject({ method: "POST", url: "/v1/decide", payload: pay("globex") });
  assert.equal(r.json().verdict, "BLOCK");
  assert.equal(r.json().reasons[0].code, "AUDIT_UNAVAILABLE");
  assert.match(r.json().reasons[0].message, /disk full/);
  assert.equal((await app.inject({ method: "GET", url: "/healthz" })).json().audit.ok, false);
  await app.close();
  const { app: none } = buildGateway({ governor: new Governor(null) });
  assert.equal((await none.inject({ method: "POST", url: "/v1/decide", payload: pay("globex") })).json().reasons[0].code, "NO_POLICY");
  assert.equal((await none.inject({ method: "GET", url: "/healthz" })).statusCode, 503);
  await none.close();
});

test("every decision is a signed record in the audit log, and the log verifies", async () => {
  const keys = generateKeyFiles(join(tmp, "keys"), new Date());
  const dir = join(tmp, "audit");
  const sink = await AuditSink.open({ dir, keys: keys.keyring, durability: "strict" });
  const { app } = buildGateway({ governor: new Governor(policy(), { sink }) });
  for (const c of ["globex", "nobody", "acme-corp"]) await app.inject({ method: "POST", url: "/v1/decide", payload: pay(c) });
  const health = (await app.inject({ method: "GET", url: "/healthz" })).json();
  assert.equal(health.audit.size, 3);
  assert.equal(health.audit.pending, 0, "strict durability: nothing pending after the response");
  await app.close();
  await sink.close();
  const report = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  assert.equal(report.records, 3);
});

test("`warden serve` process: refuses a public bind without a token, serves on loopback, decides over real HTTP", async () => {
  const serve = await serveProcess(["--host", "0.0.0.0"], { WARDEN_API_TOKEN: "" });
  try {
    const info = serve.info;
    const err = serve.err();
    assert.match(info.listening, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.authenticated, false);
    assert.match(err, /UNAUTHENTICATED/);
    assert.match(err, /refusing to bind `0\.0\.0\.0`/);
    const res = await fetch(`${info.listening}/v1/decide`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(pay("acme-unknown")) });
    const d = (await res.json()) as { verdict: string; reasons: Array<{ code: string }> };
    assert.equal(d.verdict, "BLOCK");
    assert.equal(d.reasons[0]?.code, "COUNTERPARTY_NOT_ALLOWLISTED");
  } finally {
    await serve.stop();
  }
  assert.equal(serve.child.exitCode, 0, serve.err());
});

/**
 * `warden serve --policy examples/policies/finance.yaml --port 0 --json --log-level warn <extra>` in its own
 * process (through tsx), once it has printed where it listens.
 */
async function serveProcess(extra: string[], env: Record<string, string> = {}) {
  const main = pathToFileURL(join(process.cwd(), "src/cli/main.ts")).href;
  const args = ["serve", "--policy", "examples/policies/finance.yaml", "--port", "0", "--json", "--log-level", "warn", ...extra];
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `const { runCli } = await import(${JSON.stringify(main)}); process.exitCode = await runCli(${JSON.stringify(args)});`], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (err += c));
  await waitFor(() => out.includes("\n") || child.exitCode !== null, 20_000);
  const info = JSON.parse(out.split("\n")[0] as string) as { listening: string; authenticated: boolean };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  };
  return { child, info, err: () => err, stop };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("`warden serve --token-file --audit --keys` process: authenticated, recorded, sealed on SIGTERM", async () => {
  const keys = generateKeyFiles(join(tmp, "proc-keys"), new Date());
  const token = "process-token-0123456789abcdef";
  writeFileSync(join(tmp, "api.token"), `${token}\n`);
  const audit = join(tmp, "proc-audit");
  const serve = await serveProcess(["--token-file", join(tmp, "api.token"), "--audit", audit, "--keys", keys.keyring, "--durability", "strict"]);
  try {
    const info = serve.info;
    assert.equal(info.authenticated, true);
    assert.doesNotMatch(serve.err(), /UNAUTHENTICATED|not recorded/);
    const post = (auth?: string) => fetch(`${info.listening}/v1/decide`, { method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body: JSON.stringify(pay("acme-unknown")) });
    assert.equal((await post()).status, 401);
    const d = (await (await post(token)).json()) as { verdict: string };
    assert.equal(d.verdict, "BLOCK");
  } finally {
    await serve.stop();
  }
  assert.equal(serve.child.exitCode, 0, serve.err());
  const report = await verifyLog(new FileStorage(audit, { repair: false }), { keys: keys.ring });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  assert.equal(report.records, 1, "only the decided request is recorded; the unauthenticated one never reached the engine");
  assert.equal(report.sealed, 1, "the log is sealed by a signed head on shutdown");
});
