// Hot reload of the policy file: validate the new text first; a bad policy keeps the running one and says why.
import { statSync } from "node:fs";
import { formatDiagnostic } from "../diagnostics.js";
import { loadAnyPolicy } from "../node/load.js";
import type { Governor } from "./governor.js";

export type ReloadOutcome =
  | { ok: true; changed: boolean; hash: string }
  | { ok: false; errors: string[]; keptHash: string | null };

export interface PolicyWatcher {
  reload(): ReloadOutcome;
  close(): void;
  readonly lastOutcome: ReloadOutcome | null;
}

/**
 * Watches `path` by polling its mtime, size and inode (robust to editors that replace the file by rename),
 * and reloads on change. `onOutcome` sees every attempt so the caller can log and count it.
 */
export function watchPolicy(path: string, governor: Governor, onOutcome: (o: ReloadOutcome) => void, intervalMs = 1000): PolicyWatcher {
  let last: ReloadOutcome | null = null;
  const reload = (): ReloadOutcome => {
    const r = loadAnyPolicy(path);
    if (!r.ok) {
      const errors = r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
      last = { ok: false, errors, keptHash: governor.policy?.info.hash ?? null };
    } else {
      const changed = governor.policy?.info.hash !== r.policy.info.hash;
      if (changed) governor.setPolicy(r.policy);
      last = { ok: true, changed, hash: r.policy.info.hash };
    }
    onOutcome(last);
    return last;
  };
  // Our own poll against a baseline taken now (fs.watchFile takes its baseline asynchronously, so an edit
  // made right after start could be missed).
  let seen = stamp(path);
  const timer = setInterval(() => {
    const now = stamp(path);
    if (now === seen) return;
    seen = now;
    reload();
  }, intervalMs);
  timer.unref();
  return {
    reload,
    close: () => clearInterval(timer),
    get lastOutcome() {
      return last;
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
