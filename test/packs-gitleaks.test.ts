// gitleaks importer: inline configs exercise each feature; the real gitleaks.toml (222 rules) is imported,
// compiled by the scanner, and the count printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importGitleaks } from "../src/scan/gitleaks.js";
import { assemble, compilePacks, scanWithPacks, type CompiledPacks } from "../src/scan/pack.js";
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
