// Compiled packs as plain data and back: the automata serialized deterministically (policy artifacts and the
// compile cache store this), loaded without recompiling.
import { loadPatternSet, serializePatternSet } from "./serialize.js";
import { loadFused, storeFused, type StoredFused } from "./pack-fused.js";
import type { CompiledPacks, LoadedRule } from "./pack.js";

export interface StoredPacks {
  groups: Array<{ key: string; normalization: CompiledPacks["groups"][number]["normalization"]; boundary: string | null; set: string }>;
  rules: LoadedRule[];
  allow: string | null;
  /** The groups that read unit maps of one base view, in one set (absent in older artifacts: not used). */
  fused?: StoredFused | null;
}

export function storePacks(packs: CompiledPacks): StoredPacks {
  return {
    groups: packs.groups.map((g) => ({ key: g.key, normalization: g.normalization, boundary: g.boundary ?? null, set: serializePatternSet(g.set) })),
    rules: [...packs.rules.values()],
    allow: packs.allow ? serializePatternSet(packs.allow) : null,
    fused: packs.fused ? storeFused(packs.fused) : null,
  };
}

/** Throws on a malformed store (the loaders check every table they read). */
export function loadStoredPacks(s: StoredPacks): CompiledPacks {
  return {
    groups: s.groups.map((g) => ({ key: g.key, normalization: g.normalization, boundary: (g.boundary ?? undefined) as CompiledPacks["groups"][number]["boundary"], set: loadPatternSet(g.set) })),
    rules: new Map(s.rules.map((r) => [r.id, r])),
    allow: s.allow === null ? null : loadPatternSet(s.allow),
    fused: s.fused ? loadFused(s.fused) : null,
  };
}
