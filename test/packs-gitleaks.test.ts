// gitleaks importer: inline configs exercise each feature; the real gitleaks.toml (222 rules) is imported,
// compiled by the scanner, and the count printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importGitleaks } from "../src/scan/gitleaks.js";
import { assemble, compilePacks, scanWithPacks, type CompiledPacks } from "../src/scan/pack.js";
import { maskMatch } from "../src/scan/pack-findings.js";
import { CORPORA_DIR, corporaPresent } from "./packs-corpora.js";

function compiled(toml: string): { c: CompiledPacks; codes: string[] } {
  const imp = importGitleaks(toml, { file: "t.toml" });
  const r = compilePacks(assemble(imp.rules));
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  return { c: r.compiled, codes: imp.diagnostics.map((d) => d.code) };
}

const CONFIG = `
title = "test"
[allowlist]
stopwords = ["notasecret"]

[[rules]]
id = "demo-key"
description = "demo key"
regex = '''\\b(demo_[a-z0-9]{16})\\b'''
keywords = ["demo_"]
entropy = 3.0
[[rules.allowlists]]
regexes = ['''.+0000$''']

[[rules]]
id = "file-only"
path = '''\\.p12$'''

[[rules]]
id = "lookahead"
regex = '''foo(?=bar)'''
`;

test("imports regex, keywords, entropy and allowlists; reports what is not carried over", () => {
  const imp = importGitleaks(CONFIG, { file: "t.toml" });
  assert.equal(imp.total, 3);
  assert.deepEqual(imp.skipped, ["file-only", "lookahead"]);
  assert.deepEqual(imp.rules.map((r) => r.id), ["gitleaks.demo-key"]);
  const rule = imp.rules[0];
  assert.deepEqual(rule?.keywords, ["demo_"]);
  assert.equal(rule?.minEntropy, 3);
  const codes = imp.diagnostics.map((d) => d.code);
  assert.ok(codes.includes("GITLEAKS_PATH_ONLY_RULE"), codes.join());
  const look = imp.diagnostics.find((d) => d.message.includes("`lookahead`"));
  assert.ok(look, "the lookahead rule is reported");
  assert.match(look.message, /lookahead/);
  assert.match(look.message, /column 4/);
});

test("imported rules find secrets; entropy, rule allowlists and global stopwords suppress", () => {
  const { c } = compiled(CONFIG);
  const hit = scanWithPacks(c, "key demo_k3j9x2m8q7w1z5v4 here");
  assert.equal(hit.length, 1);
  assert.equal(hit[0]?.patternId, "gitleaks.demo-key");
  assert.equal(hit[0]?.masked, "de***v4");
  assert.deepEqual(scanWithPacks(c, "key demo_aaaaaaaaaaaaaaaa here"), [], "low entropy");
  assert.deepEqual(scanWithPacks(c, "key demo_k3j9x2m8q7w10000 here"), [], "rule allowlist regex");
  assert.deepEqual(scanWithPacks(c, "key demo_notasecretxyz123 here"), [], "global stopword");
  assert.deepEqual(scanWithPacks(c, "key k3j9x2m8q7w1z5v4 demo_ without the prefix"), []);
});

test("bad TOML and configs without rules are errors with a position", () => {
  const bad = importGitleaks("[[rules]\nid = 1", { file: "bad.toml" });
  assert.equal(bad.diagnostics[0]?.code, "GITLEAKS_TOML_INVALID");
  assert.equal(bad.diagnostics[0]?.severity, "error");
  assert.equal(bad.diagnostics[0]?.span?.file, "bad.toml");
  const none = importGitleaks('title = "x"\n');
  assert.equal(none.diagnostics[0]?.code, "GITLEAKS_NO_RULES");
});

test("gitleaks' own config: imported, compiled by the scanner, count printed", { skip: corporaPresent("gitleaks") ? false : "corpora/gitleaks absent" }, () => {
  const path = join(CORPORA_DIR, "gitleaks", "gitleaks.toml");
  const imp = importGitleaks(readFileSync(path, "utf8"), { file: path });
  const r = compilePacks(assemble(imp.rules), { file: path });
  assert.ok(r.ok, JSON.stringify(r.diagnostics.slice(0, 3)));
  const compiledCount = r.compiled.groups.reduce((n, g) => n + g.set.patterns.length, 0);
  const notCarried = imp.skipped.length;
  for (const id of imp.skipped) assert.ok(imp.diagnostics.some((d) => d.message.includes(`\`${id}\``)), `skipped rule ${id} has a diagnostic`);
  console.log(`gitleaks.toml: ${imp.total} rules, ${compiledCount} compiled by the scanner, ${notCarried} not carried over (${imp.diagnostics.length} diagnostics)`);
  assert.equal(compiledCount + notCarried, imp.total, "every rule is either compiled or reported");
  assert.ok(compiledCount >= 200, `most rules import (${compiledCount})`);
  const key = "AKIA" + "Z7Q2WXYVH4MP3KLR";
  const found = scanWithPacks(r.compiled, `aws_access_key_id = ${key}\n`);
  assert.ok(found.some((f) => f.patternId === "gitleaks.aws-access-token"), JSON.stringify(found));
  assert.deepEqual(scanWithPacks(r.compiled, "aws_access_key_id = AKIA" + "IOSFODNN7EXAMPLE\n").filter((f) => f.patternId === "gitleaks.aws-access-token"), [], "gitleaks' own allowlist (EXAMPLE) applies");
});

test("every gitleaks diagnostic code is in the registry and in docs/errors.md", async () => {
  const { GITLEAKS_ERRORS } = await import("../src/scan/gitleaks-errors.js");
  const doc = readFileSync("docs/errors.md", "utf8");
  for (const code of Object.keys(GITLEAKS_ERRORS)) assert.ok(doc.includes(`\`${code}\``), `docs/errors.md lacks ${code}`);
  const src = readFileSync("src/scan/gitleaks.ts", "utf8");
  for (const m of src.matchAll(/"(GITLEAKS_[A-Z_]+)"/g)) assert.ok((m[1] as string) in GITLEAKS_ERRORS, `${m[1]} is registered`);
});

test("a repeated rule id is reported at the rule that repeats it, not the first one", () => {
  const toml = `[[rules]]\nid = "dup"\nregex = '''aaa[0-9]{4}'''\n\n[[rules]]\nid = "other"\nregex = '''bbb[0-9]{4}'''\n\n[[rules]] # again\nid = "dup"\nregex = '''ccc[0-9]{4}'''\n`;
  const imp = importGitleaks(toml, { file: "t.toml" });
  const d = imp.diagnostics.find((x) => x.code === "GITLEAKS_DUPLICATE_ID");
  assert.ok(d, JSON.stringify(imp.diagnostics));
  assert.equal(d.span?.line, 9);
  assert.deepEqual(imp.rules.map((r) => r.id), ["gitleaks.dup", "gitleaks.other"]);
});

const ids = (c: CompiledPacks, text: string): string[] => scanWithPacks(c, text).map((f) => f.patternId);

test("allowlists follow gitleaks: AND needs every check, AND with commits never applies to text, targetRules only their rules", () => {
  const { c, codes } = compiled(`
[[rules]]
id = "andrule"
regex = '''key=[a-z0-9]{8,}'''
[[rules.allowlists]]
condition = "AND"
regexes = ['''test''']
stopwords = ["dummy"]
[[rules.allowlists]]
condition = "&&"
commits = ["abc123"]
regexes = ['''fixture''']

[[rules]]
id = "other"
regex = '''sec=[a-z0-9]{8,}'''

[[allowlists]]
targetRules = ["other"]
regexes = ['''zzz''']
`);
  assert.deepEqual(ids(c, "key=test1234x"), ["gitleaks.andrule"], "the regex alone does not suppress under AND");
  assert.deepEqual(ids(c, "key=dummy1234"), ["gitleaks.andrule"], "the stopword alone does not suppress under AND");
  assert.deepEqual(ids(c, "key=testdummy12"), [], "both together suppress");
  assert.deepEqual(ids(c, "key=fixture123"), ["gitleaks.andrule"], "AND with commits: text has no commit, so gitleaks reports it");
  assert.ok(codes.includes("GITLEAKS_ALLOWLIST_DROPPED"), codes.join());
  assert.deepEqual(ids(c, "key=zzz1234567"), ["gitleaks.andrule"], "a targeted global allowlist does not apply to other rules");
  assert.deepEqual(ids(c, "sec=zzz1234567"), [], "it applies to the rule it targets");
  assert.deepEqual(ids(c, "sec=abc1234567"), ["gitleaks.other"]);
});

test("an unknown targetRules name, condition or regexTarget is reported; such allowlists are not applied", () => {
  const imp = importGitleaks(`
[[rules]]
id = "r"
regex = '''key=[a-z0-9]{8,}'''
[[rules.allowlists]]
condition = "XOR"
regexes = ['''test''']
[[rules.allowlists]]
regexTarget = "file"
regexes = ['''test''']
[[allowlists]]
targetRules = ["nope"]
regexes = ['''zzz''']
`, { file: "t.toml" });
  assert.deepEqual(imp.diagnostics.map((d) => d.code).sort(), ["GITLEAKS_ALLOWLIST_DROPPED", "GITLEAKS_ALLOWLIST_DROPPED", "GITLEAKS_ALLOWLIST_TARGET_UNKNOWN"]);
  assert.equal(imp.rules[0]?.allowlists, undefined);
});

test("entropy is exclusive as in gitleaks: a secret exactly at the threshold is skipped", () => {
  const { c } = compiled(`[[rules]]\nid = "tok"\nregex = '''tok=([A-Za-z]+)'''\nentropy = 2.0\n`);
  assert.deepEqual(ids(c, "tok=abcd"), [], "entropy of abcd is exactly 2");
  assert.deepEqual(ids(c, "tok=abcde"), ["gitleaks.tok"]);
});

test("wrongly typed fields get a warning naming rule, field and type, and are read as gitleaks reads them", () => {
  const imp = importGitleaks(`[[rules]]\nid="a"\nregex="foo"\nentropy="3"\n[[rules]]\nid="b"\nregex="bar"\nkeywords="bar"\n[[rules]]\nid="c"\nregex="baz"\nentropy=[1]\nkeywords=[1, "baz"]\n`, { file: "bt7.toml" });
  const msgs = imp.diagnostics.filter((d) => d.code === "GITLEAKS_FIELD_TYPE").map((d) => d.message);
  assert.deepEqual(msgs, [
    "rule `a`: `entropy` should be a number, got the string `3`; read as 3, as gitleaks reads it",
    'rule `b`: `keywords` should be a list of strings, got the string `bar`; read as gitleaks reads it: ["bar"]',
    "rule `c`: `keywords` should be a list of strings, got a list holding number 1; entries that are not strings are ignored",
    "rule `c`: `entropy` should be a number, got a list; ignored",
  ]);
  const byId = new Map(imp.rules.map((r) => [r.id, r]));
  assert.equal(byId.get("gitleaks.a")?.minEntropy, 3);
  assert.deepEqual(byId.get("gitleaks.b")?.keywords, ["bar"]);
  assert.deepEqual(byId.get("gitleaks.c")?.keywords, ["baz"]);
  assert.equal(byId.get("gitleaks.c")?.minEntropy, undefined);
});

test("a match ending in a line break ends before it, as in gitleaks; masked text never holds a raw control character", () => {
  // gitleaks' stripe-access-token rule: its match takes the character after the token (a space, `;`, a newline)
  const { c } = compiled(`[[rules]]\nid = "stripe"\nregex = '''\\b((?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99})(?:[\\x60'"\\s;]|\\\\[nr]|$)'''\n`);
  const text = "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc\nnext\n";
  const f = scanWithPacks(c, text);
  assert.equal(f.length, 1);
  assert.equal(text.slice(f[0]?.start, f[0]?.end), "sk_live_4eC39HqLyjWDarjtT1zdp7dc");
  assert.equal(f[0]?.masked, "sk***dc");
  // gitleaks trims only \n: a \r stays in the match, and is escaped in the masked text
  const crlf = scanWithPacks(c, "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc\r\nnext");
  assert.equal(crlf[0]?.masked, "sk***c\\u000d");
  assert.equal(maskMatch("\u202eab0123456789\tx", "edges"), "\\u202ea***\\u0009x");
  assert.equal(maskMatch("\ud800b0123456789xy", "edges"), "\\ud800b***xy");
});
