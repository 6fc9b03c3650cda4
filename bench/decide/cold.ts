// Runs bench/decide/cold-start.mjs in fresh processes and takes medians (cold start + RSS per engine).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchAction, Expected } from "./scenario.js";

export interface ColdRun {
  engine: string;
  importMs: number;
  compileMs: number;
  firstMs: number;
  totalMs: number;
  rssBase: number;
  rssFirst: number;
  rssWarm: number;
  checked: number;
}

const SCRIPT = fileURLToPath(new URL("./cold-start.mjs", import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}

/**
 * `runs` fresh processes per engine (interleaved, so a slow moment hits all engines alike); each checks its
 * first decision and the whole warm-up against the oracle, or the benchmark fails. Returns medians per field.
 */
export function measureColdStarts(
  engines: Array<{ key: string; engine: string; wardenPolicy?: string }>,
  actions: readonly BenchAction[],
  expected: readonly Expected[],
  runs: number,
): Map<string, ColdRun> {
  const dir = mkdtempSync(join(tmpdir(), "warden-decide-bench-"));
  try {
    const all = new Map<string, ColdRun[]>();
    for (let r = 0; r < runs; r++) {
      for (const e of engines) {
        const jobPath = join(dir, `${e.key}.json`);
        if (r === 0) {
          writeFileSync(jobPath, JSON.stringify({ actions, expected: expected.map((x) => x.verdict), wardenPolicy: e.wardenPolicy }));
        }
        const p = spawnSync(process.execPath, ["--expose-gc", SCRIPT, e.engine, jobPath], { encoding: "utf8" });
        if (p.status !== 0) throw new Error(`decide bench: cold start of ${e.key} failed (exit ${p.status}):\n${p.stderr}`);
        const line = p.stdout.trim().split("\n").pop() ?? "";
        const run = JSON.parse(line) as ColdRun;
        const list = all.get(e.key) ?? [];
        list.push(run);
        all.set(e.key, list);
      }
    }
    const out = new Map<string, ColdRun>();
    for (const [key, list] of all) {
      const m = (f: (x: ColdRun) => number): number => median(list.map(f));
      out.set(key, {
        engine: key,
        importMs: m((x) => x.importMs),
        compileMs: m((x) => x.compileMs),
        firstMs: m((x) => x.firstMs),
        totalMs: m((x) => x.totalMs),
        rssBase: m((x) => x.rssBase),
        rssFirst: m((x) => x.rssFirst),
        rssWarm: m((x) => x.rssWarm),
        checked: list[0]?.checked ?? 0,
      });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
