// guard() carries out SANDBOX verdicts through a sandbox executor: the tool's program runs under bubblewrap with
// exactly the profile's filesystem, network and environment; without an executor, or with a profile this host
// cannot enforce, nothing runs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePolicy } from "../src/compile/compile.js";
import { guard, WardenBlockedError } from "../src/guard/index.js";
import { bwrapLauncher } from "../src/sandbox/bwrap.js";
import type { SandboxRunResult } from "../src/sandbox/run.js";

const tmp = mkdtempSync(join(tmpdir(), "warden-guard-sandbox-"));
const work = join(tmp, "work");
const secret = join(tmp, "secret");
let bwrapBroken: string | null = "not probed";
before(async () => {
  mkdirSync(work, { recursive: true });
  mkdirSync(secret, { recursive: true });
  writeFileSync(join(secret, "token.txt"), "sk-live-guard-secret\n");
  bwrapBroken = await bwrapLauncher().probe().catch((e: Error) => e.message);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function policyWith(network: string) {
  const c = compilePolicy(`
id: shell
version: "1"
default: BLOCK
tools: { shell.exec: exec }
rules:
  - { id: exec-in-sandbox, match: { class: exec }, verdict: ALLOW }
  - id: shell-sandbox
    match: { tool: shell.exec }
    verdict: SANDBOX
    code: SHELL_SANDBOXED
    sandbox:
      filesystem: { allow: [${work}], deny: [${secret}] }
      network: ${network}
      env: { set: { MODE: sandboxed } }
`);
  assert.ok(c.ok, JSON.stringify(c.ok ? [] : c.diagnostics));
  return c.policy;
}

const unsandboxed = async function exec(_args: { cmd: string }): Promise<SandboxRunResult> {
  throw new Error("the tool itself must never run for a SANDBOX verdict");
};

const sh = (policy: ReturnType<typeof policyWith>) =>
  guard(unsandboxed, { name: "shell.exec", policy, sandbox: (box, args) => box.exec("/bin/sh", ["-c", String(args["cmd"])]) });

test("the command runs sandboxed: writes land only in the allowed path, denied files are unreadable, no network, only the profile's env", async (t) => {
  if (bwrapBroken !== null) return t.skip(`bubblewrap does not work here (apt-get install bubblewrap): ${bwrapBroken}`);
  const run = sh(policyWith(`{ deny: ["*"] }`));
  const ok = await run({ cmd: `echo hello > ${work}/out.txt && printf '%s' "$MODE"` });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "sandboxed");
  assert.equal(readFileSync(join(work, "out.txt"), "utf8"), "hello\n", "the write inside the allowed path is on the host");

  const outside = await run({ cmd: `echo x > ${tmp}/outside.txt` });
  assert.notEqual(outside.code, 0);
  assert.equal(existsSync(join(tmp, "outside.txt")), false);

  const read = await run({ cmd: `cat ${secret}/token.txt` });
  assert.notEqual(read.code, 0);
  assert.ok(!read.stdout.includes("sk-live"), "the denied file stays unreadable");

  const net = await run({ cmd: "cat /proc/net/dev" });
  assert.equal(net.code, 0, net.stderr);
  const ifaces = net.stdout.split("\n").slice(2).map((l) => l.trim().split(":")[0]).filter((x) => x);
  assert.deepEqual(ifaces, ["lo"], "only loopback inside");

  // the shell itself sets PWD, SHLVL and _; nothing of the host's environment (HOME, PATH, …) gets in
  const env = await run({ cmd: "env" });
  const vars = env.stdout.trim().split("\n").filter((l) => !/^(PWD|SHLVL|_)=/.test(l));
  assert.deepEqual(vars, ["MODE=sandboxed"]);
});

test("no executor, or a profile the host cannot enforce: SANDBOX throws and nothing runs", async () => {
  const policy = policyWith(`{ deny: ["*"] }`);
  await assert.rejects(guard(unsandboxed, { name: "shell.exec", policy })({ cmd: "true" }), (e: unknown) => e instanceof WardenBlockedError && e.code === "SHELL_SANDBOXED" && /no sandbox executor/.test(e.message));
  let called = false;
  const hosts = guard(unsandboxed, {
    name: "shell.exec",
    policy: policyWith(`{ allow: [api.example.com] }`),
    sandbox: async () => {
      called = true;
      return null;
    },
  });
  await assert.rejects(hosts({ cmd: "true" }), (e: unknown) => e instanceof WardenBlockedError && e.code === "SANDBOX_UNENFORCEABLE" && /cannot enforce/.test(e.message));
  assert.equal(called, false);
});
