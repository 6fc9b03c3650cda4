// A batch of log entries waiting for storage, kept as UTF-8 bytes in one off-heap buffer. Entries wait
// for a group commit (an fsync of milliseconds), long enough to outlive a young-generation GC or two; as
// JS strings every entry was then copied and promoted (2.7 KB of old-space per record, measured with
// --trace-gc-nvp), as bytes they cost the collector nothing and need no join or conversion at write time.

/**
 * Buffers of written batches, reused: a fresh 256 KiB off-heap buffer per batch is external memory the
 * GC only learns is free at its next full collection, and that pressure alone triggered extra ones.
 */
const spare: Buffer[] = [];
const SPARE_MAX = 4;
const DEFAULT_CAPACITY = 256 << 10;
/**
 * A grown buffer is kept for reuse too, up to this size: a batch that outgrows 256 KiB once (~180 records of
 * 1.4 KB between two flushes) does so every time, and re-growing cost a fresh buffer and a copy of the first
 * 256 KiB per batch (~3% of the record path's CPU in a profile).
 */
const SPARE_SIZE_MAX = 4 << 20;

export class EntryBatch {
  private buf: Buffer;
  private used = 0;
  /** End offset (exclusive) of each entry. */
  private ends: number[] = [];

  constructor(capacity = DEFAULT_CAPACITY) {
    // the largest spare first: a batch that grew before will likely grow again
    const reuse = spare.length > 0 && (spare[spare.length - 1] as Buffer).length >= capacity ? spare.pop() : undefined;
    this.buf = reuse ?? Buffer.allocUnsafeSlow(capacity);
  }

  /** The batch is written and will not be read again: its buffer may serve a later batch. */
  release(): void {
    if (this.buf.length >= DEFAULT_CAPACITY && this.buf.length <= SPARE_SIZE_MAX && spare.length < SPARE_MAX) {
      spare.push(this.buf);
      spare.sort((a, b) => a.length - b.length);
    }
    this.buf = EMPTY;
    this.used = 0;
    this.ends = [];
  }

  get length(): number {
    return this.ends.length;
  }

  /** Appends one entry line (ending in `\n`). */
  push(line: string): void {
    const need = this.used + line.length * 3; // UTF-8 never needs more than 3 bytes per UTF-16 unit
    if (need > this.buf.length) this.grow(need);
    this.used += this.buf.write(line, this.used, "utf8");
    this.ends.push(this.used);
  }

  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const bigger = Buffer.allocUnsafeSlow(size);
    this.buf.copy(bigger, 0, 0, this.used);
    this.buf = bigger;
  }

  /** The bytes of entries [from, to). */
  bytes(from = 0, to = this.ends.length): Buffer {
    const start = from === 0 ? 0 : (this.ends[from - 1] as number);
    const end = to === 0 ? 0 : (this.ends[to - 1] as number);
    return this.buf.subarray(start, end);
  }

  /** The entries as lines (each ending in `\n`), for backends that store text rows. */
  lines(): string[] {
    const out: string[] = [];
    let start = 0;
    for (const end of this.ends) {
      out.push(this.buf.toString("utf8", start, end));
      start = end;
    }
    return out;
  }

  /** A new batch: this one's entries, then `other`'s (a failed batch goes back in front of newer ones). */
  concat(other: EntryBatch): EntryBatch {
    const out = new EntryBatch(Math.max(1024, this.used + other.used));
    this.bytes().copy(out.buf, 0);
    other.bytes().copy(out.buf, this.used);
    out.used = this.used + other.used;
    out.ends = [...this.ends, ...other.ends.map((e) => e + this.used)];
    return out;
  }

  static of(lines: readonly string[]): EntryBatch {
    const b = new EntryBatch(1024);
    for (const l of lines) b.push(l);
    return b;
  }
}

const EMPTY = Buffer.alloc(0);
