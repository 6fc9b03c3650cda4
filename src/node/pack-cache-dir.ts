// The on-disk cache of compiled packs used by the CLI: `$WARDEN_CACHE_DIR`, else `$XDG_CACHE_HOME/warden`, else
// `~/.cache/warden` (packs/<key>.json, written atomically, checksummed). WARDEN_NO_CACHE=1 turns it off.
// Keys are salted with a fingerprint of the scanner's own code, so editing or upgrading Warden never reads an
// entry an older build wrote. Every failure here is a cache miss, never an error.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { usePackCache, type CachedCompile, type PackCache } from "../scan/pack-cache.js";
import { WARDEN_VERSION } from "../version.js";

const SCAN_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "scan");

/** sha256 over the version and every module of the scanner (sorted by name), read once per process. */
export function scannerFingerprint(dir = SCAN_DIR): string {
  const h = createHash("sha256").update(WARDEN_VERSION);
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|ts)$/.test(e.name) && !e.name.endsWith(".d.ts")) h.update(e.name).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  walk(dir);
  return h.digest("hex");
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env["WARDEN_CACHE_DIR"]) return env["WARDEN_CACHE_DIR"];
  return join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "warden");
}

/** An entry is `{"sha256":"<hex of the value's text>","value":<value>}`. */
const HEAD = '{"sha256":"';
const MID = '","value":';
const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Entries kept (a few MB each): older ones, e.g. from a previous Warden build, are removed on write. */
const MAX_ENTRIES = 24;

export class DirPackCache implements PackCache {
  private readonly dir: string;

  constructor(
    root: string,
    private readonly maxEntries = MAX_ENTRIES,
  ) {
    this.dir = join(root, "packs");
  }

  private file(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  get(key: string): unknown {
    let text: string;
    try {
      text = readFileSync(this.file(key), "utf8");
    } catch {
      return null;
    }
    // the checksum covers the value's text as written: checked on that text, parsed only once it matches
    const sum = text.slice(HEAD.length, HEAD.length + 64);
    if (!text.startsWith(HEAD) || !text.startsWith(MID, HEAD.length + 64) || !text.endsWith("}")) return null;
    const body = text.slice(HEAD.length + 64 + MID.length, -1);
    if (sha256Hex(body) !== sum) return null; // damaged: recompile
    return JSON.parse(body) as unknown;
  }

  put(key: string, value: CachedCompile): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const body = JSON.stringify(value);
    const tmp = `${this.file(key)}.${process.pid}.tmp`;
    writeFileSync(tmp, `${HEAD}${sha256Hex(body)}${MID}${body}}`, { mode: 0o600 });
    renameSync(tmp, this.file(key));
    this.prune();
  }

  /** Removes the least recently written entries beyond `maxEntries` (a failure only leaves them). */
  private prune(): void {
    const entries = readdirSync(this.dir)
      .filter((n) => n.endsWith(".json"))
      .map((n) => {
        try {
          return { n, t: statSync(join(this.dir, n)).mtimeMs };
        } catch {
          return null;
        }
      })
      .filter((e): e is { n: string; t: number } => e !== null)
      .sort((a, b) => b.t - a.t || (a.n < b.n ? -1 : 1));
    for (const e of entries.slice(this.maxEntries)) {
      try {
        unlinkSync(join(this.dir, e.n));
      } catch {
        // another process removed it first
      }
    }
  }
}

/** Installs the on-disk cache for this process unless WARDEN_NO_CACHE is set; returns its directory or null. */
export function installPackCache(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env["WARDEN_NO_CACHE"] && env["WARDEN_NO_CACHE"] !== "0") return null;
  try {
    const root = defaultCacheDir(env);
    let salt: string | null = null;
    usePackCache(new DirPackCache(root), () => (salt ??= scannerFingerprint()));
    return root;
  } catch {
    return null;
  }
}
