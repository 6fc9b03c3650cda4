// Parses policy text (YAML 1.2 or JSON) into plain data plus a map from data paths to source offsets.
import { CHOMPING_MODE, EVENT_ID, getScalarValue, parseEvents, type Event, type ScalarEvent } from "js-yaml";
import type { Diagnostic, SourceSpan } from "../diagnostics.js";
import { parseLenient } from "./source-lenient.js";
import { resolvePlainScalar } from "./yaml-scalars.js";

/** Plain data as parsed, with positions: `positions.get("rules.0.when")` is the offset where that value starts. */
export interface ParsedSource {
  file: string;
  text: string;
  value: unknown;
  positions: Map<string, number>;
  /** Offsets of mapping keys (for "unknown field" errors): `keyPositions.get("rules.0.verdct")`. */
  keyPositions: Map<string, number>;
  /** Exact source text of numeric scalars, so thresholds compare as written, not as rounded doubles. */
  numberText: Map<string, string>;
  diagnostics: Diagnostic[];
}

/** Joins a data path: `joinPath("rules", 0)` is `rules.0`. */
export function joinPath(base: string, key: string | number): string {
  return base === "" ? String(key) : `${base}.${key}`;
}

// js-yaml's event parser (no document tree, offsets only) compiles a 100 KiB, 500-rule policy in a fresh process in
// about a fifth of the time the `yaml` package's document parser took (measured: 50-60 ms against 250-320 ms), and
// offsets become line:col only when a diagnostic needs one.
const { SEQUENCE, MAPPING, SCALAR, ALIAS, POP, DOCUMENT } = EVENT_ID;
const STYLE_PLAIN = 1;
const STYLE_SINGLE_QUOTED = 2;
const STYLE_DOUBLE_QUOTED = 3;
const STYLE_LITERAL = 4;
const STYLE_FOLDED = 5;
/** Tags that only restate what a node already is; any other tag is refused (policies spell values out). */
const STR_TAGS: ReadonlySet<string> = new Set(["!", "!!str", "!<tag:yaml.org,2002:str>"]);
const MAP_TAGS: ReadonlySet<string> = new Set(["!", "!!map", "!<tag:yaml.org,2002:map>"]);
const SEQ_TAGS: ReadonlySet<string> = new Set(["!", "!!seq", "!<tag:yaml.org,2002:seq>"]);

export function parseSource(text: string, file: string): ParsedSource {
  const out = emptySource(text, file);
  try {
    new EventReader(out, parseEvents(text, { filename: file })).readStream();
    return out;
  } catch {
    // The `yaml` package reads what the strict parser refuses (a YAMLException) and the few texts where the two
    // are known to disagree (Decline); its errors are the ones users know. Anything else thrown would be a parser
    // fault: the other reading decides that text too.
    const lenient = emptySource(text, file);
    parseLenient(lenient, (offset, message, help, code, severity) => syntaxError(lenient, offset, message, help, code, severity));
    return lenient;
  }
}

function emptySource(text: string, file: string): ParsedSource {
  return { file, text, value: undefined, positions: new Map(), keyPositions: new Map(), numberText: new Map(), diagnostics: [] };
}

function syntaxError(out: ParsedSource, offset: number, message: string, help?: string, code = "SYNTAX_ERROR", severity: "error" | "warning" = "error", path?: string): void {
  const d: Diagnostic = { code, severity, message, span: offsetSpan(out, offset, path) };
  if (help !== undefined) d.help = help;
  out.diagnostics.push(d);
}

/** Thrown where js-yaml reads a text differently from the `yaml` package: that text is read by the latter. */
class Decline extends Error {}

/** `\U` escapes, skipping escaped backslashes: js-yaml turns one above U+10FFFF into garbage instead of refusing it. */
const LONG_ESCAPE = /\\(?:U([0-9A-Fa-f]{8})|[^])/g;
/** A block scalar's header at the end of its line: the indicator, chomping / indentation, an optional comment. */
const BLOCK_HEADER = /[|>][-+1-9]{0,2}[ \t]*(?:#.*)?$/;

/** Builds plain data from the event stream, recording where each value and key starts. */
class EventReader {
  private i = 0;
  /** The last source offset seen: where an empty scalar (which has none) is reported. */
  private last = 0;

  constructor(
    private readonly out: ParsedSource,
    private readonly events: Event[],
  ) {}

  readStream(): void {
    const events = this.events;
    if (events.length === 0) {
      this.out.value = null; // an empty file: the validator says what a policy needs
      return;
    }
    const doc = events[this.i++];
    if (doc === undefined || doc.type !== DOCUMENT) return syntaxError(this.out, 0, "expected a yaml document");
    for (const d of doc.directives) {
      if (d.kind === "yaml" && d.version === "1.2") continue;
      return syntaxError(
        this.out,
        0,
        d.kind === "yaml" ? `policies are yaml 1.2, this file declares \`%YAML ${d.version}\`` : "`%TAG` directives are not supported in policies",
        "remove the directive",
      );
    }
    this.out.value = this.read("");
    this.i++; // the document's POP
    if (this.i < events.length && this.out.diagnostics.length === 0) {
      const marker = this.text.indexOf("\n---", this.last);
      syntaxError(this.out, marker >= 0 ? marker + 1 : this.last, "the policy text holds more than one yaml document", "keep one policy per file (use `extends` to share rules)");
    }
  }

  /** The source offset of the first event from the cursor on that has one (else the end of the text). */
  private nextOffset(): number {
    for (let j = this.i; j < this.events.length; j++) {
      const e = this.events[j] as Event;
      const o = e.type === SCALAR ? e.valueStart : e.type === MAPPING || e.type === SEQUENCE ? e.start : e.type === ALIAS ? e.anchorStart : -1;
      if (o >= 0) return o;
    }
    return this.text.length;
  }

  private get text(): string {
    return this.out.text;
  }

  /** Remembers a known offset (negative: none) and returns the offset to report. */
  private at(offset: number): number {
    if (offset >= 0) this.last = offset;
    return this.last;
  }

  /** Where a scalar starts as a user reads it: its opening quote, its block header's indicator. */
  private scalarStart(e: ScalarEvent): number {
    // An empty scalar has no offset: its tag or anchor if it has one, else the last place seen (its key).
    if (e.valueStart < 0) return this.at(e.tagStart >= 0 ? e.tagStart : e.anchorStart >= 0 ? e.anchorStart - 1 : -1);
    if (e.style === STYLE_SINGLE_QUOTED || e.style === STYLE_DOUBLE_QUOTED) return this.at(e.valueStart - 1);
    if (e.style === STYLE_LITERAL || e.style === STYLE_FOLDED) {
      // The header is on the last line before the content that is not blank.
      const text = this.text;
      let lineEnd = text.lastIndexOf("\n", e.valueStart - 1);
      while (lineEnd > 0) {
        const lineStart = text.lastIndexOf("\n", lineEnd - 1) + 1;
        const line = text.slice(lineStart, lineEnd).replace(/\r$/, "");
        if (line.trim() !== "") {
          const m = BLOCK_HEADER.exec(line);
          return this.at(m ? lineStart + m.index : e.valueStart);
        }
        lineEnd = lineStart - 1;
      }
    }
    return this.at(e.valueStart);
  }

  /** Reads the node at the cursor (and its children); records its start under `path`. */
  private read(path: string): unknown {
    const e = this.events[this.i++] as Event;
    switch (e.type) {
      case SCALAR: {
        this.out.positions.set(path, this.scalarStart(e));
        return this.scalar(e, path);
      }
      case MAPPING: {
        this.out.positions.set(path, this.at(e.start));
        if (!this.tagAllowed(e.tagStart, e.tagEnd, MAP_TAGS)) return this.skipCollection();
        return this.mapping(path);
      }
      case SEQUENCE: {
        this.out.positions.set(path, this.at(e.start));
        if (!this.tagAllowed(e.tagStart, e.tagEnd, SEQ_TAGS)) return this.skipCollection();
        const items: unknown[] = [];
        while ((this.events[this.i] as Event).type !== POP) items.push(this.read(joinPath(path, items.length)));
        this.i++;
        return items;
      }
      case ALIAS: {
        const start = this.at(e.anchorStart - 1);
        this.out.positions.set(path, start);
        // Aliases could multiply a small file into a huge policy (billion laughs); policies spell things out.
        syntaxError(this.out, start, "yaml aliases (`*name`) are not supported in policies", "write the value out, or use `lists:` / rule groups to share it", undefined, undefined, path);
        return null;
      }
      default:
        syntaxError(this.out, this.last, "unexpected structure in the yaml event stream");
        return null;
    }
  }

  private scalar(e: ScalarEvent, path: string): unknown {
    this.checkAgreement(e);
    const raw = getScalarValue(this.text, e);
    if (e.tagStart >= 0) return this.tagAllowed(e.tagStart, e.tagEnd, STR_TAGS, "write the value without a tag; quote it to make it a string") ? raw : null;
    if (e.style !== STYLE_PLAIN) return raw;
    const value = resolvePlainScalar(raw);
    if (typeof value === "number") this.out.numberText.set(path, raw);
    return value;
  }

  /**
   * Declines the scalars js-yaml 5.5 reads differently from the `yaml` package (found by comparing the two):
   * `\U` escapes above U+10FFFF (garbage instead of an error), an escaped line break in double quotes followed
   * by a blank line, and keep chomping (`|+`, `>+`) at the end of a text without a final line break.
   */
  private checkAgreement(e: ScalarEvent): void {
    if (e.style === STYLE_DOUBLE_QUOTED && e.valueStart >= 0) {
      const src = this.text.slice(e.valueStart, e.valueEnd);
      if (src.includes("\\")) {
        if (/\\\r?\n/.test(src)) throw new Decline();
        for (const m of src.matchAll(LONG_ESCAPE)) if (m[1] !== undefined && parseInt(m[1], 16) > 0x10ffff) throw new Decline();
      }
    } else if ((e.style === STYLE_LITERAL || e.style === STYLE_FOLDED) && e.chomping === CHOMPING_MODE.KEEP && !this.text.endsWith("\n")) {
      throw new Decline();
    }
  }

  /** Whether a node's tag (if any) is one that restates its kind; any other is reported. */
  private tagAllowed(tagStart: number, tagEnd: number, allowed: ReadonlySet<string>, help = "write the value without a tag"): boolean {
    if (tagStart < 0) return true;
    const tag = this.text.slice(tagStart, tagEnd);
    if (allowed.has(tag)) return true;
    syntaxError(this.out, tagStart, `yaml tag \`${tag}\` is not supported in policies`, help);
    return false;
  }

  private mapping(path: string): Record<string, unknown> {
    // Keys are defined, never assigned, so `__proto__` stays plain data (and values stay printable).
    const obj: Record<string, unknown> = {};
    const seen = new Set<string>();
    while ((this.events[this.i] as Event).type !== POP) {
      const k = this.events[this.i] as Event;
      let key: string | undefined;
      let keyStart: number;
      if (k.type === SCALAR && k.tagStart < 0 && k.anchorStart < 0 && k.valueStart >= 0) {
        this.i++;
        keyStart = this.scalarStart(k);
        const raw = getScalarValue(this.text, k);
        key = k.style === STYLE_PLAIN ? String(resolvePlainScalar(raw)) : raw;
      } else {
        const empty = k.type === SCALAR && k.valueStart < 0;
        // Where the key starts; a missing key (no offset) at its `:`, the last one before its value.
        const next = this.nextOffset();
        keyStart = empty ? this.text.lastIndexOf(":", next) : next;
        if (keyStart < 0) keyStart = this.last;
        this.read(joinPath(path, "?"));
        syntaxError(
          this.out,
          keyStart,
          empty ? "a mapping key is missing (a `:` with nothing before it)" : "mapping keys in a policy must be plain values (no lists, mappings, tags, anchors or aliases as keys)",
          empty ? "write the key before the `:`, or remove the stray `:`" : undefined,
        );
      }
      const childPath = key === undefined ? joinPath(path, "?") : joinPath(path, key);
      const value = this.read(childPath);
      if (key === undefined) continue;
      this.out.keyPositions.set(childPath, keyStart);
      if (seen.has(key)) {
        syntaxError(this.out, keyStart, `map keys must be unique: \`${key}\` appears twice`, "remove or rename one of them", "DUPLICATE_KEY");
        continue;
      }
      seen.add(key);
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    }
    this.i++;
    return obj;
  }

  /** Skips a refused collection's events. */
  private skipCollection(): null {
    let depth = 1;
    while (depth > 0) {
      const t = (this.events[this.i++] as Event).type;
      if (t === POP) depth--;
      else if (t === MAPPING || t === SEQUENCE) depth++;
    }
    return null;
  }
}

/** Offsets of the start of each line, computed once per source (only diagnostics need them). */
const lineStarts = new WeakMap<ParsedSource, number[]>();

export function offsetSpan(src: ParsedSource, offset: number, path?: string): SourceSpan {
  let starts = lineStarts.get(src);
  if (starts === undefined) {
    starts = [0];
    const text = src.text;
    // Line breaks as YAML counts them: \n, \r\n, and a lone \r.
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) starts.push(i + 1);
    }
    lineStarts.set(src, starts);
  }
  // The last line start at or before the offset.
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  const line = lo + 1;
  const col = Math.max(offset - (starts[lo] as number), 0) + 1;
  return path === undefined ? { file: src.file, line, col } : { file: src.file, line, col, path };
}

/** The best position for a path: the path itself, else its nearest ancestor. */
export function spanFor(src: ParsedSource, path: string, preferKey = false): SourceSpan {
  let p = path;
  for (;;) {
    const offset = (preferKey ? src.keyPositions.get(p) : undefined) ?? src.positions.get(p);
    if (offset !== undefined) return offsetSpan(src, offset, path);
    if (p === "") return { file: src.file, line: 1, col: 1, path };
    const i = p.lastIndexOf(".");
    p = i < 0 ? "" : p.slice(0, i);
  }
}
