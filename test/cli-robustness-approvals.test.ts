// The approvals console reads a store the proxy writes: `warden approvals list|approve|deny` must not create the
// approvals directory (a typo in --dir used to leave an empty store behind and print "no pending approvals").
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli-capture.js";

test("approvals list/approve/deny on a directory that does not exist: exit 2, and nothing is created", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-apr-missing-"));
  for (const args of [["list", "--dir", "nope"], ["list", "--dir", "nope/deeper", "--json"], ["approve", "apr_x", "--dir", "nope"], ["deny", "apr_x", "--dir", "nope"]]) {
    const r = await cli(["approvals", ...args], dir);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, /warden approvals \w+: the approvals directory `.*nope[^`]*` does not exist/, args.join(" "));
    assert.equal(r.out, "");
  }
  // the default, ./.warden/approvals, is not created either
  const dflt = await cli(["approvals", "list"], dir);
  assert.equal(dflt.code, 2);
  assert.match(dflt.err, /the approvals directory `.*\.warden\/approvals` does not exist.*--dir/);
  assert.ok(!existsSync(join(dir, "nope")), "--dir was created");
  assert.ok(!existsSync(join(dir, ".warden")), "the default directory was created");
  // a file where the directory should be
  writeFileSync(join(dir, "a-file"), "");
  const file = await cli(["approvals", "list", "--dir", "a-file"], dir);
  assert.equal(file.code, 2);
  assert.match(file.err, /the approvals directory `.*a-file` is a file, not a directory/);
});
