// Numeric flags take decimal digits only, within their range: `0x40`, `1e2`, `""`, ` 60 `, `+60` and `60.0` were
// all read by Number() (`--record ""` proved record 0); now each is a usage error (exit 2) naming the flag.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseWholeNumber } from "../src/cli/args.js";
import { cli } from "./cli-capture.js";

const root = new URL("..", import.meta.url).pathname;
const policy = join(root, "examples/policies/finance.yaml");
const trace = join(root, "examples/traces/finance.jsonl");
// Each one passes Number() and, for most flags, the old range check too.
const BAD = ["0x40", "1e2", "", " 60 ", "+60", "60.0", "-1", "6 0", "60\n"];

test("parseWholeNumber takes decimal digits within the range and nothing else", () => {
  assert.equal(parseWholeNumber("0", 0, 10), 0);
  assert.equal(parseWholeNumber("007", 0, 10), 7);
  assert.equal(parseWholeNumber("65535", 0, 65535), 65535);
  for (const t of [...BAD, "65536", "99999999999999999999", "٣", "Infinity", "NaN"]) assert.equal(parseWholeNumber(t, 0, 65535), null, JSON.stringify(t));
});

test("every numeric flag of every command refuses text that is not decimal digits (exit 2, naming the flag)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-numbers-"));
  assert.equal((await cli(["keys", "gen", "--out", "keys"], dir)).code, 0);
  const key = join(dir, "keys", "warden-keys.json");
  assert.ok((await cli(["check", "--policy", policy, "--trace", trace, "--audit", "log", "--key", key], dir)).code <= 1);
  // Every case ends in another error after the flag is read, so the old code (which took the value) stops too.
  const cases: Array<[string, (v: string) => string[]]> = [
    ["record", (v) => ["audit", "proof", "log", "--record", v]],
    ["consistency", (v) => ["audit", "proof", "log", "--consistency", v]],
    ["threads", (v) => ["audit", "verify", "log", "--threads", v]],
    ["max-drift", (v) => ["replay", "log", "--policy", policy, "--max-drift", v]],
    ["port", (v) => ["serve", "--policy", policy, "--port", v, "--token-file", "missing"]],
    ["reload-ms", (v) => ["serve", "--policy", policy, "--reload-ms", v, "--token-file", "missing"]],
    ["shed-delay-ms", (v) => ["serve", "--policy", policy, "--shed-delay-ms", v, "--token-file", "missing"]],
    ["approval-poll-ms", (v) => ["mcp", "--policy", policy, "--scan-results", "off", "--approval-poll-ms", v, "--audit", "x", "--", "true"]],
    ["listen", (v) => ["mcp", "--policy", policy, "--scan-results", "off", "--upstream-url", "http://127.0.0.1:9/mcp", "--listen", `127.0.0.1:${v}`, "--token-file", "missing"]],
  ];
  for (const [name, argv] of cases) {
    for (const v of BAD) {
      const args = argv(v);
      const r = await cli(args, dir);
      assert.equal(r.code, 2, `${JSON.stringify(args)}: exit ${r.code} ${r.err}`);
      // "" is refused by the argument parser for every flag ("an empty value"), before the number check
      assert.match(r.err, v === "" && name !== "listen" ? new RegExp(`--${name}\` was given an empty value`) : new RegExp(`--${name}\\b[^\\n]*decimal digits`), JSON.stringify(args));
      assert.doesNotMatch(r.err, /internal error|\n\s+at /);
    }
  }
  // plain digits still work
  assert.equal((await cli(["audit", "proof", "log", "--record", "0"], dir)).code, 0);
  assert.equal((await cli(["audit", "verify", "log", "--threads", "2", "--key", key], dir)).code, 0);
  assert.equal((await cli(["replay", "log", "--policy", policy, "--max-drift", "5"], dir)).code, 0);
});

test("replay's note on drift it does not show says --max-drift caps --json too (no 'or use --json')", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-max-drift-"));
  assert.equal((await cli(["keys", "gen", "--out", "keys"], dir)).code, 0);
  const key = join(dir, "keys", "warden-keys.json");
  assert.equal((await cli(["check", "--policy", policy, "--trace", trace, "--audit", "log", "--key", key], dir)).code, 0);
  // every record of the finance trace drifts under another policy
  const other = join(root, "examples/policies/clinical.yaml");
  const two = await cli(["replay", "log", "--policy", other, "--max-drift", "2"], dir);
  assert.equal(two.code, 1);
  assert.match(two.out, /\n… 7 more drifted records not shown: --max-drift 2 caps the details, in --json too; raise it to see them\n/);
  assert.doesNotMatch(two.out, /use --json/);
  const none = await cli(["replay", "log", "--policy", other, "--max-drift", "0"], dir);
  assert.match(none.out, /\n… 9 drifted records not shown: --max-drift 0 caps the details/);
  // what the note says: --json holds the same N, and counts them all
  const json = JSON.parse((await cli(["replay", "log", "--policy", other, "--max-drift", "2", "--json"], dir)).out) as { drifted: number; drift: unknown[] };
  assert.equal(json.drifted, 9);
  assert.equal(json.drift.length, 2);
  const all = await cli(["replay", "log", "--policy", other, "--max-drift", "9"], dir);
  assert.doesNotMatch(all.out, /not shown/);
  assert.equal(all.out.match(/\ndrift at record /g)?.length, 9);
});
