// CPU time a process has used (user + system), from /proc on Linux: the benchmarks' server-cost column.
import { readFileSync } from "node:fs";

/** user + system CPU of process `pid` in µs, or NaN when it cannot be read (no pid, not Linux, process gone). */
export function processCpuUs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}
