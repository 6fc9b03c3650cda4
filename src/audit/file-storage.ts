// The embedded audit backend: a directory of append-only segment files plus heads.jsonl and a manifest.
//   manifest.json                 {"format":"warden-audit-v1","log":"<id>"}
//   entries-000000000000.jsonl    one entry per line, segment named by its first seq
//   heads.jsonl                   one signed tree head per line
//   LOCK                          pid of the writer (stale locks of dead processes are taken over)
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { constants, open as openFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { canonicalize } from "../canonical/jcs.js";
import type { EntryBatch } from "./batch.js";
import { MANIFEST_FORMAT } from "./entry.js";
import { AuditLogError, type AuditStorage, type OpenedStorage } from "./storage.js";
import { makeFolderSync } from "../node/mkdirs.js";

const SEGMENT = /^entries-(\d{12})\.jsonl$/;
const segmentName = (firstSeq: number): string => `entries-${String(firstSeq).padStart(12, "0")}.jsonl`;

export interface FileStorageOptions {
  /** Entries per segment file (default 100,000). */
  segmentEntries?: number;
  /** Cut torn tails when opening (writers do; `audit verify` does not and reports them instead). */
  repair?: boolean;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Splits file text into complete lines; `torn` is a trailing fragment without its newline. */
export function splitLines(text: string): { lines: string[]; torn: string } {
  const end = text.lastIndexOf("\n");
  const body = end < 0 ? "" : text.slice(0, end);
  return { lines: end < 0 ? [] : body.split("\n"), torn: text.slice(end + 1) };
}

export class FileStorage implements AuditStorage {
  readonly describe: string;
  private readonly segmentEntries: number;
  private readonly repair: boolean;
  private segments: Array<{ name: string; first: number }> = [];
  private current: FileHandle | null = null;
  private currentFirst = 0;
  private currentCount = 0;
  /** Byte size of the current segment: where the next batch is written. */
  private currentBytes = 0;
  /** Where the batch being written (or the last one that failed) started; null once it is durable. */
  private undo: { segments: number; bytes: number; count: number } | null = null;
  private writing = false;
  private heads: FileHandle | null = null;
  private headsBytes = 0;
  private headsUndo: number | null = null;
  private locked = false;
  /** Problems found when opening without repair (torn tails, stray files). */
  readonly problems: string[] = [];
  /** Torn tails found by open() with repair, cut by applyRepairs(). */
  private pendingCuts: Array<{ path: string; keep: number; what: string }> = [];

  constructor(
    readonly dir: string,
    options: FileStorageOptions = {},
  ) {
    this.describe = `file:${dir}`;
    this.segmentEntries = options.segmentEntries ?? 100_000;
    this.repair = options.repair ?? true;
  }

  async open(create: { log: string } | null): Promise<OpenedStorage> {
    const manifestPath = join(this.dir, "manifest.json");
    if (!existsSync(manifestPath)) {
      if (!create) throw new AuditLogError(`\`${this.dir}\` is not a warden audit log (no manifest.json)`);
      // One level at a time: a recursive mkdir spins forever on some paths (under /proc).
      const why = makeFolderSync(this.dir);
      if (why !== null) throw new AuditLogError(`cannot create the audit log folder \`${this.dir}\`: ${why}`);
      refuseToAdopt(this.dir);
      writeFileSync(manifestPath, `${canonicalize({ format: MANIFEST_FORMAT, log: create.log })}\n`, { mode: 0o600 });
      fsyncDir(this.dir);
    }
    const log = readManifest(manifestPath);
    if (create) this.lock();
    const repairs: string[] = [];
    this.segments = readdirSync(this.dir)
      .map((name) => ({ name, m: SEGMENT.exec(name) }))
      .filter((x) => x.m)
      .map((x) => ({ name: x.name, first: Number((x.m as RegExpExecArray)[1]) }))
      .sort((a, b) => a.first - b.first);
    const last = this.segments[this.segments.length - 1];
    this.pendingCuts = [];
    if (last) this.cutTornTail(join(this.dir, last.name));
    this.cutTornTail(join(this.dir, "heads.jsonl"));
    return { log, repairs };
  }

  private lock(): void {
    try {
      this.takeLock();
    } catch (e) {
      if (e instanceof AuditLogError) throw e;
      // e.g. EACCES in a read-only log folder: say which file it is and what it is for, not just the errno.
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new AuditLogError(
        `cannot create or take over the audit log's lock file \`${join(this.dir, "LOCK")}\` (${why}): the one writer of a log holds it, so writing needs write access to the folder \`${this.dir}\`. ` +
          `Run as a user who may write there or fix the folder's permissions; reading the log (\`warden audit verify\`, \`export\`, \`replay\`) needs no lock`,
      );
    }
  }

  private takeLock(): void {
    const path = join(this.dir, "LOCK");
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
        this.locked = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const pid = Number(readFileSync(path, "utf8").trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
          throw new AuditLogError(`audit log \`${this.dir}\` is open in process ${pid} (one writer per log)`);
        }
        unlinkSync(path); // stale: its writer is gone (e.g. killed)
      }
    }
    throw new AuditLogError(`cannot lock audit log \`${this.dir}\``);
  }

  /**
   * Notes a torn tail: a problem when opened read-only; with repair, a cut that waits for applyRepairs(). The
   * writer calls that only once the complete lines match the last signed tree head, so bytes a head covers
   * (a damaged log, not a crash) are never cut by a writer that then refuses the log anyway.
   */
  private cutTornTail(path: string): void {
    if (!existsSync(path)) return;
    const { size, keep } = lastLineEnd(path);
    if (keep === size) return;
    const what = `${path}: torn tail of ${size - keep} bytes after the last complete line`;
    if (this.repair) this.pendingCuts.push({ path, keep, what });
    else this.problems.push(what);
  }

  /** Cuts the torn tails open() found (see cutTornTail); returns what it cut, in words. */
  applyRepairs(): string[] {
    const done = this.pendingCuts.map(({ path, keep, what }) => {
      truncateSync(path, keep);
      return `${what} (cut)`;
    });
    this.pendingCuts = [];
    return done;
  }

  async scanEntries(fn: (line: string, seq: number) => void): Promise<number> {
    return this.forEachSegment(async (path, seq) => scanLines(path, fn, seq));
  }

  /** scanEntries() with each line as its UTF-8 bytes (a view valid during the call only): no decoding. */
  async scanEntryBytes(fn: (line: Buffer, seq: number) => void): Promise<number> {
    return this.forEachSegment(async (path, seq) => scanLineBytes(path, fn, seq));
  }

  /**
   * Hands each segment file, in order, to `scan` (which returns `seq` advanced by the file's complete
   * lines), checking that every segment starts where the previous one ended. For readers that process a
   * file in parallel (audit verification); scanEntries is this with a line-by-line scan.
   */
  async forEachSegment(scan: (path: string, seq: number) => Promise<number>): Promise<number> {
    let seq = 0;
    for (const s of this.segments) {
      if (s.first !== seq) this.problems.push(`segment \`${s.name}\` starts at seq ${s.first} but ${seq} entries precede it`);
      seq = await scan(join(this.dir, s.name), seq);
    }
    const last = this.segments[this.segments.length - 1];
    this.currentFirst = last?.first ?? 0;
    this.currentCount = seq - this.currentFirst;
    return seq;
  }

  /** Total bytes of the segment files (to decide whether parallel verification is worth its start-up). */
  segmentBytes(): number {
    let n = 0;
    for (const s of this.segments) n += statSync(join(this.dir, s.name)).size;
    return n;
  }

  async readHeads(): Promise<string[]> {
    const path = join(this.dir, "heads.jsonl");
    return existsSync(path) ? splitLines(readFileSync(path, "utf8")).lines : [];
  }

  /**
   * Appends a batch at the byte offset where the previous batch ended (positional writes), and remembers that
   * offset until the batch is durable. A write that fails part-way (a short write then ENOSPC), or an fdatasync
   * that fails (after which what the page cache holds is unknown), leaves a half-written batch: the retry first
   * cuts the segment back to that offset (and removes a segment the batch started), so a retried batch is never
   * written twice, nor after a fragment of itself. The cut is re-done before every retry until it succeeds.
   */
  async appendEntries(batch: EntryBatch, firstSeq: number): Promise<void> {
    if (this.undo) await this.rollBack(this.undo);
    if (!this.current || this.currentCount >= this.segmentEntries) await this.nextSegment(firstSeq);
    if (firstSeq !== this.currentFirst + this.currentCount) {
      throw new AuditLogError(`audit write out of order: batch starts at seq ${firstSeq} but ${this.describe} holds ${this.currentFirst + this.currentCount} entries`);
    }
    this.undo = { segments: this.segments.length, bytes: this.currentBytes, count: this.currentCount };
    this.writing = true;
    try {
      let i = 0;
      let seq = firstSeq;
      while (i < batch.length) {
        if (this.currentCount >= this.segmentEntries) await this.nextSegment(seq);
        const take = Math.min(batch.length - i, this.segmentEntries - this.currentCount);
        const fh = this.current as FileHandle;
        const bytes = batch.bytes(i, i + take);
        for (let off = 0; off < bytes.length; ) {
          const n = (await fh.write(bytes, off, bytes.length - off, this.currentBytes)).bytesWritten;
          off += n;
          this.currentBytes += n;
        }
        await fh.datasync();
        this.currentCount += take;
        i += take;
        seq += take;
      }
    } finally {
      this.writing = false;
    }
    this.undo = null;
  }

  /** Cuts the log back to where a failed batch started: segments it began are removed, the one it extended truncated. */
  private async rollBack(to: { segments: number; bytes: number; count: number }): Promise<void> {
    let removed = false;
    while (this.segments.length > to.segments) {
      const s = this.segments.pop() as { name: string; first: number };
      if (this.current) await this.current.close();
      this.current = null;
      unlinkSync(join(this.dir, s.name));
      removed = true;
    }
    if (removed) fsyncDir(this.dir);
    const last = this.segments[this.segments.length - 1] as { name: string; first: number };
    if (!this.current) this.current = await openFile(join(this.dir, last.name), "r+");
    await this.current.truncate(to.bytes);
    await this.current.datasync();
    this.currentFirst = last.first;
    this.currentBytes = to.bytes;
    this.currentCount = to.count;
    this.undo = null;
  }

  private async nextSegment(seq: number): Promise<void> {
    const reuse = this.current === null && this.segments.length > 0 && this.currentCount < this.segmentEntries;
    if (this.current) await this.current.close();
    this.current = null;
    if (reuse) {
      // not "a": positional writes are ignored under O_APPEND on Linux
      this.current = await openFile(join(this.dir, (this.segments[this.segments.length - 1] as { name: string }).name), "r+");
      this.currentBytes = (await this.current.stat()).size;
      return;
    }
    const name = segmentName(seq);
    this.current = await openFile(join(this.dir, name), constants.O_WRONLY | constants.O_CREAT, 0o600);
    this.segments.push({ name, first: seq });
    this.currentFirst = seq;
    this.currentCount = 0;
    this.currentBytes = (await this.current.stat()).size;
    fsyncDir(this.dir);
  }

  /** Appends a head line at the end of the last complete one: a head write that failed part-way is cut first (as entries are). */
  async appendHead(line: string, _size?: number): Promise<void> {
    if (!this.heads) {
      const path = join(this.dir, "heads.jsonl");
      const created = !existsSync(path);
      this.heads = await openFile(path, constants.O_WRONLY | constants.O_CREAT, 0o600);
      this.headsBytes = (await this.heads.stat()).size;
      if (created) fsyncDir(this.dir);
    }
    const fh = this.heads;
    if (this.headsUndo !== null) {
      await fh.truncate(this.headsUndo);
      await fh.datasync();
      this.headsBytes = this.headsUndo;
      this.headsUndo = null;
    }
    const start = this.headsBytes;
    this.headsUndo = start;
    const bytes = Buffer.from(line, "utf8");
    for (let off = 0; off < bytes.length; ) {
      const n = (await fh.write(bytes, off, bytes.length - off, start + off)).bytesWritten;
      off += n;
    }
    await fh.datasync();
    this.headsBytes = start + bytes.length;
    this.headsUndo = null;
  }

  async close(): Promise<void> {
    // A batch that failed and was given up (the writer stopped): its fragment goes, unless a write still hangs.
    if (this.undo && !this.writing) await this.rollBack(this.undo).catch(() => {});
    await this.current?.close();
    await this.heads?.close();
    this.current = this.heads = null;
    if (this.locked) {
      try {
        unlinkSync(join(this.dir, "LOCK"));
      } catch {
        // already gone
      }
      this.locked = false;
    }
  }
}

/**
 * Calls `fn` for every complete line of a file, reading it in 4 MiB chunks (segments can be large); a
 * trailing fragment without a newline is not a line. Returns `seq` advanced by the number of lines. Lines are
 * found in the bytes and decoded one by one: decoding whole chunks made every line a slice of one big string,
 * two-byte as soon as any record held a non-ASCII character, and parsing and hashing those cost about a fifth
 * of verification.
 */
function scanLines(path: string, fn: (line: string, seq: number) => void, seq: number): number {
  return scanLineBytes(path, (line, n) => fn(line.toString("utf8"), n), seq);
}

/** Calls `fn` with each complete line's bytes (a view, valid during the call only); returns `seq` advanced. */
function scanLineBytes(path: string, fn: (line: Buffer, seq: number) => void, seq: number): number {
  const fd = openSync(path, "r");
  let buf = Buffer.allocUnsafe(4 << 20);
  let have = 0; // bytes of an unfinished line kept at the start of buf
  try {
    for (;;) {
      if (have === buf.length) {
        // one line longer than the buffer: grow it rather than split the line
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = readSync(fd, buf, have, buf.length - have, null);
      if (n === 0) break;
      const end = have + n;
      const chunk = buf.subarray(0, end);
      let start = 0;
      for (let nl = chunk.indexOf(10, have); nl >= 0; nl = chunk.indexOf(10, nl + 1)) {
        fn(chunk.subarray(start, nl), seq++);
        start = nl + 1;
      }
      buf.copy(buf, 0, start, end);
      have = end - start;
    }
  } finally {
    closeSync(fd);
  }
  return seq;
}

/** The file size and the offset just past its last newline (0 if none), reading backwards in chunks. */
function lastLineEnd(path: string): { size: number; keep: number } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(64 << 10);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - buf.length);
      const n = readSync(fd, buf, 0, end - start, start);
      const i = buf.subarray(0, n).lastIndexOf(0x0a);
      if (i >= 0) return { size, keep: start + i + 1 };
      end = start;
    }
    return { size, keep: 0 };
  } finally {
    closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A new log starts only in an empty folder. Files of a log without its manifest are a damaged log: a new manifest
 * (with a new log id) would make every existing record "belong to another log". Any other file means the folder is
 * not meant for a log, and a log made beside it would be mixed in with unrelated files.
 */
function refuseToAdopt(dir: string): void {
  const found = readdirSync(dir).sort();
  const logFiles = found.filter((name) => SEGMENT.test(name) || name === "heads.jsonl" || name === "LOCK");
  if (logFiles.length > 0) {
    const id = logIdOfFirstRecord(dir, found.find((name) => SEGMENT.test(name)));
    throw new AuditLogError(
      `\`${dir}\` holds audit log files (${listNames(logFiles)}) but no manifest.json: it is a damaged audit log, not a new one, so no new manifest is written. ` +
        `Restore manifest.json from a backup${id ? ` (its records name log \`${id}\`: the file is the line {"format":"${MANIFEST_FORMAT}","log":"${id}"})` : ""}, or write the new log to an empty or new folder`,
    );
  }
  if (found.length > 0) {
    throw new AuditLogError(`\`${dir}\` is not empty and not an audit log (no manifest.json; it holds ${listNames(found)}): give an empty or new folder for the audit log (it is created if missing)`);
  }
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 3).map((n) => `\`${n}\``).join(", ");
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

/** The `log` a log's first record names (read from its first 4 KiB), to say what a lost manifest held; null if unclear. */
function logIdOfFirstRecord(dir: string, segment: string | undefined): string | null {
  if (segment === undefined) return null;
  try {
    const fd = openSync(join(dir, segment), "r");
    try {
      const buf = Buffer.alloc(4096);
      const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString("utf8");
      return /"id":"([0-9a-f]{16}):0"/.exec(text)?.[1] ?? null; // record 0's id is `<log>:0`
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** Reads and strictly checks manifest.json; returns the log id. */
export function readManifest(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new AuditLogError(`cannot read the audit log manifest \`${path}\` (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): check its permissions`);
  }
  let m: { format?: unknown; log?: unknown };
  try {
    m = JSON.parse(text) as { format?: unknown; log?: unknown };
  } catch {
    throw new AuditLogError(`\`${path}\` is not JSON`);
  }
  if (m === null || typeof m !== "object" || m.format !== MANIFEST_FORMAT || typeof m.log !== "string" || Object.keys(m).length !== 2) {
    throw new AuditLogError(`\`${path}\` is not a \`${MANIFEST_FORMAT}\` manifest`);
  }
  if (text !== `${canonicalize(m)}\n`) throw new AuditLogError(`\`${path}\` is not in canonical form (edited?)`);
  return m.log;
}
