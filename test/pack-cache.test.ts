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
