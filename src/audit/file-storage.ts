// The embedded audit backend: a directory of append-only segment files plus heads.jsonl and a manifest.
//   manifest.json                 {"format":"warden-audit-v1","log":"<id>"}
//   entries-000000000000.jsonl    one entry per line, segment named by its first seq
//   heads.jsonl                   one signed tree head per line
//   LOCK                          `<pid> <token>` of the writer (stale locks of dead processes are taken over)
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fstatSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
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
    if (create) {
      // One level at a time: a recursive mkdir spins forever on some paths (under /proc).
      const why = makeFolderSync(this.dir);
      if (why !== null) throw new AuditLogError(`cannot create the audit log folder \`${this.dir}\`: ${why}`);
      this.claim();
      // The lock first, then the manifest: writers starting together on a new folder each wrote their own manifest
      // (a new log id) over the others', and the one that lost kept writing records of a log that was gone.
      const existed = existsSync(manifestPath);
      this.lock(existed);
      if (!existsSync(manifestPath)) {
        refuseToAdopt(this.dir, true);
        this.createManifest(manifestPath, create.log);
      }
    } else if (!existsSync(manifestPath)) {
      throw new AuditLogError(`\`${this.dir}\` is not a warden audit log (no manifest.json)`);
    }
    const log = readManifest(manifestPath);
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

  /** A random token of this writer: its LOCK holds `<pid> <token>`, and it deletes only a LOCK holding its token. */
  private readonly token = randomBytes(8).toString("hex");
  /** The folder's real path while this storage is its writer in this process. */
  private claimed: string | null = null;

  /**
   * One writer per folder within this process too: the LOCK names a process, so a second writer in the same
   * process took it over as "its own" and the two interleaved records (then the first one's close deleted the
   * second's LOCK).
   */
  private claim(): void {
    const real = realpathSync(this.dir);
    if (openWriters.has(real)) {
      throw new AuditLogError(`audit log \`${this.dir}\` is already open for writing in this process (one writer per log): close that AuditLog first, or record through it`);
    }
    openWriters.add(real);
    this.claimed = real;
  }

  private unclaim(): void {
    if (this.claimed !== null) openWriters.delete(this.claimed);
    this.claimed = null;
  }

  /** The manifest, complete or not at all: written to a file of its own, fsync'd, then linked in (fails if one exists). */
  private createManifest(path: string, log: string): void {
    const text = `${canonicalize({ format: MANIFEST_FORMAT, log })}\n`;
    if (!linkNew(path, text, this.tmpName("manifest.json"), true)) return; // written meanwhile: read it as it is
    fsyncDir(this.dir);
  }

  private tmpName(base: string): string {
    return join(this.dir, `${base}.${process.pid}.${this.token}.tmp`);
  }

  private lock(takeOverStale: boolean): void {
    try {
      this.takeLock(takeOverStale);
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

  /**
   * Creates LOCK holding `<pid> <token>` (linked in complete, so no one reads a half-written one). A LOCK of a dead
   * process is taken over, one taker at a time (see takeOver). A writer that loses a race to another is told so.
   */
  private takeLock(takeOverStale: boolean): void {
    const path = join(this.dir, "LOCK");
    const mine = `${process.pid} ${this.token}\n`;
    let tookOver = false;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (linkNew(path, mine, this.tmpName("LOCK"), false)) {
        this.locked = true;
        return;
      }
      const held = readIfThere(path);
      if (held === null) continue; // removed meanwhile: try again
      const pid = lockPid(held);
      if (pid !== null && pid !== process.pid && alive(pid)) {
        throw new AuditLogError(
          tookOver
            ? `another writer (process ${pid}) took over the stale lock of audit log \`${this.dir}\` first: the log is open there now (one writer per log)`
            : `audit log \`${this.dir}\` is open in process ${pid} (one writer per log)`,
        );
      }
      // Stale: its writer is gone (killed), or it is this process's pid left by a process before it (another writer
      // of this process would hold the folder in openWriters). Without a manifest, segments or heads make it a damaged
      // log (kept); a stale LOCK alone is a writer that died between its lock and its manifest: taken over.
      if (!takeOverStale) refuseToAdopt(this.dir, true);
      this.takeOver(path, held);
      tookOver = true;
    }
    throw new AuditLogError(`other writers kept taking the lock of audit log \`${this.dir}\` while this one tried (one writer per log)`);
  }

  /**
   * Removes a stale LOCK holding exactly `stale`, guarded by LOCK.takeover so two takers cannot both remove it and
   * each make their own (one would delete the other's fresh LOCK). A guard whose process is gone (it died inside
   * these few system calls) is removed.
   */
  private takeOver(path: string, stale: string): void {
    const guard = `${path}.takeover`;
    const mine = `${process.pid} ${this.token}\n`;
    for (let attempt = 0; ; attempt++) {
      if (linkNew(guard, mine, this.tmpName("LOCK.takeover"), false)) break;
      const g = readIfThere(guard);
      const gpid = g === null ? null : lockPid(g);
      if (g !== null && gpid !== null && gpid !== process.pid && alive(gpid)) {
        throw new AuditLogError(`another writer (process ${gpid}) is taking over the stale lock of audit log \`${this.dir}\` at the same time (one writer per log)`);
      }
      if (attempt > 0) throw new AuditLogError(`another writer took the lock of audit log \`${this.dir}\` while this one tried to take over a stale lock (one writer per log)`);
      if (g !== null && readIfThere(guard) === g) unlinkIfThere(guard);
    }
    try {
      if (readIfThere(path) === stale) unlinkIfThere(path); // else someone replaced it meanwhile: the caller sees theirs
    } finally {
      if (readIfThere(guard) === mine) unlinkIfThere(guard);
    }
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
      // Only a LOCK holding this writer's token: never one another writer made.
      const path = join(this.dir, "LOCK");
      if (readIfThere(path) === `${process.pid} ${this.token}\n`) unlinkIfThere(path);
      this.locked = false;
    }
    this.unclaim();
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

/** Folders (real paths) with a writer open in this process. */
const openWriters = new Set<string>();

/** The pid a LOCK names (its first field), or null when it names none. */
function lockPid(text: string): number | null {
  const pid = Number(text.trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** A file's text, or null when it does not exist (ENOENT): lock files come and go under racing writers. */
function readIfThere(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/**
 * Creates `path` holding `text` only if it does not exist, atomically and complete: written to `tmp`, then linked
 * to `path` (link fails with EEXIST where `path` exists). Returns false when it existed.
 */
function linkNew(path: string, text: string, tmp: string, sync: boolean): boolean {
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeFileSync(fd, text);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    unlinkIfThere(tmp);
  }
}

/** Files a writer makes for a moment (then links in and removes); one left by a crash is not the folder's content. */
const TEMPORARY = /^(?:LOCK|LOCK\.takeover|manifest\.json)\.\d+\.[0-9a-f]{16}\.tmp$/;

/**
 * A new log starts only in an empty folder. Files of a log without its manifest are a damaged log: a new manifest
 * (with a new log id) would make every existing record "belong to another log". Any other file means the folder is
 * not meant for a log, and a log made beside it would be mixed in with unrelated files.
 */
function refuseToAdopt(dir: string, ownLock: boolean): void {
  const found = readdirSync(dir)
    .filter((name) => !TEMPORARY.test(name) && !(ownLock && name === "LOCK"))
    .sort();
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
