// `--durability` and `--audit-on-full` say how decisions are written to the audit log: without `--audit` there is
// no log, and `warden serve` / `warden mcp` used to ignore them silently. Now that is a usage error (exit 2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli-capture.js";

const policy = new URL("../examples/policies/finance.yaml", import.meta.url).pathname;

test("serve and mcp refuse --durability and --audit-on-full without --audit", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "warden-audit-flags-"));
  // a port already taken: should the flag be ignored again, serve stops at listen instead of running forever
  const busy = createServer();
  await new Promise<void>((done) => busy.listen(0, "127.0.0.1", done));
  t.after(() => busy.close());
  const port = String((busy.address() as { port: number }).port);
  const cases: Array<[string[], RegExp]> = [
    [["serve", "--policy", policy, "--port", port, "--durability", "strict"], /warden serve: --durability only applies with --audit LOG/],
    [["serve", "--policy", policy, "--port", port, "--audit-on-full", "drop"], /warden serve: --audit-on-full only applies with --audit LOG/],
    [["mcp", "--policy", policy, "--scan-results", "off", "--durability", "batched", "--", process.execPath, "-e", ""], /warden mcp: --durability only applies with --audit LOG/],
    [["mcp", "--policy", policy, "--scan-results", "off", "--audit-on-full", "block", "--", process.execPath, "-e", ""], /warden mcp: --audit-on-full only applies with --audit LOG/],
  ];
  for (const [args, want] of cases) {
    const r = await cli(args, dir);
    assert.match(r.err, want, `${args.join(" ")}: ${r.err}`);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
  }
});
