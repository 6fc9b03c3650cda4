// The package entry ("warden", resolved through package.json exports to dist/) carries the scanner, packs,
// gitleaks import, approvals and sandbox planning, so library users need no deep imports.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import * as warden from "warden";

/** Bare specifiers reached through static imports and re-exports from a built module (dynamic imports are lazy). */
function staticPackages(entry: string): string[] {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
      const spec = m[1] as string;
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith("node:")) packages.add(spec);
    }
  };
  visit(resolve(entry));
  return [...packages];
}

test("the scanner compiles, scans, serializes and reloads through the package entry", () => {
  const c = warden.compilePatternSet([{ id: "aws", pattern: "AKIA[0-9A-Z]{16}" }]);
  assert.ok(c.ok, "compiles");
  const text = "key=AKIAABCDEFGHIJKLMNOP;";
  assert.deepEqual(warden.scanText(c.set, text), [{ patternId: "aws", start: 4, end: 24 }]);
  const loaded = warden.loadPatternSet(warden.serializePatternSet(c.set));
  assert.equal(warden.patternSetHash(loaded), warden.patternSetHash(c.set));
  assert.deepEqual(warden.scanText(loaded, text), warden.scanText(c.set, text));
});

test("packs and a gitleaks import find secrets and never return them in clear", () => {
  const token = `ghp_${"aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"}`;
  const packs = warden.compilePacks(warden.loadPack("secrets"));
  assert.ok(packs.ok);
  const found = warden.scanWithPacks(packs.compiled, `token: ${token} end`);
  const gh = found.find((f) => f.patternId === "secrets.github-token");
  assert.ok(gh, `github token found (got ${JSON.stringify(found)})`);
  assert.equal(gh.start, 7);
  assert.ok(!gh.masked.includes(token.slice(4, 30)), "masked");
  const imp = warden.importGitleaks(`[[rules]]\nid = "demo"\nregex = '''demo_[a-z]{8}'''\n`);
  assert.deepEqual(imp.skipped, []);
  assert.equal(imp.rules.length, 1);
  // Packs and imports combine into one set (the documented library flow).
  const both = warden.compilePacks(warden.assemble([...warden.loadPack("secrets").rules, ...imp.rules]));
  assert.ok(both.ok);
  const mixed = warden.scanWithPacks(both.compiled, `x demo_abcdefgh ${token}`).map((f) => f.patternId);
  assert.ok(mixed.includes("gitleaks.demo") && mixed.includes("secrets.github-token"), JSON.stringify(mixed));
  assert.equal(typeof warden.usePackCache, "function");
  assert.equal(typeof warden.installPackCache, "function");
  assert.equal(warden.isPackName("pii"), true);
  assert.equal(warden.isPackName("nope"), false);
});

test("approvals resolve once, through the package entry", () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-api-"));
  try {
    const store = new warden.ApprovalStore(dir, () => new Date("2026-01-01T00:00:00Z"));
    const req = store.request(
      { group: "finance", rule: "large-payment", code: "PAYMENT_LARGE", message: "payments over 10,000 need finance", action: { tool: "payments.send", args: { amount: "12000.00" } }, policy: "finance@1" },
      60_000,
    );
    assert.equal(store.get(req.id)?.status, "pending");
    assert.equal(store.resolve(req.id, "approved", "alice").status, "approved");
    assert.throws(() => store.resolve(req.id, "denied", "bob"), warden.ApprovalError);
    assert.equal(warden.outcomeOf(store.get(req.id) as warden.ApprovalRecord), "approved");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sandbox plans refuse what they cannot enforce instead of widening it", () => {
  const profile = (over: Partial<warden.SandboxProfile>): warden.SandboxProfile => ({
    filesystem: { allow: [], readOnly: [], deny: [] },
    network: { allow: [], deny: [] },
    env: { allow: [], set: {} },
    ...over,
  });
  const rel = warden.planSandbox(profile({ filesystem: { allow: ["relative/path"], readOnly: [], deny: [] } }), {});
  assert.equal(rel.ok, false);
  if (!rel.ok) assert.match(rel.error, /not an absolute path/);
  const hosts = warden.planSandbox(profile({ network: { allow: ["api.example.com"], deny: [] } }), {});
  assert.equal(hosts.ok, false);
  const ok = warden.planSandbox(profile({ env: { allow: ["HOME"], set: { MODE: "sandbox" } } }), { HOME: "/home/a", SECRET: "x" });
  assert.ok(ok.ok);
  if (ok.ok) {
    assert.equal(ok.plan.network, "none");
    assert.deepEqual(ok.plan.env, { HOME: "/home/a", MODE: "sandbox" });
  }
});

test("`warden/sidecar` serves decisions; importing `warden` alone does not load Fastify or the MCP SDK", async () => {
  const { buildGateway } = await import("warden/sidecar");
  const mcp = await import("warden/mcp");
  assert.equal(typeof mcp.runStdioProxy, "function");
  assert.equal(typeof mcp.runHttpProxy, "function");
  assert.equal(typeof mcp.createGovernedServer, "function");
  assert.equal(typeof mcp.connectUpstream, "function");
  assert.equal(typeof mcp.packScanner, "function");
  const compiled = warden.compilePolicy(
    "id: api\nversion: 1\nmode: enforce\ndefault: BLOCK\ntools: { lookup: read }\nrules:\n  - { id: reads, match: { class: read }, verdict: ALLOW }\n",
  );
  assert.ok(compiled.ok, JSON.stringify(compiled.ok ? [] : compiled.diagnostics));
  const { app } = buildGateway({ governor: new warden.Governor(compiled.policy), apiToken: "api-test-token-0123456789" });
  try {
    const decide = (tool: string) =>
      app.inject({ method: "POST", url: "/v1/decide", headers: { authorization: "Bearer api-test-token-0123456789" }, payload: { kind: "tool_call", tool, args: {}, agent: { id: "a1" } } });
    assert.equal((await decide("lookup")).json().verdict, "ALLOW");
    assert.equal((await decide("rm_rf")).json().verdict, "BLOCK");
  } finally {
    await app.close();
  }
  // the main entry stays light (cold start of decide()): its static import graph reaches neither package
  assert.deepEqual(staticPackages("dist/index.js").filter((p) => /fastify|modelcontextprotocol/.test(p)), []);
  assert.ok(staticPackages("dist/gateway/public.js").includes("fastify"), "the graph walk sees packages");
});
