// Deterministic artifact for a compiled pattern set (canonical JSON, little-endian base64 tables), its loader
// (no regex parsing, no determinization of table detectors) and its SHA-256 hash.

import { createHash } from "node:crypto";
import { canonicalize } from "../canonical/jcs.js";
import { DEFAULT_CACHE_LIMIT } from "./compile.js";
import { LazyDfa } from "./lazy-dfa.js";
import { buildAlphabet, type Nfa } from "./nfa.js";
import type { StaticDfa } from "./static-dfa.js";
import type { AutomatonSizes, CompiledPatternSet, Detector, PatternInfo } from "./types.js";

export class PatternSetLoadError extends Error {}

export function i32ToB64(a: Int32Array): string {
  const bytes = new Uint8Array(a.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setInt32(i * 4, a[i] as number, true);
  return Buffer.from(bytes).toString("base64");
}

export function b64ToI32(s: unknown): Int32Array {
  if (typeof s !== "string") throw new PatternSetLoadError("table is not a base64 string");
  const bytes = Buffer.from(s, "base64");
  if (bytes.length % 4 !== 0) throw new PatternSetLoadError("table length is not a multiple of 4 bytes");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}

/** Code unit -> column map as runs: [firstUnit, column, firstUnit, column, ...]. */
function mapToRuns(map: Uint8Array | Uint16Array): number[] {
  const runs: number[] = [];
  for (let u = 0; u < map.length; u++) if (u === 0 || map[u] !== map[u - 1]) runs.push(u, map[u] as number);
  return runs;
}

function runsToMap(runs: number[], nCols: number): Uint8Array | Uint16Array {
  const map = nCols <= 256 ? new Uint8Array(0x10000) : new Uint16Array(0x10000);
  for (let k = 0; k < runs.length; k += 2) map.fill(runs[k + 1] as number, runs[k] as number, k + 2 < runs.length ? (runs[k + 2] as number) : 0x10000);
  return map;
}

function detectorToJson(d: Detector): unknown {
  if (d.kind === "lazy") return { kind: "lazy", tier: d.tier, patterns: d.patterns };
  const t = d.dfa;
  return {
    kind: "table",
    tier: d.tier,
    patterns: d.patterns,
    nCols: t.nCols,
    nStates: t.nStates,
    map: mapToRuns(t.map),
    trans: i32ToB64(t.trans),
    colKind: Array.from(t.colKind),
    labelByKind: i32ToB64(t.labelByKind),
    labels: t.labels.map((l) => Array.from(l)),
    init: Array.from(t.init),
  };
}

/** Same patterns and options with the same Warden version => byte-identical output. */
export function serializePatternSet(set: CompiledPatternSet): string {
  return canonicalize({
    format: set.format,
    wardenVersion: set.wardenVersion,
    maxExtension: set.maxExtension,
    cacheLimit: set.cacheLimit,
    patterns: set.patterns.map((p) => ({ ...p })),
    nfa: {
      type: i32ToB64(set.nfa.type),
      out1: i32ToB64(set.nfa.out1),
      out2: i32ToB64(set.nfa.out2),
      arg: i32ToB64(set.nfa.arg),
      sets: set.nfa.sets.map((s) => Array.from(s)),
    },
    detectors: set.detectors.map(detectorToJson),
    keywords: set.keywords,
    keywordStarts: set.keywordStarts,
  });
}

/** `sha256:<hex>` of the serialized artifact. */
export function patternSetHash(set: CompiledPatternSet): string {
  return `sha256:${createHash("sha256").update(serializePatternSet(set)).digest("hex")}`;
}

const isInt = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x);
const intArray = (x: unknown, what: string): number[] => {
  if (!Array.isArray(x) || !x.every(isInt)) throw new PatternSetLoadError(`${what} is not an integer array`);
  return x;
};

/** Loads an artifact written by `serializePatternSet`; throws PatternSetLoadError on a malformed one. */
export function loadPatternSet(serialized: string): CompiledPatternSet {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(serialized) as Record<string, unknown>;
  } catch {
    throw new PatternSetLoadError("artifact is not JSON");
  }
  if (doc?.format !== "warden-scan-v1") throw new PatternSetLoadError("artifact format is not `warden-scan-v1`");
  const n = doc.nfa as Record<string, unknown>;
  if (!n || !Array.isArray(n.sets)) throw new PatternSetLoadError("artifact has no nfa");
  const nfa: Nfa = {
    type: b64ToI32(n.type),
    out1: b64ToI32(n.out1),
    out2: b64ToI32(n.out2),
    arg: b64ToI32(n.arg),
    sets: (n.sets as unknown[]).map((s, i) => intArray(s, `nfa set ${i}`)),
  };
  const size = nfa.type.length;
  if (nfa.out1.length !== size || nfa.out2.length !== size || nfa.arg.length !== size) throw new PatternSetLoadError("nfa arrays differ in length");
  for (let i = 0; i < size; i++) {
    const o1 = nfa.out1[i] as number;
    const o2 = nfa.out2[i] as number;
    if (o1 >= size || o2 >= size || o1 < -1 || o2 < -1) throw new PatternSetLoadError("nfa edge out of range");
    if (nfa.type[i] === 0 && ((nfa.arg[i] as number) < 0 || (nfa.arg[i] as number) >= nfa.sets.length)) throw new PatternSetLoadError("nfa set index out of range");
  }
  if (!Array.isArray(doc.patterns)) throw new PatternSetLoadError("artifact has no patterns");
  const patterns = (doc.patterns as PatternInfo[]).map((p) => {
    for (const k of ["tier", "maxLength", "before", "after", "fwdStart", "revStart", "detStart", "sufStart", "leadStart"] as const)
      if (!isInt(p[k])) throw new PatternSetLoadError(`pattern field \`${k}\` is not an integer`);
    if (typeof p.id !== "string") throw new PatternSetLoadError("pattern id is not a string");
    for (const k of [p.fwdStart, p.revStart, p.detStart]) if (k < 0 || k >= size) throw new PatternSetLoadError("pattern start node out of range");
    if (p.sufStart < -1 || p.sufStart >= size || p.leadStart < -1 || p.leadStart >= size) throw new PatternSetLoadError("pattern probe node out of range");
    if (p.detector !== "literal" && p.detector !== "run" && p.detector !== "pattern") throw new PatternSetLoadError("pattern detector kind is unknown");
    return { ...p, keywords: Array.isArray(p.keywords) ? p.keywords.map(String) : [], keywordIds: intArray(p.keywordIds, "keyword ids") };
  });
  const keywords = Array.isArray(doc.keywords) ? doc.keywords.map(String) : [];
  const keywordStarts = intArray(doc.keywordStarts ?? [], "keyword starts");
  if (keywordStarts.length !== keywords.length || keywordStarts.some((k) => k < 0 || k >= size)) throw new PatternSetLoadError("keyword starts are malformed");
  if (patterns.some((p) => p.keywordIds.some((k) => k < 0 || k >= keywords.length))) throw new PatternSetLoadError("keyword id out of range");
  const labelCount = patterns.length + keywords.length;
  const startOf = (l: number): number => (l < patterns.length ? (patterns[l] as PatternInfo).detStart : (keywordStarts[l - patterns.length] as number));
  const alphabet = buildAlphabet(nfa.sets);
  const cacheLimit = isInt(doc.cacheLimit) ? doc.cacheLimit : DEFAULT_CACHE_LIMIT;
  if (cacheLimit < 1) throw new PatternSetLoadError("cacheLimit must be at least 1");
  if (doc.maxExtension !== undefined && !(isInt(doc.maxExtension) && doc.maxExtension >= 0)) throw new PatternSetLoadError("maxExtension must be a non-negative integer");
  const detectors: Detector[] = (doc.detectors as Record<string, unknown>[]).map((d) => {
    const ps = intArray(d.patterns, "detector patterns");
    if (ps.some((p) => p < 0 || p >= labelCount)) throw new PatternSetLoadError("detector pattern index out of range");
    const tier = isInt(d.tier) ? d.tier : 0;
    if (d.kind === "lazy") {
      const starts = ps.map(startOf);
      return { kind: "lazy", tier, patterns: ps, dfa: new LazyDfa(nfa, alphabet, starts, false, cacheLimit) };
    }
    const nCols = d.nCols as number;
    const nStates = d.nStates as number;
    const dfa: StaticDfa = {
      nCols,
      nStates,
      map: runsToMap(intArray(d.map, "detector map"), nCols),
      trans: b64ToI32(d.trans),
      colKind: Uint8Array.from(intArray(d.colKind, "column kinds")),
      labelByKind: b64ToI32(d.labelByKind),
      labels: (d.labels as unknown[]).map((l) => Int32Array.from(intArray(l, "label"))),
      init: Int32Array.from(intArray(d.init, "init")),
    };
    if (!isInt(nCols) || !isInt(nStates) || dfa.trans.length !== nCols * nStates || dfa.labelByKind.length !== nStates * 4 || dfa.colKind.length !== nCols || dfa.colKind.some((k) => k > 3))
      throw new PatternSetLoadError("detector table has the wrong size");
    for (const t of dfa.trans) {
      const off = t < 0 ? ~t : t;
      if (off % nCols !== 0 || off >= nCols * nStates) throw new PatternSetLoadError("detector transition out of range");
    }
    for (const l of dfa.labels) if (l.some((x) => x < 0 || x >= labelCount)) throw new PatternSetLoadError("detector label names an unknown pattern");
    for (const l of dfa.labelByKind) if (l < -1 || l >= dfa.labels.length) throw new PatternSetLoadError("detector label out of range");
    return { kind: "table", tier, patterns: ps, dfa };
  });
  return {
    format: "warden-scan-v1",
    wardenVersion: String(doc.wardenVersion),
    patterns,
    nfa,
    alphabet,
    detectors,
    keywords,
    keywordStarts,
    maxExtension: isInt(doc.maxExtension) ? doc.maxExtension : 256,
    cacheLimit,
    matchers: new Array(patterns.length).fill(undefined),
  };
}

/** Sizes of the automata, for reports. */
export function automatonSizes(set: CompiledPatternSet): AutomatonSizes {
  const detectors = set.detectors.map((d) => {
    if (d.kind === "lazy") return { kind: "lazy" as const, tier: d.tier, patterns: d.patterns.length, states: d.dfa.stateCount, columns: d.dfa.stride, bytes: d.dfa.trans.byteLength };
    const t = d.dfa;
    const bytes = t.trans.byteLength + t.map.byteLength + t.labelByKind.byteLength + t.labels.reduce((a, l) => a + l.byteLength, 0);
    return { kind: "table" as const, tier: d.tier, patterns: d.patterns.length, states: t.nStates, columns: t.nCols, bytes };
  });
  return {
    patterns: set.patterns.length,
    nfaNodes: set.nfa.type.length,
    alphabetClasses: set.alphabet.count,
    detectors,
    tableBytes: detectors.reduce((a, d) => a + d.bytes, 0),
  };
}
