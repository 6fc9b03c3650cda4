// Pack quality report: injection detection rates on third-party payload lists and per-pack false-positive
// rates on benign text (BFCL user turns, tau-bench messages, rebar subtitles), with vigil's regex as a peer.
// Run: node --import tsx scripts/pack-quality.ts [--samples]   (reads ../shared/corpora or $WARDEN_CORPORA)
import { compilePacks, loadPack, scanWithPacks } from "../src/scan/pack.js";
import { compilePatternSet, scanText } from "../src/scan/index.js";
import { PACK_NAMES } from "../src/scan/packs/types.js";
import { corporaPresent, loadBenignCorpora, loadInjectionCorpora, loadNoseyparkerExamples, loadVigilRegex, measure, memoScan, type Rate } from "../test/packs-corpora.js";

const showSamples = process.argv.includes("--samples");
const pct = (x: number): string => `${(100 * x).toFixed(x < 0.01 ? 3 : 1)}%`;

const all = compilePacks(loadPack("all"));
if (!all.ok) throw new Error(JSON.stringify(all.diagnostics));
const scanAll = memoScan((t: string) => scanWithPacks(all.compiled, t));

// vigil's regex through the same scanner, case-insensitive (YARA would match it case-sensitively; this is kinder).
const vigilSrc = loadVigilRegex();
const vigil = vigilSrc === null ? null : compilePatternSet([{ id: "vigil.instruction-bypass", pattern: vigilSrc, caseInsensitive: true }]);
const scanVigil = (t: string) => (vigil && vigil.ok ? scanText(vigil.set, t).map((m) => ({ pack: "vigil", patternId: m.patternId })) : []);

function rules(r: Rate): string {
  return [...r.byRule].sort((a, b) => b[1] - a[1]).map(([id, n]) => `${id} ${n}`).join(", ");
}

const lines: string[] = [];
lines.push("### Injection detection (texts with at least one `injection` finding)", "");
lines.push("| payload list | texts | injection pack | vigil regex (peer) |", "|---|---:|---:|---:|");
const injCorpora = loadInjectionCorpora();
for (const c of injCorpora) {
  const ours = measure(scanAll, c, "injection");
  const peer = measure(scanVigil, c);
  lines.push(`| ${c.name} | ${c.texts.length} | ${ours.flagged} (${pct(ours.rate)}) | ${vigil?.ok ? `${peer.flagged} (${pct(peer.rate)})` : "n/a"} |`);
}
lines.push("", "### False positives on benign text (texts with at least one finding of the pack)", "");
lines.push(`| corpus | texts | MB | ${PACK_NAMES.join(" | ")} | vigil regex |`, `|---|---:|---:|${PACK_NAMES.map(() => "---:|").join("")}---:|`);
const detail: string[] = [];
for (const c of loadBenignCorpora()) {
  const cells: string[] = [];
  let units = 0;
  for (const p of PACK_NAMES) {
    const r = measure(scanAll, c, p);
    units = r.units;
    cells.push(`${r.flagged} (${pct(r.rate)})`);
    if (r.flagged > 0) {
      detail.push(`- ${c.name}, ${p}: ${rules(r)}`);
      if (showSamples) for (const [id, s] of r.samples) for (const t of s) detail.push(`    - ${id}: ${JSON.stringify(t)}`);
    }
  }
  const peer = measure(scanVigil, c);
  lines.push(`| ${c.name} | ${c.texts.length} | ${(units / 1e6).toFixed(2)} | ${cells.join(" | ")} | ${vigil?.ok ? `${peer.flagged} (${pct(peer.rate)})` : "n/a"} |`);
}
lines.push("", "Rules that fired on benign text:", "", ...(detail.length > 0 ? detail : ["- none"]));
if (corporaPresent("noseyparker")) {
  const np = loadNoseyparkerExamples();
  const pos = np.flatMap((r) => r.positives);
  const neg = np.flatMap((r) => r.negatives);
  const found = pos.filter((t) => scanAll(t).some((f) => f.pack === "secrets")).length;
  const flaggedNeg = neg.filter((t) => scanAll(t).some((f) => f.pack === "secrets")).length;
  const rulesHit = np.filter((r) => r.positives.some((t) => scanAll(t).some((f) => f.pack === "secrets"))).length;
  lines.push("", "### Secrets pack on noseyparker's labelled examples", "",
    `| examples | texts | with a \`secrets\` finding |`, "|---|---:|---:|",
    `| positives (${np.length} rules) | ${pos.length} | ${found} (${pct(found / pos.length)}); ${rulesHit} rules have at least one found |`,
    `| negatives | ${neg.length} | ${flaggedNeg} (${pct(flaggedNeg / neg.length)}) |`);
}
console.log(lines.join("\n"));

// Indicative cost of scanWithPacks (all packs: normalization + scanning + checks) on subtitle text; the
// scanner's own benchmark is `npm run bench`.
if (process.argv.includes("--timing")) {
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { CORPORA_DIR } = await import("../test/packs-corpora.js");
  const hay = readFileSync(join(CORPORA_DIR, "rebar", "benchmarks", "haystacks", "opensubtitles", "en-sampled.txt"), "utf8");
  const out: string[] = ["", "### Cost of `scanWithPacks` with all packs (subtitle text, this machine)", "", "| input | p50 | p99 | MB/s at p50 |", "|---:|---:|---:|---:|"];
  for (const size of [1024, 4096, 65536]) {
    const text = hay.slice(200000, 200000 + size);
    const n = size > 10000 ? 60 : 600;
    for (let i = 0; i < 50; i++) scanWithPacks(all.compiled, text);
    const ts: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = process.hrtime.bigint();
      scanWithPacks(all.compiled, text);
      ts.push(Number(process.hrtime.bigint() - a) / 1000);
    }
    ts.sort((a, b) => a - b);
    const p50 = ts[Math.floor(n / 2)] as number;
    const p99 = ts[Math.floor(n * 0.99)] as number;
    out.push(`| ${size / 1024} KB | ${p50.toFixed(0)} µs | ${p99.toFixed(0)} µs | ${(size / p50).toFixed(1)} |`);
  }
  console.log(out.join("\n"));
}
