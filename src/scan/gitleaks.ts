// gitleaks TOML importer (pure): `[[rules]]` become loaded rules for the scanner; what cannot be carried over
// (path conditions, capture groups, line targets) is reported as diagnostics, never silently dropped.
import { parse, TomlError } from "smol-toml";
import { lineCol, type Diagnostic } from "../diagnostics.js";
import type { GitleaksCode } from "./gitleaks-errors.js";
import { parseRegex } from "./parse.js";
import type { LoadedRule, RuleAllowlist } from "./pack.js";

export interface GitleaksImport {
  rules: LoadedRule[];
  /** Rules in the file, including those not carried over. */
  total: number;
  /** Ids of the rules not carried over (each has a diagnostic). */
  skipped: string[];
  diagnostics: Diagnostic[];
}

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  return Array.isArray(v) ? "a list" : isTable(v) ? "a table" : typeof v === "string" ? `the string \`${v.length > 40 ? `${v.slice(0, 40)}…` : v}\`` : `${typeof v} ${String(v)}`;
}

/**
 * Typed reads of a rule's or allowlist's fields. gitleaks decodes its config weakly (viper: a string `"3"` is the
 * number 3, a string is a list split on `,`), so a wrongly typed value is read the way gitleaks reads it, or
 * ignored when gitleaks could not read it either; every such value gets a GITLEAKS_FIELD_TYPE warning naming the
 * rule, the field and the type expected.
 */
class Fields {
  constructor(private readonly t: Table, private readonly where: string, private readonly span: { file: string; line: number; col: number }, private readonly diags: Diagnostic[]) {}

  private warn(field: string, expected: string, got: string, outcome: string): void {
    this.diags.push({ code: "GITLEAKS_FIELD_TYPE" satisfies GitleaksCode, severity: "warning", message: `${this.where}: \`${field}\` should be ${expected}, got ${got}; ${outcome}`, span: this.span, help: `write \`${field}\` as ${expected}` });
  }

  /** A list of strings (a string is split on `,`, as gitleaks reads it; other entries are dropped). */
  list(field: string): string[] {
    const v = this.t[field];
    if (v === undefined) return [];
    if (Array.isArray(v)) {
      const strings = v.filter((x): x is string => typeof x === "string");
      if (strings.length < v.length) this.warn(field, "a list of strings", `a list holding ${typeName(v.find((x) => typeof x !== "string"))}`, "entries that are not strings are ignored");
      return strings;
    }
    if (typeof v === "string") {
      const parts = v.split(",");
      this.warn(field, "a list of strings", typeName(v), `read as gitleaks reads it: ${JSON.stringify(parts)}`);
      return parts;
    }
    this.warn(field, "a list of strings", typeName(v), "ignored");
    return [];
  }

  /** A number (a numeric string is read as its number, as gitleaks reads it). */
  num(field: string): number | undefined {
    const v = this.t[field];
    if (v === undefined || (typeof v === "number" && Number.isFinite(v))) return v as number | undefined;
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
    if (Number.isFinite(n)) {
      this.warn(field, "a number", typeName(v), `read as ${n}, as gitleaks reads it`);
      return n;
    }
    this.warn(field, "a number", typeName(v), "ignored");
    return undefined;
  }

  /** A string (numbers and booleans read as their text, as gitleaks reads them). */
  str(field: string, outcome = "ignored"): string | undefined {
    const v = this.t[field];
    if (v === undefined || typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") {
      this.warn(field, "a string", typeName(v), `read as \`${String(v)}\`, as gitleaks reads it`);
      return String(v);
    }
    this.warn(field, "a string", typeName(v), outcome);
    return undefined;
  }
}

/** 1-based line of `id = "<id>"` in the source, for diagnostics (TOML parsers keep no positions). */
function lineOf(source: string, id: string): number {
  const at = source.search(new RegExp(`^id\\s*=\\s*["']${id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']`, "m"));
  return at < 0 ? 1 : source.slice(0, at).split("\n").length;
}

/**
 * The line of each `[[rules]]` table header, in order: rule i of the parsed document starts there (null when the
 * rules are not all written as such tables, e.g. an inline array; then lineOf() finds a rule by its id).
 */
function ruleHeaderLines(source: string, count: number): number[] | null {
  const lines: number[] = [];
  source.split("\n").forEach((text, i) => {
    if (/^\s*\[\[\s*rules\s*\]\]\s*(#.*)?$/.test(text)) lines.push(i + 1);
  });
  return lines.length === count ? lines : null;
}

/** Reads `[[x.allowlists]]` (current) and `[x.allowlist]` (legacy) tables. */
function allowlistTables(t: Table): Table[] {
  const out: Table[] = [];
  if (isTable(t.allowlist)) out.push(t.allowlist);
  if (Array.isArray(t.allowlists)) for (const a of t.allowlists) if (isTable(a)) out.push(a);
  return out;
}

function convertAllowlist(a: Table, where: string, file: string, line: number, diags: Diagnostic[]): RuleAllowlist | null {
  const warn = (code: GitleaksCode, message: string, help?: string): void => {
    const d: Diagnostic = { code, severity: "warning", message: `${where}: ${message}`, span: { file, line, col: 1 } };
    if (help) d.help = help;
    diags.push(d);
  };
  const f = new Fields(a, where, { file, line, col: 1 }, diags);
  const regexes = f.list("regexes");
  const stopwords = f.list("stopwords");
  const hasPaths = f.list("paths").length > 0;
  const hasCommits = f.list("commits").length > 0;
  // gitleaks: "AND"/"&&" (any case) need every check the allowlist has; "", "OR"/"||" need one; anything else
  // is a config error there, so the allowlist is not applied here (findings are reported, never hidden).
  const conditionText = f.str("condition", "the allowlist is not applied") ?? (a.condition === undefined ? "" : null);
  const condition = conditionText === null ? null : ["AND", "&&"].includes(conditionText.toUpperCase()) ? "AND" : ["", "OR", "||"].includes(conditionText.toUpperCase()) ? "OR" : null;
  if (condition === null) {
    if (conditionText !== null) warn("GITLEAKS_ALLOWLIST_DROPPED", `unknown allowlist \`condition = "${conditionText}"\` (gitleaks accepts "AND" or "OR"); the allowlist is not applied`);
    return null;
  }
  if (condition === "AND" && (hasPaths || hasCommits)) {
    // gitleaks requires every check; scanned text has no path and no commit, so those checks never pass.
    const what = hasPaths && hasCommits ? "`paths` and `commits`" : hasPaths ? "`paths`" : "`commits`";
    warn("GITLEAKS_ALLOWLIST_DROPPED", `allowlist combines ${what} with \`condition = "AND"\`; scanned text has no ${hasPaths ? "path" : "commit"}, so gitleaks would never apply it to text: not applied`,
      "findings it would suppress in matching files or commits are reported");
    return null;
  }
  if (hasPaths) warn("GITLEAKS_ALLOWLIST_PATHS_IGNORED", "allowlist `paths` are not carried over (text has no path)");
  if (hasCommits) warn("GITLEAKS_ALLOWLIST_COMMITS_IGNORED", "allowlist `commits` are not carried over (text has no commit)");
  let target: "secret" | "match" = "secret";
  const regexTarget = f.str("regexTarget", "the allowlist is not applied");
  if (regexTarget === undefined && a.regexTarget !== undefined) return null;
  if (regexTarget === "match") target = "match";
  else if (regexTarget === "line") {
    target = "match";
    warn("GITLEAKS_REGEX_TARGET_LINE", "allowlist `regexTarget = \"line\"` is applied to the match instead of the whole line");
  } else if (regexTarget !== undefined && regexTarget !== "" && regexTarget !== "secret") {
    warn("GITLEAKS_ALLOWLIST_DROPPED", `unknown allowlist \`regexTarget = "${regexTarget}"\` (gitleaks accepts "secret", "match" or "line"); the allowlist is not applied`);
    return null;
  }
  if (regexes.length === 0 && stopwords.length === 0) return null;
  const out: RuleAllowlist = { regexes, regexTarget: target, stopwords };
  if (condition === "AND" && regexes.length > 0 && stopwords.length > 0) out.condition = "AND";
  return out;
}

/**
 * Parses a gitleaks config. Rules whose regex the scanner rejects are dropped with the scanner's diagnostic
 * (which names the construct and column); allowlist regexes likewise. Entropy thresholds become
 * `minEntropy`, measured on the value part of the match (the engine reports no capture groups).
 */
export function importGitleaks(source: string, options: { file?: string } = {}): GitleaksImport {
  const file = options.file ?? "<gitleaks>";
  const diagnostics: Diagnostic[] = [];
  let doc: Table;
  try {
    doc = parse(source) as Table;
  } catch (e) {
    const line = e instanceof TomlError ? e.line : 1;
    const col = e instanceof TomlError ? e.column : 1;
    const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
    diagnostics.push({ code: "GITLEAKS_TOML_INVALID" satisfies GitleaksCode, severity: "error", message: `invalid TOML: ${msg.toLowerCase()}`, span: { file, line, col } });
    return { rules: [], total: 0, skipped: [], diagnostics };
  }
  const rulesIn = Array.isArray(doc.rules) ? doc.rules.filter(isTable) : [];
  if (rulesIn.length === 0) {
    diagnostics.push({ code: "GITLEAKS_NO_RULES" satisfies GitleaksCode, severity: "error", message: "no `[[rules]]` found", span: { file, line: 1, col: 1 }, help: "a gitleaks config lists rules as `[[rules]]` tables with `id` and `regex`" });
    return { rules: [], total: 0, skipped: [], diagnostics };
  }
  if (doc.extend !== undefined) {
    diagnostics.push({ code: "GITLEAKS_EXTEND_IGNORED" satisfies GitleaksCode, severity: "warning", message: "`[extend]` is not followed: only the rules in this file are imported", span: { file, line: 1, col: 1 } });
  }
  const global: RuleAllowlist[] = [];
  /** Global allowlists with `targetRules`: they apply to the rules named only (gitleaks). */
  const targeted = new Map<string, RuleAllowlist[]>();
  for (const a of allowlistTables(doc)) {
    const targets = new Fields(a, "global allowlist", { file, line: 1, col: 1 }, diagnostics).list("targetRules");
    const c = convertAllowlist(a, "global allowlist", file, 1, diagnostics);
    if (!c) continue;
    if (targets.length === 0) global.push(c);
    for (const id of targets) targeted.set(id, [...(targeted.get(id) ?? []), c]);
  }
  const ruleIds = new Set(rulesIn.map((r) => r.id));
  for (const id of targeted.keys()) {
    if (!ruleIds.has(id)) diagnostics.push({ code: "GITLEAKS_ALLOWLIST_TARGET_UNKNOWN" satisfies GitleaksCode, severity: "warning", message: `global allowlist: \`targetRules\` names \`${id}\`, which is not a rule of this file (gitleaks refuses such a config); ignored for it`, span: { file, line: 1, col: 1 } });
  }

  const candidates: LoadedRule[] = [];
  /** Line of each candidate's `regex =` key, for the diagnostics of a regex the scanner rejects. */
  const lines = new Map<string, number>();
  const seen = new Set<string>();
  const headers = ruleHeaderLines(source, rulesIn.length);
  rulesIn.forEach((r, index) => {
    const id = typeof r.id === "string" && r.id !== "" ? r.id : `rule-${index + 1}`;
    // By position when the headers can be counted, so a duplicate id points at the rule that repeats it.
    const line = headers?.[index] ?? (typeof r.id === "string" ? lineOf(source, r.id) : 1);
    const where = `rule \`${id}\``;
    const span = { file, line, col: 1 };
    const fields = new Fields(r, where, span, diagnostics);
    if (r.id !== undefined && typeof r.id !== "string") fields.str("id", `the rule is named \`${id}\``);
    if (seen.has(id)) {
      diagnostics.push({ code: "GITLEAKS_DUPLICATE_ID" satisfies GitleaksCode, severity: "warning", message: `${where}: id used twice; the later rule is skipped`, span });
      return;
    }
    seen.add(id);
    if (r.regex !== undefined && typeof r.regex !== "string") {
      diagnostics.push({ code: "GITLEAKS_REGEX_NOT_STRING" satisfies GitleaksCode, severity: "warning", message: `${where}: \`regex\` must be a string, got ${Array.isArray(r.regex) ? "a list" : typeof r.regex}; not carried over`, span, help: "write the regex as a TOML string, e.g. regex = \"ghp_[0-9a-zA-Z]{36}\"" });
      return;
    }
    if (typeof r.regex !== "string" || r.regex === "") {
      diagnostics.push({ code: "GITLEAKS_PATH_ONLY_RULE" satisfies GitleaksCode, severity: "warning", message: `${where}: has no \`regex\` (path-only rule); not carried over`, span, help: "path-only rules match file names, and scanned text has none" });
      return;
    }
    if (r.path !== undefined && typeof r.path !== "string") {
      diagnostics.push({ code: "GITLEAKS_FIELD_TYPE" satisfies GitleaksCode, severity: "warning", message: `${where}: \`path\` should be a string, got ${typeName(r.path)}; the rule is not imported`, span, help: "write `path` as a string (a regex over file paths)" });
      return;
    }
    if (typeof r.path === "string") {
      diagnostics.push({ code: "GITLEAKS_PATH_RULE_SKIPPED" satisfies GitleaksCode, severity: "warning", message: `${where}: restricted to paths \`${r.path}\`; not carried over`, span, help: "the rule only applies to some files; applying it to all text would change its precision" });
      return;
    }
    if (r.secretGroup !== undefined) {
      diagnostics.push({ code: "GITLEAKS_SECRET_GROUP" satisfies GitleaksCode, severity: "warning", message: `${where}: \`secretGroup\` is not supported; entropy and allowlists use the value part of the match`, span });
    }
    const allowlists = [...global, ...(targeted.get(id) ?? [])];
    for (const a of allowlistTables(r)) {
      const c = convertAllowlist(a, where, file, line, diagnostics);
      if (c) allowlists.push(c);
    }
    const rule: LoadedRule = {
      pack: "gitleaks", id: `gitleaks.${id}`, pattern: r.regex, tier: 1, severity: "high",
      description: fields.str("description") ?? id, normalization: {}, mask: "edges", trimNewlines: true,
    };
    const keywords = fields.list("keywords");
    if (keywords.length > 0) rule.keywords = keywords;
    const entropy = fields.num("entropy");
    if (entropy !== undefined && entropy > 0) rule.minEntropy = entropy;
    if (allowlists.length > 0) rule.allowlists = allowlists;
    candidates.push(rule);
    lines.set(rule.id, regexLine(source, line));
  });

  const rules = keepCompilable(candidates, file, lines, diagnostics);
  if (rules.length === 0) {
    // Rules were written but none survived: scanning with nothing would report "no findings" for any input.
    diagnostics.push({
      code: "GITLEAKS_NO_USABLE_RULES" satisfies GitleaksCode, severity: "error",
      message: `${rulesIn.length === 1 ? "the config's only rule cannot" : `none of the config's ${rulesIn.length} rules can`} be imported (the warning${rulesIn.length === 1 ? "" : "s"} above say${rulesIn.length === 1 ? "s" : ""} why), so nothing would be scanned`,
      span: { file, line: headers?.[0] ?? 1, col: 1 },
      help: "fix the rules the warnings name (a regex the scanner rejects, a non-string regex, a path-only or path-restricted rule), or drop this --rules file",
    });
  }
  const kept = new Set(rules.map((r) => r.id));
  const skipped = rulesIn.map((r, i) => (typeof r.id === "string" && r.id !== "" ? r.id : `rule-${i + 1}`)).filter((id) => !kept.has(`gitleaks.${id}`));
  return { rules, total: rulesIn.length, skipped, diagnostics };
}

/** The line where the first `regex =` at or after `from` (the rule's header line) begins its text, else `from`. */
function regexLine(source: string, from: number): number {
  const all = source.split("\n");
  for (let i = from - 1; i < all.length; i++) {
    if (i > from - 1 && /^\s*\[/.test(all[i] as string)) break; // the next table: this rule has no regex key
    // A multi-line string whose opening quotes end the line starts on the next line (TOML trims that newline).
    if (/^\s*regex\s*=/.test(all[i] as string)) return /=\s*(?:'''|""")\s*$/.test(all[i] as string) ? i + 2 : i + 1;
  }
  return from;
}

/**
 * Drops rules (and allowlist regexes) the scanner's parser rejects, with a diagnostic naming the construct
 * and column, at the line of the rule's `regex` (`lines`). Parsing is cheap; the automata are built once,
 * later, by `compilePacks`.
 */
function keepCompilable(rules: LoadedRule[], file: string, lines: ReadonlyMap<string, number>, diagnostics: Diagnostic[]): LoadedRule[] {
  const kept: LoadedRule[] = [];
  for (const r of rules) {
    const res = parseRegex(r.pattern);
    if (res.ok) {
      kept.push(r);
      continue;
    }
    const { line, col } = lineCol(r.pattern, res.error.offset);
    const d: Diagnostic = {
      code: res.error.code, severity: "warning",
      message: `rule \`${r.id.replace(/^gitleaks\./, "")}\`: ${res.error.message} at ${line > 1 ? `line ${line} ` : ""}column ${col} of its regex (rule not imported)`,
      // The regex's own line when it spans several (a multi-line literal starts on the key's line or the next).
      span: { file, line: (lines.get(r.id) ?? 1) + line - 1, col: 1, path: `rules.${r.id.replace(/^gitleaks\./, "")}.regex` },
    };
    if (res.error.help !== undefined) d.help = res.error.help;
    diagnostics.push(d);
  }
  const rejected = new Set<string>();
  // Each distinct regex once, at the first rule that uses it (a global allowlist's are on every rule).
  const firstUse = new Map<string, string>();
  for (const r of kept) for (const a of r.allowlists ?? []) for (const re of a.regexes) if (!firstUse.has(re)) firstUse.set(re, r.id);
  for (const [re, id] of firstUse) {
    const res = parseRegex(re);
    if (res.ok) continue;
    rejected.add(re);
    diagnostics.push({ code: "GITLEAKS_ALLOWLIST_REGEX_SKIPPED" satisfies GitleaksCode, severity: "warning", message: `allowlist regex \`${re}\` (rule \`${id.replace(/^gitleaks\./, "")}\`) is not supported: ${res.error.message} at column ${res.error.offset + 1}`, span: { file, line: lines.get(id) ?? 1, col: 1 } });
  }
  if (rejected.size > 0) {
    for (const r of kept) {
      if (!r.allowlists) continue;
      // An "AND" allowlist whose regexes all went cannot be checked as gitleaks would: it is not applied (its
      // stopwords alone would suppress more than gitleaks does).
      const lists = r.allowlists.map((a) => ({ ...a, regexes: a.regexes.filter((re) => !rejected.has(re)) })).filter((a) => a.condition !== "AND" || a.regexes.length > 0);
      const usable = lists.filter((a) => a.regexes.length > 0 || a.stopwords.length > 0);
      if (usable.length > 0) r.allowlists = usable;
      else delete r.allowlists;
    }
  }
  return kept;
}
