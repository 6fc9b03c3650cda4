// Hot reload of the policy: the policy file and every parent it `extends` (recursively) are watched; any
// change reloads. The new text is validated first; a bad policy keeps the running one and says why.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { CompileResult } from "../compile/compile.js";
import { formatDiagnostic } from "../diagnostics.js";
import { loadAnyPolicy, loadPolicyWith, readPolicyFile } from "../node/load.js";
import type { Governor } from "./governor.js";

export type ReloadOutcome =
  | { ok: true; changed: boolean; hash: string }
  | { ok: false; errors: string[]; keptHash: string | null };

export interface PolicyWatcher {
  reload(): ReloadOutcome;
  close(): void;
  readonly lastOutcome: ReloadOutcome | null;
  /** The files being watched (the policy and its `extends` parents), absolute. */
  readonly files: readonly string[];
}

/**
 * A load that notes every file it read, with the file's stamp taken just before reading it. Every file (the
 * policy and each parent) is read as the CLI reads a policy: a regular file within the policy size limit, so a
 * file replaced by a FIFO, a device or a huge file fails the reload (the running policy stays) instead of
 * hanging the process or exhausting its memory.
 */
function loadTracked(path: string): { result: CompileResult; stamps: Map<string, string> } {
  const file = resolve(path);
  const stamps = new Map<string, string>([[file, stamp(file)]]);
  // Compiled artifacts carry their parents inside.
  if (path.endsWith(".wpc.json")) return { result: loadAnyPolicy(path), stamps };
  const readFile = (p: string): string => {
    // Noted even when reading fails: a missing parent that appears later must trigger a reload.
    const abs = resolve(p);
    if (!stamps.has(abs)) stamps.set(abs, stamp(abs));
    return readPolicyFile(abs);
  };
  return { result: loadPolicyWith(path, readFile), stamps };
}

/**
 * Watches `path` and its `extends` chain by polling each file's mtime, size and inode (robust to editors that
 * replace a file by rename), and reloads on any change. After a successful reload the watched set is exactly
 * the files that policy read; after a failed one, the files the attempt read are added (so fixing a broken
 * new parent is noticed too). `onOutcome` sees every attempt so the caller can log and count it.
 */
export function watchPolicy(path: string, governor: Governor, onOutcome: (o: ReloadOutcome) => void, intervalMs = 1000): PolicyWatcher {
  let last: ReloadOutcome | null = null;
  let watched = new Map<string, string>();
  const attempt = (): ReloadOutcome => {
    const { result: r, stamps } = loadTracked(path);
    if (!r.ok) {
      const errors = r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
      for (const [f, s] of stamps) watched.set(f, s);
      return { ok: false, errors, keptHash: governor.policy?.info.hash ?? null };
    }
    watched = stamps;
    const changed = governor.policy?.info.hash !== r.policy.info.hash;
    if (changed) governor.setPolicy(r.policy);
    return { ok: true, changed, hash: r.policy.info.hash };
  };
  const reload = (): ReloadOutcome => {
    last = attempt();
    onOutcome(last);
    return last;
  };
  // The baseline: which files the running policy comes from, stamped as they are read now (our own poll,
  // since fs.watchFile takes its baseline asynchronously and could miss an edit made right after start).
  // Reported only if the files changed since the caller loaded them.
  const first = attempt();
  if (!first.ok || first.changed) {
    last = first;
    onOutcome(first);
  }
  const timer = setInterval(() => {
    let dirty = false;
    for (const [f, s] of watched) {
      const now = stamp(f);
      if (now !== s) {
        watched.set(f, now);
        dirty = true;
      }
    }
    if (dirty) reload();
  }, intervalMs);
  timer.unref();
  return {
    reload,
    close: () => clearInterval(timer),
    get lastOutcome() {
      return last;
    },
    get files() {
      return [...watched.keys()];
    },
  };
}

function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return "missing";
  }
}
