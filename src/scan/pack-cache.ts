// An optional cache of compiled packs (compiling every built-in pack takes seconds; loading the stored automata
// takes tens of ms). The cache itself lives at the edges (src/node/pack-cache-dir.ts keeps it on disk); this
// module is only the slot it is installed in, light enough for every CLI process to import.
import type { Diagnostic } from "../diagnostics.js";
import type { StoredPacks } from "./pack-store.js";

export interface CachedCompile {
  packs: StoredPacks;
  diagnostics: Diagnostic[];
}

export interface PackCache {
  /** null when absent; may return anything (a damaged entry is ignored and recompiled). */
  get(key: string): unknown;
  put(key: string, value: CachedCompile): void;
}

let active: { cache: PackCache; salt: () => string } | null = null;

/**
 * Installs (or with null removes) the cache. `salt` must change whenever compiled output could change (the
 * edge passes a fingerprint of the scanner's code), so a stale entry is never found; it is asked on first use.
 */
export function usePackCache(cache: PackCache | null, salt: () => string = () => ""): void {
  active = cache === null ? null : { cache, salt };
}

export function activePackCache(): { cache: PackCache; salt: () => string } | null {
  return active;
}
