// Timing loops for the decide benchmark: per-call latency (hrtime around each call), batch throughput, timer cost.
import { summarize, type LatencySummary } from "../lib/stats.js";
import type { BenchAction } from "./scenario.js";

type Decide = (a: BenchAction) => unknown;
/** Times each call into samples[at + i]; the answers go to raws[i] (one chunk's worth, checked by the caller). */
type PerCallLoop = (fn: Decide, actions: readonly BenchAction[], samples: Float64Array, at: number, raws: unknown[], hr: () => bigint) => void;
type BatchLoop = (fn: Decide, actions: readonly BenchAction[], raws: unknown[]) => void;

// Each engine gets its own freshly compiled copy of the loops (new Function), so no engine's call site is
// made polymorphic by another engine, and the floor is not penalized (or helped) by sharing feedback.
const PER_CALL_SRC = `
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i];
    const t0 = hr();
    const r = fn(a);
    const t1 = hr();
    samples[at + i] = Number(t1 - t0);
    raws[i] = r;
  }`;
const BATCH_SRC = `for (let i = 0; i < actions.length; i++) raws[i] = fn(actions[i]);`;

export interface Loops {
  perCall: PerCallLoop;
  batch: BatchLoop;
}

export function makeLoops(): Loops {
  return {
    perCall: new Function("fn", "actions", "samples", "at", "raws", "hr", PER_CALL_SRC) as PerCallLoop,
    batch: new Function("fn", "actions", "raws", BATCH_SRC) as BatchLoop,
  };
}

/** The cost of the timing itself: two back-to-back hrtime.bigint() calls, n times. */
export function measureTimerOverhead(n: number): LatencySummary {
  const hr = process.hrtime.bigint;
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = hr();
    const t1 = hr();
    samples[i] = Number(t1 - t0);
  }
  return summarize(samples);
}

/** Runs `fn` over `actions` untimed (warm-up: lets V8 optimize before anything is measured). */
export function warmUp(loops: Loops, fn: Decide, actions: readonly BenchAction[]): unknown[] {
  const raws: unknown[] = new Array(actions.length);
  loops.batch(fn, actions, raws);
  return raws;
}

/** Decisions per second over the whole array, best of `repeats` passes; `raws` receives the last pass's answers. */
export function measureThroughput(loops: Loops, fn: Decide, actions: readonly BenchAction[], repeats: number, raws: unknown[]): { perSec: number; meanNs: number } {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    loops.batch(fn, actions, raws);
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns < best) best = ns;
  }
  return { perSec: (actions.length * 1e9) / best, meanNs: best / actions.length };
}

export function gcNow(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}
