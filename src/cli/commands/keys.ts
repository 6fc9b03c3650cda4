// `warden keys gen|rotate|jwks`: create a keyring (HMAC + Ed25519 + AES, mode 0600), rotate it keeping
// old keys for verification, and print the public keys as a JWKS.
import { resolve } from "node:path";
import { generateKeyFiles, loadKeys, rotateKeyFile } from "../../keys/keyfile.js";
import { KeyError } from "../../keys/keyring.js";
import { parseSubcommandArgs, requireFlag, subcommandOf, type FlagSpec } from "../args.js";
import { ExitError, type Command } from "../io.js";
import { INPUT_LIMITS, checkInputFile } from "../input-file.js";
import { makeDirs } from "../dirs.js";
import { makeFolderSync } from "../../node/mkdirs.js";

export const USAGE = `usage:
  warden keys gen|init --out DIR [--force] [--json]
  warden keys rotate --key FILE [--json]
  warden keys jwks --key FILE [--json]`;

const GEN: FlagSpec = { values: ["out"], booleans: ["force", "json"] };
/** Each subcommand's own flags (`init` is `gen`): a flag of another one is refused, not ignored. */
export const SUBCOMMANDS: Record<string, FlagSpec> = {
  gen: GEN,
  init: GEN,
  rotate: { values: ["key"], booleans: ["json"] },
  jwks: { values: ["key"], booleans: ["json"] },
};

export const run: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  const args = parseSubcommandArgs(rest, SUBCOMMANDS, subcommandOf(sub, SUBCOMMANDS, "keys", USAGE), "keys");
  const json = args.bools.has("json");
  try {
    if (sub === "gen" || sub === "init") {
      const out = requireFlag(args, "out", "keys gen");
      makeDirs(resolve(io.cwd, out), "keys gen", "--out", out);
      // makeDirs leaves a file in the folder's place to the command: a folder that cannot be made is a usage error (2).
      const notFolder = makeFolderSync(resolve(io.cwd, out));
      if (notFolder !== null) throw new ExitError(`warden keys gen: cannot create the key folder \`${resolve(io.cwd, out)}\`: ${notFolder} (--out must name a folder)`);
      const files = generateKeyFiles(resolve(io.cwd, out), new Date(), args.bools.has("force"));
      const summary = { keyring: files.keyring, jwks: files.jwks, active: files.file.active };
      io.out(json ? `${JSON.stringify(summary)}\n` : `wrote ${files.keyring} (secret, mode 600)\nwrote ${files.jwks} (public keys for auditors)\nactive keys: hmac ${summary.active.hmac}, ed25519 ${summary.active.ed25519}, aes ${summary.active.aes}\n`);
      return 0;
    }
    if (sub === "rotate") {
      const key = requireFlag(args, "key", "keys rotate");
      checkInputFile(resolve(io.cwd, key), key, "key file", INPUT_LIMITS.key);
      const files = rotateKeyFile(resolve(io.cwd, key), new Date());
      const summary = { keyring: files.keyring, jwks: files.jwks, active: files.file.active, keys: { hmac: files.file.hmac.length, ed25519: files.file.ed25519.length, aes: files.file.aes.length } };
      io.out(json ? `${JSON.stringify(summary)}\n` : `rotated ${files.keyring}: new active keys hmac ${summary.active.hmac}, ed25519 ${summary.active.ed25519}, aes ${summary.active.aes}\n(old keys stay in the ring so old records keep verifying; ${files.jwks} updated)\n`);
      return 0;
    }
    if (sub === "jwks") {
      const warnings: string[] = [];
      const key = requireFlag(args, "key", "keys jwks");
      checkInputFile(resolve(io.cwd, key), key, "key file", INPUT_LIMITS.key);
      const ring = loadKeys(resolve(io.cwd, key), warnings);
      for (const w of warnings) io.err(`warning: ${w}\n`);
      io.out(`${JSON.stringify(ring.toJwks(), null, json ? undefined : 2)}\n`);
      return 0;
    }
  } catch (e) {
    if (e instanceof KeyError) throw new ExitError(`warden keys: ${e.message}`, 1);
    throw e;
  }
  throw new ExitError(USAGE);
};
