// Runs bench/lib/clock-gaps.c: how often, and for how long, a running thread is interrupted on this machine.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { compileC } from "./cc.js";

export interface ClockGaps {
  seconds: number;
  gapsPerSec: number;
  over20usPerSec: number;
  over50usPerSec: number;
  meanGapUs: number;
  worstGapUs: number;
  lostShare: number;
}

const SOURCE = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "clock-gaps.c");

/** `ms` of clock reading; null (with the reason on stderr) when no C compiler is installed. */
export function measureClockGaps(ms = 2000): ClockGaps | null {
  const bin = compileC(SOURCE);
  if ("error" in bin) {
    console.error(`clock gaps not measured: ${bin.error}`);
    return null;
  }
  return JSON.parse(execFileSync(bin.path, [String(ms)], { encoding: "utf8" })) as ClockGaps;
}

/** The chance that a call lasting `us` microseconds is interrupted at least once, at `gapsPerSec` gaps a second. */
export function hitChance(gapsPerSec: number, us: number): number {
  return 1 - Math.exp(-gapsPerSec * us * 1e-6);
}

/** The longest call (µs) that is interrupted with probability at most `chance` (the inverse of hitChance). */
export function longestCleanCall(gapsPerSec: number, chance: number): number {
  return (-Math.log(1 - chance) / gapsPerSec) * 1e6;
}
