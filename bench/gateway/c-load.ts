// Runs bench/gateway/loadgen.c (compiled once with the system's cc into the temp directory, keyed by its
// source hash) for one open-loop run, and reads its latencies back. Falls back to the JavaScript
// generator (raw-load.ts) when no C compiler is installed, and says so.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileC } from "../lib/cc.js";
import { rawOpenLoop, type RawLoadResult, type RawTarget } from "./raw-load.js";

const SOURCE = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "loadgen.c");

/** The compiled generator's path, or null (with the reason) when it cannot be built here. */
export function loadgenBinary(): { path: string } | { error: string } {
  return compileC(SOURCE);
}

export interface LoadOptions {
  rate: number;
  durationMs: number;
  warmupMs: number;
  connections: number;
  /** Extra argv before the generator (e.g. `taskset -c 0`). */
  wrap?: string[];
}

export async function openLoop(target: RawTarget, o: LoadOptions): Promise<RawLoadResult & { generator: string }> {
  const bin = loadgenBinary();
  if ("error" in bin) return { ...(await rawOpenLoop(target, o.rate, o.durationMs, o.warmupMs, o.connections)), generator: `JavaScript (raw sockets; ${bin.error})` };
  const dir = mkdtempSync(join(tmpdir(), "warden-loadgen-run-"));
  try {
    const bodies = join(dir, "bodies.jsonl");
    writeFileSync(bodies, target.bodies.map((b) => b.toString("utf8").replace(/\n/g, " ")).join("\n") + "\n");
    const out = join(dir, "lat.bin");
    const headers = Object.entries(target.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
    const argv = [bin.path, target.host, String(target.port), target.path, String(o.rate), String(o.durationMs), String(o.warmupMs), String(o.connections), bodies, out, ...headers];
    const [cmd, ...args] = [...(o.wrap ?? []), ...argv] as [string, ...string[]];
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      child.stdout.on("data", (c: Buffer) => (text += c.toString()));
      child.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`loadgen exited ${code}`))));
    });
    const s = JSON.parse(stdout) as { sent: number; errors: number; achievedPerSec: number; maxLagNs: number; p99LagNs: number; firstStatus: number; firstBody: string };
    const bytes = readFileSync(out);
    return {
      latNs: new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)),
      errors: s.errors,
      sent: s.sent,
      achieved: s.achievedPerSec,
      maxLagNs: s.maxLagNs,
      p99LagNs: s.p99LagNs,
      firstStatus: s.firstStatus,
      firstBody: s.firstBody,
      generator: "C (bench/gateway/loadgen.c: epoll + timerfd, one thread)",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
