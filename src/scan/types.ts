// Public shapes of the scanner: pattern specs, compiled sets, matches and size reports.

import type { Alphabet, Nfa } from "./nfa.js";
import type { PatternMatcher } from "./matcher.js";
import type { StaticDfa } from "./static-dfa.js";
import type { LazyDfa } from "./lazy-dfa.js";
import type { RegexNode } from "./ast.js";

export interface PatternSpec {
  id: string;
  pattern: string;
  /** Higher tiers are scanned first (their automata come first); default 0. */
  tier?: number;
  caseInsensitive?: boolean;
  /** If given, matches are reported only when the text contains one of these (case-insensitive), as in gitleaks. */
  keywords?: string[];
}

export interface CompileOptions {
  /** Most DFA states one detection automaton may have before the set is split (default 4096). */
  stateBudget?: number;
  /** File name for diagnostics' spans. */
  file?: string;
  /** How far past the earliest end a match may be extended to its longest end (default 256 units). */
  maxExtension?: number;
  /**
   * Rewrites each parsed pattern before anything else (the packs prepend a boundary's context character).
   * Hooks are not part of the artifact: the automata they produce are.
   */
  wrap?: (spec: PatternSpec, node: RegexNode) => RegexNode;
  /**
   * Rewrites the sets (and assertions) of the pattern and of its factor pieces after the factor is chosen,
   * uniformly (the packs make patterns written for a normalized view read a shared base text).
   */
  mapSets?: (spec: PatternSpec, node: RegexNode) => RegexNode;
}

export interface ScanOptions {
  /** Only patterns of this tier or higher are scanned (their automata come first; the rest are skipped). */
  minTier?: number;
}

export interface ScanMatch {
  patternId: string;
  /** UTF-16 offsets into the scanned text, end exclusive. */
  start: number;
  end: number;
}

export interface PatternInfo {
  id: string;
  tier: number;
  keywords: string[];
  /** Indices into the set's `keywords`; a keyword hit is detector label `patterns.length + index`. */
  keywordIds: number[];
  /** Longest possible match in code units, -1 if unbounded. */
  maxLength: number;
  /** Candidate window around a detector hit ending at j: starts in [j - before, j], ends by j + after (-1: unbounded). */
  before: number;
  after: number;
  fwdStart: number;
  revStart: number;
  /** Start of the detection fragment (the factor, or the pattern itself). */
  detStart: number;
  /** Start of what must follow a factor hit (checked anchored at each hit), or -1. */
  sufStart: number;
  /** Start of the reversed "match start up to the factor's end" (checked leftwards from each hit), or -1. */
  leadStart: number;
  /** Detection uses a required literal-like factor (true) or the whole pattern (false). */
  factored: boolean;
  /** What the detector looks for: a literal-like factor, a required run of one class, or the whole pattern. */
  detector: "literal" | "run" | "pattern";
}

/**
 * A detection automaton: a minimized table DFA, or (over budget) a lazily built one. `patterns` lists its
 * labels: pattern indices, and keyword hits as `patterns.length + keyword index`.
 */
export type Detector =
  | { kind: "table"; tier: number; patterns: number[]; dfa: StaticDfa }
  | { kind: "lazy"; tier: number; patterns: number[]; dfa: LazyDfa };

export interface CompiledPatternSet {
  readonly format: "warden-scan-v1";
  readonly wardenVersion: string;
  readonly patterns: PatternInfo[];
  readonly nfa: Nfa;
  readonly alphabet: Alphabet;
  readonly detectors: Detector[];
  /** Distinct lowercased keywords (gates, as in gitleaks), each with its NFA fragment start. */
  readonly keywords: string[];
  readonly keywordStarts: number[];
  readonly maxExtension: number;
  readonly cacheLimit: number;
  /** Built on first use per pattern; a cache, not part of the artifact. */
  readonly matchers: (PatternMatcher | undefined)[];
}

export interface AutomatonSizes {
  patterns: number;
  nfaNodes: number;
  alphabetClasses: number;
  detectors: { kind: "table" | "lazy"; tier: number; patterns: number; states: number; columns: number; bytes: number }[];
  /** Sum of table bytes (transition tables, maps, labels). */
  tableBytes: number;
}
