// The hand-kept counters and histogram expose exactly what prom-client's would: cumulative buckets, +Inf,
// _sum and _count per label value, counters per label set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { HotCounter, HotHistogram } from "./hot-metrics.js";

test("counters count per key and expose their labels", async () => {
  const r = new Registry();
  const c = new HotCounter(r, "x_total", "help x");
  c.inc("a", () => ({ verdict: "ALLOW" }));
  c.inc("a", () => ({ verdict: "never used: the key exists" }));
  c.inc("b", () => ({ verdict: "BLOCK" }));
  const text = await r.metrics();
  assert.match(text, /# TYPE x_total counter\nx_total\{verdict="ALLOW"\} 2\nx_total\{verdict="BLOCK"\} 1\n/);
});

test("histogram buckets are cumulative; values above the last bucket only count in +Inf", async () => {
  const r = new Registry();
  const h = new HotHistogram(r, "lat_seconds", "latency", "endpoint", [0.001, 0.01]);
  for (const v of [0.0005, 0.001, 0.005, 5]) h.observe("decide", v);
  h.observe("batch", 0.02);
  const text = await r.metrics();
  for (const line of [
    'lat_seconds_bucket{le="0.001",endpoint="decide"} 2',
    'lat_seconds_bucket{le="0.01",endpoint="decide"} 3',
    'lat_seconds_bucket{le="+Inf",endpoint="decide"} 4',
    'lat_seconds_sum{endpoint="decide"} 5.0065',
    'lat_seconds_count{endpoint="decide"} 4',
    'lat_seconds_bucket{le="0.01",endpoint="batch"} 0',
    'lat_seconds_count{endpoint="batch"} 1',
  ]) assert.ok(text.includes(`${line}\n`), `missing ${line} in\n${text}`);
});
