// Input files the CLI reads whole must be regular files within a size limit: /dev/zero, a FIFO with no writer or
// an oversized file used to hang the process or run it out of memory; now each is a clear error naming the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INPUT_LIMITS } from "../src/cli/input-file.js";

const root = new URL("..", import.meta.url).pathname;
const policy = join(root, "examples/policies/finance.yaml");
const hasFifo = spawnSync("mkfifo", ["--version"]).status === 0;

/** Runs the CLI from source in a child (a hang or an out-of-memory crash cannot take the test runner with it). */
function cli(args: string[], stdin: "ignore" | number = "ignore"): { code: number | null; out: string; err: string } {
  const script = `import { runCli } from ${JSON.stringify(join(root, "src/cli/main.ts"))};\nprocess.exitCode = await runCli(${JSON.stringify(args)});`;
  const r = spawnSync(process.execPath, ["--max-old-space-size=512", "--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    stdio: [stdin, "pipe", "pipe"],
    timeout: 15_000,
    maxBuffer: 1 << 20,
  });
  return { code: r.status, out: r.stdout ?? "", err: `${r.stderr ?? ""}${r.error ? `\n[${r.error.message}]` : ""}` };
}

test("policy, action, trace, proof, key, token, rules and case files must be regular files within a limit", { skip: existsSync("/dev/zero") ? false : "needs /dev/zero" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-inputs-"));
  try {
    const fifo = join(dir, "fifo");
    if (hasFifo) assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    // sparse files: larger than their limit, no disk used
    const bigPolicy = join(dir, "big.yaml");
    writeFileSync(bigPolicy, "");
    truncateSync(bigPolicy, INPUT_LIMITS.policy + 1);
    const bigKey = join(dir, "big-key.json");
    writeFileSync(bigKey, "");
    truncateSync(bigKey, INPUT_LIMITS.key + 1);
    const action = join(dir, "a.json");
    writeFileSync(action, '{"kind":"tool_call","tool":"x"}');
    const cases: Array<[string[], number, RegExp]> = [
      [["validate", "/dev/zero"], 1, /POLICY_NOT_FOUND.*cannot read policy `\/dev\/zero`: it is a character device, not a regular file/],
      [["validate", bigPolicy], 1, /cannot read policy `.*big\.yaml`: it is 16777217 bytes, over the 16 MiB limit/],
      [["check", "--policy", "/dev/zero", "--action", action], 1, /cannot read policy `\/dev\/zero`: it is a character device/],
      [["check", "--policy", policy, "--action", "/dev/zero"], 2, /cannot read action `\/dev\/zero`: it is a character device, not a regular file \(to read standard input, give `-`\)/],
      [["check", "--policy", policy, "--trace", "/dev/zero"], 2, /cannot read trace `\/dev\/zero`: it is a character device/],
      [["explain", "--policy", policy, "--action", "/dev/zero"], 2, /cannot read action `\/dev\/zero`/],
      [["audit", "verify-proof", "/dev/zero", "--key", "/dev/zero"], 2, /cannot read key file `\/dev\/zero`: it is a character device/],
      [["keys", "jwks", "--key", "/dev/zero"], 2, /cannot read key file `\/dev\/zero`: it is a character device/],
      [["keys", "jwks", "--key", bigKey], 2, /cannot read key file `.*big-key\.json`: it is 1048577 bytes, over the 1 MiB limit/],
      [["replay", dir, "--policy", policy, "--key", "/dev/zero"], 2, /cannot read key file `\/dev\/zero`/],
      [["check", "--policy", policy, "--action", action, "--audit", join(dir, "log"), "--key", "/dev/zero"], 2, /cannot read key file `\/dev\/zero`/],
      [["serve", "--policy", policy, "--port", "0", "--audit", join(dir, "log2"), "--key", "/dev/zero"], 2, /cannot read key file `\/dev\/zero`/],
      [["serve", "--policy", policy, "--port", "0", "--token-file", "/dev/zero"], 2, /cannot read API token file `\/dev\/zero`: it is a character device/],
      [["scan", "--rules", "/dev/zero", action], 2, /cannot read rules `\/dev\/zero`: it is a character device/],
      [["scan", "/dev/zero"], 2, /cannot read input `\/dev\/zero`: it is a character device/],
      [["test", "/dev/zero"], 1, /ERROR: \/dev\/zero: cannot read test cases `\/dev\/zero`: it is a character device/],
      [["drill", "--policy", policy, "--target", "http", "--cases", "/dev/zero"], 2, /cannot read test cases `\/dev\/zero`: it is a character device/],
      ...(hasFifo
        ? ([
            [["validate", fifo], 1, /cannot read policy `.*fifo`: it is a FIFO \(named pipe\), not a regular file/],
            [["check", "--policy", policy, "--trace", fifo], 2, /cannot read trace `.*fifo`: it is a FIFO \(named pipe\), not a regular file \(to read standard input, give `-`\)/],
          ] as Array<[string[], number, RegExp]>)
        : []),
    ];
    for (const [args, code, want] of cases) {
      const r = cli(args);
      const text = r.out + r.err;
      assert.doesNotMatch(text, /internal error|\n\s+at |ETIMEDOUT|heap/i, `${args.join(" ")}: ${text}`);
      assert.match(text, want, `${args.join(" ")}: ${text}`);
      assert.equal(r.code, code, `${args.join(" ")}: ${text}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("standard input is capped too: `--action -` fed from /dev/zero stops at the limit", { skip: existsSync("/dev/zero") ? false : "needs /dev/zero" }, () => {
  const zero = openSync("/dev/zero", "r");
  try {
    const r = cli(["check", "--policy", policy, "--action", "-"], zero);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /cannot read action from standard input: it is more than the 16 MiB limit/);
  } finally {
    closeSync(zero);
  }
});

test("a parent named by `extends` is read like the policy itself: a regular file within 16 MiB, else a clear error", { skip: existsSync("/dev/zero") ? false : "needs /dev/zero" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-extends-"));
  try {
    const child = (parent: string): string => {
      const file = join(dir, `child-${parent.replace(/\W/g, "_")}.yaml`);
      writeFileSync(file, `id: child\nversion: "1"\ndefault: BLOCK\nextends: ${parent}\n`);
      return file;
    };
    // sparse: larger than the limit, no disk used
    writeFileSync(join(dir, "big.yaml"), "");
    truncateSync(join(dir, "big.yaml"), INPUT_LIMITS.policy + 1);
    symlinkSync("/dev/zero", join(dir, "zero.yaml"));
    if (hasFifo) assert.equal(spawnSync("mkfifo", [join(dir, "fifo.yaml")]).status, 0);
    const cases: Array<[string, RegExp]> = [
      ["zero.yaml", /error\[EXTENDS_NOT_FOUND\]: cannot read parent policy `.*zero\.yaml`: it is a character device, not a regular file\n\s+help: a policy file must be a regular file of at most 16 MiB/],
      ["big.yaml", /error\[EXTENDS_NOT_FOUND\]: cannot read parent policy `.*big\.yaml`: it is 16777217 bytes, over the 16 MiB limit/],
      [".", /error\[EXTENDS_NOT_FOUND\]: cannot read parent policy `.*warden-extends-[^`]*`: it is a folder, not a regular file/],
      ["nope.yaml", /error\[EXTENDS_NOT_FOUND\]: cannot read parent policy `.*nope\.yaml`: no such file\n\s+help: paths in `extends` are relative to the policy file/],
      ...(hasFifo ? ([["fifo.yaml", /error\[EXTENDS_NOT_FOUND\]: cannot read parent policy `.*fifo\.yaml`: it is a FIFO \(named pipe\), not a regular file/]] as Array<[string, RegExp]>) : []),
    ];
    for (const [parent, want] of cases) {
      const file = child(parent);
      for (const args of [["validate", file], ["check", "--policy", file, "--action", join(root, "examples/actions/payment-unknown.json")]]) {
        const r = cli(args);
        const text = r.out + r.err;
        assert.doesNotMatch(text, /internal error|\n\s+at |ETIMEDOUT|heap/i, `${args.join(" ")}: ${text}`);
        assert.match(text, want, `${args.join(" ")}: ${text}`);
        assert.equal(r.code, 1, `${args.join(" ")}: ${text}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
