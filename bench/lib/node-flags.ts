// The Node flags `warden` runs with: those on bin/warden.js's shebang line (`#!/usr/bin/env -S node …`), so the
// benchmarks start Warden's processes the way the installed CLI starts (run-bench.mjs gives them to every bench).
import { readFileSync } from "node:fs";

export const WARDEN_NODE_FLAGS: string[] = (readFileSync(new URL("../../bin/warden.js", import.meta.url), "utf8").split("\n")[0] ?? "")
  .split(/\s+/)
  .filter((a) => a.startsWith("--"));
