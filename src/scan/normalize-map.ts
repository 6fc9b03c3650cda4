// The offset map of a normalized text (segments of identity offsets and replaced pieces), the builder that
// produces it in one pass, and the composition of two maps. Pure; used by normalize.ts.
import type { NormalizedText } from "./normalize.js";

const ALNUM = /[\p{L}\p{N}]/u;
const SPACE = /\s/u;
const LONE_BREAK = /[\t-\r]/g;

export function isAlnum(cp: number): boolean {
  if (cp < 0x80) return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  return ALNUM.test(String.fromCodePoint(cp));
}

export function isSpace(cp: number): boolean {
  if (cp < 0x80) return cp === 32 || (cp >= 9 && cp <= 13);
  return SPACE.test(String.fromCodePoint(cp));
}

/**
 * The offset map as segments: segment k covers normalized units [segNorm[k], segNorm[k+1]). An identity
 * segment maps unit i to [segOrig[k] + (i - segNorm[k]), +1); a piece segment maps all its units to
 * [segOrig[k], segEnd[k]).
 */
export class SegmentedText implements NormalizedText {
  private materialized: { starts: Int32Array; ends: Int32Array } | null = null;

  constructor(
    readonly text: string,
    readonly originalLength: number,
    readonly segNorm: ArrayLike<number>,
    readonly segOrig: ArrayLike<number>,
    readonly segEnd: ArrayLike<number>,
    readonly segIdentity: ArrayLike<number>,
  ) {}

  /** Index of the segment holding normalized unit i (0 <= i < text.length). */
  segmentOf(i: number): number {
    let lo = 0;
    let hi = this.segNorm.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.segNorm[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  startOf(i: number): number {
    const k = this.segmentOf(i);
    return this.segIdentity[k] === 1 ? (this.segOrig[k] as number) + (i - (this.segNorm[k] as number)) : (this.segOrig[k] as number);
  }

  endOf(i: number): number {
    const k = this.segmentOf(i);
    return this.segIdentity[k] === 1 ? (this.segOrig[k] as number) + (i - (this.segNorm[k] as number)) + 1 : (this.segEnd[k] as number);
  }

  private materialize(): { starts: Int32Array; ends: Int32Array } {
    if (this.materialized) return this.materialized;
    const n = this.text.length;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    for (let k = 0; k < this.segNorm.length; k++) {
      const from = this.segNorm[k] as number;
      const to = k + 1 < this.segNorm.length ? (this.segNorm[k + 1] as number) : n;
      for (let i = from; i < to; i++) {
        starts[i] = this.segIdentity[k] === 1 ? (this.segOrig[k] as number) + (i - from) : (this.segOrig[k] as number);
        ends[i] = this.segIdentity[k] === 1 ? (starts[i] as number) + 1 : (this.segEnd[k] as number);
      }
    }
    this.materialized = { starts, ends };
    return this.materialized;
  }

  get starts(): Int32Array {
    return this.materialize().starts;
  }

  get ends(): Int32Array {
    return this.materialize().ends;
  }
}

/** Output builder: text parts plus the segment list of the offset map. */
export class Emitter {
  private readonly parts: string[] = [];
  private readonly segNorm: number[] = [];
  private readonly segOrig: number[] = [];
  private readonly segEnd: number[] = [];
  private readonly segIdentity: number[] = [];
  /** Normalized length so far. */
  n = 0;
  /** End (in the original) of the identity-offset segment being extended, or -1. */
  private runTo = -1;
  /** Original text [pendFrom, pendTo) still to be copied into `parts`. */
  private pendFrom = -1;
  private pendTo = -1;
  /** The last unit written is a collapsed white-space run (so more white space extends it). */
  inSpace = false;
  /** When that space was written with identity offsets: its original offset, else -1. */
  private spaceAt = -1;

  constructor(
    private readonly original: string,
    private readonly collapse: boolean,
    private readonly squash: boolean,
  ) {}

  private flushText(): void {
    if (this.pendFrom >= 0) this.parts.push(this.original.slice(this.pendFrom, this.pendTo));
    this.pendFrom = -1;
    this.pendTo = -1;
  }

  /** Identity offsets for original units [from, to): extend the current identity segment or open one. */
  private offsetsIdentity(from: number, to: number): void {
    if (this.runTo !== from) {
      this.segNorm.push(this.n);
      this.segOrig.push(from);
      this.segEnd.push(-1);
      this.segIdentity.push(1);
    }
    this.runTo = to;
    this.n += to - from;
  }

  /** Original units [from, to) kept as they are. */
  private identity(from: number, to: number): void {
    this.offsetsIdentity(from, to);
    if (this.pendTo === from) this.pendTo = to;
    else {
      this.flushText();
      this.pendFrom = from;
      this.pendTo = to;
    }
  }

  /** One original unit replaced by one unit (ASCII case folding, leetspeak): offsets stay the identity. */
  oneToOne(ch: string, at: number): void {
    this.inSpace = false;
    this.offsetsIdentity(at, at + 1);
    this.flushText();
    this.parts.push(ch);
  }

  /** Replacement units, all mapping to the original range [start, end). */
  private piece(text: string, start: number, end: number): void {
    this.flushText();
    this.runTo = -1;
    this.parts.push(text);
    this.segNorm.push(this.n);
    this.segOrig.push(start);
    this.segEnd.push(end);
    this.segIdentity.push(0);
    this.n += text.length;
  }

  /**
   * One code point with its original range; `unitStart` >= 0 when it is the original's own code point at
   * that offset (then it keeps identity offsets). White-space collapsing and squashing apply here.
   */
  put(cp: number, start: number, end: number, unitStart: number): void {
    if (this.squash && !isAlnum(cp)) return;
    if (this.collapse && isSpace(cp)) {
      if (this.inSpace) {
        if (this.spaceAt >= 0) {
          // The space was written with identity offsets (one unit for one unit); now that it covers a run,
          // give its unit a piece segment of its own (a later segment start wins in `segmentOf`).
          this.segNorm.push(this.n - 1);
          this.segOrig.push(this.spaceAt);
          this.segEnd.push(end);
          this.segIdentity.push(0);
          this.runTo = -1;
          this.spaceAt = -1;
        } else this.segEnd[this.segEnd.length - 1] = end;
        return;
      }
      if (end - start === 1) {
        this.oneToOne(" ", start);
        this.spaceAt = start;
      } else {
        this.piece(" ", start, end);
        this.spaceAt = -1;
      }
      this.inSpace = true;
      return;
    }
    this.inSpace = false;
    if (unitStart >= 0) this.identity(unitStart, unitStart + (cp > 0xffff ? 2 : 1));
    else this.piece(String.fromCodePoint(cp), start, end);
  }

  /** A run of ASCII units that no option touches (lone spaces included when collapsing). */
  putRun(from: number, to: number): void {
    this.identity(from, to);
    this.inSpace = false;
  }

  /** A replacement piece: every unit maps to the whole original range [start, end). */
  putPiece(piece: string, start: number, end: number): void {
    if (!this.squash && !this.collapse) {
      if (piece.length > 0) this.piece(piece, start, end);
      return;
    }
    for (let k = 0; k < piece.length; ) {
      const cp = piece.codePointAt(k) as number;
      this.put(cp, start, end, -1);
      k += cp > 0xffff ? 2 : 1;
    }
  }

  /** An unchanged stretch of the original: units keep their own ranges. */
  putSame(from: number, to: number): void {
    for (let k = from; k < to; ) {
      const cp = this.original.codePointAt(k) as number;
      const len = cp > 0xffff ? 2 : 1;
      this.put(cp, k, k + len, k);
      k += len;
    }
  }

  /**
   * Runs were copied with lone tabs or line breaks in them (under collapsing, each is one space with its own
   * offset): the finished text replaces them. No other such unit survives collapsing, so all of them go.
   */
  loneBreaks = false;

  finish(): SegmentedText {
    this.flushText();
    let text = this.parts.length === 1 && this.parts[0] === this.original ? this.original : this.parts.join("");
    if (this.loneBreaks) text = text.replace(LONE_BREAK, " ");
    return new SegmentedText(text, this.original.length, this.segNorm, this.segOrig, this.segEnd, this.segIdentity);
  }
}

/** A normalization of a normalization: offsets go through both maps. */
export class ComposedText implements NormalizedText {
  private materialized: { starts: Int32Array; ends: Int32Array } | null = null;

  constructor(
    private readonly outer: SegmentedText,
    private readonly base: SegmentedText | ComposedText,
  ) {}

  get text(): string {
    return this.outer.text;
  }

  get originalLength(): number {
    return this.base.originalLength;
  }

  startOf(i: number): number {
    return this.base.startOf(this.outer.startOf(i));
  }

  endOf(i: number): number {
    return this.base.endOf(this.outer.endOf(i) - 1);
  }

  private materialize(): { starts: Int32Array; ends: Int32Array } {
    if (!this.materialized) {
      const n = this.text.length;
      const starts = new Int32Array(n);
      const ends = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        starts[i] = this.startOf(i);
        ends[i] = this.endOf(i);
      }
      this.materialized = { starts, ends };
    }
    return this.materialized;
  }

  get starts(): Int32Array {
    return this.materialize().starts;
  }

  get ends(): Int32Array {
    return this.materialize().ends;
  }
}
