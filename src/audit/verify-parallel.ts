// Parallel audit verification: each segment file is read in chunks cut at line boundaries; the chunks go to
// worker threads while they have room, and the reading thread checks the rest itself between reads (so it is
// never idle waiting for them, and a short log is not held up by the workers' start-up). Every entry is
// checked by checkRange (verify-range.ts); the leaves come back in order and the caller builds the tree. Same
// checks and results as the sequential path, on every core.
import { closeSync, openSync, readSync } from "node:fs";
import type { Worker } from "node:worker_threads";
import type { Keyring } from "../keys/keyring.js";
import { startWorker } from "../node/worker.js";
import { checkRange, type RangeChecks } from "./verify-range.js";
import type { RangeResult, RangeTask, VerifyWorkerInit } from "./verify-worker.js";

export interface ParallelContext {
  log: string;
  keys: Keyring | null;
  hmacRequired: boolean;
  deep: boolean;
}

/** Receives each segment's results in order: leaves (32 bytes each) starting at `firstSeq`. */
export type RangeSink = (firstSeq: number, r: RangeChecks) => void;

/** Bytes read per chunk by default (a chunk holds whole lines; a longer line gets a bigger buffer). */
export const CHUNK_BYTES = 4 << 20;

/** Chunks queued on one worker: one being checked and one ready, so it never waits for the reader. */
const WORKER_DEPTH = 2;
/** Chunks whose results wait to be taken in order (checked inline ones hold only their leaves). */
const MAX_QUEUED = 16;

/** A chunk's place in the result order: done once its checks are back. */
interface Queued {
  firstSeq: number;
  done: RangeChecks | null;
  wait: Promise<unknown> | null;
}

export class ParallelVerifier {
  private readonly workers: Worker[];
  /** Chunks handed to each worker and not yet back. */
  private readonly pending: number[];
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: RangeResult) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;
  /** Chunk buffers checked or back from the workers, to read into again. */
  private readonly free: ArrayBuffer[] = [];

  /** `threads` threads check entries: this one and `threads - 1` workers. */
  constructor(
    private readonly ctx: ParallelContext,
    threads: number,
    private readonly chunk = CHUNK_BYTES,
  ) {
    const workerData: VerifyWorkerInit = { log: ctx.log, keys: ctx.keys ? ctx.keys.verifierParts() : null, hmacRequired: ctx.hmacRequired, deep: ctx.deep };
    this.workers = Array.from({ length: Math.max(1, threads - 1) }, (_, index) => {
      const w = startWorker(new URL("./verify-worker.js", import.meta.url), { workerData });
      w.on("message", (r: RangeResult) => {
        (this.pending[index] as number)--;
        const p = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        p?.resolve(r);
      });
      w.on("error", (e: Error) => this.fail(e));
      w.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`verification worker exited with code ${code}`));
      });
      return w;
    });
    this.pending = this.workers.map(() => 0);
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  /**
   * Verifies the complete lines of one segment file; returns `seq` advanced by them. The file is read in
   * chunks cut at line ends. A chunk goes to the least busy worker if one has room, else this thread checks it
   * before reading on; results are taken in file order. Buffers come back to be read into again (fresh memory
   * is slow to touch on some VMs, and this bounds it). A trailing fragment without a newline is not a line.
   */
  async segment(path: string, seq: number, sink: RangeSink): Promise<number> {
    const fd = openSync(path, "r");
    const queue: Queued[] = [];
    const take = (): void => {
      for (let head = queue[0]; head?.done; head = queue[0]) {
        queue.shift();
        sink(head.firstSeq, head.done);
      }
    };
    let s = seq;
    let carry = 0; // bytes of an unfinished line at the start of `buf`
    let buf = this.buffer(this.chunk);
    try {
      for (;;) {
        if (carry === buf.length) {
          // one line longer than a chunk: grow the buffer rather than split the line (never from Node's shared
          // Buffer pool, whose memory must not be transferred)
          const bigger = this.buffer(buf.length * 2);
          buf.copy(bigger, 0, 0, carry);
          buf = bigger;
        }
        const n = readSync(fd, buf, carry, buf.length - carry, null);
        const filled = carry + n;
        const end = n === 0 ? 0 : buf.subarray(0, filled).lastIndexOf(0x0a) + 1;
        if (end > 0) {
          const lines = countLines(buf, end);
          const next = this.buffer(Math.max(this.chunk, filled - end));
          buf.copy(next, 0, end, filled);
          const data = buf.buffer as ArrayBuffer;
          const worker = this.roomyWorker();
          if (worker >= 0) {
            const q: Queued = { firstSeq: s, done: null, wait: null };
            q.wait = this.run(worker, { data, start: buf.byteOffset, end: buf.byteOffset + end, firstSeq: s }, [data]).then((r) => {
              this.recycle(r.data);
              q.done = r;
            });
            // a failed run rejects every pending one: each is awaited in turn, none may count as unhandled meanwhile
            q.wait.catch(() => {});
            queue.push(q);
          } else {
            queue.push({ firstSeq: s, done: checkRange(buf.subarray(0, end), s, this.ctx), wait: null });
            this.recycle(data);
          }
          s += lines;
          buf = next;
          carry = filled - end;
          // let the workers' replies in (they arrive as events), then take what is ready
          await new Promise((r) => setImmediate(r));
          take();
          while (queue.length >= MAX_QUEUED) await this.settleHead(queue, take);
        } else carry = filled;
        if (n === 0) break;
      }
      while (queue.length > 0) await this.settleHead(queue, take);
    } finally {
      await Promise.allSettled(queue.map((q) => q.wait));
      closeSync(fd);
    }
    return s;
  }

  private async settleHead(queue: Queued[], take: () => void): Promise<void> {
    await queue[0]?.wait;
    take();
  }

  /** The worker with the fewest chunks in hand, if it has room for another; else -1. */
  private roomyWorker(): number {
    if (this.failed) throw this.failed;
    let best = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i] as number;
      if (p < WORKER_DEPTH && (best < 0 || p < (this.pending[best] as number))) best = i;
    }
    return best;
  }

  /** A chunk buffer of at least `size` bytes that owns its whole ArrayBuffer (it is transferred). */
  private buffer(size: number): Buffer {
    // every buffer in `free` holds at least a chunk
    const reuse = size <= this.chunk ? this.free.pop() : undefined;
    return reuse ? Buffer.from(reuse) : Buffer.from(new ArrayBuffer(size));
  }

  private recycle(data: ArrayBuffer): void {
    if (data.byteLength >= this.chunk) this.free.push(data);
  }

  private run(worker: number, task: Omit<RangeTask, "id">, transfer: ArrayBuffer[]): Promise<RangeResult> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    (this.pending[worker] as number)++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const message: RangeTask = { ...task, id };
      (this.workers[worker] as Worker).postMessage(message, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function countLines(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}
