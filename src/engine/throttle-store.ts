// In-memory throttle counters (the embedded default) and a replay reader built from a recorded decision.
import type { Decision, ThrottleCounterView, ThrottleObservation } from "../types.js";
import { calendarWindowStart, EMPTY_THROTTLE, type ThrottleReader, type ThrottleSpec } from "./throttle.js";
import type { EngineState } from "./decide.js";

type Counter = (
  | { mode: "sliding"; events: number[] }
  | { mode: "calendar"; windowStart: number; count: number; prevStart: number; prevCount: number }
  | { mode: "gcra"; tat: number }
) & {
  /** Window length, so idle keys can be dropped once they can no longer matter. */
  perMs: number;
};

const PROCEEDS = new Set(["ALLOW", "MODIFY", "SANDBOX"]);
/** Counted commits between two sweeps of idle keys. */
const SWEEP_EVERY = 10_000;

/**
 * Keeps, per key, what decides the next call: allowed call times of the last two windows (sliding), the counts of
 * the current and previous calendar windows, or a GCRA arrival time. Calls may arrive out of time order (several
 * interception points, clock skew): a budget must hold in every window, so a backdated call is judged against
 * the calls on both sides of it, and one too old to judge is refused.
 */
export class MemoryThrottleStore implements ThrottleReader {
  private readonly counters = new Map<string, Counter>();
  /** Decision times of the commits that counted something since the last sweep (SWEEP_EVERY at most). */
  private times: number[] = [];

  read(key: string, spec: ThrottleSpec, atMs: number): ThrottleCounterView {
    const c = this.counters.get(key);
    if (spec.mode === "sliding") {
      if (!c || c.mode !== "sliding") return { mode: "sliding", count: 0, oldest: null };
      const newest = c.events[c.events.length - 1];
      // Older than the kept history can judge: treat the budget as used up.
      if (newest !== undefined && atMs <= newest - spec.perMs) return { mode: "sliding", count: spec.limit, oldest: null };
      // Events are ascending. In order, a call counts the calls in (at - per, at]. A call stamped earlier than
      // calls already counted also counts those in (at, at + per): every window holding it must stay in budget.
      // (Conservative for such backdated calls, exact for calls in time order.)
      const from = atMs - spec.perMs;
      const to = atMs + spec.perMs;
      let i = 0;
      while (i < c.events.length && (c.events[i] as number) <= from) i++;
      let j = c.events.length;
      while (j > i && (c.events[j - 1] as number) >= to) j--;
      const count = j - i;
      return { mode: "sliding", count, oldest: count >= spec.limit ? (c.events[j - spec.limit] as number) : null };
    }
    if (spec.mode === "calendar") {
      const ws = calendarWindowStart(atMs, spec.perMs);
      if (!c || c.mode !== "calendar" || ws > c.windowStart) return { mode: "calendar", windowStart: ws, count: 0 };
      if (ws === c.windowStart) return { mode: "calendar", windowStart: ws, count: c.count };
      return { mode: "calendar", windowStart: ws, count: ws === c.prevStart ? c.prevCount : spec.limit };
    }
    return c && c.mode === "gcra" ? { mode: "gcra", tat: c.tat } : { mode: "gcra", tat: null };
  }

  /** Counts the call against every budget it was observed under, if the call proceeds. */
  commit(decision: Decision): void {
    const proceeds = !decision.enforced || PROCEEDS.has(decision.verdict);
    if (!proceeds) return;
    let at = -Infinity;
    for (const [key, obs] of Object.entries(decision.state.throttle)) {
      if (this.apply(key, obs)) at = Math.max(at, obs.atMs);
    }
    if (at === -Infinity) return;
    this.times.push(at);
    if (this.times.length >= SWEEP_EVERY) this.sweep();
  }

  /** Counts one observation; false when there was nothing to count (no time). */
  private apply(key: string, obs: ThrottleObservation): boolean {
    if (obs.atMs === 0 && obs.count === 0) return false;
    if (obs.mode === "sliding") {
      let c = this.counters.get(key);
      if (!c || c.mode !== "sliding") this.counters.set(key, (c = { mode: "sliding", events: [], perMs: obs.perMs }));
      const ev = c.events;
      let i = ev.length;
      while (i > 0 && (ev[i - 1] as number) > obs.atMs) i--;
      ev.splice(i, 0, obs.atMs);
      // Keep two windows of history (enough to judge calls up to one window late), at most 2 × limit + 1 calls.
      const horizon = (ev[ev.length - 1] as number) - 2 * obs.perMs;
      let drop = 0;
      while (drop < ev.length && (ev[drop] as number) <= horizon) drop++;
      drop = Math.max(drop, ev.length - (2 * obs.limit + 1));
      if (drop > 0) ev.splice(0, drop);
    } else if (obs.mode === "calendar") {
      const ws = calendarWindowStart(obs.atMs, obs.perMs);
      const c = this.counters.get(key);
      // The previous window is always the one just before the current one (empty if nothing was counted there).
      if (!c || c.mode !== "calendar") this.counters.set(key, { mode: "calendar", windowStart: ws, count: 1, prevStart: ws - obs.perMs, prevCount: 0, perMs: obs.perMs });
      else if (ws === c.windowStart) c.count++;
      else if (ws === c.prevStart) c.prevCount++;
      else if (ws > c.windowStart) {
        c.prevCount = c.windowStart === ws - obs.perMs ? c.count : 0;
        c.prevStart = ws - obs.perMs;
        c.windowStart = ws;
        c.count = 1;
      }
    } else if (obs.nextTat !== undefined) {
      this.counters.set(key, { mode: "gcra", tat: obs.nextTat, perMs: obs.perMs });
    }
    return true;
  }

  /**
   * Bounds memory: drops keys whose state can no longer affect a decision "now". Decision times come from callers
   * (`action.at`, a replayed trace), so "now" is the median time of the last SWEEP_EVERY counted commits, never one
   * decision's time: a single call dated in the future (a skewed clock, a hostile `at`) cannot age every budget out.
   * Traces dated in the past sweep by their own times.
   */
  private sweep(): void {
    // a typed array sorts numerically without a comparator call per pair (this runs once per SWEEP_EVERY commits)
    const times = Float64Array.from(this.times).sort();
    const now = times[times.length >> 1] ?? 0;
    this.times = [];
    for (const [key, c] of this.counters) {
      const last = c.mode === "sliding" ? (c.events[c.events.length - 1] ?? 0) : c.mode === "calendar" ? c.windowStart : c.tat;
      if (last + 2 * c.perMs < now) this.counters.delete(key);
    }
  }

  get size(): number {
    return this.counters.size;
  }
}

/** Engine state that feeds back exactly the counters a recorded decision saw (for offline replay). */
export function replayState(state: Decision["state"]): EngineState {
  const seen = new Map(Object.entries(state.throttle).map(([k, o]) => [k, o.seen] as const));
  return {
    throttle: {
      read: (key, spec, atMs) => seen.get(key) ?? EMPTY_THROTTLE.read(key, spec, atMs),
    },
  };
}
