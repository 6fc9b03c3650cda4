// Reading and writing key files: the keyring (secrets, mode 0600, written atomically) and the public JWKS.
import { chmodSync, existsSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KeyError, Keyring, rotateKeyring, type KeyringFileV1 } from "./keyring.js";
import { makeFolderSync } from "../node/mkdirs.js";
import { KEY_FILE_LIMIT, readRegularFile, type FileReadError } from "../node/regular-file.js";

export const KEYRING_NAME = "warden-keys.json";
export const JWKS_NAME = "warden-public.jwks.json";

/** Writes `text` to `path` with `mode` via a temporary file and rename (never a half-written key file). */
function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode, flag: "w" });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export interface KeyFiles {
  keyring: string;
  jwks: string;
  ring: Keyring;
  file: KeyringFileV1;
}

/** `warden keys gen`: a new keyring in `dir`; refuses to overwrite one unless `force`. */
export function generateKeyFiles(dir: string, now: Date, force = false): KeyFiles {
  // One level at a time: a recursive mkdir spins forever on some paths (under /proc).
  const why = makeFolderSync(dir);
  if (why !== null) throw new KeyError(`cannot create the key folder \`${dir}\`: ${why}`);
  const keyring = join(dir, KEYRING_NAME);
  if (existsSync(keyring) && !force) {
    throw new KeyError(`\`${keyring}\` already exists (use \`warden keys rotate --key ${keyring}\` to add a key, or --force to replace it)`);
  }
  return writeKeyFiles(dir, rotateKeyring(null, now));
}

/** `warden keys rotate`: adds fresh keys to an existing keyring; old keys stay for verification. */
export function rotateKeyFile(keyringPath: string, now: Date): KeyFiles {
  const file = readJson(keyringPath) as KeyringFileV1;
  Keyring.fromFile(file, keyringPath); // validate before touching anything
  const dir = keyringPath.slice(0, Math.max(0, keyringPath.lastIndexOf("/"))) || ".";
  return writeKeyFiles(dir, rotateKeyring(file, now), keyringPath);
}

function writeKeyFiles(dir: string, file: KeyringFileV1, keyringPath = join(dir, KEYRING_NAME)): KeyFiles {
  const ring = Keyring.fromFile(file);
  writeAtomic(keyringPath, `${JSON.stringify(file, null, 2)}\n`, 0o600);
  const jwks = join(dir, JWKS_NAME);
  writeAtomic(jwks, `${JSON.stringify(ring.toJwks(), null, 2)}\n`, 0o644);
  return { keyring: keyringPath, jwks, ring, file };
}

function readJson(path: string): unknown {
  let text: string;
  try {
    // A keyring or JWKS is a few KiB: a FIFO, a device or a huge file is refused, not read (or waited on) whole.
    text = readRegularFile(path, KEY_FILE_LIMIT);
  } catch (e) {
    const err = e as FileReadError;
    // A bare "ENOENT" said nothing of what to pass; a key path without its folder is the usual slip.
    const why =
      err.code === "ENOENT"
        ? `no such file: give the keyring (\`${KEYRING_NAME}\`) or the public keys (\`${JWKS_NAME}\`) that \`warden keys gen --out DIR\` wrote, with their folder (e.g. \`keys/${JWKS_NAME}\`)`
        : (err.code ?? err.message);
    throw new KeyError(`cannot read key file \`${path}\`: ${why}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new KeyError(`key file \`${path}\` is not JSON`);
  }
}

/** Loads a keyring file or a JWKS. `warnings` gets a note when a secret file is readable by others. */
export function loadKeys(path: string, warnings: string[] = []): Keyring {
  const ring = Keyring.parse(readJson(path), path);
  if (ring.canSign) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) warnings.push(`key file \`${path}\` has mode ${mode.toString(8)}; secrets should be 600 (chmod 600 ${path})`);
  }
  return ring;
}
