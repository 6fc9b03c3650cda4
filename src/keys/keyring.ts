// Signing keys for decision records and tree heads: HMAC-SHA256 (shared secret), Ed25519 (public
// verification), AES-256-GCM (sensitive input fields). Key ids let old records verify after rotation.
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  hash as oneShotHash,
  randomBytes,
  sign as edSign,
  timingSafeEqual,
  verify as edVerify,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";

export const KEYRING_FORMAT = "warden-keyring-v1";

/** The on-disk keyring (secret material; file mode 0600). */
export interface KeyringFileV1 {
  format: typeof KEYRING_FORMAT;
  active: { hmac: string; ed25519: string; aes: string };
  hmac: Array<{ kid: string; created: string; secret: string }>;
  ed25519: Array<{ kid: string; created: string; jwk: { kty: "OKP"; crv: "Ed25519"; x: string; d: string } }>;
  aes: Array<{ kid: string; created: string; secret: string }>;
}

/** A public Ed25519 key as a JWK (RFC 8037). */
export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  use: "sig";
  alg: "EdDSA";
}

export class KeyError extends Error {
  override name = "KeyError";
}

const b64url = (b: Uint8Array): string => Buffer.from(b).toString("base64url");

/** The key id: the first 22 base64url characters (132 bits) of the RFC 7638 thumbprint of an Ed25519 public key. */
export function ed25519Kid(x: string): string {
  const thumb = oneShotHash("sha256", `{"crv":"Ed25519","kty":"OKP","x":"${x}"}`, "base64url");
  return `ed25519-${thumb.slice(0, 22)}`;
}

/** A key id for a secret key that reveals nothing about it (an HMAC of a fixed label). */
function secretKid(prefix: string, secret: Buffer): string {
  return `${prefix}-${createHmac("sha256", secret).update("warden.kid.v1").digest("base64url").slice(0, 22)}`;
}

/** Adds a fresh HMAC, Ed25519 and AES key to `ring` (or a new ring) and makes them active. */
export function rotateKeyring(ring: KeyringFileV1 | null, now: Date): KeyringFileV1 {
  const created = now.toISOString();
  const hmacSecret = randomBytes(32);
  const aesSecret = randomBytes(32);
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" }) as { x: string; d: string };
  const hmac = { kid: secretKid("hmac", hmacSecret), created, secret: b64url(hmacSecret) };
  const aes = { kid: secretKid("aes", aesSecret), created, secret: b64url(aesSecret) };
  const ed = { kid: ed25519Kid(jwk.x), created, jwk: { kty: "OKP" as const, crv: "Ed25519" as const, x: jwk.x, d: jwk.d } };
  return {
    format: KEYRING_FORMAT,
    active: { hmac: hmac.kid, ed25519: ed.kid, aes: aes.kid },
    hmac: [...(ring?.hmac ?? []), hmac],
    ed25519: [...(ring?.ed25519 ?? []), ed],
    aes: [...(ring?.aes ?? []), aes],
  };
}

/** See Keyring.verifierParts. */
export interface VerifierParts {
  hmac: Array<[string, Uint8Array]>;
  ed25519: Array<[string, string]>;
  canSign: boolean;
}

/**
 * Loaded keys. A Keyring from a keyring file can sign and verify everything; one from a JWKS holds only
 * Ed25519 public keys (what an auditor has) and can verify tree heads and Ed25519 record signatures.
 */
export class Keyring {
  readonly hmac = new Map<string, Buffer>();
  readonly edPrivate = new Map<string, KeyObject>();
  readonly edPublic = new Map<string, KeyObject>();
  readonly aes = new Map<string, Buffer>();
  readonly jwks: PublicJwk[] = [];
  active: { hmac: string | null; ed25519: string | null; aes: string | null } = { hmac: null, ed25519: null, aes: null };
  private activeHmac: KeyObject | null = null;

  /** Parses a keyring file's JSON, checking every key's id against its material. */
  static fromFile(data: unknown, source = "keyring"): Keyring {
    const f = data as Partial<KeyringFileV1> | null;
    if (!f || typeof f !== "object" || f.format !== KEYRING_FORMAT) {
      throw new KeyError(`${source}: not a warden keyring (expected \`"format": "${KEYRING_FORMAT}"\`; create one with \`warden keys gen --out DIR\`)`);
    }
    const ring = new Keyring();
    for (const k of f.hmac ?? []) {
      const secret = Buffer.from(k.secret, "base64url");
      if (secret.length < 32) throw new KeyError(`${source}: hmac key \`${k.kid}\` is shorter than 32 bytes`);
      if (secretKid("hmac", secret) !== k.kid) throw new KeyError(`${source}: hmac key id \`${k.kid}\` does not match its secret`);
      ring.hmac.set(k.kid, secret);
    }
    for (const k of f.aes ?? []) {
      const secret = Buffer.from(k.secret, "base64url");
      if (secret.length !== 32) throw new KeyError(`${source}: aes key \`${k.kid}\` is not 32 bytes`);
      if (secretKid("aes", secret) !== k.kid) throw new KeyError(`${source}: aes key id \`${k.kid}\` does not match its secret`);
      ring.aes.set(k.kid, secret);
    }
    for (const k of f.ed25519 ?? []) {
      if (ed25519Kid(k.jwk.x) !== k.kid) throw new KeyError(`${source}: ed25519 key id \`${k.kid}\` does not match its public key`);
      let priv: KeyObject;
      try {
        priv = createPrivateKey({ key: k.jwk as JsonWebKey, format: "jwk" });
      } catch (e) {
        throw new KeyError(`${source}: ed25519 key \`${k.kid}\` is malformed: ${(e as Error).message}`);
      }
      const pub = createPublicKey(priv);
      if ((pub.export({ format: "jwk" }) as { x: string }).x !== k.jwk.x) throw new KeyError(`${source}: ed25519 key \`${k.kid}\`: private and public halves differ`);
      ring.edPrivate.set(k.kid, priv);
      ring.addPublic(k.kid, pub, k.jwk.x);
    }
    const a = f.active;
    if (!a || !ring.hmac.has(a.hmac) || !ring.edPrivate.has(a.ed25519) || !ring.aes.has(a.aes)) {
      throw new KeyError(`${source}: the active key ids do not name keys in the ring`);
    }
    ring.active = { hmac: a.hmac, ed25519: a.ed25519, aes: a.aes };
    ring.activeHmac = createSecretKey(ring.hmac.get(a.hmac) as Buffer);
    return ring;
  }

  /** What a verifier on another thread needs (HMAC secrets, Ed25519 public keys): structured-cloneable. */
  verifierParts(): VerifierParts {
    return { hmac: [...this.hmac].map(([kid, k]) => [kid, new Uint8Array(k)]), ed25519: this.jwks.map((j) => [j.kid, j.x]), canSign: this.canSign };
  }

  /** The verifying half of a keyring rebuilt from verifierParts() (it cannot sign). */
  static fromVerifierParts(p: VerifierParts): Keyring {
    const ring = new Keyring();
    for (const [kid, k] of p.hmac) ring.hmac.set(kid, Buffer.from(k));
    for (const [kid, x] of p.ed25519) ring.addPublic(kid, createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }), x);
    return ring;
  }

  /** Parses a JWKS (public Ed25519 keys only). */
  static fromJwks(data: unknown, source = "jwks"): Keyring {
    const keys = (data as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new KeyError(`${source}: not a JWKS (expected \`{"keys": [...]}\`)`);
    const ring = new Keyring();
    for (const k of keys as Array<Partial<PublicJwk>>) {
      if (k.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.x !== "string") continue;
      const kid = ed25519Kid(k.x);
      if (k.kid !== undefined && k.kid !== kid) throw new KeyError(`${source}: key id \`${k.kid}\` does not match its public key`);
      ring.addPublic(kid, createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: k.x }, format: "jwk" }), k.x);
    }
    if (ring.edPublic.size === 0) throw new KeyError(`${source}: the JWKS holds no Ed25519 keys`);
    return ring;
  }

  /** Loads whichever of the two formats `data` is. */
  static parse(data: unknown, source: string): Keyring {
    const isJwks = data !== null && typeof data === "object" && Array.isArray((data as { keys?: unknown }).keys);
    try {
      return isJwks ? Keyring.fromJwks(data, source) : Keyring.fromFile(data, source);
    } catch (e) {
      if (e instanceof KeyError) throw e;
      // a hand-edited or damaged file (a null entry, a number for a list, a bad key encoding): say which file
      throw new KeyError(`${source}: malformed ${isJwks ? "JWKS" : "keyring"} (${(e as Error).message}); create a fresh one with \`warden keys gen --out DIR\``);
    }
  }

  private addPublic(kid: string, key: KeyObject, x: string): void {
    this.edPublic.set(kid, key);
    this.jwks.push({ kty: "OKP", crv: "Ed25519", x, kid, use: "sig", alg: "EdDSA" });
  }

  get canSign(): boolean {
    return this.activeHmac !== null;
  }

  /** HMAC-SHA256 with the active key: [kid, base64url tag]. */
  hmacSign(message: Uint8Array | string): { kid: string; sig: string } {
    if (!this.activeHmac || !this.active.hmac) throw new KeyError("no hmac signing key loaded (a JWKS cannot sign)");
    return { kid: this.active.hmac, sig: createHmac("sha256", this.activeHmac).update(message).digest("base64url") };
  }

  /** true/false, or null when the key id is unknown (cannot check). */
  hmacVerify(kid: string, message: Uint8Array | string, sig: string): boolean | null {
    const key = this.hmac.get(kid);
    if (!key) return null;
    // Compare encodings, not decoded bytes: the true tag has exactly one base64url form, so any lenient variant
    // (junk, padding, trailing bits) differs. Constant time over the equal-length case; ~1.5 µs cheaper than
    // digest() to a Buffer plus a decode and re-encode.
    const want = createHmac("sha256", key).update(message).digest("base64url");
    return want.length === sig.length && timingSafeEqual(Buffer.from(want, "latin1"), Buffer.from(sig, "latin1"));
  }

  /** A keyed hash under `kid` (used for redacted fields: only a key holder can test a guess). */
  keyedHash(kid: string, message: string): string | null {
    const key = this.hmac.get(kid);
    return key ? createHmac("sha256", key).update(message).digest("base64url") : null;
  }

  edSign(message: Uint8Array): { kid: string; sig: string } {
    const kid = this.active.ed25519;
    const key = kid ? this.edPrivate.get(kid) : undefined;
    if (!kid || !key) throw new KeyError("no ed25519 signing key loaded (a JWKS cannot sign)");
    return { kid, sig: b64url(edSign(null, message, key)) };
  }

  edVerify(kid: string, message: Uint8Array, sig: string): boolean | null {
    const key = this.edPublic.get(kid);
    if (!key) return null;
    const bytes = Buffer.from(sig, "base64url");
    if (bytes.length !== 64 || bytes.toString("base64url") !== sig) return false;
    return edVerify(null, message, key, bytes);
  }

  /** The public keys as a JWKS (what auditors get). */
  toJwks(): { keys: PublicJwk[] } {
    return { keys: this.jwks.map((k) => ({ ...k })) };
  }
}
