// Hot reload follows the `extends` chain: an edit to a parent (or grandparent) reloads the child policy, a
// broken parent keeps the running policy and names the file, and the watched set follows the chain as it changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Governor } from "../src/gateway/governor.js";
import { watchPolicy, type ReloadOutcome } from "../src/gateway/reload.js";
import { loadPolicyFile } from "../src/node/load.js";

const policy = (id: string, extra: { extends?: string; rules?: string } = {}): string =>
  `id: ${id}\nversion: "1"\ndefault: BLOCK\n${extra.extends ? `extends: ${extra.extends}\n` : ""}tools: { read: read, write: write }\nrules:${extra.rules ? `\n${extra.rules}` : " []\n"}`;
const ALLOW_READS = `  - { id: reads, match: { class: read }, verdict: ALLOW }\n`;
const ALLOW_WRITES = `  - { id: writes, match: { class: write }, verdict: ALLOW }\n`;

async function setup(files: Record<string, string>) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "warden-reload-")));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const loaded = loadPolicyFile(join(dir, "child.yaml"));
  assert.ok(loaded.ok, JSON.stringify(loaded.ok ? [] : loaded.diagnostics));
  const governor = new Governor(loaded.policy);
  const outcomes: ReloadOutcome[] = [];
  const watcher = watchPolicy(join(dir, "child.yaml"), governor, (o) => outcomes.push(o), 20);
  const verdict = async (tool: string) => (await governor.decide({ kind: "tool_call", at: "2026-01-01T00:00:00Z", tool, args: {} })).verdict;
  const next = async (n: number) => {
    for (let i = 0; i < 250 && outcomes.length < n; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(outcomes.length, n, "a reload happened");
    return outcomes[n - 1] as ReloadOutcome;
  };
  const edit = (name: string, text: string) => writeFileSync(join(dir, name), text);
  return { dir, governor, watcher, outcomes, verdict, next, edit };
}

test("an edit to a parent (or a grandparent) reloads the child", async () => {
  const t = await setup({
    "base.yaml": policy("base"),
    "mid.yaml": policy("mid", { extends: "base.yaml", rules: ALLOW_READS }),
    "child.yaml": policy("child", { extends: "mid.yaml" }),
  });
  try {
    assert.deepEqual([...t.watcher.files].sort(), ["base.yaml", "child.yaml", "mid.yaml"].map((f) => join(t.dir, f)));
    assert.equal(t.outcomes.length, 0, "nothing to report at start");
    assert.equal(await t.verdict("write"), "BLOCK");
    t.edit("base.yaml", policy("base", { rules: ALLOW_WRITES }));
    const o = await t.next(1);
    assert.ok(o.ok && o.changed);
    assert.equal(await t.verdict("write"), "ALLOW", "the grandparent's new rule is in force");
    t.edit("mid.yaml", policy("mid", { extends: "base.yaml", rules: ALLOW_READS + `  - { id: no-writes, match: { class: write }, verdict: BLOCK, code: NO_WRITES }\n` }));
    await t.next(2);
    assert.equal(await t.verdict("write"), "BLOCK", "the parent's new BLOCK is in force");
  } finally {
    t.watcher.close();
  }
});

test("a broken parent keeps the running policy and says which file is wrong", async () => {
  const t = await setup({ "base.yaml": policy("base", { rules: ALLOW_READS }), "child.yaml": policy("child", { extends: "base.yaml" }) });
  try {
    const running = t.governor.policy?.info.hash;
    t.edit("base.yaml", policy("base", { rules: `  - { id: bad, match: { class: read }, verdict: ALLOW, when: { field: args.n, gt: .nan } }\n` }));
    const o = await t.next(1);
    assert.ok(!o.ok);
    assert.equal(o.keptHash, running);
    assert.match(o.errors.join("\n"), /base\.yaml:\d+:\d+: error\[NON_FINITE_NUMBER\]/);
    assert.equal(t.governor.policy?.info.hash, running, "the running policy stays");
    assert.equal(await t.verdict("read"), "ALLOW");
    t.edit("base.yaml", policy("base", { rules: ALLOW_READS + ALLOW_WRITES }));
    const fixed = await t.next(2);
    assert.ok(fixed.ok && fixed.changed, "fixing the parent is noticed");
    assert.equal(await t.verdict("write"), "ALLOW");
  } finally {
    t.watcher.close();
  }
});

test("the watched set follows the chain: a parent dropped is no longer watched, a new one is (even while it is missing)", async () => {
  const t = await setup({ "base.yaml": policy("base", { rules: ALLOW_READS }), "other.yaml": policy("other", { rules: ALLOW_READS }), "child.yaml": policy("child", { extends: "base.yaml" }) });
  try {
    t.edit("child.yaml", policy("child", { extends: "other.yaml" }));
    await t.next(1);
    assert.deepEqual([...t.watcher.files].sort(), ["child.yaml", "other.yaml"].map((f) => join(t.dir, f)));
    t.edit("base.yaml", policy("base", { rules: ALLOW_READS + ALLOW_WRITES }));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(t.outcomes.length, 1, "the old parent no longer reloads anything");
    // A new parent that does not exist yet: rejected, but watched, so creating it reloads.
    t.edit("child.yaml", policy("child", { extends: "new.yaml" }));
    const missing = await t.next(2);
    assert.ok(!missing.ok);
    assert.match(missing.errors.join("\n"), /EXTENDS_NOT_FOUND/);
    assert.equal(await t.verdict("read"), "ALLOW", "the running policy stays");
    t.edit("new.yaml", policy("new", { rules: ALLOW_WRITES }));
    const created = await t.next(3);
    assert.ok(created.ok && created.changed);
    assert.equal(await t.verdict("write"), "ALLOW");
    assert.deepEqual([...t.watcher.files].sort(), ["child.yaml", "new.yaml"].map((f) => join(t.dir, f)));
  } finally {
    t.watcher.close();
  }
});

test("a manual reload (SIGHUP, /admin/reload) re-derives the set too", async () => {
  const t = await setup({ "base.yaml": policy("base", { rules: ALLOW_READS }), "child.yaml": policy("child") });
  try {
    t.watcher.close();
    assert.deepEqual([...t.watcher.files], [join(t.dir, "child.yaml")]);
    t.edit("child.yaml", policy("child", { extends: "base.yaml" }));
    const o = t.watcher.reload();
    assert.ok(o.ok && o.changed);
    assert.deepEqual([...t.watcher.files].sort(), ["base.yaml", "child.yaml"].map((f) => join(t.dir, f)));
  } finally {
    t.watcher.close();
  }
});

test("a file replaced by a FIFO, /dev/zero or a file over 16 MiB fails the reload with a clear error and keeps the running policy", { skip: spawnSync("mkfifo", ["--version"]).status === 0 && process.platform !== "win32" ? false : "needs mkfifo and /dev/zero" }, () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "warden-reload-odd-")));
  try {
    writeFileSync(join(dir, "base.yaml"), policy("base", { rules: ALLOW_READS }));
    writeFileSync(join(dir, "child.yaml"), policy("child", { extends: "base.yaml" }));
    // In a child process: a blocking read of a FIFO, or reading /dev/zero whole, would take the test runner with it.
    const src = (f: string) => JSON.stringify(new URL(`../src/${f}`, import.meta.url).pathname);
    const script = `
import { spawnSync } from "node:child_process";
import { rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Governor } from ${src("gateway/governor.ts")};
import { watchPolicy } from ${src("gateway/reload.ts")};
import { loadPolicyFile } from ${src("node/load.ts")};
const dir = ${JSON.stringify(dir)};
const loaded = loadPolicyFile(join(dir, "child.yaml"));
const governor = new Governor(loaded.policy);
const start = governor.policy.info.hash;
const outcomes = [];
const watcher = watchPolicy(join(dir, "child.yaml"), governor, (o) => outcomes.push(o), 20);
const replace = (name, how) => { rmSync(join(dir, name), { force: true }); how(join(dir, name)); };
const steps = [
  ["base.yaml", (p) => spawnSync("mkfifo", [p])],
  ["base.yaml", (p) => symlinkSync("/dev/zero", p)],
  ["base.yaml", (p) => { writeFileSync(p, ""); truncateSync(p, 16 * 1024 * 1024 + 1); }],
  ["child.yaml", (p) => spawnSync("mkfifo", [p])],
];
const report = [];
for (const [name, how] of steps) {
  const before = outcomes.length;
  replace(name, how);
  // the poll notices the change (a manual reload would too)
  for (let i = 0; i < 250 && outcomes.length === before; i++) await new Promise((r) => setTimeout(r, 20));
  report.push({ name, outcome: outcomes[outcomes.length - 1] ?? null, polled: outcomes.length > before, kept: governor.policy.info.hash === start });
}
watcher.close();
process.stdout.write(JSON.stringify(report));
`;
    const r = spawnSync(process.execPath, ["--max-old-space-size=512", "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.error, undefined, `the reload hung: ${r.error?.message} ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Array<{ name: string; outcome: ReloadOutcome | null; polled: boolean; kept: boolean }>;
    const want = [
      /error\[EXTENDS_NOT_FOUND\]: cannot read parent policy `.*base\.yaml`: it is a FIFO \(named pipe\), not a regular file/,
      /error\[EXTENDS_NOT_FOUND\]: cannot read parent policy `.*base\.yaml`: it is a character device, not a regular file/,
      /error\[EXTENDS_NOT_FOUND\]: cannot read parent policy `.*base\.yaml`: it is 16777217 bytes, over the 16 MiB limit/,
      /error\[POLICY_NOT_FOUND\]: cannot read policy `.*child\.yaml`: it is a FIFO \(named pipe\), not a regular file\n\s+help: a policy file must be a regular file of at most 16 MiB/,
    ];
    assert.equal(report.length, want.length);
    report.forEach((step, i) => {
      assert.ok(step.polled, `step ${i} (${step.name}): the change was noticed`);
      const o = step.outcome;
      assert.ok(o && !o.ok, `step ${i}: the reload failed: ${JSON.stringify(o)}`);
      assert.match(o.errors.join("\n"), want[i] as RegExp, `step ${i}`);
      assert.ok(o.keptHash !== null && step.kept, `step ${i}: the running policy stays`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
