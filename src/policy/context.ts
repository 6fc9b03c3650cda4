// Shared state for validating one parsed policy document: positions, diagnostics, and small type guards.
import type { Diagnostic, SourceSpan } from "../diagnostics.js";
import type { PolicyErrorCode } from "./errors.js";
import { joinPath, offsetSpan, spanFor, type ParsedSource } from "./source.js";

export class ValidationContext {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly src: ParsedSource) {}

  error(code: PolicyErrorCode, path: string, message: string, help?: string, atKey = false): void {
    this.push("error", code, spanFor(this.src, path, atKey), message, help);
  }

  /**
   * An error at unit `inner` of the string scalar `value` written at `path` (a regex construct, say): located at
   * that character when the scalar's text in the file is `value` itself (plain, or quoted without escapes), else
   * at the scalar's start.
   */
  errorInScalar(code: PolicyErrorCode, path: string, value: string, inner: number | null, message: string, help?: string): void {
    const start = this.src.positions.get(path);
    const text = this.src.text;
    let at: number | undefined;
    if (start !== undefined && inner !== null) {
      const q = text[start];
      if ((q === '"' || q === "'") && text.startsWith(value, start + 1) && text[start + 1 + value.length] === q) at = start + 1 + inner;
      else if (q !== '"' && q !== "'" && text.startsWith(value, start)) at = start + inner;
    }
    this.push("error", code, at === undefined ? spanFor(this.src, path) : offsetSpan(this.src, at, path), message, help);
  }

  warn(code: PolicyErrorCode, path: string, message: string, help?: string): void {
    this.push("warning", code, spanFor(this.src, path), message, help);
  }

  private push(severity: "error" | "warning", code: PolicyErrorCode, span: SourceSpan, message: string, help: string | undefined): void {
    const d: Diagnostic = { code, severity, message, span };
    if (help !== undefined) d.help = help;
    this.diagnostics.push(d);
  }

  get hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === "error");
  }

  /** Reports keys of `obj` outside `allowed` as UNKNOWN_FIELD, suggesting the closest allowed key. */
  checkKeys(obj: Record<string, unknown>, path: string, allowed: readonly string[], what: string): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const near = closest(key, allowed);
      this.error(
        "UNKNOWN_FIELD",
        joinPath(path, key),
        `unknown field \`${key}\` in ${what}`,
        near ? `did you mean \`${near}\`? allowed: ${allowed.join(", ")}` : `allowed: ${allowed.join(", ")}`,
        true,
      );
    }
  }

  /** Rejects NaN/Infinity and numbers whose source text a double cannot hold exactly. */
  checkNumber(value: number, path: string): boolean {
    if (!Number.isFinite(value)) {
      this.error("NON_FINITE_NUMBER", path, `number \`${this.src.numberText.get(path) ?? String(value)}\` is not finite`, "use a finite number");
      return false;
    }
    return true;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function describeType(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `string \`${v.length > 40 ? `${v.slice(0, 40)}…` : v}\``;
  return `${typeof v} \`${String(v)}\``;
}

function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const o of options) {
    const d = editDistance(word, o);
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}
