// The on-disk cache of compiled packs used by the CLI: `$WARDEN_CACHE_DIR`, else `$XDG_CACHE_HOME/warden`, else
// `~/.cache/warden` (packs/<key>.json, written atomically, checksummed). WARDEN_NO_CACHE=1 turns it off.
// Keys are salted with a fingerprint of the scanner's own code, so editing or upgrading Warden never reads an
// entry an older build wrote. The cache is only an optimisation (a hit gives the very automata a compile
// builds), so a failure here is never an error: a damaged or odd entry is a miss, and a folder that cannot be
// made or written (under /proc, under a file, read-only, full) is reported once through `warn` and the cache is
// off for the rest of the process. The folder is made one level at a time (src/node/mkdirs.ts): a recursive
// mkdir spins forever under /proc.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { usePackCache, type CachedCompile, type PackCache } from "../scan/pack-cache.js";
import { WARDEN_VERSION } from "../version.js";
import { makeDirsSync } from "./mkdirs.js";
import { readRegularFile } from "./regular-file.js";

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
  return cacheDirSource(env).dir;
}

/** The cache folder and where it comes from (for messages). */
function cacheDirSource(env: NodeJS.ProcessEnv): { dir: string; from?: string } {
  if (env["WARDEN_CACHE_DIR"]) return { dir: env["WARDEN_CACHE_DIR"], from: "WARDEN_CACHE_DIR" };
  if (env["XDG_CACHE_HOME"]) return { dir: join(env["XDG_CACHE_HOME"], "warden"), from: "XDG_CACHE_HOME" };
  return { dir: join(homedir(), ".cache", "warden") };
}

/** An entry is `{"sha256":"<hex of the value's text>","value":<value>}`. */
const HEAD = '{"sha256":"';
const MID = '","value":';
const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Why writing an entry failed, in words. */
function writeReason(err: NodeJS.ErrnoException, dir: string, file: string): string {
  switch (err.code) {
    case "ENOTDIR":
      return `\`${dir}\` is not a folder`;
    case "EACCES":
    case "EPERM":
      return `permission denied writing in \`${dir}\` (${err.code})`;
    case "EROFS":
      return `\`${dir}\` is on a read-only file system (EROFS)`;
    case "ENOSPC":
      return "no space left on the device (ENOSPC)";
    default:
      return `cannot write \`${file}\`: ${err.message}`;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Entries kept (a few MB each): older ones, e.g. from a previous Warden build, are removed on write. */
const MAX_ENTRIES = 24;
/** The most read of one entry (every built-in pack together is about 8 MB): anything larger is a miss. */
const MAX_ENTRY_BYTES = 256 * 1024 * 1024;

export interface DirPackCacheOptions {
  /** Entries kept (default 24). */
  maxEntries?: number;
  /** Told once, in words, when the folder cannot be made or written; the cache is off from then on. */
  warn?: (message: string) => void;
  /** Where the folder comes from, for that message (e.g. `WARDEN_CACHE_DIR`). */
  from?: string;
}

export class DirPackCache implements PackCache {
  private readonly dir: string;
  private readonly maxEntries: number;
  private readonly warn: (message: string) => void;
  private readonly from: string | undefined;
  /** Why the cache is off (the folder cannot be made or written), or null while it works. */
  private unusable: string | null = null;

  constructor(
    private readonly root: string,
    options: number | DirPackCacheOptions = {},
  ) {
    const o = typeof options === "number" ? { maxEntries: options } : options;
    this.dir = join(root, "packs");
    this.maxEntries = o.maxEntries ?? MAX_ENTRIES;
    this.warn = o.warn ?? (() => {});
    this.from = o.from;
  }

  /** Why the cache was turned off, or null. */
  get disabled(): string | null {
    return this.unusable;
  }

  private disable(why: string): void {
    if (this.unusable !== null) return;
    this.unusable = why;
    const from = this.from ? ` (from ${this.from})` : "";
    this.warn(
      `the compiled rule-pack cache \`${this.root}\`${from} cannot be used: ${why}. Going on without it: results are the same, ` +
        `but rule packs are compiled again on every run (a few seconds). Set WARDEN_CACHE_DIR to a writable folder, or WARDEN_NO_CACHE=1 to turn the cache off.`,
    );
  }

  private file(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  get(key: string): unknown {
    if (this.unusable !== null) return null;
    let text: string;
    try {
      // a regular file within a bound: an entry replaced by a FIFO or a huge file is a miss, not a hang
      text = readRegularFile(this.file(key), MAX_ENTRY_BYTES);
    } catch {
      return null;
    }
    // the checksum covers the value's text as written: checked on that text, parsed only once it matches
    const sum = text.slice(HEAD.length, HEAD.length + 64);
    if (!text.startsWith(HEAD) || !text.startsWith(MID, HEAD.length + 64) || !text.endsWith("}")) return null;
    const body = text.slice(HEAD.length + 64 + MID.length, -1);
    if (sha256Hex(body) !== sum) return null; // damaged: recompile
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return null;
    }
  }

  put(key: string, value: CachedCompile): void {
    if (this.unusable !== null) return;
    const made = makeDirsSync(this.dir);
    if (made !== null) return this.disable(made);
    const body = JSON.stringify(value);
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      // whatever is at the temporary name (a leftover of a crash) is removed, and "wx" never opens an existing
      // file: a FIFO there would block the write
      try {
        unlinkSync(tmp);
      } catch {
        // usually absent
      }
      writeFileSync(tmp, `${HEAD}${sha256Hex(body)}${MID}${body}}`, { mode: 0o600, flag: "wx" });
      renameSync(tmp, file);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // never made
      }
      // A folder where the entry goes (put there by hand or by another tool): the cache folder is writable and
      // every other entry works, so only this entry is not stored (recompiled each time), said once per entry.
      if (isFolder(file)) return this.entryBlocked(file);
      return this.disable(writeReason(e as NodeJS.ErrnoException, this.dir, file));
    }
    this.prune();
  }

  private readonly blocked = new Set<string>();

  private entryBlocked(file: string): void {
    if (this.blocked.has(file)) return;
    this.blocked.add(file);
    this.warn(
      `the compiled rule-pack cache entry \`${file}\` is a folder, not a file, so this entry cannot be stored: these rule packs are ` +
        `compiled again on every run (a few seconds); results are the same. Remove that folder to let the cache store it.`,
    );
  }

  /** Removes the least recently written entries beyond `maxEntries` (a failure only leaves them). */
  private prune(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    const entries = names
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

/**
 * Installs the on-disk cache for this process unless WARDEN_NO_CACHE is set; returns its directory or null.
 * `warn` is told once if the folder turns out unusable (the cache is then off; nothing fails): the CLI prints it
 * on stderr; by default it is a process warning (`process.emitWarning`, code WARDEN_CACHE_UNUSABLE).
 */
export function installPackCache(env: NodeJS.ProcessEnv = process.env, options: { warn?: (message: string) => void } = {}): string | null {
  if (env["WARDEN_NO_CACHE"] && env["WARDEN_NO_CACHE"] !== "0") return null;
  const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: "WARDEN_CACHE_UNUSABLE" }));
  try {
    const { dir, from } = cacheDirSource(env);
    let salt: string | null = null;
    usePackCache(new DirPackCache(dir, { warn, ...(from ? { from } : {}) }), () => (salt ??= scannerFingerprint()));
    return dir;
  } catch {
    return null;
  }
}
