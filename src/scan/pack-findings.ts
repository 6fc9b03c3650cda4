// Turning raw automaton matches into findings (pure): boundary trimming and checks, validators, gitleaks-style
// allowlists and entropy, and masking so that a finding never carries the matched secret in clear.
import type { Boundary } from "./packs/types.js";
import { VALIDATORS, type ValidatorName } from "./validators.js";

const NOT_DIGIT = "[^0-9]";
const NOT_WORD = "[^A-Za-z0-9_]";

/**
 * Boundary rules are scanned in their own automaton over `BOUNDARY_SENTINEL + text`, compiled with one
 * leading context character (`[^0-9]` or `[^A-Za-z0-9_]`). Every match then starts with exactly one context
 * character — the sentinel stands in for "start of text" — so the body is `[start, end - 1)` in the
 * unprefixed text, with no ambiguity and no `\b` needed. Only boundary positions can start a match, which
 * also keeps the automaton from tracking overlapping starts inside long runs of digits or letters.
 */
export const BOUNDARY_SENTINEL = "\n";

export function withLeadingBoundary(pattern: string, boundary: Boundary): string {
  return `${boundary === "digit" ? NOT_DIGIT : NOT_WORD}(?:${pattern})`;
}

function isBoundaryChar(code: number, boundary: Boundary): boolean {
  const digit = code >= 48 && code <= 57;
  if (boundary === "digit") return digit;
  return digit || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** The right-hand check: the character after the match (if any) must not be of the boundary class. */
export function rightBoundaryOk(text: string, end: number, boundary: Boundary): boolean {
  return end >= text.length || !isBoundaryChar(text.charCodeAt(end), boundary);
}

/** Shannon entropy in bits per character (gitleaks' measure). */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  const n = [...s].length;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * The part of a match that is most likely the secret value, for entropy and allowlist checks when the
 * engine reports no capture groups: the text after the last `=`, `:` or quote-delimited assignment if there
 * is one, else the longest run of token characters.
 */
export function secretPart(match: string): string {
  const assign = /[:=]\s*["'`]?([^\s"'`]+)["'`]?\s*$/.exec(match);
  if (assign?.[1]) return assign[1];
  let best = "";
  for (const m of match.matchAll(/[A-Za-z0-9+/=_.~-]+/g)) if (m[0].length > best.length) best = m[0];
  return best.length > 0 ? best : match;
}

export function passesValidator(match: string, validator: ValidatorName | undefined): boolean {
  return validator === undefined || VALIDATORS[validator](match);
}

/**
 * `edges`: first 2 and last 2 characters kept when the match has at least 12 (so at most a third of it is
 * shown), `***` otherwise; `full`: always `***`.
 */
export function maskMatch(match: string, mode: "edges" | "full"): string {
  const chars = [...match];
  if (mode === "edges" && chars.length >= 12) return `${escapeControls(chars.slice(0, 2).join(""))}***${escapeControls(chars.slice(-2).join(""))}`;
  return "***";
}

/**
 * Control characters (C0, DEL, C1), line and paragraph separators, bidi controls and lone surrogates as `\uXXXX`:
 * the kept edges of a masked match are printed on a terminal line and written into records, where a raw newline
 * or a bidi override would break the line or reorder what is shown.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function escapeControls(s: string): string {
  return s.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
