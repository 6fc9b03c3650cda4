// Normalized views as per-unit images of one shared base view (pure). Rule sets whose normalizations differ
// only by steps that act unit by unit on the base (case folding, homoglyphs, leetspeak over a view that is
// already NFKC'd and white-space collapsed) can scan that one base text: their patterns read each base unit
// through the view's map (a set S becomes the preimage of S), and a text qualifies when every cluster that is
// not plain ASCII normalizes under each view to exactly the map of its base normalization (checked per text).

import type { RegexNode } from "./ast.js";
import { MAX_UNIT, setFromRanges, setKey, type CharSet } from "./charset.js";
import { isSpace } from "./normalize-map.js";
import { normalizationKey, transformCluster, type NormalizationOptions } from "./normalize.js";

/** For one view over the base: unit -> mapped unit, or -1 when the unit never reaches the scan as one unit. */
export interface ViewMap {
  readonly key: string;
  readonly options: NormalizationOptions;
  readonly to: Int32Array;
  /** Sorted units whose image is not themselves (including the -1 ones). */
  readonly moved: Int32Array;
}

const MAPS = new Map<string, ViewMap>();

/**
 * The unit map of `view` over a base that already applied NFKC, invisible removal and white-space collapse:
 * the per-cluster transform of a lone unit, kept when it is one unit of the same white-space class. A
 * collapsed base holds no white space but ` `, so every other white-space unit maps to -1 (never read).
 * `identity`: the base's own rules (every unit reads as itself, white space as above). `keepNewline`: `\n`
 * reads as itself (for boundary rules, whose context character reads the sentinel).
 */
export function viewMap(view: NormalizationOptions, identity: boolean, keepNewline: boolean): ViewMap {
  const key = `${identity ? "identity" : "view"}${keepNewline ? "+nl" : ""}:${normalizationKey(view)}`;
  let m = MAPS.get(key);
  if (m) return m;
  const to = new Int32Array(MAX_UNIT + 1);
  const moved: number[] = [];
  for (let u = 0; u <= MAX_UNIT; u++) {
    let v: number;
    if (isSpace(u)) v = u === 32 || (keepNewline && u === 10) ? u : -1;
    else if (identity) v = u;
    else {
      const s = String.fromCharCode(u);
      const t = transformCluster(s, view);
      v = t.length === 1 && !isSpace(t.charCodeAt(0)) ? t.charCodeAt(0) : -1;
    }
    to[u] = v;
    if (v !== u) moved.push(u);
  }
  m = { key, options: view, to, moved: Int32Array.from(moved) };
  MAPS.set(key, m);
  return m;
}

/** The moved units and their images, interleaved (what an artifact stores to rebuild the map). */
export function movedPairs(map: ViewMap): Int32Array {
  const out = new Int32Array(map.moved.length * 2);
  for (let i = 0; i < map.moved.length; i++) {
    out[i * 2] = map.moved[i] as number;
    out[i * 2 + 1] = map.to[map.moved[i] as number] as number;
  }
  return out;
}

/** Rebuilds a stored map (no Unicode tables consulted); null when the pairs are malformed. */
export function viewMapFromPairs(options: NormalizationOptions, pairs: Int32Array): ViewMap | null {
  if (pairs.length % 2 !== 0) return null;
  const to = new Int32Array(MAX_UNIT + 1);
  for (let u = 0; u <= MAX_UNIT; u++) to[u] = u;
  const moved = new Int32Array(pairs.length / 2);
  let last = -1;
  for (let i = 0; i < moved.length; i++) {
    const u = pairs[i * 2] as number;
    const v = pairs[i * 2 + 1] as number;
    if (!(u > last && u <= MAX_UNIT && v >= -1 && v <= MAX_UNIT && v !== u)) return null;
    to[u] = v;
    moved[i] = u;
    last = u;
  }
  // the key names the exact table (the per-cluster verdict cache is keyed by it)
  let h = 0x811c9dc5;
  for (let i = 0; i < pairs.length; i++) h = Math.imul(h ^ (pairs[i] as number), 0x01000193) >>> 0;
  return { key: `stored:${h.toString(16)}:${normalizationKey(options)}`, options, to, moved };
}

/** {u : map(u) ∈ set}: the set a pattern written for the view must use to read the base text. */
export function preimage(set: CharSet, map: ViewMap): CharSet {
  const { to, moved } = map;
  const ranges: number[] = [];
  // units that map to themselves keep their membership: the set minus the moved units
  let k = 0;
  for (let i = 0; i < set.length; i += 2) {
    let lo = set[i] as number;
    const hi = set[i + 1] as number;
    while (k < moved.length && (moved[k] as number) < lo) k++;
    while (lo <= hi) {
      const next = k < moved.length ? (moved[k] as number) : MAX_UNIT + 1;
      if (next > hi) {
        ranges.push(lo, hi);
        break;
      }
      if (next > lo) ranges.push(lo, next - 1);
      lo = next + 1;
      k++;
    }
  }
  // moved units join when their image is in the set
  for (let i = 0; i < moved.length; i++) {
    const u = moved[i] as number;
    const v = to[u] as number;
    if (v >= 0 && inSet(set, v)) ranges.push(u, u);
  }
  return setFromRanges(ranges);
}

function inSet(set: CharSet, c: number): boolean {
  let lo = 0;
  let hi = (set.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c < (set[mid * 2] as number)) hi = mid - 1;
    else if (c > (set[mid * 2 + 1] as number)) lo = mid + 1;
    else return true;
  }
  return false;
}

const PREIMAGES = new Map<string, Map<string, CharSet>>();
const PREIMAGE_LIMIT = 20000;

/**
 * The pattern rewritten to read the base text prefixed by one `\n` (the boundary sentinel, which the
 * collapsed base itself never contains): sets become preimages (which also drops `\n`, so no match can
 * touch the sentinel), and start-of-text becomes start-of-line, which holds right after the sentinel.
 */
export function rewriteForBase(node: RegexNode, map: ViewMap, sentinelPrefixed: boolean): RegexNode {
  let memo = PREIMAGES.get(map.key);
  if (!memo) PREIMAGES.set(map.key, (memo = new Map()));
  if (memo.size > PREIMAGE_LIMIT) memo.clear();
  const known = memo;
  const walk = (n: RegexNode): RegexNode => {
    switch (n.t) {
      case "set": {
        // the same class recurs across a pack's patterns and their factor pieces: computed once per view
        const k = setKey(n.set);
        let s = known.get(k);
        if (!s) known.set(k, (s = preimage(n.set, map)));
        return { t: "set", set: s };
      }
      case "cat":
        return { t: "cat", items: n.items.map(walk) };
      case "alt":
        return { t: "alt", items: n.items.map(walk) };
      case "rep":
        return { t: "rep", item: walk(n.item), min: n.min, max: n.max };
      case "assert":
        return sentinelPrefixed && n.kind === "bol" ? { t: "assert", kind: "mbol" } : n;
      default:
        return n;
    }
  };
  return walk(node);
}

/** Per-cluster verdicts by views (a pure function of the cluster and the views), bounded. */
const VERDICTS = new Map<string, Map<string, boolean>>();
const VERDICT_LIMIT = 4096;

/**
 * True if, for every view, `transformCluster(cluster, view)` is the view map of the base's transform with
 * the same offsets: same length, white space where the base has white space, the mapped unit elsewhere;
 * and both change the cluster or neither does when it spans several units (identity offsets are per unit,
 * a replaced piece maps every unit to the whole cluster).
 */
export function clusterCompatible(cluster: string, base: NormalizationOptions, views: readonly ViewMap[], cacheKey: string): boolean {
  let verdicts = VERDICTS.get(cacheKey);
  if (!verdicts) VERDICTS.set(cacheKey, (verdicts = new Map()));
  const hit = verdicts.get(cluster);
  if (hit !== undefined) return hit;
  const t1 = transformCluster(cluster, base);
  let ok = true;
  for (const view of views) {
    const tg = transformCluster(cluster, view.options);
    if (tg.length !== t1.length || (cluster.length > 1 && (t1 === cluster) !== (tg === cluster))) ok = false;
    for (let k = 0; ok && k < t1.length; k++) {
      const a = t1.charCodeAt(k);
      const b = tg.charCodeAt(k);
      if (isSpace(a)) ok = isSpace(b);
      else ok = view.to[a] === b;
    }
    if (!ok) break;
  }
  if (verdicts.size >= VERDICT_LIMIT) verdicts.clear();
  verdicts.set(cluster, ok);
  return ok;
}
