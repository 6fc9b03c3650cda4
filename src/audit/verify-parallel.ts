// Parallel audit verification: each segment file is read once into shared memory, cut at line boundaries
// into one range per worker thread, and every entry is checked on the workers (verify-entry.ts); the
// leaves come back in order and the caller builds the tree. Same checks and results as the sequential
// path, on every core.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Worker } from "node:worker_threads";
import type { Keyring } from "../keys/keyring.js";
import { startWorker } from "../node/worker.js";
import type { RangeResult, RangeTask, VerifyWorkerInit } from "./verify-worker.js";

export interface ParallelContext {
  log: string;
  keys: Keyring | null;
  hmacRequired: boolean;
}

/** Receives each segment's results in order: leaves (32 bytes each) starting at `firstSeq`. */
export type RangeSink = (firstSeq: number, r: RangeResult) => void;

export class ParallelVerifier {
  private readonly workers: Worker[];
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: RangeResult) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor(ctx: ParallelContext, threads: number) {
    const workerData: VerifyWorkerInit = { log: ctx.log, keys: ctx.keys ? ctx.keys.verifierParts() : null, hmacRequired: ctx.hmacRequired };
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

  /** Verifies the complete lines of one segment file; returns `seq` advanced by them. */
  async segment(path: string, seq: number, sink: RangeSink): Promise<number> {
    const data = readShared(path);
    const bytes = new Uint8Array(data.buffer);
    const end = data.lastLineEnd;
    const ranges = splitRanges(bytes, end, this.workers.length);
    const firstSeqs: number[] = [];
    let s = seq;
    for (const r of ranges) {
      firstSeqs.push(s);
      s += countLines(bytes, r[0], r[1]);
    }
    const results = await Promise.all(ranges.map((r, i) => this.run(i, { data: data.buffer, start: r[0], end: r[1], firstSeq: firstSeqs[i] as number })));
    results.forEach((r, i) => sink(firstSeqs[i] as number, r));
    return s;
  }

  private run(worker: number, task: Omit<RangeTask, "id">): Promise<RangeResult> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const message: RangeTask = { ...task, id };
      (this.workers[worker] as Worker).postMessage(message);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The file in a SharedArrayBuffer, and the offset just past its last newline (a torn tail is not a line). */
function readShared(path: string): { buffer: SharedArrayBuffer; lastLineEnd: number } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const buffer = new SharedArrayBuffer(size);
    const view = new Uint8Array(buffer);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, view, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    const bytes = Buffer.from(buffer, 0, off);
    return { buffer, lastLineEnd: bytes.lastIndexOf(0x0a) + 1 };
  } finally {
    closeSync(fd);
  }
}

/** Up to `parts` ranges [start, end) covering [0, end), each ending just past a newline. */
function splitRanges(bytes: Uint8Array, end: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, end);
  let start = 0;
  for (let i = 1; i <= parts && start < end; i++) {
    const target = i === parts ? end : Math.floor((end * i) / parts);
    const nl = target >= end ? end - 1 : buf.indexOf(0x0a, Math.max(start, target - 1));
    const stop = nl < 0 ? end : nl + 1;
    out.push([start, stop]);
    start = stop;
  }
  return out;
}

function countLines(bytes: Uint8Array, start: number, end: number): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, end);
  let n = 0;
  for (let i = buf.indexOf(0x0a, start); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}
