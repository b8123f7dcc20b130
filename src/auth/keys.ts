/**
 * Signing keys: one KeyObject to sign, one to verify, a `kid`, and the public JWK Set.
 *
 * Keys are parsed once into KeyObjects: jsonwebtoken re-parses a string secret on every call
 * (auth0/node-jsonwebtoken#966), which costs ~50× more per verification.
 */
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JwtAlgorithm } from '../config';

/** The key that signs now, and every key that still verifies (key-ring.ts rotates them). */
export interface SigningKeys {
  readonly algorithm: JwtAlgorithm;
  /** The signing key's id, written in every token's header. */
  readonly kid: string;
  readonly signingKey: KeyObject;
  /** The signing key's own verification key. */
  readonly verificationKey: KeyObject;
  /** RFC 7517 JWK Set of the public keys in use; empty for HS256, whose keys must stay secret. */
  readonly jwks: { readonly keys: readonly JsonWebKey[] };
  /** The verification key of a token whose header names `kid`; undefined for any other kid. */
  verificationKeyFor(kid: unknown): KeyObject | undefined;
  /** The key that signs now, kid and key together (they change together at a rotation). */
  signer(): KeyEntry;
}

export interface KeySource {
  readonly algorithm: JwtAlgorithm;
  readonly secret: string | undefined;
  readonly privateKeyFile: string | undefined;
  /** Where a generated HS256 secret is kept; undefined keeps it in memory only. */
  readonly secretDir: string | undefined;
}

export function loadSigningKeys(source: KeySource): SigningKeys {
  if (source.algorithm === 'HS256') {
    const secret = source.secret ?? generatedSecret(source.secretDir);
    const key = createSecretKey(Buffer.from(secret, 'utf8'));
    // The kid must not help anyone guess the secret: an HMAC of a fixed label under it.
    return singleKey(hs256Key(key));
  }
  const privateKey = createPrivateKey(readFileSync(source.privateKeyFile!, 'utf8'));
  checkKeyFitsAlgorithm(privateKey, source.algorithm);
  return singleKey(asymmetricKey(privateKey, source.algorithm));
}

/** One key of a ring: what signs with it, what verifies it, and its public JWK (if any). */
export interface KeyEntry {
  readonly algorithm: JwtAlgorithm;
  readonly kid: string;
  readonly signingKey: KeyObject;
  readonly verificationKey: KeyObject;
  readonly jwk: JsonWebKey | undefined;
}

export function hs256Key(key: KeyObject): KeyEntry {
  // The kid must not help anyone guess the secret: an HMAC of a fixed label under it.
  const kid = createHmac('sha256', key).update('kid').digest('base64url').slice(0, 16);
  return { algorithm: 'HS256', kid, signingKey: key, verificationKey: key, jwk: undefined };
}

export function asymmetricKey(
  privateKey: KeyObject,
  algorithm: Exclude<JwtAlgorithm, 'HS256'>,
): KeyEntry {
  const publicKey = createPublicKey(privateKey);
  const exported = publicKey.export({ format: 'jwk' });
  const kid = jwkThumbprint(exported);
  const jwk = { ...exported, kid, alg: algorithm, use: 'sig' };
  return { algorithm, kid, signingKey: privateKey, verificationKey: publicKey, jwk };
}

/** SigningKeys of one key, the configured one, before any rotation. */
export function singleKey(entry: KeyEntry): SigningKeys {
  return {
    algorithm: entry.algorithm,
    kid: entry.kid,
    signingKey: entry.signingKey,
    verificationKey: entry.verificationKey,
    jwks: { keys: entry.jwk ? [entry.jwk] : [] },
    verificationKeyFor: (kid) => (kid === entry.kid ? entry.verificationKey : undefined),
    signer: () => entry,
  };
}

/** Outside production with no JWT_SECRET: made once, kept in DATA_DIR so tokens survive a restart. */
function generatedSecret(dir: string | undefined): string {
  if (dir === undefined) return randomBytes(48).toString('base64url');
  const file = join(dir, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(48).toString('base64url');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return secret;
  }
}

const EXPECTED_KEY: Record<Exclude<JwtAlgorithm, 'HS256'>, (key: KeyObject) => boolean> = {
  RS256: (key) =>
    key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048,
  ES256: (key) =>
    key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1',
  EdDSA: (key) => key.asymmetricKeyType === 'ed25519',
};

export function checkKeyFitsAlgorithm(
  key: KeyObject,
  algorithm: Exclude<JwtAlgorithm, 'HS256'>,
): void {
  if (!EXPECTED_KEY[algorithm](key)) {
    throw new Error(
      `JWT_PRIVATE_KEY_FILE: the key does not fit ${algorithm} (RS256: RSA ≥ 2048 bits, ES256: P-256, EdDSA: Ed25519)`,
    );
  }
}

/** RFC 7638: SHA-256 over the required members of the JWK, in lexical order. */
function jwkThumbprint(jwk: JsonWebKey): string {
  const required: Record<string, string[]> = {
    RSA: ['e', 'kty', 'n'],
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
  };
  const members = required[jwk.kty as string] ?? [];
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])));
  return createHash('sha256').update(canonical).digest('base64url');
}
