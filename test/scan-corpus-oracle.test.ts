// Scanner vs oracles on corpus strings: (1) exact spans against the brute-force oracle for gitleaks patterns
// on noseyparker's example secrets; (2) "matches anywhere" against V8 on the ORIGINAL pattern text wherever
// V8 accepts it (an independent parser), on ASCII strings.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { compilePatternSet, scanText } from "../src/scan/index.js";
import { jsSourceOf, oracleMatches } from "./scan-oracle-lib.js";

const CORPORA = new URL("../../shared/corpora/", import.meta.url).pathname;
const GITLEAKS = `${CORPORA}gitleaks/gitleaks.toml`;
const NP_RULES = `${CORPORA}noseyparker/crates/noseyparker/data/default/builtin/rules/`;
const missing = !existsSync(GITLEAKS) || !existsSync(NP_RULES);

function npRules(): { id: string; pattern: string; examples: string[] }[] {
  const out: { id: string; pattern: string; examples: string[] }[] = [];
  for (const f of readdirSync(NP_RULES).sort()) {
    const doc = parseYaml(readFileSync(NP_RULES + f, "utf8")) as { rules?: { id: string; pattern: string; examples?: string[]; negative_examples?: string[] }[] };
    for (const r of doc.rules ?? []) out.push({ id: r.id, pattern: r.pattern, examples: [...(r.examples ?? []), ...(r.negative_examples ?? [])] });
  }
  return out;
}

test("exact spans equal the oracle for gitleaks patterns on corpus strings", { skip: missing && "corpora missing" }, () => {
  const rules = (parseToml(readFileSync(GITLEAKS, "utf8")) as { rules: { id: string; regex?: string }[] }).rules.filter((r) => r.regex);
  const texts = npRules()
    .flatMap((r) => r.examples)
    .filter((t) => t.length <= 160);
  // a deterministic sample: every 7th rule against every 9th text (kept small: the oracle is O(n^2) regex calls)
  const sampleRules = rules.filter((_, i) => i % 7 === 0);
  const sampleTexts = texts.filter((_, i) => i % 9 === 0);
  let compared = 0;
  let withMatches = 0;
  for (const r of sampleRules) {
    const src = jsSourceOf(r.regex as string);
    assert.ok(src !== null);
    const c = compilePatternSet([{ id: r.id, pattern: r.regex as string }]);
    assert.ok(c.ok);
    for (const t of sampleTexts) {
      const want = oracleMatches(src, t, 256);
      const got: number[][] = scanText(c.set, t).map((m) => [m.start, m.end]);
      assert.deepEqual(got, want, `${r.id} on ${JSON.stringify(t)}`);
      compared++;
      if (want.length > 0) withMatches++;
    }
  }
  console.log(`compared ${compared} (pattern, text) pairs, ${withMatches} with matches`);
  assert.ok(withMatches > 0);
});

test("matches-anywhere agrees with V8 on the original pattern text (ASCII strings)", { skip: missing && "corpora missing" }, () => {
  const rules = npRules();
  const texts = rules.flatMap((r) => r.examples).filter((t) => /^[\x20-\x7e\n\t]*$/.test(t));
  let checked = 0;
  const disagreements: string[] = [];
  for (const r of rules) {
    // V8 has no inline flags: only a leading (?i)/(?x) etc. can be translated; verbose mode is stripped by us
    let src = r.pattern;
    let flags = "";
    const lead = /^\(\?([imsx]+)\)/.exec(src.trim());
    if (lead) {
      src = src.trim().slice(lead[0].length);
      flags = (lead[1] as string).replace("x", "");
      if ((lead[1] as string).includes("x")) continue; // V8 has no verbose mode
    }
    let re: RegExp;
    try {
      re = new RegExp(src, flags);
    } catch {
      continue;
    }
    if (/\(\?[imsx-]+[:)]/.test(src)) continue;
    const c = compilePatternSet([{ id: r.id, pattern: r.pattern }]);
    assert.ok(c.ok);
    for (const t of texts) {
      const v8 = re.test(t);
      const ours = scanText(c.set, t).length > 0;
      checked++;
      // V8's \s is Unicode and ours ASCII; on ASCII strings they agree except for \v handling, so any
      // difference is a bug
      if (v8 !== ours) disagreements.push(`${r.id} on ${JSON.stringify(t.slice(0, 60))}: v8 ${v8}, warden ${ours}`);
    }
  }
  console.log(`checked ${checked} (pattern, text) pairs against V8`);
  assert.ok(checked > 1000);
  assert.deepEqual(disagreements, []);
});
