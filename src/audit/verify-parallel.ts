// Parallel audit verification: each segment file is read in chunks cut at line boundaries, the chunks go
// round the worker threads, and every entry is checked on the workers (verify-entry.ts); the leaves come
// back in order and the caller builds the tree. Same checks and results as the sequential path, on every core.
import { closeSync, openSync, readSync } from "node:fs";
import type { Worker } from "node:worker_threads";
import type { Keyring } from "../keys/keyring.js";
import { startWorker } from "../node/worker.js";
import type { RangeResult, RangeTask, VerifyWorkerInit } from "./verify-worker.js";

export interface ParallelContext {
  log: string;
  keys: Keyring | null;
  hmacRequired: boolean;
  deep: boolean;
}

/** Receives each segment's results in order: leaves (32 bytes each) starting at `firstSeq`. */
export type RangeSink = (firstSeq: number, r: RangeResult) => void;

/** Bytes read per chunk by default (a chunk holds whole lines; a longer line gets a bigger buffer). */
export const CHUNK_BYTES = 4 << 20;

export class ParallelVerifier {
  private readonly workers: Worker[];
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: RangeResult) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;
  /** Chunk buffers back from the workers, to read into again. */
  private readonly free: ArrayBuffer[] = [];

  constructor(
    ctx: ParallelContext,
    threads: number,
    private readonly chunk = CHUNK_BYTES,
  ) {
    const workerData: VerifyWorkerInit = { log: ctx.log, keys: ctx.keys ? ctx.keys.verifierParts() : null, hmacRequired: ctx.hmacRequired, deep: ctx.deep };
    this.workers = Array.from({ length: threads }, () => {
      const w = startWorker(new URL("./verify-worker.js", import.meta.url), { workerData });
      w.on("message", (r: RangeResult) => {
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
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  /**
   * Verifies the complete lines of one segment file; returns `seq` advanced by them. The file is read in
   * chunks cut at line ends, each handed to the next worker while the following one is read, so reading
   * overlaps checking; at most two chunks per worker are in flight, and their buffers come back with the
   * results to be read into again (fresh memory is slow to touch on some VMs, and this bounds it). A trailing
   * fragment without a newline is not a line.
   */
  async segment(path: string, seq: number, sink: RangeSink): Promise<number> {
    const fd = openSync(path, "r");
    const inFlight: Array<{ firstSeq: number; result: Promise<RangeResult> }> = [];
    const settle = async (): Promise<void> => {
      const next = inFlight.shift() as { firstSeq: number; result: Promise<RangeResult> };
      const r = await next.result;
      if (r.data.byteLength >= this.chunk) this.free.push(r.data);
      sink(next.firstSeq, r);
    };
    let s = seq;
    let carry = 0; // bytes of an unfinished line at the start of `buf`
    let buf = this.buffer(this.chunk);
    let worker = 0;
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
          inFlight.push({ firstSeq: s, result: this.run(worker, { data, start: buf.byteOffset, end: buf.byteOffset + end, firstSeq: s }, [data]) });
          worker = (worker + 1) % this.workers.length;
          s += lines;
          buf = next;
          carry = filled - end;
          if (inFlight.length >= 2 * this.workers.length) await settle();
        } else carry = filled;
        if (n === 0) break;
      }
      while (inFlight.length > 0) await settle();
    } finally {
      // a failed run rejects every pending one: let none go unhandled
      await Promise.allSettled(inFlight.map((f) => f.result));
      closeSync(fd);
    }
    return s;
  }

  /** A chunk buffer of at least `size` bytes that owns its whole ArrayBuffer (it is transferred). */
  private buffer(size: number): Buffer {
    // every buffer in `free` holds at least a chunk
    const reuse = size <= this.chunk ? this.free.pop() : undefined;
    return reuse ? Buffer.from(reuse) : Buffer.from(new ArrayBuffer(size));
  }

  private run(worker: number, task: Omit<RangeTask, "id">, transfer: ArrayBuffer[]): Promise<RangeResult> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
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
