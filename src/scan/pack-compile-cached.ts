// compilePacks() through the installed pack cache (src/scan/pack-cache.ts). Deterministic either way: a hit
// yields the very automata a compile would build, and anything unreadable is compiled afresh.
import { createHash } from "node:crypto";
import { compilePacks, type CompilePacksResult, type LoadedPack } from "./pack.js";
import { activePackCache, type CachedCompile } from "./pack-cache.js";
import { loadStoredPacks, storePacks } from "./pack-store.js";

/** The cache key of a compile: the salt, the rules as loaded and the options. */
export function packCacheKey(loaded: LoadedPack, options: { stateBudget?: number; file?: string }, salt: string): string {
  return createHash("sha256").update(salt).update("\0").update(JSON.stringify({ loaded, options })).digest("hex");
}

function readHit(value: unknown): CompilePacksResult | null {
  const v = value as Partial<CachedCompile> | null;
  if (v === null || typeof v !== "object" || !Array.isArray(v.diagnostics) || typeof v.packs !== "object" || v.packs === null) return null;
  try {
    return { ok: true, compiled: loadStoredPacks(v.packs), diagnostics: v.diagnostics };
  } catch {
    return null;
  }
}

/** compilePacks() through the installed cache (plain compilePacks() without one). Failed compiles are not cached. */
export function compilePacksCached(loaded: LoadedPack, options: { stateBudget?: number; file?: string } = {}): CompilePacksResult {
  const active = activePackCache();
  if (active === null) return compilePacks(loaded, options);
  const { cache } = active;
  let key: string;
  try {
    key = packCacheKey(loaded, options, active.salt());
  } catch {
    return compilePacks(loaded, options);
  }
  let hit: CompilePacksResult | null = null;
  try {
    hit = readHit(cache.get(key));
  } catch {
    hit = null; // a cache that fails to read is a miss
  }
  if (hit !== null) return hit;
  const res = compilePacks(loaded, options);
  if (res.ok) {
    try {
      cache.put(key, { packs: storePacks(res.compiled), diagnostics: res.diagnostics });
    } catch {
      // a cache that cannot be written only costs the next compile
    }
  }
  return res;
}
