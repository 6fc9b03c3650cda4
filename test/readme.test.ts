// The README's policy walkthrough runs as written: every command exits as the text says (0, or 1 for findings/blocks).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

test("README: the two commands open the file, and the policy walkthrough runs as written", () => {
  const readme = readFileSync("README.md", "utf8");
  assert.match(readme, /^# Warden\n\n```sh\nnpm install && npm start\nnpm test\n```/);
  const block = /## Write, test and roll out a policy[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "walkthrough block present");
  const expected: Record<string, number[]> = { validate: [0], test: [0], check: [0, 1], explain: [0], compile: [0], scan: [1] };
  for (const line of block.trim().split("\n")) {
    const cmd = line.replace(/\s+#.*$/, "");
    const sub = cmd.split(/\s+/)[2] as string;
    const r = spawnSync("bash", ["-c", cmd], { encoding: "utf8" });
    assert.ok((expected[sub] ?? [0]).includes(r.status ?? -1), `\`${cmd}\` exited ${r.status}: ${r.stderr.slice(0, 400)}`);
    assert.ok(r.stdout.length > 0, `\`${cmd}\` printed nothing`);
  }
});
