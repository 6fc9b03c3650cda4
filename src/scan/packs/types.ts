// The shape of a rule pack: rules as plain data (pattern, tier, severity, normalization, validator, examples).
import type { NormalizationOptions } from "../normalize.js";
import type { ValidatorName } from "../validators.js";

export type Severity = "low" | "medium" | "high" | "critical";

/**
 * Post-match boundary check, done outside the automaton (which then needs no `\b`): the pattern is compiled
 * with a leading `(?:^|[^…])` context so only boundary positions can start a match (this also keeps the
 * automaton small: no overlapping starts to track), the context character is trimmed from the finding, and a
 * match followed by a character of the same class is dropped. `digit`: no digit may touch the match;
 * `word`: no ASCII letter, digit or `_`.
 */
export type Boundary = "digit" | "word";

export interface PackRule {
  /** Unique within the pack; the finding's pattern id is `<pack>.<id>`. */
  id: string;
  /** Pattern in the engine's regex subset, written against the NORMALIZED text. */
  pattern: string;
  severity: Severity;
  description: string;
  normalization: NormalizationOptions;
  caseInsensitive?: boolean;
  validator?: ValidatorName;
  boundary?: Boundary;
  /** A catch-all for evasions: its finding is dropped when a regular rule of the pack covers the same text. */
  fallback?: boolean;
  /**
   * Values that are not secrets (placeholders, environment lookups): a match is dropped when one of these
   * patterns (scanner subset) is found in its value part (the text after the last `=` or `:`).
   */
  allowValues?: string[];
  /** Like `allowValues`, searched in the whole match. */
  allowMatches?: string[];
  /** How findings are shown: `edges` keeps the first 2 and last 2 characters, `full` shows `***`. */
  mask: "edges" | "full";
  /**
   * A run pattern (`(?:…)+`): findings that touch are one run, reported once. The scanner stops a match 256 units
   * past its earliest end, so a longer run arrives in pieces.
   */
  mergeRuns?: boolean;
  /** Texts the rule must find and texts it must not (checked by test/packs-rules.test.ts). */
  examples: { match: string[]; noMatch: string[] };
}

export interface Pack {
  name: PackName;
  description: string;
  rules: PackRule[];
}

export const PACK_NAMES = ["injection", "secrets", "pii", "shell"] as const;
export type PackName = (typeof PACK_NAMES)[number];

/** Priority tier by severity, for callers that want the scanner to stratify by it (packs use one tier). */
export function tierOf(severity: Severity): number {
  return severity === "critical" ? 3 : severity === "high" ? 2 : severity === "medium" ? 1 : 0;
}
