// The shipped JSON Schema (editor completion) accepts every example policy and rejects what the compiler rejects structurally.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { parse } from "yaml";
import { Ajv } from "ajv";

const schema = JSON.parse(readFileSync("schema/policy.schema.json", "utf8"));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

test("every example policy validates against schema/policy.schema.json", () => {
  const files = readdirSync("examples/policies").filter((f) => /\.ya?ml$/.test(f) && !f.endsWith(".test.yaml"));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const ok = validate(parse(readFileSync(`examples/policies/${f}`, "utf8")));
    assert.ok(ok, `${f}: ${JSON.stringify(validate.errors)}`);
  }
});

test("the schema rejects unknown fields, bad verdicts and empty combinators", () => {
  const base = { id: "p", version: "1", default: "BLOCK" };
  assert.equal(validate({ ...base, rules: [{ id: "r", verdict: "DENY" }] }), false);
  assert.equal(validate({ ...base, rules: [{ id: "r", verdict: "BLOCK", verdct: 1 }] }), false);
  assert.equal(validate({ ...base, rules: [{ id: "r", verdict: "BLOCK", when: { all: [] } }] }), false);
  assert.equal(validate({ ...base, rules: [{ id: "r", verdict: "BLOCK", when: { field: "args.x", greater: 1 } }] }), false);
});
