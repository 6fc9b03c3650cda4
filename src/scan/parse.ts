// Regex parser for the documented subset (RE2/Go and Rust syntax, JS-compatible escapes) into a RegexNode tree.
// Flags are applied while parsing; unsupported constructs stop the parse with a coded error and an offset.

import type { AssertKind, RegexNode } from "./ast.js";
import { EMPTY } from "./ast.js";
import { ANY, ANY_BUT_NEWLINE, type CharSet, DIGIT, SPACE, WORD, setFromRanges, setNegate, setUnion } from "./charset.js";
import type { ScanErrorCode } from "./errors.js";
import { POSIX_CLASSES, caseClose, unicodeProperty } from "./unicode.js";

export interface ParseFailure {
  code: ScanErrorCode;
  message: string;
  /** 0-based offset into the pattern text. */
  offset: number;
  help?: string;
}

export type ParseResult = { ok: true; node: RegexNode } | { ok: false; error: ParseFailure };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
}

/** The largest count accepted in `{m,n}` (RE2 stops at 1000, Rust goes higher; noseyparker uses 1024). */
export const MAX_REPEAT = 2000;

class Fail extends Error {
  constructor(readonly failure: ParseFailure) {
    super(failure.message);
  }
}

function fail(code: ScanErrorCode, offset: number, message: string, help?: string): never {
  throw new Fail(help === undefined ? { code, message, offset } : { code, message, offset, help });
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

export function parseRegex(src: string, options: { caseInsensitive?: boolean } = {}): ParseResult {
  const p = new Parser(src);
  try {
    const node = p.parseAlt({ i: options.caseInsensitive === true, m: false, s: false, x: false });
    if (p.pos < src.length) fail("SCAN_SYNTAX", p.pos, "unmatched `)`", "remove it or escape it as `\\)`");
    return { ok: true, node };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: e.failure };
    throw e;
  }
}

/** Deepest group nesting accepted (the tree is processed recursively downstream). */
export const MAX_NESTING = 200;

class Parser {
  pos = 0;
  private depth = 0;
  constructor(readonly src: string) {}

  private peek(k = 0): string | undefined {
    return this.src[this.pos + k];
  }

  /** In verbose mode, whitespace and `#` comments between tokens are ignored. */
  private skipVerbose(f: Flags): void {
    if (!f.x) return;
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v") this.pos++;
      else if (c === "#") {
        while (this.pos < this.src.length && this.src[this.pos] !== "\n") this.pos++;
      } else return;
    }
  }

  parseAlt(flags: Flags): RegexNode {
    const f = { ...flags }; // inline flags last to the end of the enclosing group, across `|`
    const branches: RegexNode[] = [this.parseSeq(f)];
    while (this.peek() === "|") {
      this.pos++;
      branches.push(this.parseSeq(f));
    }
    return branches.length === 1 ? (branches[0] as RegexNode) : { t: "alt", items: branches };
  }

  private parseSeq(f: Flags): RegexNode {
    const items: RegexNode[] = [];
    for (;;) {
      this.skipVerbose(f);
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") break;
      const start = this.pos;
      const atom = this.parseAtom(f);
      if (atom === null) continue; // a flag group like `(?i)`
      items.push(this.parseQuantifiers(atom, f, start));
    }
    if (items.length === 0) return EMPTY;
    return items.length === 1 ? (items[0] as RegexNode) : { t: "cat", items };
  }

  private parseQuantifiers(atom: RegexNode, f: Flags, start: number): RegexNode {
    let node = atom;
    let quantified = false;
    for (;;) {
      this.skipVerbose(f);
      const at = this.pos;
      const q = this.readQuantifier();
      if (q === null) return node;
      if (quantified) fail("SCAN_SYNTAX", at, "a quantifier follows another quantifier", "wrap the repeated part in `(?:..)`");
      quantified = true;
      if (q.max >= 0 && q.max < q.min) fail("SCAN_SYNTAX", at, `repeat \`{${q.min},${q.max}}\` has its maximum below its minimum`);
      if (q.min > MAX_REPEAT || q.max > MAX_REPEAT)
        fail("SCAN_REPEAT_TOO_LARGE", at, `repeat count above ${MAX_REPEAT}`, "use a smaller bound or `+`/`*`");
      // Laziness (`*?`) does not change which strings match; the scanner's semantics do not depend on it.
      if (this.peek() === "?") this.pos++;
      else if (this.peek() === "+") fail("SCAN_POSSESSIVE", this.pos, "possessive quantifier", "drop the trailing `+`");
      node = { t: "rep", item: node, min: q.min, max: q.max };
      void start;
    }
  }

  private readQuantifier(): { min: number; max: number } | null {
    const c = this.peek();
    if (c === "*") return this.pos++, { min: 0, max: -1 };
    if (c === "+") return this.pos++, { min: 1, max: -1 };
    if (c === "?") return this.pos++, { min: 0, max: 1 };
    if (c !== "{") return null;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos, this.pos + 24));
    if (!m) return null; // a literal `{`, as in RE2
    this.pos += m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" || m[3] === undefined ? -1 : Number(m[3]);
    return { min, max };
  }

  /** One atom; null for a pure flag group. */
  private parseAtom(f: Flags): RegexNode | null {
    const start = this.pos;
    const c = this.src[this.pos++] as string;
    switch (c) {
      case "(":
        return this.parseGroup(f, start);
      case "[":
        return { t: "set", set: this.parseClass(f, start) };
      case ".":
        return { t: "set", set: f.s ? ANY : ANY_BUT_NEWLINE };
      case "^":
        return { t: "assert", kind: f.m ? "mbol" : "bol" };
      case "$":
        return { t: "assert", kind: f.m ? "meol" : "eol" };
      case "\\":
        return this.parseEscape(f, start);
      case "*":
      case "+":
      case "?":
        return fail("SCAN_SYNTAX", start, `nothing to repeat before \`${c}\``, `escape it as \`\\${c}\``);
      case "{":
        this.pos--;
        if (this.readQuantifier() !== null) fail("SCAN_SYNTAX", start, "nothing to repeat before `{`", "escape it as `\\{`");
        this.pos = start + 1;
        return this.literal("{", f);
      default: {
        const code = c.charCodeAt(0);
        const lo = this.src.charCodeAt(this.pos);
        if (code >= 0xd800 && code <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
          this.pos++;
          return { t: "cat", items: [{ t: "set", set: [code, code] }, { t: "set", set: [lo, lo] }] };
        }
        return this.literal(c, f);
      }
    }
  }

  private literal(c: string, f: Flags): RegexNode {
    const code = c.charCodeAt(0);
    return { t: "set", set: f.i ? caseClose([code, code]) : [code, code] };
  }

  private parseGroup(f: Flags, start: number): RegexNode | null {
    if (++this.depth > MAX_NESTING) fail("SCAN_SYNTAX", start, `groups nested deeper than ${MAX_NESTING}`, "flatten the pattern");
    try {
      return this.parseGroupInner(f, start);
    } finally {
      this.depth--;
    }
  }

  private parseGroupInner(f: Flags, start: number): RegexNode | null {
    if (this.peek() !== "?") return this.groupBody(f, start);
    this.pos++;
    const rest = this.src.slice(this.pos, this.pos + 3);
    if (rest.startsWith(":")) return this.pos++, this.groupBody(f, start);
    if (rest.startsWith("=") || rest.startsWith("!"))
      fail("SCAN_LOOKAHEAD", start, `lookahead \`(?${rest[0]}\``, "match the following text as a plain suffix instead");
    if (rest.startsWith("<=") || rest.startsWith("<!"))
      fail("SCAN_LOOKBEHIND", start, `lookbehind \`(?${rest.slice(0, 2)}\``, "match the preceding text as a plain prefix or use `\\b`");
    if (rest.startsWith(">")) fail("SCAN_ATOMIC_GROUP", start, "atomic group `(?>`", "use a plain group `(?:..)`");
    if (rest.startsWith("P=")) fail("SCAN_BACKREFERENCE", start, "named backreference `(?P=`");
    if (rest.startsWith("P>") || rest.startsWith("(") || rest.startsWith("R") || /^[+\-]?\d/.test(rest) && !/^-[imsxU]/.test(rest))
      fail("SCAN_CONDITIONAL", start, "conditional or recursive group");
    if (rest.startsWith("#")) {
      const close = this.src.indexOf(")", this.pos);
      if (close < 0) fail("SCAN_SYNTAX", start, "unterminated comment group `(?#`");
      this.pos = close + 1;
      return null;
    }
    const named = /^(?:P?<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)')/.exec(this.src.slice(this.pos, this.pos + 80));
    if (named) {
      this.pos += named[0].length;
      return this.groupBody(f, start);
    }
    if (rest.startsWith("P<") || rest.startsWith("<"))
      fail("SCAN_SYNTAX", start, "invalid capture group name", "names are letters, digits and `_`, not starting with a digit");
    // inline flags: (?flags) or (?flags:...)
    const fm = /^([A-Za-z]*)(?:-([A-Za-z]*))?([:)])/.exec(this.src.slice(this.pos, this.pos + 20));
    if (!fm) fail("SCAN_SYNTAX", start, "malformed group `(?`");
    const nf: Flags = { ...f };
    for (const [letters, on] of [[fm[1] ?? "", true], [fm[2] ?? "", false]] as const) {
      for (let k = 0; k < letters.length; k++) {
        const l = letters[k] as string;
        if (l === "i" || l === "m" || l === "s" || l === "x") nf[l] = on;
        else if (l !== "U")
          fail("SCAN_UNKNOWN_FLAG", this.pos + k, `unknown inline flag \`${l}\``, "supported flags are `i`, `m`, `s`, `x` (and `U`, which changes nothing here)");
      }
    }
    this.pos += fm[0].length;
    if (fm[3] === ")") {
      Object.assign(f, nf); // applies to the rest of the enclosing group
      return null;
    }
    return this.groupEnd(this.parseAlt(nf), start);
  }

  private groupBody(f: Flags, start: number): RegexNode {
    return this.groupEnd(this.parseAlt(f), start);
  }

  private groupEnd(node: RegexNode, start: number): RegexNode {
    if (this.peek() !== ")") fail("SCAN_SYNTAX", start, "unclosed group `(`", "add the missing `)`");
    this.pos++;
    return node;
  }

  private parseEscape(f: Flags, start: number): RegexNode {
    const c = this.src[this.pos];
    if (c === undefined) fail("SCAN_SYNTAX", start, "trailing backslash", "escape it as `\\\\`");
    const assertions: Record<string, AssertKind> = { b: "wb", B: "nwb", A: "bol", z: "eol" };
    const a = assertions[c];
    if (a) return this.pos++, { t: "assert", kind: a };
    if (c === "Q") {
      const end = this.src.indexOf("\\E", this.pos + 1);
      const text = this.src.slice(this.pos + 1, end < 0 ? undefined : end);
      this.pos = end < 0 ? this.src.length : end + 2;
      const items = [...text].map((ch) => this.literal(ch, f));
      return items.length === 1 ? (items[0] as RegexNode) : { t: "cat", items };
    }
    const set = this.parseEscapeSet(start, false);
    if (typeof set === "number") return this.unit(set, f, start);
    return { t: "set", set };
  }

  private unit(code: number, f: Flags, start: number): RegexNode {
    if (code > 0xffff) {
      const hi = 0xd800 + ((code - 0x10000) >> 10);
      const lo = 0xdc00 + ((code - 0x10000) & 0x3ff);
      return { t: "cat", items: [{ t: "set", set: [hi, hi] }, { t: "set", set: [lo, lo] }] };
    }
    void start;
    return { t: "set", set: f.i ? caseClose([code, code]) : [code, code] };
  }

  /** An escape after `\` (pos at the letter): a code point (number) or a class. */
  private parseEscapeSet(start: number, inClass: boolean): number | CharSet {
    const c = this.src[this.pos++] as string;
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, a: 7, e: 27 };
    if (simple[c] !== undefined) return simple[c] as number;
    switch (c) {
      case "d":
        return DIGIT;
      case "D":
        return setNegate(DIGIT);
      case "w":
        return WORD;
      case "W":
        return setNegate(WORD);
      case "s":
        return SPACE;
      case "S":
        return setNegate(SPACE);
      case "p":
      case "P":
        return this.parseProperty(c === "P", start);
      case "x":
        return this.parseHex(start, 2);
      case "u":
        return this.parseHex(start, 4);
      case "U":
        return this.parseHex(start, 8);
      case "0": {
        const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos)) as RegExpExecArray;
        this.pos += m[0].length;
        return parseInt(`0${m[0]}`, 8);
      }
      case "b":
        if (inClass) return 8;
        break;
      case "k":
        fail("SCAN_BACKREFERENCE", start, "named backreference `\\k`", "backreferences need backtracking; match the text explicitly");
    }
    if (/[1-9]/.test(c))
      fail("SCAN_BACKREFERENCE", start, `backreference \`\\${c}\``, "backreferences need backtracking; match the text explicitly");
    if (/[A-Za-z0-9]/.test(c)) {
      const help = c === "Z" ? "use `\\z` or `$`" : "escape only punctuation; see the supported escapes in docs";
      fail("SCAN_UNSUPPORTED_ESCAPE", start, `unsupported escape \`\\${c}\``, help);
    }
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdbff) fail("SCAN_ASTRAL_CHAR", start, "escaped character above U+FFFF");
    return code;
  }

  private parseHex(start: number, digits: number): number {
    let hex: string;
    if (this.peek() === "{") {
      const close = this.src.indexOf("}", this.pos);
      hex = close < 0 ? "" : this.src.slice(this.pos + 1, close);
      if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) fail("SCAN_SYNTAX", start, "malformed hex escape `\\x{..}`");
      this.pos = close + 1;
    } else {
      hex = this.src.slice(this.pos, this.pos + digits);
      if (hex.length !== digits || ![...hex].every(isHex))
        fail("SCAN_SYNTAX", start, `malformed hex escape: expected ${digits} hex digits`);
      this.pos += digits;
    }
    const v = parseInt(hex, 16);
    if (v > 0x10ffff) fail("SCAN_SYNTAX", start, "code point above U+10FFFF");
    return v;
  }

  private parseProperty(negated: boolean, start: number): CharSet {
    let name: string;
    if (this.peek() === "{") {
      const close = this.src.indexOf("}", this.pos);
      if (close < 0) fail("SCAN_SYNTAX", start, "unterminated `\\p{`");
      name = this.src.slice(this.pos + 1, close);
      this.pos = close + 1;
    } else name = this.src[this.pos++] ?? "";
    if (name.startsWith("^")) {
      negated = !negated;
      name = name.slice(1);
    }
    const set = name === "Any" ? ANY : unicodeProperty(name);
    if (!set) fail("SCAN_UNKNOWN_PROPERTY", start, `unknown unicode property \`${name}\``, "use a general category (`L`, `Lu`, `N`) or a script (`Greek`)");
    return negated ? setNegate(set) : set;
  }

  private parseClass(f: Flags, start: number): CharSet {
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.pos++;
    }
    const ranges: number[] = [];
    const sets: CharSet[] = [];
    let first = true;
    for (;;) {
      if (f.x) while (/^[ \t\n\r\f\v]$/.test(this.peek() ?? "")) this.pos++;
      const c = this.peek();
      if (c === undefined) fail("SCAN_SYNTAX", start, "unterminated character class `[`", "add the missing `]`");
      if (c === "]" && !first) {
        this.pos++;
        break;
      }
      first = false;
      const itemStart = this.pos;
      const lo = this.classAtom(f, start);
      if (typeof lo !== "number") {
        if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined)
          fail("SCAN_BAD_RANGE", itemStart, "a class range starts with a class", "escape the `-` as `\\-` or move it to the end");
        sets.push(lo);
        continue;
      }
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.pos++;
        const hi = this.classAtom(f, start);
        if (typeof hi !== "number") fail("SCAN_BAD_RANGE", itemStart, "a class range ends in a class");
        if (hi < lo) fail("SCAN_BAD_RANGE", itemStart, `class range \`${this.src.slice(itemStart, this.pos)}\` is reversed`);
        ranges.push(lo, hi);
      } else ranges.push(lo, lo);
    }
    let set = setFromRanges(ranges);
    if (f.i) set = caseClose(set);
    for (const s of sets) set = setUnion(set, s);
    return negated ? setNegate(set) : set;
  }

  /** One class member: a code unit or a nested class (`\d`, `[:alpha:]`, `\p{L}`). */
  private classAtom(f: Flags, classStart: number): number | CharSet {
    const start = this.pos;
    const c = this.src[this.pos++] as string;
    if (c === "[" && this.peek() === ":") {
      const m = /^:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos, this.pos + 16));
      if (m) {
        const set = POSIX_CLASSES[m[2] as string];
        if (!set) fail("SCAN_UNKNOWN_POSIX_CLASS", start, `unknown posix class \`[:${m[2]}:]\``);
        this.pos += m[0].length;
        return m[1] ? setNegate(set) : set;
      }
    }
    if (c === "\\") {
      if (this.peek() === undefined) fail("SCAN_SYNTAX", classStart, "unterminated character class `[`");
      const v = this.parseEscapeSet(start, true);
      if (typeof v === "number" && v > 0xffff) fail("SCAN_ASTRAL_CHAR", start, "class member above U+FFFF", "list it outside the class as an alternative");
      return v;
    }
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdbff) fail("SCAN_ASTRAL_CHAR", start, "class member above U+FFFF", "list it outside the class as an alternative");
    void f;
    return code;
  }
}
