// In-memory throttle counters (the embedded default) and a replay reader built from a recorded decision.
import type { Decision, ThrottleCounterView, ThrottleObservation } from "../types.js";
import { calendarWindowStart, EMPTY_THROTTLE, type ThrottleReader, type ThrottleSpec } from "./throttle.js";
import type { EngineState } from "./decide.js";

type Counter = ({ mode: "sliding"; events: number[] } | { mode: "calendar"; windowStart: number; count: number } | { mode: "gcra"; tat: number }) & {
  /** Window length, so idle keys can be dropped once they can no longer matter. */
  perMs: number;
};

const PROCEEDS = new Set(["ALLOW", "MODIFY", "SANDBOX"]);

/** Keeps, per key, only what decides the next call: the last `limit` allowed calls (sliding), or a window count, or a TAT. */
export class MemoryThrottleStore implements ThrottleReader {
  private readonly counters = new Map<string, Counter>();
  private commits = 0;

  read(key: string, spec: ThrottleSpec, atMs: number): ThrottleCounterView {
    const c = this.counters.get(key);
    if (spec.mode === "sliding") {
      if (!c || c.mode !== "sliding") return { mode: "sliding", count: 0, oldest: null };
      const from = atMs - spec.perMs;
      // Events are ascending; count those strictly inside (at - per, at].
      let i = 0;
      while (i < c.events.length && (c.events[i] as number) <= from) i++;
      let j = c.events.length;
      while (j > i && (c.events[j - 1] as number) > atMs) j--;
      const count = j - i;
      return { mode: "sliding", count, oldest: count >= spec.limit ? (c.events[j - spec.limit] as number) : null };
    }
    if (spec.mode === "calendar") {
      return c && c.mode === "calendar" ? { mode: "calendar", windowStart: c.windowStart, count: c.count } : { mode: "calendar", windowStart: -1, count: 0 };
    }
    return c && c.mode === "gcra" ? { mode: "gcra", tat: c.tat } : { mode: "gcra", tat: null };
  }

  /** Counts the call against every budget it was observed under, if the call proceeds. */
  commit(decision: Decision): void {
    const proceeds = !decision.enforced || PROCEEDS.has(decision.verdict);
    if (!proceeds) return;
    for (const [key, obs] of Object.entries(decision.state.throttle)) this.apply(key, obs);
    if (++this.commits % 10_000 === 0) this.sweep(decision);
  }

  private apply(key: string, obs: ThrottleObservation): void {
    if (obs.atMs === 0 && obs.count === 0) return;
    if (obs.mode === "sliding") {
      let c = this.counters.get(key);
      if (!c || c.mode !== "sliding") this.counters.set(key, (c = { mode: "sliding", events: [], perMs: obs.perMs }));
      const ev = c.events;
      let i = ev.length;
      while (i > 0 && (ev[i - 1] as number) > obs.atMs) i--;
      ev.splice(i, 0, obs.atMs);
      if (ev.length > obs.limit) ev.splice(0, ev.length - obs.limit);
    } else if (obs.mode === "calendar") {
      const ws = calendarWindowStart(obs.atMs, obs.perMs);
      const c = this.counters.get(key);
      if (c && c.mode === "calendar" && c.windowStart === ws) c.count++;
      else this.counters.set(key, { mode: "calendar", windowStart: ws, count: 1, perMs: obs.perMs });
    } else if (obs.nextTat !== undefined) {
      this.counters.set(key, { mode: "gcra", tat: obs.nextTat, perMs: obs.perMs });
    }
  }

  /** Drops keys whose state can no longer affect a decision at the latest observed time. */
  private sweep(decision: Decision): void {
    const now = Math.max(0, ...Object.values(decision.state.throttle).map((o) => o.atMs));
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
