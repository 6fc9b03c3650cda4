// The sidecar against DNS rebinding and cross-site pages: without a token it answers only requests addressed to it
// by a loopback name (or its --host, or --allowed-hosts), and never a foreign web Origin; refusals are 403 with a
// JSON error that says what was refused and how to allow it, and nothing is decided. Through Fastify's inject and
// once through a real `warden serve` process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Governor } from "../src/gateway/governor.js";
import { buildGateway, type GatewayOptions } from "../src/gateway/server.js";
import { MemorySink } from "../src/gateway/sink.js";
import { loadPolicyFile } from "../src/node/load.js";

const action = { kind: "tool_call", tool: "payments.send", agent: { id: "fin-7", role: "operator" }, args: { amount: 100, currency: "USD", counterparty: "acme-unknown" } };

function gateway(extra: Partial<GatewayOptions> = {}) {
  const r = loadPolicyFile("examples/policies/finance.yaml");
  assert.ok(r.ok);
  const sink = new MemorySink();
  return { ...buildGateway({ governor: new Governor(r.policy, { sink }), ...extra }), sink };
}

const decide = (app: ReturnType<typeof gateway>["app"], headers: Record<string, string>) =>
  app.inject({ method: "POST", url: "/v1/decide", headers: { "content-type": "application/json", ...headers }, payload: JSON.stringify(action) });

test("unauthenticated: a foreign Host or Origin is refused with 403 and not decided; loopback names pass", async () => {
  const { app, sink } = gateway();
  const rebinding = await decide(app, { host: "attacker.example:8787", origin: "http://attacker.example:8787" });
  assert.equal(rebinding.statusCode, 403);
  const e = rebinding.json().error as { code: string; message: string };
  assert.equal(e.code, "FORBIDDEN_HOST");
  assert.match(e.message, /^refused a request addressed to host `attacker\.example:8787`: this server answers only to localhost, 127\.0\.0\.1, \[::1\] \(a guard against DNS rebinding.*`--allowed-hosts attacker\.example`/);
  const origin = await decide(app, { host: "127.0.0.1:8787", origin: "https://evil.example" });
  assert.equal(origin.statusCode, 403);
  assert.equal(origin.json().error.code, "FORBIDDEN_ORIGIN");
  assert.match(origin.json().error.message, /`--allowed-origins https:\/\/evil\.example`/);
  // every route, /healthz and the 404 included
  assert.equal((await app.inject({ method: "GET", url: "/healthz", headers: { host: "attacker.example" } })).statusCode, 403);
  assert.equal((await app.inject({ method: "GET", url: "/nope", headers: { host: "attacker.example" } })).statusCode, 403);
  assert.equal(sink.entries.length, 0, "nothing was decided");

  for (const host of ["localhost:8787", "127.0.0.1:8787", "[::1]:8787", "localhost"]) {
    const ok = await decide(app, { host, origin: "http://localhost:3000" });
    assert.equal(ok.statusCode, 200, `${host}: ${ok.body}`);
    assert.equal(ok.json().verdict, "BLOCK");
  }
  const metrics = await app.inject({ method: "GET", url: "/metrics" });
  assert.match(metrics.body, /warden_errors_total\{type="forbidden"\} 4/);
});

test("allowedHosts, listenHost and allowedOrigins widen the check; with an API token the Host is checked only when allowedHosts is given", async () => {
  const { app } = gateway({ listenHost: "10.1.2.3", allowedHosts: ["warden.internal", "gw.example:8443"], allowedOrigins: ["https://console.example"] });
  assert.equal((await decide(app, { host: "10.1.2.3:8787" })).statusCode, 200);
  assert.equal((await decide(app, { host: "warden.internal:9000" })).statusCode, 200);
  assert.equal((await decide(app, { host: "gw.example:8443" })).statusCode, 200);
  assert.equal((await decide(app, { host: "gw.example:8444" })).statusCode, 403);
  assert.equal((await decide(app, { host: "localhost", origin: "https://console.example" })).statusCode, 200);
  assert.equal((await decide(app, { host: "localhost", origin: "https://warden.internal" })).statusCode, 200);
  assert.equal((await decide(app, { host: "localhost", origin: "https://other.example" })).statusCode, 403);

  const token = "api-token-0123456789abcdef";
  const authed = gateway({ apiToken: token }).app;
  const auth = { authorization: `Bearer ${token}` };
  assert.equal((await decide(authed, { ...auth, host: "warden.prod.example" })).statusCode, 200, "a token holder behind a reverse proxy");
  assert.equal((await decide(authed, { ...auth, origin: "https://evil.example" })).statusCode, 403);
  const named = gateway({ apiToken: token, allowedHosts: ["warden.prod.example"] }).app;
  assert.equal((await decide(named, { ...auth, host: "warden.prod.example" })).statusCode, 200);
  assert.equal((await decide(named, { ...auth, host: "other.example" })).statusCode, 403);
  const any = gateway({ allowedHosts: ["*"], allowedOrigins: ["*"] }).app;
  assert.equal((await decide(any, { host: "anything.example", origin: "https://anything.example" })).statusCode, 200);
});

/** One raw request to a running sidecar with the headers given (node:http lets a test set Host). */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/decide`, { method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(action));
  });
}

function serve(extra: string[]): Promise<{ code: number | null; out: string; err: string; url: string | null; stop: () => Promise<number | null> }> {
  const main = pathToFileURL(join(process.cwd(), "src/cli/main.ts")).href;
  const args = ["serve", "--policy", "examples/policies/finance.yaml", "--port", "0", "--json", "--log-level", "warn", ...extra];
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `const { runCli } = await import(${JSON.stringify(main)}); process.exitCode = await runCli(${JSON.stringify(args)});`], { env: { ...process.env, WARDEN_API_TOKEN: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (err += c));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    return child.exitCode;
  };
  return new Promise((resolve) => {
    const done = (): void => resolve({ code: child.exitCode, out, err, url: out.includes("\n") ? (JSON.parse(out.split("\n")[0] as string) as { listening: string }).listening : null, stop });
    child.stdout.on("data", () => out.includes("\n") && done());
    child.once("exit", done);
  });
}

test("`warden serve` without a token refuses a rebinding request, takes --allowed-hosts, and refuses a bad entry as a usage error", async () => {
  const s = await serve(["--allowed-hosts", "warden.internal"]);
  try {
    assert.ok(s.url, s.err);
    const port = new URL(s.url).port;
    const refused = await post(s.url, { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` });
    assert.equal(refused.status, 403);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, "FORBIDDEN_HOST");
    assert.equal((await post(s.url, { host: `warden.internal:${port}` })).status, 200);
    assert.equal((await post(s.url, {})).status, 200);
  } finally {
    assert.equal(await s.stop(), 0);
  }
  const bad = await serve(["--allowed-origins", "https://console.example/app"]);
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /--allowed-origins: `https:\/\/console\.example\/app` is not a web origin: give only scheme:\/\/host\[:port\]/);
});
