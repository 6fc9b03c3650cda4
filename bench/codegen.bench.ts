// Closures vs generated code for field access, the choice made in src/compile/fields.ts: measured side by side.
import { summarize, ratio } from "./lib/stats.js";
import { writeSection, machineLine, table } from "./lib/report.js";
import { makeGetter, MISSING } from "../dist/compile/fields.js";

const hasOwn = Object.prototype.hasOwnProperty;

/** The closure design this replaced: one shared function literal doing keyed loads. */
function closureGetter(path: string): (a: unknown) => unknown {
  const segs = path.split(".");
  return (a) => {
    let o: unknown = a;
    for (const k of segs) {
      if (typeof o !== "object" || o === null || Array.isArray(o) || !hasOwn.call(o, k)) return MISSING;
      o = (o as Record<string, unknown>)[k];
    }
    return o;
  };
}

const PATHS = ["args.amount", "args.counterparty", "agent.role", "agent.id", "context.tenant", "args.currency", "args.memo", "tool"];
const actions = Array.from({ length: 1000 }, (_, i) => ({
  kind: "tool_call", tool: "payments.send", agent: { id: `a${i}`, role: i % 3 ? "operator" : "viewer" },
  args: { amount: i * 37, counterparty: `cp-${i % 50}`, currency: "USD", ...(i % 2 ? { memo: "x" } : {}) }, context: { tenant: "t1" },
}));

function measure(getters: Array<(a: unknown) => unknown>): { perRead: number; samples: Float64Array } {
  let sink = 0;
  for (let w = 0; w < 300; w++) for (const a of actions) for (const g of getters) if (g(a) !== MISSING) sink++;
  const samples = new Float64Array(200);
  for (let s = 0; s < samples.length; s++) {
    const t = process.hrtime.bigint();
    for (const a of actions) for (const g of getters) if (g(a) !== MISSING) sink++;
    samples[s] = Number(process.hrtime.bigint() - t) / (actions.length * getters.length);
  }
  if (sink === 0) throw new Error("nothing read");
  return { perRead: summarize(samples).p50, samples };
}

const rows: string[][] = [];
const results: Record<string, number> = {};
for (const round of [1, 2, 3]) {
  for (const [name, make] of [["closure (shared, keyed loads)", closureGetter], ["generated (constant keys)", makeGetter as (p: string) => (a: unknown) => unknown]] as const) {
    const m = measure(PATHS.map((p) => make(p)));
    const s = summarize(m.samples);
    results[name] = Math.min(results[name] ?? Infinity, s.p50);
    if (round === 3) rows.push([name, s.p50.toFixed(1), s.p99.toFixed(1)]);
  }
}
const speedup = ratio(results["closure (shared, keyed loads)"] as number, results["generated (constant keys)"] as number);
const md = `## Field access: closures vs generated code

Reproduce: \`npm run bench -- codegen\`. ${machineLine()}.
${PATHS.length} field paths read from 1,000 actions per sample, 200 samples after warm-up; each sample's time divided
by its 8,000 reads (so p99 is a slow sample: GC or preemption, not a slow read). decide() uses the generated
getters: ${speedup} faster at the median (best of three rounds).

${table(["getter", "p50 ns/read", "p99 ns/read"], rows)}
`;
writeSection("codegen", md);
console.log(md);
