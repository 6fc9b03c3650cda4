// The compiled-pack cache: a hit gives the same findings as a fresh compile, anything damaged is recompiled,
// the disk cache checksums its entries and its key follows the scanner's code; the CLI uses it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePacks, loadPack, scanWithPacks } from "../src/scan/pack.js";
import { usePackCache, type CachedCompile, type PackCache } from "../src/scan/pack-cache.js";
import { compilePacksCached } from "../src/scan/pack-compile-cached.js";
import { DirPackCache, scannerFingerprint } from "../src/node/pack-cache-dir.js";

const TEXTS = [
  "token ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6 end",
  "aws AKIAABCDEFGHIJKLMNOP and -----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
  "nothing to see here, just prose about the weather",
];

class MemoryCache implements PackCache {
  readonly store = new Map<string, unknown>();
  gets = 0;
  puts = 0;
  get(key: string): unknown {
    this.gets++;
    return this.store.get(key) ?? null;
  }
  put(key: string, value: CachedCompile): void {
    this.puts++;
    this.store.set(key, JSON.parse(JSON.stringify(value)) as unknown); // what a disk round trip keeps
  }
}

test("a cache hit scans exactly like a fresh compile; damaged entries and failing caches fall back to compiling", (t) => {
  t.after(() => usePackCache(null));
  const loaded = loadPack("secrets");
  const fresh = compilePacks(loaded);
  assert.ok(fresh.ok);
  const cache = new MemoryCache();
  usePackCache(cache, () => "salt-1");
  const first = compilePacksCached(loaded);
  assert.equal(cache.puts, 1);
  const second = compilePacksCached(loaded);
  assert.equal(cache.puts, 1, "served from the cache");
  assert.ok(first.ok && second.ok);
  assert.notEqual(second.compiled, first.compiled, "loaded from the stored form, not the same object");
  for (const text of TEXTS) assert.deepEqual(scanWithPacks(second.compiled, text), scanWithPacks(fresh.compiled, text), text);
  assert.deepEqual(second.diagnostics, fresh.diagnostics);

  // another salt (another build of the scanner) never sees the entry
  usePackCache(cache, () => "salt-2");
  compilePacksCached(loaded);
  assert.equal(cache.puts, 2);

  // a damaged entry is a miss, recompiled and rewritten
  for (const key of cache.store.keys()) cache.store.set(key, { packs: { groups: "nonsense" }, diagnostics: [] });
  const again = compilePacksCached(loaded);
  assert.ok(again.ok);
  assert.equal(cache.puts, 3);
  assert.deepEqual(scanWithPacks(again.compiled, TEXTS[0] as string), scanWithPacks(fresh.compiled, TEXTS[0] as string));

  // a cache that throws is no cache
  usePackCache({ get: () => { throw new Error("disk on fire"); }, put: () => { throw new Error("disk on fire"); } }, () => "s");
  const fallback = compilePacksCached(loaded);
  assert.ok(fallback.ok);
});

test("the disk cache round-trips, rejects an edited entry, and the fingerprint follows the code", (t) => {
  const root = mkdtempSync(join(tmpdir(), "warden-pack-cache-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const disk = new DirPackCache(root);
  const value: CachedCompile = { packs: { groups: [], rules: [], allow: null, fused: null }, diagnostics: [] };
  assert.equal(disk.get("k1"), null);
  disk.put("k1", value);
  assert.deepEqual(disk.get("k1"), value);
  const file = join(root, "packs", "k1.json");
  writeFileSync(file, readFileSync(file, "utf8").replace('"allow":null', '"allow":"x"'));
  assert.equal(disk.get("k1"), null, "checksum mismatch: a miss");

  // bounded: the oldest entries go first
  const small = new DirPackCache(join(root, "small"), 2);
  small.put("a", value);
  small.put("b", value);
  utimesSync(join(root, "small", "packs", "a.json"), 1000, 1000);
  utimesSync(join(root, "small", "packs", "b.json"), 2000, 2000);
  small.put("c", value);
  assert.deepEqual(readdirSync(join(root, "small", "packs")).sort(), ["b.json", "c.json"]);

  const code = join(root, "code");
  mkdirSync(join(code, "packs"), { recursive: true });
  writeFileSync(join(code, "a.js"), "export const a = 1;");
  writeFileSync(join(code, "packs", "b.js"), "export const b = 1;");
  const f1 = scannerFingerprint(code);
  assert.equal(scannerFingerprint(code), f1);
  writeFileSync(join(code, "packs", "b.js"), "export const b = 2;");
  assert.notEqual(scannerFingerprint(code), f1);
});

test("`warden scan` fills the cache on the first run and reads it on the next; WARDEN_NO_CACHE turns it off", (t) => {
  const root = mkdtempSync(join(tmpdir(), "warden-scan-cache-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const input = join(root, "in.txt");
  writeFileSync(input, TEXTS[0] as string);
  const run = (env: Record<string, string>) => spawnSync(process.execPath, ["bin/warden.js", "scan", "--pack", "secrets", "--json", input], { encoding: "utf8", env: { ...process.env, ...env } });
  const cacheDir = join(root, "cache");
  const a = run({ WARDEN_CACHE_DIR: cacheDir });
  assert.equal(a.status, 1, a.stderr);
  const files = readdirSync(join(cacheDir, "packs"));
  assert.equal(files.length, 1);
  const b = run({ WARDEN_CACHE_DIR: cacheDir });
  assert.equal(b.status, 1, b.stderr);
  assert.equal(b.stdout, a.stdout);
  assert.deepEqual(readdirSync(join(cacheDir, "packs")), files);
  const off = join(root, "off");
  const c = run({ WARDEN_CACHE_DIR: off, WARDEN_NO_CACHE: "1" });
  assert.equal(c.stdout, a.stdout);
  assert.equal(existsSync(off), false);
});

test("a cache folder that cannot be made or written turns the cache off with one warning; put never throws", (t) => {
  const root = mkdtempSync(join(tmpdir(), "warden-pack-cache-bad-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const file = join(root, "a-file");
  writeFileSync(file, "not a folder");
  const value: CachedCompile = { packs: { groups: [], rules: [], allow: null, fused: null }, diagnostics: [] };
  for (const dir of [join(file, "sub"), file]) {
    const warnings: string[] = [];
    const disk = new DirPackCache(dir, { warn: (m) => warnings.push(m), from: "WARDEN_CACHE_DIR" });
    disk.put("k1", value);
    disk.put("k2", value);
    assert.equal(disk.get("k1"), null);
    assert.equal(warnings.length, 1, `${dir}: warned once: ${warnings.join("\n")}`);
    assert.match(warnings[0] as string, /the compiled rule-pack cache `.*a-file(\/sub)?` \(from WARDEN_CACHE_DIR\) cannot be used: `.*a-file` is a file, not a folder\. Going on without it/);
    assert.match(warnings[0] as string, /Set WARDEN_CACHE_DIR to a writable folder, or WARDEN_NO_CACHE=1/);
    assert.notEqual(disk.disabled, null);
  }
  assert.equal(readFileSync(file, "utf8"), "not a folder", "the file is left alone");
});

test("an entry that is a folder: a miss, one warning naming that entry (not the folder as unwritable), other entries still stored", (t) => {
  const root = mkdtempSync(join(tmpdir(), "warden-pack-cache-entry-dir-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "packs", "k1.json"), { recursive: true });
  writeFileSync(join(root, "packs", "k1.json", "keep"), "user data");
  const value: CachedCompile = { packs: { groups: [], rules: [], allow: null, fused: null }, diagnostics: [] };
  const warnings: string[] = [];
  const disk = new DirPackCache(root, { warn: (m) => warnings.push(m), from: "WARDEN_CACHE_DIR" });
  disk.put("k1", value);
  disk.put("k1", value);
  assert.equal(disk.get("k1"), null);
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0] as string, /cache entry `.*k1\.json` is a folder, not a file, so this entry cannot be stored.*Remove that folder/);
  assert.doesNotMatch(warnings[0] as string, /EISDIR|rename|writable folder/);
  assert.equal(disk.disabled, null, "the cache stays on");
  disk.put("k2", value);
  assert.deepEqual(disk.get("k2"), value);
  assert.equal(readFileSync(join(root, "packs", "k1.json", "keep"), "utf8"), "user data", "the folder is left alone");
});

test("the disk cache reads only regular files: an entry that is a FIFO is a miss, not a hang", { skip: spawnSync("mkfifo", ["--version"]).status === 0 ? false : "needs mkfifo" }, (t) => {
  const root = mkdtempSync(join(tmpdir(), "warden-pack-cache-fifo-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const value: CachedCompile = { packs: { groups: [], rules: [], allow: null, fused: null }, diagnostics: [] };
  // in a child: a blocking read of a FIFO would hang this process for good
  const script = `import { DirPackCache } from ${JSON.stringify(new URL("../src/node/pack-cache-dir.ts", import.meta.url).pathname)};
const d = new DirPackCache(${JSON.stringify(root)});
process.stdout.write(String(d.get("k")));
d.put("k", ${JSON.stringify(value)});
process.stdout.write(" " + JSON.stringify(d.get("k")));`;
  mkdirSync(join(root, "packs"));
  assert.equal(spawnSync("mkfifo", [join(root, "packs", "k.json")]).status, 0);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 15_000 });
  assert.equal(r.status, 0, `${r.stderr}${r.error ? r.error.message : ""}`);
  assert.equal(r.stdout, `null ${JSON.stringify(value)}`, "a miss, then the FIFO is replaced by the entry");
});

test("`warden scan` with WARDEN_CACHE_DIR under /proc or under a file: one warning on stderr, the same findings, no hang", (t) => {
  const root = mkdtempSync(join(tmpdir(), "warden-scan-cache-bad-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const input = join(root, "in.txt");
  writeFileSync(input, TEXTS[0] as string);
  const run = (cacheDir: string, args = ["scan", "--pack", "secrets", "--json", input]) =>
    spawnSync(process.execPath, ["bin/warden.js", ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, WARDEN_CACHE_DIR: cacheDir } });
  const good = run(join(root, "cache"));
  assert.equal(good.status, 1, good.stderr);
  assert.equal(good.stderr, "");
  const dirs: Array<[string, RegExp]> = [
    [join(input, "cache"), /`.*in\.txt` is a file, not a folder/],
    [input, /`.*in\.txt` is a file, not a folder/],
    ...(process.platform === "linux" && existsSync("/proc/self")
      ? ([
          ["/proc/self/x", /cannot make folder `\/proc\/self\/x`: the file system does not allow new folders there \(ENOENT\)/],
          ["/proc/1/nope/cache", /cannot make folder `\/proc\/1\/nope`: /],
        ] as Array<[string, RegExp]>)
      : []),
  ];
  for (const [dir, why] of dirs) {
    const r = run(dir);
    assert.equal(r.error, undefined, `${dir}: ${r.error?.message} (a hang)`);
    assert.equal(r.status, 1, `${dir}: ${r.stderr}`);
    assert.equal(r.stdout, good.stdout, `${dir}: the same findings`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${dir}: one warning: ${r.stderr}`);
    assert.match(lines[0] as string, new RegExp(`^warden: warning: the compiled rule-pack cache \`${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\` \\(from WARDEN_CACHE_DIR\\) cannot be used: `));
    assert.match(lines[0] as string, why, dir);
    assert.match(lines[0] as string, /WARDEN_NO_CACHE=1 to turn the cache off\.$/);
  }
  // a policy with scan conditions compiles packs too: validated as usual, with the warning
  const v = run(input, ["validate", "examples/policies/assistant.yaml"]);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stderr, /^warden: warning: the compiled rule-pack cache/);
  assert.match(v.stdout, /^ok /m);
});
