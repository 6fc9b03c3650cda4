// Folders a command creates (keys gen --out, --audit DIR, --approvals-dir) are made one level at a time: Node's
// recursive mkdir spun forever under /proc (`warden keys gen --out /proc/nope/x` never returned). Now a path that
// cannot be created fails at once, naming the folder that could not be made and why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const policy = join(root, "examples/policies/finance.yaml");
const procHangs = process.platform === "linux" && existsSync("/proc/self");

/** Runs the CLI from source in a child, so a hang is a timeout of the child, not of the test runner. */
function cli(args: string[]): { code: number | null; out: string; err: string } {
  const script = `import { runCli } from ${JSON.stringify(join(root, "src/cli/main.ts"))};\nprocess.exitCode = await runCli(${JSON.stringify(args)});`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 15_000 });
  return { code: r.status, out: r.stdout ?? "", err: `${r.stderr ?? ""}${r.error ? `\n[${r.error.message}]` : ""}` };
}

test("keys gen --out, --audit and --approvals-dir under /proc or under a file fail fast with a clear error", () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-dirs-"));
  try {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    assert.equal(cli(["keys", "gen", "--out", join(dir, "keys")]).code, 0);
    const key = join(dir, "keys", "warden-keys.json");
    const cases: Array<[string[], number, RegExp]> = [
      [["keys", "gen", "--out", join(file, "x", "y")], 2, /warden keys gen: cannot create --out `.*a-file\/x\/y`: `.*a-file` is a file, not a folder/],
      ...(procHangs
        ? ([
            [["keys", "gen", "--out", "/proc/nope/x"], 2, /warden keys gen: cannot create --out `\/proc\/nope\/x`: cannot make folder `\/proc\/nope`: the file system does not allow new folders there \(ENOENT\)/],
            [["check", "--policy", policy, "--trace", join(root, "examples/traces/finance.jsonl"), "--audit", "/proc/nope/log", "--key", key], 2, /warden check: cannot create --audit `\/proc\/nope\/log`: cannot make folder `\/proc\/nope`/],
            [["serve", "--policy", policy, "--port", "0", "--audit", "/proc/nope/log", "--key", key], 2, /warden serve: cannot create --audit `\/proc\/nope\/log`: cannot make folder `\/proc\/nope`/],
            // the proxy starts without a store (ESCALATE'd calls are refused), then fails on its server command
            [["mcp", "--policy", policy, "--scan-results", "off", "--approvals-dir", "/proc/nope/x", "--", process.execPath, "-e", ""], 1, /cannot create --approvals-dir `\/proc\/nope\/x`[\s\S]*warden mcp: cannot start/],
          ] as Array<[string[], number, RegExp]>)
        : []),
    ];
    for (const [args, code, want] of cases) {
      const r = cli(args);
      const text = r.out + r.err;
      assert.doesNotMatch(text, /internal error|\n\s+at |ETIMEDOUT/, `${args.join(" ")}: ${text}`);
      assert.match(text, want, `${args.join(" ")}: ${text}`);
      assert.equal(r.code, code, `${args.join(" ")}: ${text}`);
    }
    // levels that can be made still are, and an existing folder is fine
    assert.equal(cli(["keys", "gen", "--out", join(dir, "new", "deeper", "keys")]).code, 0);
    assert.ok(existsSync(join(dir, "new", "deeper", "keys", "warden-keys.json")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
