// Runs the README's MCP quick start block exactly as written (through bin/warden.js, so it needs dist/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

const README = readFileSync("README.md", "utf8");
const section = README.split("## Quick start: a governed MCP server")[1] ?? "";
const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];

test("README quick start: a governed MCP server with a blocked, explained, recorded tool call", (t) => {
  assert.ok(block, "the README has the quick start block");
  if (!existsSync("dist/cli/main.js")) {
    if (process.env.CI === "true") assert.fail("dist/ is missing: run `npm run build` first");
    t.skip("dist/ is missing (run `npm run build`; `npm test` does it)");
    return;
  }
  const r = spawnSync("bash", ["-euo", "pipefail", "-c", block as string], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /27 passed, 0 failed/);
  assert.match(r.stdout, /18 known-bad actions fired, 18 stopped, 0 got through/);
  assert.match(r.stdout, /notes\.txt: ok\n  hello/);
  assert.match(r.stdout, /\.env: REFUSED\n  Warden blocked `read_text_file` under policy `mcp-filesystem` v1: SENSITIVE_PATH/);
  assert.doesNotMatch(r.stdout, /sk-demo/);
  assert.match(r.stdout, /ok file:.*: 2 records/);
  assert.match(r.stdout, /checked: 2 hmac/);
  assert.match(r.stdout, /"verdict":"BLOCK".*"SENSITIVE_PATH"/);
});
