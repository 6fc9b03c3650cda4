// Turns a decision's SANDBOX profile into a launch plan any OS sandbox can apply: which host paths become
// writable, read-only or hidden, whether the network is cut, and the exact environment.
import { realpathSync, statSync } from "node:fs";
import { posix } from "node:path";
import type { SandboxProfile } from "../types.js";
import { isPathPattern } from "../engine/obligations.js";

/** How one host path appears inside the sandbox (everything not listed is visible read-only). */
export interface SandboxMount {
  mode: "rw" | "ro" | "hide";
  /** Absolute, symlink-free host path; mounted at the same place inside. */
  path: string;
  dir: boolean;
}

export interface SandboxPlan {
  /** Parents before children, so a more specific entry is applied last. */
  mounts: SandboxMount[];
  /** `none`: a new network namespace with only its own loopback. `host`: the host's network. */
  network: "none" | "host";
  /** The complete environment of the sandboxed process. */
  env: Record<string, string>;
  /** Profile paths that do not exist on the host (nothing to mount), for the log. */
  skipped: string[];
}

export type PlanResult = { ok: true; plan: SandboxPlan } | { ok: false; error: string };

/** File-system lookups the planner needs (injectable for tests). */
export interface PlanFs {
  /** The symlink-free path, or null when it does not exist. */
  real(path: string): string | null;
  isDir(path: string): boolean;
}

export const hostFs: PlanFs = {
  real: (p) => {
    try {
      return realpathSync(p);
    } catch {
      return null;
    }
  },
  isDir: (p) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
};

const RANK = { rw: 0, ro: 1, hide: 2 } as const;

const within = (path: string, parent: string): boolean => parent === "/" || path === parent || path.startsWith(`${parent}/`);
const depth = (p: string): number => (p === "/" ? 0 : p.split("/").length - 1);

function checkPath(p: string, where: string): string | null {
  if (p.length === 0 || p.includes("\0")) return `${where}: \`${p}\` is not a path`;
  if (!p.startsWith("/")) return `${where}: \`${p}\` is not an absolute path (a sandbox path must start with /)`;
  if (isPathPattern(p)) return `${where}: \`${p}\` is a pattern; this sandbox takes literal paths only`;
  return null;
}

/**
 * Plans the filesystem view. The host root is visible read-only; `allow` paths are writable, `read_only`
 * paths read-only, `deny` paths hidden. Restrictive wins over a whole subtree: nothing under a denied path is
 * mounted, and an `allow` at or under a `read_only` path stays read-only.
 */
function planMounts(profile: SandboxProfile, fs: PlanFs): { mounts: SandboxMount[]; skipped: string[] } | string {
  const wanted = new Map<string, SandboxMount["mode"]>();
  const skipped: string[] = [];
  const add = (list: string[], mode: SandboxMount["mode"], where: string): string | null => {
    for (const raw of list) {
      const bad = checkPath(raw, where);
      if (bad) return bad;
      const real = fs.real(posix.resolve(raw));
      if (real === null) {
        skipped.push(raw);
        continue;
      }
      const prev = wanted.get(real);
      if (prev === undefined || RANK[mode] > RANK[prev]) wanted.set(real, mode);
    }
    return null;
  };
  const err =
    add(profile.filesystem.allow, "rw", "filesystem.allow") ?? add(profile.filesystem.readOnly, "ro", "filesystem.read_only") ?? add(profile.filesystem.deny, "hide", "filesystem.deny");
  if (err) return err;
  const entries = [...wanted].map(([path, mode]) => ({ path, mode }));
  const mounts: SandboxMount[] = [];
  for (const e of entries) {
    // Dropped when an entry at least as restrictive covers it (itself excluded).
    const covered = entries.some((o) => o !== e && within(e.path, o.path) && RANK[o.mode] >= RANK[e.mode] && (o.path !== e.path));
    if (!covered) mounts.push({ mode: e.mode, path: e.path, dir: fs.isDir(e.path) });
  }
  mounts.sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { mounts, skipped };
}

/** The network is cut unless the profile allows everything and denies nothing; host lists cannot be enforced here. */
function planNetwork(profile: SandboxProfile): SandboxPlan["network"] | string {
  const { allow, deny } = profile.network;
  if (deny.includes("*") || allow.length === 0) return "none";
  if (allow.includes("*") && deny.length === 0) return "host";
  return `network: allow ${JSON.stringify(allow)}${deny.length ? ` deny ${JSON.stringify(deny)}` : ""} names hosts; this sandbox can only cut the network (allow: []) or share all of it (allow: ["*"]), so it cannot enforce that list`;
}

/** Exactly the profile's variables: `allow` names taken from `source` (when set there), then `set`. */
function planEnv(profile: SandboxProfile, source: Record<string, string | undefined>): Record<string, string> | string {
  const env: Record<string, string> = {};
  const okName = (k: string): boolean => k.length > 0 && !k.includes("=") && !k.includes("\0");
  for (const k of profile.env.allow) {
    if (!okName(k)) return `env.allow: \`${k}\` is not a variable name`;
    const v = source[k];
    if (v !== undefined) env[k] = v;
  }
  for (const [k, v] of Object.entries(profile.env.set)) {
    if (!okName(k) || v.includes("\0")) return `env.set: \`${k}\` is not a variable name or its value holds a NUL`;
    env[k] = v;
  }
  return env;
}

export function planSandbox(profile: SandboxProfile, sourceEnv: Record<string, string | undefined>, fs: PlanFs = hostFs): PlanResult {
  const m = planMounts(profile, fs);
  if (typeof m === "string") return { ok: false, error: m };
  const network = planNetwork(profile);
  if (network !== "none" && network !== "host") return { ok: false, error: network };
  const env = planEnv(profile, sourceEnv);
  if (typeof env === "string") return { ok: false, error: env };
  return { ok: true, plan: { mounts: m.mounts, network, env, skipped: m.skipped } };
}

/** Two plans with the same key run in the same sandbox instance. */
export function planKey(plan: SandboxPlan): string {
  const env = Object.keys(plan.env).sort().map((k) => [k, plan.env[k]]);
  return JSON.stringify([plan.mounts.map((m) => [m.mode, m.path]), plan.network, env]);
}
