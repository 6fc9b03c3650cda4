// A/B of two Warden builds on the decide benchmark's stream and per-call loop, in one process, both import orders.
// Usage: node --expose-gc --import tsx bench/decide/ab.ts <A/index.js> <B/index.js>   (e.g. a copy of an older dist/)
// Why both orders: two module instances in one process are not equal; the one imported first measured ~2x lower p99
// than an identical copy imported second (shared V8 caches), so a single order can show a gain that is not there.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { summarize } from "../lib/stats.js";
import { decideByHand } from "./handwritten.js";
import { gcNow, makeLoops } from "./measure.js";
import { generateRequests } from "./requests.js";
import { oracle, type BenchAction } from "./scenario.js";

type Warden = typeof import("../../src/index.js");
const [pathA, pathB] = process.argv.slice(2);
if (!pathA || !pathB) throw new Error("usage: ab.ts <A/index.js> <B/index.js>");
const source = readFileSync(new URL("./finance-3.yaml", import.meta.url), "utf8");
const actions = generateRequests(0x5eed_2026, 20_000);
const warm = generateRequests(0x5eed_2026 ^ 0xa5a5, 10_000);
const expected = actions.map((a) => oracle(a).verdict);

async function engine(path: string, tag: string): Promise<(a: BenchAction) => { verdict: string }> {
  // A query string makes a second import of the same file a separate module instance.
  const mod = (await import(`${pathToFileURL(resolve(path)).href}?${tag}`)) as Warden;
  const r = mod.compilePolicy(source, { file: "finance-3.yaml" });
  if (!r.ok) throw new Error(`${path}: policy does not compile`);
  return (a) => mod.decide(r.policy, a);
}

for (const order of [[pathA, pathB], [pathB, pathA]] as const) {
  const fns: Record<string, (a: BenchAction) => unknown> = { floor: decideByHand };
  for (const [i, p] of order.entries()) fns[`${p === pathA ? "A" : "B"} (imported ${i === 0 ? "1st" : "2nd"})`] = await engine(p, `${order.join()}-${i}`);
  const keys = Object.keys(fns);
  const loops = Object.fromEntries(keys.map((k) => [k, makeLoops()]));
  for (const k of keys) loops[k]!.batch(fns[k]!, warm, new Array(warm.length));
  const p99s = Object.fromEntries(keys.map((k) => [k, [] as number[]]));
  const p50s = Object.fromEntries(keys.map((k) => [k, [] as number[]]));
  for (let pass = 0; pass < 3; pass++) {
    for (const k of keys) {
      const samples = new Float64Array(actions.length);
      const raws: unknown[] = new Array(2000);
      for (let r = 0; r < 10; r++) {
        gcNow();
        loops[k]!.perCall(fns[k]!, actions.slice(r * 2000, (r + 1) * 2000), samples, r * 2000, raws, process.hrtime.bigint);
        raws.forEach((d, i) => {
          const v = typeof d === "string" ? d : (d as { verdict: string }).verdict;
          if (v !== expected[r * 2000 + i]) throw new Error(`${k} disagrees with the oracle on request #${r * 2000 + i}`);
        });
      }
      const s = summarize(samples);
      p50s[k]!.push(s.p50);
      p99s[k]!.push(s.p99);
    }
  }
  const med = (xs: number[]): number => xs.sort((a, b) => a - b)[1] ?? NaN;
  for (const k of keys) console.log(`${k.padEnd(18)} p50 ${(med(p50s[k]!) / 1e3).toFixed(2)} µs  p99 ${(med(p99s[k]!) / 1e3).toFixed(2)} µs`);
  console.log("");
}
