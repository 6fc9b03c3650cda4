// Renders the decide benchmark's section of docs/performance.md (tables, targets met or not, how to reproduce).
import { machineLine, table } from "../lib/report.js";
import { us, type LatencySummary } from "../lib/stats.js";
import type { ColdRun } from "./cold.js";

export interface EngineResult {
  key: string;
  name: string;
  latency: LatencySummary;
  throughput: { perSec: number; meanNs: number };
  checked: number;
}

export interface CompileTiming {
  /** Sorted compile times in ms, warm process. */
  small: number[];
  large: number[];
  largeRules: number;
  largeBytes: number;
}

export interface SectionInput {
  results: EngineResult[];
  timer: LatencySummary;
  cold: Map<string, ColdRun>;
  compile: CompileTiming;
  seed: number;
  warm: number;
  measured: number;
  verdictMix: Map<string, number>;
  exactThreshold: number;
  runSeconds: number;
  coldRuns: number;
  /** 1-minute load average before and after the run (the machine is shared). */
  load: [number, number];
  rounds: number;
  passes: number;
}

const FLAT = 1.2; // "flat": the 500-rule policy costs at most 20% more than the 4-rule one
const mid = (xs: number[]): number => xs[Math.floor((xs.length - 1) / 2)] ?? NaN;
const x = (v: number): string => `${v < 10 ? v.toFixed(2) : v.toFixed(1)}×`;
const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
const fmtMs = (v: number): string => (v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(1));
const yes = (ok: boolean): string => (ok ? "**met**" : "**not met**");

export function renderDecideSection(s: SectionInput): string {
  const by = (key: string): EngineResult => {
    const r = s.results.find((e) => e.key === key);
    if (r === undefined) throw new Error(`decide report: no result for ${key}`);
    return r;
  };
  const t = s.timer.p50; // cost of the two hrtime.bigint() calls around each decision
  const net = (v: number): number => Math.max(v - t, 1);
  const floor = by("handwritten");
  const warden = by("warden");
  const casbin = by("casbin");
  const cedar = by("cedar");
  const w500 = by("warden500");
  const lin3 = by("wardenLinear3");
  const lin500 = by("wardenLinear500");
  const coldLarge = s.cold.get("warden500");

  const p99VsFloorNet = net(warden.latency.p99) / net(floor.latency.p99);
  const p99VsFloorRaw = warden.latency.p99 / floor.latency.p99;
  const casbinOverWarden = net(casbin.latency.p99) / net(warden.latency.p99);
  const flatP50 = net(w500.latency.p50) / net(warden.latency.p50);
  const flatP99 = net(w500.latency.p99) / net(warden.latency.p99);
  const flatMean = w500.throughput.meanNs / warden.throughput.meanNs;
  const compileWarm = mid(s.compile.large);
  const compileCold = coldLarge?.compileMs ?? NaN;
  const total = [...s.verdictMix.values()].reduce((a, b) => a + b, 0);
  const mix = ["ALLOW", "BLOCK", "ESCALATE"].map((v) => `${v} ${(((s.verdictMix.get(v) ?? 0) / total) * 100).toFixed(1)}%`).join(", ");

  const targets = table(
    ["target", "measured", "result"],
    [
      [
        "decide() p99 within 3× of the hand-written function",
        `${x(p99VsFloorNet)} net of timer (raw ${x(p99VsFloorRaw)}; p50 ${x(net(warden.latency.p50) / net(floor.latency.p50))}; mean ${x(warden.throughput.meanNs / floor.throughput.meanNs)})`,
        yes(p99VsFloorNet <= 3),
      ],
      [
        "(context) decide() p99 vs a hand-written function returning a full Decision",
        `${x(net(warden.latency.p99) / net(by("handwrittenFull").latency.p99))} (p50 ${x(net(warden.latency.p50) / net(by("handwrittenFull").latency.p50))})`,
        "not a target",
      ],
      ["≥ 10× faster than Casbin at p99", `Casbin p99 / Warden p99 = ${x(casbinOverWarden)} (p50 ${x(net(casbin.latency.p50) / net(warden.latency.p50))}; Cedar p99 / Warden p99 = ${x(net(cedar.latency.p99) / net(warden.latency.p99))})`, yes(casbinOverWarden >= 10)],
      [
        `decide cost flat from 4 to ${s.compile.largeRules} rules (p50 and p99 ≤ ${FLAT}×)`,
        `p50 ${x(flatP50)}, p99 ${x(flatP99)}, mean ${x(flatMean)}`,
        yes(flatP50 <= FLAT && flatP99 <= FLAT),
      ],
      [
        `${s.compile.largeRules}-rule compile < 200 ms`,
        `${fmtMs(compileCold)} ms first compile in a fresh process, ${fmtMs(compileWarm)} ms warm median`,
        `warm: ${yes(compileWarm < 200)}; fresh process: ${yes(compileCold < 200)}`,
      ],
    ],
  );

  const latencyRow = (r: EngineResult): string[] => [
    r.name,
    us(r.latency.p50),
    us(r.latency.p99),
    us(r.latency.p999),
    us(r.throughput.meanNs),
    Math.round(r.throughput.perSec).toLocaleString("en-US"),
    x(net(r.latency.p50) / net(floor.latency.p50)),
    x(net(r.latency.p99) / net(floor.latency.p99)),
    r.checked.toLocaleString("en-US"),
  ];
  const latency = table(
    ["engine", "p50 µs", "p99 µs", "p99.9 µs", "mean µs (no timer)", "decisions/s", "p50 vs floor", "p99 vs floor", "answers checked"],
    [floor, by("handwrittenFull"), warden, casbin, cedar].map(latencyRow),
  );

  const coldRow = (key: string, name: string): string[] => {
    const c = s.cold.get(key);
    if (c === undefined) return [name, "–", "–", "–", "–", "–", "–"];
    return [name, fmtMs(c.importMs), fmtMs(c.compileMs), fmtMs(c.firstMs), fmtMs(c.totalMs), mib(c.rssWarm), `+${mib(c.rssWarm - c.rssBase)}`];
  };
  const cold = table(
    ["engine", "import ms", "load + compile ms", "first decision ms", "total ms", "RSS after warm-up MiB", "RSS Δ MiB"],
    [
      coldRow("handwritten", floor.name),
      coldRow("warden", warden.name),
      coldRow("casbin", casbin.name),
      coldRow("cedar", cedar.name),
      coldRow("warden500", w500.name),
    ],
  );

  const scaleRow = (r: EngineResult, rules: number, compileMs: number[]): string[] => [
    r.name,
    String(rules),
    `${fmtMs(mid(compileMs))}`,
    us(r.latency.p50),
    us(r.latency.p99),
    us(r.latency.p999),
    us(r.throughput.meanNs),
    x(net(r.latency.p50) / net(warden.latency.p50)),
    x(r.throughput.meanNs / warden.throughput.meanNs),
  ];
  const scaling = table(
    ["evaluator", "rules", "compile ms (warm median)", "p50 µs", "p99 µs", "p99.9 µs", "mean µs", "p50 vs decide() 4 rules", "mean vs decide() 4 rules"],
    [
      scaleRow(warden, 4, s.compile.small),
      scaleRow(w500, s.compile.largeRules, s.compile.large),
      scaleRow(lin3, 4, s.compile.small),
      scaleRow(lin500, s.compile.largeRules, s.compile.large),
    ],
  );

  return `
## decide(): Warden vs hand-written JS, Casbin and Cedar

Reproduce: \`npm run bench -- decide\` (this run took ${s.runSeconds.toFixed(0)} s). ${machineLine()}; 1-minute load average
${s.load[0].toFixed(1)} before and ${s.load[1].toFixed(1)} after the run (the machine is shared; other work inflates tails).

**Scenario** (the same in every engine): tools \`payments.send\`, \`ledger.update\` (write) and \`ledger.read\` (read)
are declared; (1) role \`viewer\` on a write-class tool → BLOCK; (2) \`payments.send\` to a counterparty outside a
50-name allowlist (or with none) → BLOCK; (3) \`payments.send\` with \`args.amount\` > 10000 → ESCALATE; anything
else declared → ALLOW; undeclared tools → BLOCK. Policies: \`bench/decide/finance-3.yaml\` (Warden: the 3 rules plus
the ALLOW rule for declared tools, so 4 rules), \`bench/decide/casbin-model.conf\` + \`casbin-policy.csv\`,
\`bench/decide/scenario.cedar\`, \`bench/decide/handwritten.ts\`.

**Requests**: ${s.measured.toLocaleString("en-US")} seeded Action V1 objects (mulberry32, seed \`0x${s.seed.toString(16)}\`) measured after
${s.warm.toLocaleString("en-US")} warm-up requests from another seed; oracle mix ${mix}; roles, in-list / near-miss / missing
counterparties, amounts around the threshold (${s.exactThreshold} payments of exactly 10000, which must ALLOW).
**Every answer of every engine** (warm-up and measured, here and in the cold-start processes) is checked against a
plain-JS oracle (\`bench/decide/scenario.ts\`): the verdict always; for Warden and Cedar also the exact set of
scenario rules that fired; for Casbin the row that decided. Any mismatch aborts the benchmark. This run: 0 mismatches.

**Targets**
${targets}

**Latency per decision** (process.hrtime.bigint() around each call, ${s.passes} passes over the ${s.measured.toLocaleString("en-US")} requests, each
percentile the median of the passes' values; the two timer calls cost ${us(s.timer.p50)} µs at
p50 and ${us(s.timer.p99)} µs at p99, included in the µs columns and subtracted (at p50) before every ratio. "mean (no
timer)" and decisions/s come from a separate loop with no timer inside: the median over 60 chunks of 1,000 decisions
(3 repeats × 20 chunks, engines taking turns): a preempted chunk does not move it, but neither does the occasional
chunk with a long GC pause, so the p99.9 column is where GC shows. The floor returns a
verdict only; "hand-written JS, full Decision" does the same checks without short-circuiting and builds the Decision
V1 shape Warden returns (every rule that fired, rendered messages, approval obligation): it shows how much of the gap
is the Decision contract itself. The targets are measured against the verdict-only floor, as the issue states.)
${latency}

**Cold start and memory** (a fresh \`node\` process per engine, no tsx, median of ${s.coldRuns} runs: import the engine, load and
compile the policy, first decision; RSS after 5,000 more checked decisions and a GC; Δ is against the same process
before the import. Warden is imported from the built \`dist/\`.)
${cold}

**Scaling: ${s.compile.largeRules} rules** — the 4 rules above plus ${s.compile.largeRules - 4} rules on 100 other declared tools, other classes
(exec, payment, admin, network, storage), other kinds (model_call, message), with globs, lists, roles and nested
conditions, none of which can apply to the requests (\`generateLargePolicy\` in \`bench/decide/warden.ts\`).
\`decideLinear()\` is the unindexed reference evaluator (filters every rule per call, interprets conditions).
${s.compile.largeRules}-rule policy: ${(s.compile.largeBytes / 1024).toFixed(0)} KiB of YAML; compile ${fmtMs(mid(s.compile.large))} ms warm median
(min ${fmtMs(s.compile.large[0] ?? NaN)}, max ${fmtMs(s.compile.large[s.compile.large.length - 1] ?? NaN)}), ${fmtMs(compileCold)} ms as the first compile in a fresh process.
${scaling}

**How each peer answers with three verdicts.** Casbin and Cedar only allow or deny, so ESCALATE is a deny that names
its own rule, read back from one call: Casbin uses \`priority(p.eft) || deny\` with rows ordered most restrictive
first and \`enforceExSync\` (its fastest synchronous call that also returns the deciding row), whose last column is the
verdict; tool classes and the allowlist are Casbin role links (\`g\`, \`g2\`), the amount test is in the matcher.
Cedar runs the policy set pre-parsed once (\`preparsePolicySet\` + \`statefulIsAuthorized\`); each \`forbid\` carries a
\`@verdict\` annotation and a deny whose determining policies are all ESCALATE is ESCALATE, any other deny BLOCK;
role, counterparty and the amount (integer cents: Cedar has no decimals without an extension) go in \`context\`,
tool classes are expanded into action lists. The timed call includes turning the Action into each engine's
request (what a caller must do); reading the answer back is untimed for all. Each engine has its own compiled copy
of the timing loop, engines take turns on ${s.rounds} chunks of the stream, and a GC runs before each chunk, so a noisy
moment or a GC of one engine does not land on another. The issue's reference numbers for this machine kind:
hand-written p50 0.13 µs / p99 0.32 µs, Casbin 16 / 30 µs, Cedar-wasm (pre-parsed) 91 / 229 µs.
`;
}
