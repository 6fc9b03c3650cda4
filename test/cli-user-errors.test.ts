// Damaged or misplaced inputs get a one-line error and exit 2, never "internal error" with a stack (exit 70).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../src/cli/main.js";
import type { CliIO } from "../src/cli/io.js";

async function cli(args: string[], cwd: string): Promise<{ code: number; err: string }> {
  let err = "";
  const io: CliIO = { out: () => {}, err: (t) => void (err += t), readStdin: async () => "", cwd, env: {} };
  return { code: await runCli(args, io), err };
}

test("damaged key files, approval stores, heads and misplaced paths are clear errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-user-errors-"));
  writeFileSync(join(dir, "null-entry.json"), JSON.stringify({ format: "warden-keyring-v1", hmac: [null] }));
  writeFileSync(join(dir, "number-list.json"), JSON.stringify({ format: "warden-keyring-v1", hmac: 7 }));
  writeFileSync(join(dir, "bad-x.jwks.json"), JSON.stringify({ keys: [{ kty: "OKP", crv: "Ed25519", x: "%%%" }] }));
  writeFileSync(join(dir, "null.json"), "null\n");
  writeFileSync(join(dir, "a-file"), "");
  mkdirSync(join(dir, "store"));
  writeFileSync(join(dir, "store", "approvals.jsonl"), '{"type":"request","id":"a","expiresAt":"2099-01-01T00:00:00Z","action":{}}\ngarbage{\n{}\n');
  const cases: Array<[string[], RegExp]> = [
    [["keys", "jwks", "--key", "null-entry.json"], /null-entry\.json: malformed keyring/],
    [["keys", "jwks", "--key", "number-list.json"], /number-list\.json: malformed keyring/],
    [["keys", "jwks", "--key", "bad-x.jwks.json"], /bad-x\.jwks\.json: malformed JWKS/],
    [["keys", "gen", "--out", "a-file"], /EEXIST/],
    [["approvals", "list", "--dir", "store"], /approvals\.jsonl:2: not a JSON event/],
    [["serve", "--policy", new URL("../examples/policies/finance.yaml", import.meta.url).pathname, "--port", "0", "--log-level", "bogus"], /--log-level `bogus` is not a level/],
  ];
  for (const [args, want] of cases) {
    const r = await cli(args, dir);
    assert.doesNotMatch(r.err, /internal error|\n\s+at /, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, want, args.join(" "));
    assert.ok(r.code === 1 || r.code === 2, `${args.join(" ")}: exit ${r.code}`);
  }
});

test("every command prints its usage for --help and for `warden help <command>` (exit 0)", async () => {
  const { COMMANDS } = await import("../src/cli/commands/index.js");
  for (const name of Object.keys(COMMANDS)) {
    for (const args of [[name, "--help"], ["help", name]]) {
      let out = "";
      const io: CliIO = { out: (t) => void (out += t), err: () => {}, readStdin: async () => "", cwd: process.cwd(), env: {} };
      assert.equal(await runCli(args, io), 0, args.join(" "));
      assert.match(out, new RegExp(`usage:[\\s\\S]*warden ${name}`), args.join(" "));
    }
  }
});
