// docs/errors.md must list every diagnostic code (regenerate with `node --import tsx scripts/gen-errors-doc.ts`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { POLICY_ERRORS } from "../src/policy/errors.js";

test("every policy diagnostic code is documented in docs/errors.md", () => {
  const doc = readFileSync("docs/errors.md", "utf8");
  for (const code of Object.keys(POLICY_ERRORS)) assert.ok(doc.includes(`\`${code}\``), `docs/errors.md lacks ${code}; regenerate it`);
});
