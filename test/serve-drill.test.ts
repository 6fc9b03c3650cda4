// `warden drill --target http --url`: drills a sidecar that is already running (with its bearer token).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../src/cli/main.js";
import { Governor } from "../src/gateway/governor.js";
import { buildGateway } from "../src/gateway/server.js";
import { loadPolicyFile } from "../src/node/load.js";
import { captureIO as io } from "./cli-capture.js";

test("drilling a running, authenticated sidecar: every known-bad action is stopped; a wrong token or a dead URL confirms nothing", async () => {
  const loaded = loadPolicyFile("examples/policies/clinical.yaml");
  assert.ok(loaded.ok);
  const token = "drill-token-0123456789abcdef";
  const { app } = buildGateway({ governor: new Governor(loaded.policy), apiToken: token });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const dir = mkdtempSync(join(tmpdir(), "warden-drill-http-"));
  writeFileSync(join(dir, "good.token"), `${token}\n`);
  writeFileSync(join(dir, "bad.token"), "not-the-token-0123456789\n");
  try {
    const ok = io();
    assert.equal(await runCli(["drill", "--policy", "examples/policies/clinical.yaml", "--target", "http", "--url", url, "--token-file", join(dir, "good.token"), "--json"], ok), 0, ok.stdout + ok.stderr);
    const r = JSON.parse(ok.stdout);
    // Every case of the policy's own test file that expects BLOCK is fired.
    const blockCases = (readFileSync("examples/policies/clinical.test.yaml", "utf8").match(/verdict: BLOCK/g) ?? []).length;
    assert.ok(blockCases >= 6);
    assert.equal(r.fired, blockCases);
    assert.equal(r.through, 0);
    assert.ok(r.results.every((x: { codes: string[]; missingCodes: string[] }) => x.codes.includes("DOSE_ABOVE_LIMIT") && x.missingCodes.length === 0));
    const bad = io();
    assert.equal(await runCli(["drill", "--policy", "examples/policies/clinical.yaml", "--target", "http", "--url", url, "--token-file", join(dir, "bad.token")], bad), 1);
    // A refused token judged no case: a setup error, not a list of leaks.
    assert.match(bad.stderr, /refused the drill's credentials \(HTTP 401\): pass its API token/);
    assert.equal(bad.stdout, "");
    // Nothing listening: the same.
    const { app: gone } = buildGateway({ governor: new Governor(loaded.policy) });
    const goneUrl = await gone.listen({ host: "127.0.0.1", port: 0 });
    await gone.close();
    const down = io();
    assert.equal(await runCli(["drill", "--policy", "examples/policies/clinical.yaml", "--target", "http", "--url", goneUrl], down), 1);
    assert.match(down.stderr, /cannot reach the sidecar at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    assert.doesNotMatch(down.stdout, /THROUGH/);
  } finally {
    await app.close();
  }
});

// Regression (review): drilling a running sidecar named the local --policy even when the sidecar ran another.
test("drilling a sidecar that runs another policy than --policy warns, naming the one that decided", async () => {
  const running = loadPolicyFile("examples/policies/clinical.yaml");
  assert.ok(running.ok);
  const dir = mkdtempSync(join(tmpdir(), "warden-drill-other-"));
  const local = join(dir, "clinical-v2.yaml");
  writeFileSync(local, readFileSync("examples/policies/clinical.yaml", "utf8").replace(/^version: .*$/m, 'version: "99"'));
  writeFileSync(join(dir, "clinical-v2.test.yaml"), readFileSync("examples/policies/clinical.test.yaml", "utf8").replace(/^policy: .*$/m, "policy: clinical-v2.yaml"));
  const { app } = buildGateway({ governor: new Governor(running.policy) });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const o = io();
    assert.equal(await runCli(["drill", "--policy", local, "--target", "http", "--url", url, "--json"], o), 0, o.stdout + o.stderr);
    assert.match(o.stderr, new RegExp(`warning: the target decided with policy \`${running.policy.id}\` v${running.policy.version} \\(${running.policy.hash}\\), not --policy's \`${running.policy.id}\` v99`));
    assert.deepEqual(JSON.parse(o.stdout).decidedBy, [running.policy.info]);
    const same = io();
    assert.equal(await runCli(["drill", "--policy", "examples/policies/clinical.yaml", "--target", "http", "--url", url, "--json"], same), 0);
    assert.doesNotMatch(same.stderr, /warning/);
    assert.deepEqual(JSON.parse(same.stdout).decidedBy, []);
  } finally {
    await app.close();
  }
});
