// RFC 8785 conformance: every vector in corpora/vectors/jcs (input/output/outhex and the ES6 number files).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { canonicalize } from "./jcs.js";

const DIR = fileURLToPath(new URL("../../../shared/corpora/vectors/jcs/testdata/", import.meta.url));
const present = existsSync(DIR);
const skip = present ? false : `JCS vectors not found at ${DIR} (the shared corpora folder is absent)`;
if (!present) console.log(`# SKIP jcs vectors: ${String(skip)}`);

test("every input/ vector canonicalizes to its output/ bytes and outhex/ hex", { skip }, () => {
  const names = readdirSync(`${DIR}input`).filter((n) => n.endsWith(".json")).sort();
  assert.ok(names.length >= 6, `expected the 6 upstream vectors, found ${names.length}`);
  for (const name of names) {
    const input: unknown = JSON.parse(readFileSync(`${DIR}input/${name}`, "utf8"));
    const got = Buffer.from(canonicalize(input), "utf8");
    const want = readFileSync(`${DIR}output/${name}`);
    assert.ok(got.equals(want), `${name}: got ${got.toString()} want ${want.toString()}`);
    const hex = readFileSync(`${DIR}outhex/${name.replace(/\.json$/, ".txt")}`, "utf8").replace(/\s+/g, "");
    assert.equal(got.toString("hex"), hex.toLowerCase(), `${name} (outhex)`);
  }
});

for (const file of ["es6testfile_1000.txt", "es6testfile_10000.txt"]) {
  test(`every line of ${file} serializes as expected`, { skip }, () => {
    const lines = readFileSync(DIR + file, "utf8").split("\n").filter((l) => l.length > 0);
    assert.ok(lines.length >= (file.includes("10000") ? 10_000 : 1_000), `${file} has ${lines.length} lines`);
    const view = new DataView(new ArrayBuffer(8));
    let checked = 0;
    for (const line of lines) {
      const comma = line.indexOf(",");
      const hex = line.slice(0, comma).padStart(16, "0");
      const expected = line.slice(comma + 1);
      view.setBigUint64(0, BigInt(`0x${hex}`));
      const n = view.getFloat64(0);
      // The upstream files list NaN/Infinity bit patterns nowhere; every line must be finite.
      assert.ok(Number.isFinite(n), `line \`${line}\` is not finite`);
      assert.equal(canonicalize(n), expected, `line \`${line}\``);
      // Inside a document too (the number path of containers is the same writer).
      assert.equal(canonicalize([n]), `[${expected}]`);
      checked++;
    }
    assert.equal(checked, lines.length);
  });
}
