// Build-time problems as values: a code from one registry, a message, and where in the source it happened.

export interface SourceSpan {
  /** Path of the policy (or rule) file, or `<inline>`. */
  file: string;
  /** 1-based line and column of the start of the offending node. */
  line: number;
  col: number;
  /** Dotted path inside the document, e.g. `rules.2.when.all.0.gt`. */
  path?: string;
}

export interface Diagnostic {
  code: string;
  severity: "error" | "warning";
  /** Lowercase, user input in backticks (Cedar's style). */
  message: string;
  span?: SourceSpan;
  help?: string;
}

/** Renders `file:line:col: error[CODE]: message` plus help, one diagnostic per block. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : "";
  const head = `${where}${d.severity}[${d.code}]: ${d.message}`;
  return d.help ? `${head}\n  help: ${d.help}` : head;
}

/** 1-based line and column of `offset` in `text` (columns in UTF-16 units, as offsets are). */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  return { line, col: offset - lineStart + 1 };
}
