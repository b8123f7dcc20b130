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

export interface SigningKeys {
  readonly algorithm: JwtAlgorithm;
  readonly kid: string;
  readonly signingKey: KeyObject;
  readonly verificationKey: KeyObject;
  /** RFC 7517 JWK Set of the public key; empty for HS256, whose key must stay secret. */
  readonly jwks: { readonly keys: readonly JsonWebKey[] };
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
    const kid = createHmac('sha256', key).update('kid').digest('base64url').slice(0, 16);
    return { algorithm: 'HS256', kid, signingKey: key, verificationKey: key, jwks: { keys: [] } };
  }
  const privateKey = createPrivateKey(readFileSync(source.privateKeyFile!, 'utf8'));
  checkKeyFitsAlgorithm(privateKey, source.algorithm);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = jwkThumbprint(jwk);
  return {
    algorithm: source.algorithm,
    kid,
    signingKey: privateKey,
    verificationKey: publicKey,
    jwks: { keys: [{ ...jwk, kid, alg: source.algorithm, use: 'sig' }] },
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

function checkKeyFitsAlgorithm(key: KeyObject, algorithm: Exclude<JwtAlgorithm, 'HS256'>): void {
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
