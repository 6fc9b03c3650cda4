// A key file that is not there is named as such, with what to pass (reviewer: docs/audit.md said
// `verify-proof proof.json --key warden-public.jwks.json` after `keys gen --out keys/`, and the CLI answered a bare
// "ENOENT").
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cli } from "./cli-capture.js";
import { tempDir } from "./record-fixtures.js";

test("a missing --key file: 'no such file' and which files `keys gen` writes, for audit and check", async () => {
  const t = tempDir("key-missing");
  try {
    const gen = await cli(["keys", "gen", "--out", join(t.dir, "keys")], t.dir);
    assert.equal(gen.code, 0, gen.err);
    const proof = await cli(["audit", "verify-proof", join(t.dir, "proof.json"), "--key", "warden-public.jwks.json"], t.dir);
    assert.equal(proof.code, 2);
    assert.match(proof.err, /cannot read key file `.*warden-public\.jwks\.json`: no such file: give the keyring \(`warden-keys\.json`\) or the public keys \(`warden-public\.jwks\.json`\) that `warden keys gen --out DIR` wrote, with their folder \(e\.g\. `keys\/warden-public\.jwks\.json`\)/);
    assert.doesNotMatch(proof.err, /ENOENT/);
    const check = await cli(["check", "--policy", "examples/policies/finance.yaml", "--action", "examples/actions/payment-unknown.json", "--audit", join(t.dir, "log"), "--key", join(t.dir, "warden-keys.json")]);
    assert.equal(check.code, 2);
    assert.match(check.err, /cannot read key file `.*warden-keys\.json`: no such file: give the keyring/);
  } finally {
    t.cleanup();
  }
});

test("docs/audit.md passes verify-proof the JWKS where `keys gen --out keys/` puts it", () => {
  const doc = readFileSync("docs/audit.md", "utf8");
  assert.match(doc, /warden keys gen --out keys\//);
  for (const m of doc.matchAll(/--key (\S*warden-(?:keys|public)\S*)/g)) assert.match(m[1] as string, /^keys\//, m[0]);
});
