// The policy parser (js-yaml events) against the `yaml` package's YAML 1.2 reading, plus positions and refusals.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { parse as yamlParse, stringify as yamlStringify } from "yaml";
import { parseSource, spanFor } from "../src/policy/source.js";
import { resolvePlainScalar } from "../src/policy/yaml-scalars.js";

const ROOT = new URL("..", import.meta.url).pathname;

/** How policies were read before: the `yaml` package, YAML 1.2 core schema, no merge keys, unique keys. */
function reference(text: string): unknown {
  return yamlParse(text, { version: "1.2", merge: false, uniqueKeys: true });
}

function parsedValue(text: string): unknown {
  const src = parseSource(text, "t.yaml");
  assert.deepEqual(src.diagnostics, [], `unexpected diagnostics for:\n${text}`);
  return src.value;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

test("every YAML file in the repository reads as the yaml package reads it", () => {
  const files = yamlFiles(ROOT).filter((f) => !f.includes("/dist/"));
  assert.ok(files.length >= 10, `found only ${files.length} yaml files`);
  let compared = 0;
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    if (/^---$/m.test(text.replace(/^---\n/, ""))) continue; // multi-document streams are not policies
    assert.deepEqual(parsedValue(text), reference(text), f);
    compared++;
  }
  assert.ok(compared >= 10);
});

test("plain scalars resolve as the YAML 1.2 core schema says", () => {
  const cases: Array<[string, unknown]> = [
    ["~", null], ["null", null], ["Null", null], ["NULL", null], ["", null], ["nULL", "nULL"],
    ["true", true], ["True", true], ["TRUE", true], ["false", false], ["yes", "yes"], ["on", "on"], ["tRUE", "tRUE"],
    ["0", 0], ["-12", -12], ["+7", 7], ["0o17", 15], ["0x1F", 31], ["0X1F", "0X1F"], ["-0x1", "-0x1"], ["1_000", "1_000"],
    ["1.50", 1.5], [".5", 0.5], ["5.", 5], ["1e3", 1000], ["-2.5E-2", -0.025], ["+.inf", Infinity], ["-.Inf", -Infinity],
    ["12:30", "12:30"], ["2026-03-02", "2026-03-02"], ["fs.read", "fs.read"], ["-", "-"], [".", "."], ["+", "+"],
  ];
  for (const [s, want] of cases) {
    assert.deepEqual(resolvePlainScalar(s), want, s);
    // And as the reference reads the same scalar in a document (`-` alone starts a list there, refused by both).
    if (s !== "-") assert.deepEqual(parsedValue(`k: ${s}\n`), reference(`k: ${s}\n`), s);
  }
  assert.ok(Number.isNaN(resolvePlainScalar(".nan")));
  assert.ok(Number.isNaN(resolvePlainScalar(".NaN")));
});

test("numbers keep their source text; quoted numbers stay text", () => {
  const src = parseSource("limits:\n  amount: 10000.10\n  count: 0x10\n  id: '12'\n  list: [1.50, 2]\n", "t.yaml");
  assert.deepEqual(src.value, { limits: { amount: 10000.1, count: 16, id: "12", list: [1.5, 2] } });
  assert.equal(src.numberText.get("limits.amount"), "10000.10");
  assert.equal(src.numberText.get("limits.count"), "0x10");
  assert.equal(src.numberText.get("limits.list.0"), "1.50");
  assert.equal(src.numberText.has("limits.id"), false);
});

test("positions: values, keys and quoted values map to line:col", () => {
  const text = 'id: p\nrules:\n  - id: "r1"\n    verdct: ALLOW\n';
  const src = parseSource(text, "p.yaml");
  assert.deepEqual(spanFor(src, "rules.0.id"), { file: "p.yaml", line: 3, col: 9, path: "rules.0.id" });
  assert.deepEqual(spanFor(src, "rules.0.verdct", true), { file: "p.yaml", line: 4, col: 5, path: "rules.0.verdct" });
  assert.deepEqual(spanFor(src, "rules.0.verdct"), { file: "p.yaml", line: 4, col: 13, path: "rules.0.verdct" });
  // A path that does not exist reports its nearest ancestor's position.
  assert.deepEqual(spanFor(src, "rules.0.when.all"), { file: "p.yaml", line: 3, col: 5, path: "rules.0.when.all" });
});

function onlyError(text: string): { code: string; message: string; line: number; col: number } {
  const src = parseSource(text, "t.yaml");
  assert.equal(src.diagnostics.length, 1, JSON.stringify(src.diagnostics));
  const d = src.diagnostics[0]!;
  assert.equal(d.severity, "error");
  return { code: d.code, message: d.message, line: d.span!.line, col: d.span!.col };
}

test("refused: duplicate keys (also `1` and `'1'`), aliases, tags, other YAML versions, several documents", () => {
  assert.deepEqual(onlyError("a: 1\nb: 2\na: 3\n"), { code: "DUPLICATE_KEY", message: "map keys must be unique: `a` appears twice", line: 3, col: 1 });
  assert.equal(onlyError("x:\n  1: a\n  '1': b\n").code, "DUPLICATE_KEY");
  const alias = onlyError("a: &x [1]\nb: *x\n");
  assert.equal(alias.code, "SYNTAX_ERROR");
  assert.match(alias.message, /aliases/);
  assert.deepEqual([alias.line, alias.col], [2, 4]);
  assert.match(onlyError("a: !!int 1\n").message, /tag `!!int` is not supported/);
  assert.match(onlyError("a: !custom {b: 1}\n").message, /tag `!custom`/);
  assert.match(onlyError("%YAML 1.1\n---\na: yes\n").message, /declares `%YAML 1.1`/);
  assert.match(onlyError("a: 1\n---\nb: 2\n").message, /more than one yaml document/);
  assert.match(onlyError("? [a, b]\n: 1\n").message, /mapping keys in a policy must be plain values/);
  const syntax = onlyError("id: p\nrules: [\n");
  assert.equal(syntax.code, "SYNTAX_ERROR");
  assert.equal(syntax.line, 3);
});

test("accepted: `!!str`, anchors without aliases, `%YAML 1.2`, a leading `---`, `__proto__` as plain data", () => {
  assert.deepEqual(parsedValue("a: !!str 12\nb: ! 13\n"), { a: "12", b: "13" });
  assert.deepEqual(parsedValue("a: &anchor 1\n"), { a: 1 });
  assert.deepEqual(parsedValue("%YAML 1.2\n---\na: 1\n"), { a: 1 });
  assert.deepEqual(parsedValue("---\na: 1\n...\n"), { a: 1 });
  const v = parsedValue("__proto__: {polluted: true}\n") as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ["__proto__"]);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.equal(parseSource("", "t.yaml").value, null);
  assert.equal(parseSource("# only a comment\n", "t.yaml").value, null);
});

test("texts the strict parser refuses go to the yaml package: a closing `]` at its key's indentation reads as before", () => {
  const text = "lists:\n  names: [\n    a, b,\n  ]\nn: 1.50\n";
  const src = parseSource(text, "t.yaml");
  assert.deepEqual(src.diagnostics, []);
  assert.deepEqual(src.value, { lists: { names: ["a", "b"] }, n: 1.5 });
  assert.equal(src.numberText.get("n"), "1.50");
  assert.deepEqual(spanFor(src, "n"), { file: "t.yaml", line: 5, col: 4, path: "n" });
  // The same refusals hold on that path.
  const refused = parseSource("a: [\n  1,\n]\nb: *x\nc: !!int 2\n", "t.yaml").diagnostics.map((d) => d.message);
  assert.ok(refused.some((m) => /aliases/.test(m)) || refused.some((m) => /alias/.test(m)), refused.join("; "));
});

test("positions of empty values, block scalars and lone-CR lines; no value is placed at 1:1 by default", () => {
  const src = parseSource("a: 1\nb:\nc: >-\n  folded\nd: |+ # keep\n\n  lit\n", "t.yaml");
  assert.equal(spanFor(src, "b").line, 2);
  assert.deepEqual(spanFor(src, "c"), { file: "t.yaml", line: 3, col: 4, path: "c" });
  assert.deepEqual(spanFor(src, "d"), { file: "t.yaml", line: 5, col: 4, path: "d" });
  const cr = parseSource("a: 1\rb: 2\rc: 3\r", "t.yaml");
  assert.deepEqual(cr.value, { a: 1, b: 2, c: 3 });
  assert.deepEqual(spanFor(cr, "c"), { file: "t.yaml", line: 3, col: 4, path: "c" });
  const crlf = parseSource("a: 1\r\nb: 2\r\n", "t.yaml");
  assert.deepEqual(spanFor(crlf, "b"), { file: "t.yaml", line: 2, col: 4, path: "b" });
});

test("where js-yaml and the yaml package disagree, the yaml package decides", () => {
  // Each of these read differently with js-yaml 5.5 alone (found by comparing the two parsers).
  for (const text of ['k: "a\\\n\n  b"\n', "k: >+\n    \n  ", "a:\n  b: |+\n  "]) {
    assert.deepEqual(parsedValue(text), reference(text), JSON.stringify(text));
  }
  // An escape above U+10FFFF is an error, not garbage.
  const bad = parseSource('k: "\\U00110000"\n', "t.yaml");
  assert.equal(bad.diagnostics[0]?.code, "SYNTAX_ERROR");
  assert.equal(parseSource('k: "\\\\U00110000"\n', "t.yaml").diagnostics.length, 0, "an escaped backslash before U is plain text");
});

test("a stray `:` with no key is refused, not read as a `null` key", () => {
  assert.match(onlyError("rules:\n  - id: a\n    : verdict: BLOCK\n").message, /./);
  const src = parseSource("- : : a\n", "t.yaml");
  assert.ok(src.diagnostics.some((d) => d.severity === "error"), JSON.stringify(src.value));
  const keyless = parseSource("a: 1\n: x\n", "t.yaml");
  assert.equal(keyless.diagnostics[0]?.code, "SYNTAX_ERROR");
  assert.equal(keyless.diagnostics[0]?.span?.line, 2);
});

test("the yaml package's reading refuses what the strict one refuses", () => {
  // `z: [\n  1,\n]` sends the text to the yaml package (the closing bracket sits at its key's indentation).
  const lenient = "z: [\n  1,\n]\n";
  for (const [prefix, suffix, pattern] of [
    ["%YAML 1.1\n---\n", "", /declares `%YAML 1.1`/],
    ["%YAML 2.0\n---\n", "", /declares `%YAML 2.0`/],
    ["%TAG ! tag:example.com,2000:\n---\n", "", /`%TAG` directives/],
    ["", "&a k: 1\n", /mapping keys in a policy must be plain values/],
    ["", "!!str k: 1\n", /mapping keys in a policy must be plain values/],
    ["", "k: !!str []\n", /tag `!!str` is not supported/],
    ["", "k: !!int 1\n", /tag `!!int` is not supported/],
    ["", "k: &x 1\nj: *x\n", /aliases/],
    ["", ": x\n", /a mapping key is missing/],
  ] as const) {
    const text = prefix + lenient + suffix;
    const src = parseSource(text, "t.yaml");
    assert.ok(src.diagnostics.some((d) => d.severity === "error" && pattern.test(d.message)), `${JSON.stringify(text)}: ${JSON.stringify(src.diagnostics)}`);
  }
  assert.deepEqual(parsedValue("%YAML 1.2\n---\n" + lenient), { z: [1] });
});

// Keys and strings drawn to hit YAML's corners: indicators, quotes, numbers-as-text, spaces, unicode, newlines.
const tricky = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("yes", "no", "null", "~", "true", "0x1F", "1_000", "1.50", "-", "- a", "a: b", "#x", "'q'", '"d"', "[x]", "{y}", "*", "&a", "!t", "%", "@", "`", "a\nb", " lead", "trail ", "é✓", "\t"),
);
const scalar = fc.oneof(tricky, fc.integer(), fc.double({ noDefaultInfinity: true, noNaN: true }), fc.boolean(), fc.constant(null));
const doc = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("list"), tie("map")),
  list: fc.array(tie("value"), { maxLength: 4 }),
  map: fc.dictionary(tricky, tie("value"), { maxKeys: 4 }),
})).map;

test("property: any document the yaml package writes reads back the same with both parsers", () => {
  const styles = fc.record({
    defaultStringType: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE", "BLOCK_LITERAL", "BLOCK_FOLDED"),
    collectionStyle: fc.constantFrom("any", "block", "flow"),
    indent: fc.constantFrom(2, 4),
  } as const);
  fc.assert(
    fc.property(doc, styles, (value, opts) => {
      const text = yamlStringify(value, { ...opts, version: "1.2" });
      assert.deepEqual(parsedValue(text), reference(text), text);
    }),
    { numRuns: 1500 },
  );
});
