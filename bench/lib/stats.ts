// Latency statistics for benchmarks: percentiles over recorded samples (nanoseconds).

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  p999: number;
  mean: number;
  max: number;
}

/** Summarizes samples given in nanoseconds; the result is in nanoseconds too. */
export function summarize(samplesNs: Float64Array | number[]): LatencySummary {
  const sorted = Float64Array.from(samplesNs).sort();
  const n = sorted.length;
  if (n === 0) return { n: 0, p50: NaN, p99: NaN, p999: NaN, mean: NaN, max: NaN };
  const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))] ?? NaN;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { n, p50: at(0.5), p99: at(0.99), p999: at(0.999), mean: sum / n, max: sorted[n - 1] ?? NaN };
}

/** Formats nanoseconds as µs with sensible precision. */
export function us(ns: number): string {
  if (ns < 0) return `-${us(-ns)}`; // differences of percentiles can come out negative
  const v = ns / 1000;
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
}

/** Formats a ratio like `3.2×`; one below 0.01 as `1/N×` (`0.00×` would hide how far apart the two are). */
export function ratio(a: number, b: number): string {
  const r = a / b;
  if (r > 0 && r < 0.01) return `1/${Math.round(b / a).toLocaleString("en-US")}×`;
  return `${r.toFixed(r < 10 ? 2 : 1)}×`;
}
