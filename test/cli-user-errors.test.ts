// Damaged or misplaced inputs get a one-line error and exit 2, never "internal error" with a stack (exit 70).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli-capture.js";

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
    [["keys", "gen", "--out", "a-file"], /cannot create the key folder `.*a-file`: it is a file, not a folder/],
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
      const { code, out } = await cli(args);
      assert.equal(code, 0, args.join(" "));
      assert.match(out, new RegExp(`usage:[\\s\\S]*warden ${name}`), args.join(" "));
    }
  }
});

/** The flags a command (or subcommand) says it takes, from its unknown-flag error: straight from its parseArgs spec. */
async function acceptedFlags(args: string[]): Promise<string[]> {
  const r = await cli([...args, "--no-such-flag"], process.cwd());
  assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
  const m = /unknown flag `--no-such-flag`; `warden [^`]+` takes ((?:--[a-z-]+(?:, )?)+) \(see `warden help [a-z]+`\)/.exec(r.err);
  assert.ok(m, `${args.join(" ")}: ${r.err}`);
  return (m[1] as string).split(", ");
}

/** `--name` as a whole flag in `text` (`--key` is not found in `--keys`). */
function mentions(text: string, name: string): boolean {
  return new RegExp(`${name}(?![a-z-])`).test(text);
}

test("every flag a command accepts is in its usage text (--help); a subcommand's flags are on its own usage line", async () => {
  const { COMMANDS } = await import("../src/cli/commands/index.js");
  const { flagNames } = await import("../src/cli/args.js");
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const { code, out: help } = await cli([name, "--help"]);
    assert.equal(code, 0);
    const mod = await entry.load();
    if (mod.SUBCOMMANDS === undefined) {
      for (const f of await acceptedFlags([name])) assert.ok(mentions(help, f), `\`warden ${name} --help\` does not mention ${f}:\n${help}`);
      continue;
    }
    for (const [sub, spec] of Object.entries(mod.SUBCOMMANDS)) {
      const flags = await acceptedFlags([name, sub]);
      assert.deepEqual(flags, flagNames(spec), `${name} ${sub}`);
      // the usage lines of this subcommand: `warden audit verify …`, `warden keys gen|init …`
      const lines = help.split("\n").filter((l) => {
        const words = l.trim().split(/\s+/);
        return words[0] === "warden" && words[1] === name && (words[2] ?? "").split("|").includes(sub);
      });
      assert.ok(lines.length > 0, `no usage line for \`warden ${name} ${sub}\`:\n${help}`);
      for (const f of flags) assert.ok(lines.some((l) => mentions(l, f)), `the usage of \`warden ${name} ${sub}\` does not mention ${f}:\n${lines.join("\n")}`);
    }
  }
});

test("a flag of another subcommand is refused (exit 2), naming the flag, where it belongs and what this subcommand takes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-subflags-"));
  const policy = new URL("../examples/policies/finance.yaml", import.meta.url).pathname;
  const trace = new URL("../examples/traces/finance.jsonl", import.meta.url).pathname;
  assert.equal((await cli(["keys", "gen", "--out", "keys"], dir)).code, 0);
  const key = join(dir, "keys", "warden-keys.json");
  assert.equal((await cli(["check", "--policy", policy, "--trace", trace, "--audit", "log", "--key", key], dir)).code, 0);
  mkdirSync(join(dir, "store"));
  writeFileSync(join(dir, "store", "approvals.jsonl"), "");
  // Each of these ran (exit 0, or wrote keys) with the stray flag ignored; only the stray flag is wrong.
  const cases: Array<[string[], string, string, string]> = [
    [["audit", "verify", "log", "--key", key, "--record", "3"], "--record", "audit proof", "--key, --threads, --expect-head, --allow-unsealed, --deep, --json"],
    [["audit", "verify", "log", "--out", "x.json"], "--out", "audit proof` and `warden audit export", "--key, --threads, --expect-head, --allow-unsealed, --deep, --json"],
    [["audit", "proof", "log", "--record", "0", "--deep"], "--deep", "audit verify", "--record, --consistency, --out, --json"],
    [["audit", "proof", "log", "--record", "0", "--key", key], "--key", "audit verify` and `warden audit verify-proof", "--record, --consistency, --out, --json"],
    [["audit", "export", "log", "--threads", "2"], "--threads", "audit verify", "--out, --json"],
    [["approvals", "list", "--dir", "store", "--by", "bob"], "--by", "approvals approve` and `warden approvals deny", "--dir, --status, --json"],
    [["approvals", "list", "--dir", "store", "--note", "x"], "--note", "approvals approve` and `warden approvals deny", "--dir, --status, --json"],
    [["approvals", "approve", "id-1", "--dir", "store", "--status", "all"], "--status", "approvals list", "--dir, --by, --note, --json"],
    [["keys", "rotate", "--key", key, "--force"], "--force", "keys gen", "--key, --json"],
    [["keys", "jwks", "--key", key, "--out", "elsewhere"], "--out", "keys gen", "--key, --json"],
    [["keys", "gen", "--out", "keys2", "--key", key], "--key", "keys rotate` and `warden keys jwks", "--out, --force, --json"],
    [["keys", "init", "--out", "keys2", "--key", key], "--key", "keys rotate` and `warden keys jwks", "--out, --force, --json"],
  ];
  for (const [args, stray, owners, takes] of cases) {
    const r = await cli(args, dir);
    const where = `${args[0]} ${args[1]}`;
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code} ${r.err}`);
    assert.equal(r.err, `warden ${where}: unknown flag \`${stray}\` (it belongs to \`warden ${owners}\`); \`warden ${where}\` takes ${takes} (see \`warden help ${args[0]}\`)\n`, args.join(" "));
  }
  // refused before anything was written
  assert.throws(() => statSync(join(dir, "keys2")), /ENOENT/);
  // a flag no subcommand takes says only what this one takes
  const r = await cli(["audit", "verify", "log", "--bogus"], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /^warden audit verify: unknown flag `--bogus`; `warden audit verify` takes --key, /);
  // and each subcommand still takes its own flags (export ignores --json: its output is JSON lines already)
  assert.equal((await cli(["audit", "export", "log", "--json", "--out", "export.jsonl"], dir)).code, 0);
  assert.equal((await cli(["approvals", "list", "--dir", "store", "--status", "all", "--json"], dir)).code, 0);
  assert.equal((await cli(["keys", "init", "--out", "keys", "--force", "--json"], dir)).code, 0);
});

test("serve and mcp refuse --key and --keys together (the same flag given twice, one of them ignored)", async () => {
  const policy = new URL("../examples/policies/finance.yaml", import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), "warden-keykeys-"));
  // each also has a later usage error, so the code that ignored one of the two stops too
  for (const args of [
    ["serve", "--policy", policy, "--audit", "log", "--key", "a.json", "--keys", "b.json", "--token-file", "missing"],
    ["mcp", "--policy", policy, "--audit", "log", "--key", "a.json", "--keys", "b.json", "--listen", "127.0.0.1:0", "--", "true"],
  ]) {
    const r = await cli(args, dir);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.equal(r.err, `warden ${args[0]}: --key and --keys are the same flag (the signing keyring); give it once\n`);
  }
});

test("docs/cli.md shows each command's usage text exactly as --help prints it", async () => {
  const { COMMANDS } = await import("../src/cli/commands/index.js");
  const doc = readFileSync(new URL("../docs/cli.md", import.meta.url), "utf8");
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const { USAGE } = await entry.load();
    assert.ok(doc.includes(`## ${name}\n\n\`\`\`\n${USAGE}\n\`\`\`\n`), `docs/cli.md, section \`${name}\`: the usage block is not\n${USAGE}`);
  }
});

test("a missing or unknown subcommand, or a wrong number of arguments, says what was wrong before the usage (exit 2)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-user-errors-sub-"));
  mkdirSync(join(dir, "store"));
  const cases: Array<[string[], RegExp]> = [
    [["keys"], /^warden keys: give a subcommand \(one of gen, init, rotate, jwks\)\nusage:/],
    [["audit", "verfy"], /^warden audit: unknown subcommand `verfy` \(one of verify, proof, verify-proof, export\)\nusage:/],
    [["approvals", "aprove", "x"], /^warden approvals: unknown subcommand `aprove`/],
    [["audit", "verify"], /^warden audit verify: give the log \(a folder, or postgres:\/\/host:port\/db#log-id\)\nusage:/],
    [["audit", "export", "a", "b"], /^warden audit export: give the log .* once; also got `b`\n/],
    [["audit", "verify-proof", "--key", "k.json"], /^warden audit verify-proof: give the proof file \(or - for stdin\)\n/],
    [["approvals", "list", "x", "--dir", "store"], /^warden approvals list: takes no arguments, got `x`/],
    [["approvals", "approve", "--dir", "store"], /^warden approvals approve: give the approval id/],
    [["approvals", "deny", "a", "b", "--dir", "store"], /^warden approvals deny: give the approval id .* once; also got `b`/],
  ];
  for (const [args, want] of cases) {
    const r = await cli(args, dir);
    assert.match(r.err, want, args.join(" "));
    assert.equal(r.code, 2, args.join(" "));
  }
});
