// Runs one command inside a SandboxPlan (bubblewrap by default) and collects its output: what guard()'s
// sandbox executors use to carry out a SANDBOX verdict for tools that run programs.
import { execFile } from "node:child_process";
import { bwrapLauncher, type SandboxLauncher } from "./bwrap.js";
import type { SandboxPlan } from "./plan.js";
import type { SandboxProfile } from "../types.js";

export interface SandboxRunResult {
  /** Exit code (null when killed by a signal, e.g. the timeout). */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface SandboxRunOptions {
  cwd?: string;
  /** Kills the command after this long (default 30 s). */
  timeoutMs?: number;
  /** Most bytes kept of stdout and of stderr each (default 10 MiB); beyond it the command is killed. */
  maxBuffer?: number;
}

/** A SANDBOX obligation ready to use: the profile, its plan for this host, and a way to run commands in it. */
export interface SandboxBox {
  profile: SandboxProfile;
  plan: SandboxPlan;
  exec(command: string, args: string[], options?: SandboxRunOptions): Promise<SandboxRunResult>;
}

/** Runs `command args` in the plan's sandbox. Never rejects for a failing command: the exit code says how it ended. */
export function runSandboxed(plan: SandboxPlan, command: string, args: string[], options: SandboxRunOptions = {}, launcher: SandboxLauncher = bwrapLauncher()): Promise<SandboxRunResult> {
  const launch = launcher.wrap(plan, command, args, { ...(options.cwd !== undefined ? { cwd: options.cwd } : {}), inheritedEnv: [] });
  return new Promise((resolve, reject) => {
    execFile(
      launch.command,
      launch.args,
      { env: launch.env, timeout: options.timeoutMs ?? 30_000, maxBuffer: options.maxBuffer ?? 10 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: string | null }) | null;
        // a launcher that could not start at all (ENOENT, EACCES) is an error, not an exit code
        if (e && typeof e.code === "string") return reject(new Error(`${launcher.name} could not start: ${e.message}`));
        resolve({ code: e ? (typeof e.code === "number" ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

export function sandboxBox(profile: SandboxProfile, plan: SandboxPlan, launcher: SandboxLauncher = bwrapLauncher()): SandboxBox {
  return { profile, plan, exec: (command, args, options) => runSandboxed(plan, command, args, options, launcher) };
}
