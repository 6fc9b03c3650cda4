// Throttle arithmetic (pure): sliding and calendar budgets, and GCRA smooth rates, over counters the caller keeps.
import type { ThrottleCounterView, ThrottleSpec } from "../types.js";

export type { ThrottleSpec };

/** Supplies counters to decide(); implementations reduce what they store to the view at `atMs`. */
export interface ThrottleReader {
  read(key: string, spec: ThrottleSpec, atMs: number): ThrottleCounterView;
}

export interface ThrottleOutcome {
  allowed: boolean;
  count: number;
  retryAfterMs: number;
}

/** The budget decision for one key, from the counter view decide() was given. */
export function applyThrottle(spec: ThrottleSpec, view: ThrottleCounterView, atMs: number): ThrottleOutcome {
  // A reader is caller code: a view that is not sane counts as an exhausted budget, never as a free one.
  if (!saneView(view)) return { allowed: false, count: spec.limit + 1, retryAfterMs: Math.max(1, Math.ceil(spec.perMs)) };
  if (spec.mode === "sliding") {
    const count = view.mode === "sliding" ? view.count : 0;
    const oldest = view.mode === "sliding" ? view.oldest : null;
    if (count < spec.limit) return { allowed: true, count: count + 1, retryAfterMs: 0 };
    // The `limit`-th most recent allowed call must leave the window before another fits.
    const retry = oldest === null ? spec.perMs : oldest + spec.perMs - atMs;
    return { allowed: false, count: count + 1, retryAfterMs: Math.max(1, Math.ceil(retry)) };
  }
  if (spec.mode === "calendar") {
    const windowStart = calendarWindowStart(atMs, spec.perMs);
    const count = view.mode === "calendar" && view.windowStart === windowStart ? view.count : 0;
    if (count < spec.limit) return { allowed: true, count: count + 1, retryAfterMs: 0 };
    return { allowed: false, count: count + 1, retryAfterMs: Math.max(1, windowStart + spec.perMs - atMs) };
  }
  // GCRA: one call every `interval`, with `burst` calls absorbed at once.
  const interval = gcraInterval(spec);
  const tolerance = (spec.burst - 1) * interval;
  const tat = Math.max(view.mode === "gcra" && view.tat !== null ? view.tat : atMs, atMs);
  const used = Math.ceil((tat - atMs) / interval);
  if (tat - atMs <= tolerance) return { allowed: true, count: used + 1, retryAfterMs: 0 };
  return { allowed: false, count: used + 1, retryAfterMs: Math.max(1, Math.ceil(tat - tolerance - atMs)) };
}

function saneView(v: ThrottleCounterView): boolean {
  if (typeof v !== "object" || v === null) return false;
  const okNum = (n: unknown): boolean => typeof n === "number" && Number.isFinite(n);
  const okCount = (n: unknown): boolean => okNum(n) && (n as number) >= 0;
  if (v.mode === "sliding") return okCount(v.count) && (v.oldest === null || okNum(v.oldest));
  if (v.mode === "calendar") return okCount(v.count) && okNum(v.windowStart);
  if (v.mode === "gcra") return v.tat === null || okNum(v.tat);
  return false;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday: ISO weeks start on Monday, 4 days later. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/**
 * Start of the UTC-aligned calendar window holding `atMs`. Windows of whole weeks start on Monday 00:00 UTC (a
 * calendar week, as people count it); other windows count from 1970-01-01T00:00Z, so a day starts at midnight UTC.
 */
export function calendarWindowStart(atMs: number, perMs: number): number {
  const origin = perMs % WEEK_MS === 0 ? FIRST_MONDAY_MS : 0;
  return Math.floor((atMs - origin) / perMs) * perMs + origin;
}

/** The new GCRA theoretical arrival time after an allowed call. */
export function nextTat(spec: ThrottleSpec, view: ThrottleCounterView, atMs: number): number {
  const tat = Math.max(view.mode === "gcra" && view.tat !== null ? view.tat : atMs, atMs);
  return tat + gcraInterval(spec);
}

/** Grid of GCRA times: 1/1024 ms. Multiples of it below 2^43 ms (the year 2248) are exact doubles. */
const GRID = 1024;

/**
 * The GCRA emission interval `per / limit`, rounded up to the 1/1024 ms grid. Every GCRA time is then a whole number
 * of grid steps (action times are whole ms), so sums, differences and `(burst - 1) × interval` are exact: `burst`
 * calls at one instant all pass and the next waits (a float `per / limit` added `burst - 1` times can exceed
 * `(burst - 1) × (per / limit)` and refuse the last). Rounding up keeps the rate at or under `limit` per `per`.
 */
export function gcraInterval(spec: ThrottleSpec): number {
  const steps = spec.perMs * GRID;
  if (!Number.isSafeInteger(steps)) return Math.ceil((steps / spec.limit) * (1 + Number.EPSILON)) / GRID;
  // ceil(steps / limit) in integers (the float quotient can round across a whole number).
  let q = Math.floor(steps / spec.limit);
  if (q * spec.limit > steps) q--;
  if (q * spec.limit < steps) q++;
  return q / GRID;
}

/** A reader that has seen nothing: every budget starts empty. */
export const EMPTY_THROTTLE: ThrottleReader = {
  read: (_key, spec) =>
    spec.mode === "sliding" ? { mode: "sliding", count: 0, oldest: null } : spec.mode === "calendar" ? { mode: "calendar", windowStart: -1, count: 0 } : { mode: "gcra", tat: null },
};
