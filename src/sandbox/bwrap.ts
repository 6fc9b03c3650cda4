// Applies a SandboxPlan with bubblewrap (`bwrap`, Debian package bubblewrap): new user, pid, ipc, uts (and,
// when the plan cuts it, network) namespaces, no capabilities, the host root read-only, the plan's mounts.
import { execFile } from "node:child_process";
import type { SandboxPlan } from "./plan.js";

export interface Launch {
  command: string;
  args: string[];
  /** The environment to start `command` with. */
  env: Record<string, string>;
}

export interface SandboxLauncher {
  readonly name: string;
  /** Wraps `command args` so it runs inside the plan's sandbox. */
  wrap(plan: SandboxPlan, command: string, args: string[], opts: { cwd?: string; inheritedEnv: readonly string[] }): Launch;
  /** Starts a trivial sandbox; resolves to null when it works, or to why it does not. */
  probe(): Promise<string | null>;
}

/** The flags every sandbox gets, whatever the profile. */
function baseArgs(plan: SandboxPlan): string[] {
  return [
    "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    ...(plan.network === "none" ? ["--unshare-net"] : []),
    "--hostname", "warden-sandbox",
    // No capabilities (not even as root): mounts cannot be undone or remounted writable from inside.
    "--cap-drop", "ALL",
    "--die-with-parent", "--new-session",
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
  ];
}

function mountArgs(plan: SandboxPlan): string[] {
  const out: string[] = [];
  for (const m of plan.mounts) {
    if (m.mode === "rw") out.push("--bind", m.path, m.path);
    else if (m.mode === "ro") out.push("--ro-bind", m.path, m.path);
    // A hidden directory becomes an empty, unreadable, read-only tmpfs.
    else if (m.dir) out.push("--perms", "0000", "--tmpfs", m.path, "--remount-ro", m.path);
    // A hidden file becomes the host's /dev/null bound without device access (bwrap binds are nodev): every open fails.
    else out.push("--ro-bind", "/dev/null", m.path);
  }
  return out;
}

export function bwrapLauncher(bin = "bwrap", envBin = "/usr/bin/env"): SandboxLauncher {
  return {
    name: "bwrap",
    wrap(plan, command, args, opts) {
      // The caller's process environment seeds some variables (the MCP SDK adds HOME, PATH, …); anything the
      // plan does not name is unset inside, so the sandbox sees exactly the plan's environment. Values travel
      // in the environment, never on the command line (which other host users can read).
      const cwd = opts.cwd;
      // A working directory the plan hides (or that does not exist) would stop bwrap; the process starts in / then.
      const chdir = cwd !== undefined && !plan.mounts.some((m) => m.mode === "hide" && (cwd === m.path || cwd.startsWith(`${m.path}/`))) ? ["--chdir", cwd] : [];
      const unset = opts.inheritedEnv.filter((k) => !Object.hasOwn(plan.env, k)).flatMap((k) => ["--unsetenv", k]);
      // bwrap always sets PWD after it changes directory; `env -u PWD` takes it out again unless the plan names it.
      const pwd = Object.hasOwn(plan.env, "PWD") ? [] : [envBin, "-u", "PWD", "--"];
      return {
        command: bin,
        args: [...baseArgs(plan), ...mountArgs(plan), ...chdir, ...unset, "--", ...pwd, command, ...args],
        env: { ...plan.env },
      };
    },
    probe() {
      const plan: SandboxPlan = { mounts: [], network: "none", env: {}, skipped: [] };
      return new Promise((resolve) => {
        execFile(bin, [...baseArgs(plan), "--", process.execPath, "-e", "0"], { timeout: 10_000, env: {} }, (err, _out, stderr) => {
          resolve(err ? `\`${bin}\` cannot start a sandbox here: ${(stderr || err.message).trim().slice(0, 300)}` : null);
        });
      });
    },
  };
}
