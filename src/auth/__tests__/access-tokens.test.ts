/**
 * Access tokens (docs/API.md, "Tokens"; RFC 9068, RFC 8725): a round trip for every algorithm,
 * and each way a token is refused, with its reason. One frozen "now" for every check.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JwtAlgorithm } from '../../config';
import {
  accessTokenLifetimeSeconds,
  CLOCK_TOLERANCE_SECONDS,
  signAccessToken,
  verifyAccessToken,
  type AccessTokenOptions,
} from '../access-tokens';
import { loadSigningKeys, type SigningKeys } from '../keys';
import { thrownBy } from '../../__tests__/support/thrown-by';

const NOW = 1_900_000_000;
const TTL = 900;
const SECRET = 'unit-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const SUBJECT = {
  userId: 'user-1',
  role: 'ADMIN',
  sessionId: 'session-1',
  level: 'aal1',
} as const;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'access-tokens-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh key pair for `algorithm`, as PEM. */
function generatePem(algorithm: Exclude<JwtAlgorithm, 'HS256'>): {
  privateKey: string;
  publicKey: string;
} {
  const pair =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        : generateKeyPairSync('ed25519');
  return {
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Generates a key pair, writes the private key to `<name>.pem`, and loads it for `algorithm`. */
function asymmetricKeys(
  algorithm: Exclude<JwtAlgorithm, 'HS256'>,
  name: string = algorithm,
): { keys: SigningKeys; publicPem: string } {
  const pair = generatePem(algorithm);
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, pair.privateKey);
  const keys = loadSigningKeys({
    algorithm,
    secret: undefined,
    privateKeyFile: file,
    secretDir: undefined,
  });
  return { keys, publicPem: pair.publicKey };
}

function hs256Keys(secret = SECRET): SigningKeys {
  return loadSigningKeys({
    algorithm: 'HS256',
    secret,
    privateKeyFile: undefined,
    secretDir: undefined,
  });
}

function optionsFor(keys: SigningKeys): AccessTokenOptions {
  return { keys, issuer: 'test-issuer', audience: 'test-audience', ttlSeconds: TTL };
}

const INVALID = { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' };
const EXPIRED = { code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS of any header and payload, HMAC-signed with `secret` (or unsigned). */
function forge(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer | undefined = SECRET,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature =
    secret === undefined ? '' : createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

describe.each(['HS256', 'RS256', 'ES256', 'EdDSA'] as const)('%s', (algorithm) => {
  let options: AccessTokenOptions;
  let other: AccessTokenOptions;
  beforeAll(() => {
    options = optionsFor(algorithm === 'HS256' ? hs256Keys() : asymmetricKeys(algorithm).keys);
    other = optionsFor(
      algorithm === 'HS256'
        ? hs256Keys(`${SECRET}-other`)
        : asymmetricKeys(algorithm, `${algorithm}-other`).keys,
    );
  });

  it('verifies the token it signed, back to the same principal', () => {
    const { token, tokenId, expiresAt } = signAccessToken(options, SUBJECT, NOW);
    expect(expiresAt).toBe(NOW + TTL);
    expect(verifyAccessToken(options, token, NOW)).toEqual({
      userId: 'user-1',
      role: 'ADMIN',
      sessionId: 'session-1',
      tokenId,
      expiresAt: NOW + TTL,
      acr: 'aal1',
      amr: ['pwd'],
    });
  });

  it('writes the level of the session as acr, and its methods as amr', () => {
    const { token } = signAccessToken(options, { ...SUBJECT, level: 'aal2' }, NOW);
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(payload).toMatchObject({ acr: 'aal2', amr: ['pwd', 'otp'] });
    expect(verifyAccessToken(options, token, NOW)).toMatchObject({
      acr: 'aal2',
      amr: ['pwd', 'otp'],
    });
  });

  it('writes alg, typ at+jwt and the kid of its key in the header', () => {
    const { token } = signAccessToken(options, SUBJECT, NOW);
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: algorithm, typ: 'at+jwt', kid: options.keys.kid });
  });

  it('writes a fresh jti into every token', () => {
    const a = signAccessToken(options, SUBJECT, NOW);
    const b = signAccessToken(options, SUBJECT, NOW);
    expect(a.tokenId).not.toBe(b.tokenId);
  });

  it('refuses a token signed with another key of the same algorithm: TOKEN_INVALID', () => {
    const { token } = signAccessToken(other, SUBJECT, NOW);
    expect(thrownBy(() => verifyAccessToken(options, token, NOW))).toMatchObject(INVALID);
  });

  it('refuses an expired token: TOKEN_EXPIRED, after the clock tolerance', () => {
    const { token } = signAccessToken(options, SUBJECT, NOW);
    const exp = NOW + TTL;
    expect(() =>
      verifyAccessToken(options, token, exp + CLOCK_TOLERANCE_SECONDS - 1),
    ).not.toThrow();
    expect(
      thrownBy(() => verifyAccessToken(options, token, exp + CLOCK_TOLERANCE_SECONDS)),
    ).toMatchObject(EXPIRED);
  });

  it('is accepted for exactly accessTokenLifetimeSeconds after it is issued', () => {
    const { token } = signAccessToken(options, SUBJECT, NOW);
    const lifetime = accessTokenLifetimeSeconds(TTL);
    expect(lifetime).toBe(TTL + CLOCK_TOLERANCE_SECONDS);
    expect(() => verifyAccessToken(options, token, NOW + lifetime - 1)).not.toThrow();
    expect(thrownBy(() => verifyAccessToken(options, token, NOW + lifetime))).toMatchObject(
      EXPIRED,
    );
  });

  it('refuses a token whose signature was altered: TOKEN_INVALID', () => {
    const { token } = signAccessToken(options, SUBJECT, NOW);
    const [header, payload] = token.split('.');
    const tampered = `${header}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`;
    expect(thrownBy(() => verifyAccessToken(options, tampered, NOW))).toMatchObject(INVALID);
  });

  it('refuses a token whose claims were altered after signing: TOKEN_INVALID', () => {
    const { token } = signAccessToken(options, { ...SUBJECT, role: 'USER' }, NOW);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as object;
    const promoted = `${header}.${b64({ ...claims, role: 'ADMIN' })}.${signature}`;
    expect(thrownBy(() => verifyAccessToken(options, promoted, NOW))).toMatchObject(INVALID);
  });

  it('publishes the public key only for asymmetric algorithms, never a private part', () => {
    const { jwks, kid } = options.keys;
    if (algorithm === 'HS256') {
      expect(jwks).toEqual({ keys: [] });
      return;
    }
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid, alg: algorithm, use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });
});

describe('the checks on an HS256 token', () => {
  const keys = hs256Keys();
  const options = optionsFor(keys);
  const header = { alg: 'HS256', typ: 'at+jwt', kid: keys.kid };
  const claims = {
    iss: 'test-issuer',
    aud: 'test-audience',
    sub: 'user-1',
    role: 'USER',
    sid: 'session-1',
    jti: 'token-1',
    iat: NOW,
    exp: NOW + TTL,
  };
  const verify = (token: string) => () => verifyAccessToken(options, token, NOW);

  it('accepts a well-formed forged-by-us token: the baseline of the cases below', () => {
    expect(verify(forge(header, claims))()).toMatchObject({ userId: 'user-1', role: 'USER' });
  });

  it('takes a token without acr and amr (issued before they existed) for aal1, a password', () => {
    expect(verify(forge(header, claims))()).toMatchObject({ acr: 'aal1', amr: ['pwd'] });
    expect(verify(forge(header, { ...claims, acr: 'aal2' }))()).toMatchObject({
      acr: 'aal2',
      amr: ['pwd', 'otp'],
    });
  });

  it('refuses a token that is not valid yet (nbf in the future): TOKEN_INVALID', () => {
    const token = forge(header, { ...claims, nbf: NOW + 60 });
    expect(thrownBy(verify(token))).toMatchObject(INVALID);
  });

  it('accepts an nbf within the clock tolerance', () => {
    const token = forge(header, { ...claims, nbf: NOW + CLOCK_TOLERANCE_SECONDS });
    expect(verify(token)).not.toThrow();
  });

  it.each([
    ['another issuer', { iss: 'someone-else' }],
    ['no issuer', { iss: undefined }],
    ['another audience', { aud: 'another-api' }],
    ['no exp', { exp: undefined }],
    ['an exp that is not a number', { exp: String(NOW + TTL) }],
    ['an unknown role', { role: 'ROOT' }],
    ['no sid', { sid: undefined }],
    ['a sub that is not a string', { sub: 42 }],
    ['an acr we never issue', { acr: 'aal3' }],
    ['an acr that is not a string', { acr: 2 }],
    ['an amr that is not an array', { amr: 'pwd' }],
    ['an amr of other than strings', { amr: [1] }],
  ])('refuses a token with %s: TOKEN_INVALID', (_name, change) => {
    expect(thrownBy(verify(forge(header, { ...claims, ...change })))).toMatchObject(INVALID);
  });

  it('accepts an aud array that contains our audience', () => {
    const token = forge(header, { ...claims, aud: ['other', 'test-audience'] });
    expect(verify(token)).not.toThrow();
  });

  it.each([
    ['typ JWT', { typ: 'JWT' }],
    ['no typ', { typ: undefined }],
    ['a crit header', { crit: ['exp'] }],
    ['alg HS512', { alg: 'HS512' }],
  ])('refuses a token with %s: TOKEN_INVALID', (_name, change) => {
    expect(thrownBy(verify(forge({ ...header, ...change }, claims)))).toMatchObject(INVALID);
  });

  it('accepts typ application/at+jwt (RFC 9068 §2.1)', () => {
    expect(verify(forge({ ...header, typ: 'application/at+jwt' }, claims))).not.toThrow();
  });

  it('refuses alg none, unsigned or with any signature: TOKEN_INVALID', () => {
    const none = { alg: 'none', typ: 'at+jwt' };
    expect(thrownBy(verify(forge(none, claims, undefined)))).toMatchObject(INVALID);
    expect(thrownBy(verify(forge(none, claims)))).toMatchObject(INVALID);
    expect(thrownBy(verify(`${b64(none)}.${b64(claims)}.`))).toMatchObject(INVALID);
  });

  it('checks the signature before the claims: a forged expired token is TOKEN_INVALID', () => {
    const expired = { ...claims, iat: NOW - 2 * TTL, exp: NOW - TTL };
    expect(thrownBy(verify(forge(header, expired)))).toMatchObject(EXPIRED);
    expect(
      thrownBy(verify(forge(header, expired, 'a-wrong-secret-of-enough-length!!'))),
    ).toMatchObject(INVALID);
  });

  it.each([
    ['an empty string', ''],
    ['two parts', `${b64(header)}.${b64(claims)}`],
    ['four parts', `${forge(header, claims)}.x`],
    [
      'a header that is not JSON',
      `${Buffer.from('{oops').toString('base64url')}.${b64(claims)}.sig`,
    ],
    ['a header that is a JSON array', `${b64([header])}.${b64(claims)}.sig`],
    ['a token over 4 KB', forge(header, { ...claims, pad: 'x'.repeat(5000) })],
    ['characters outside base64url', `${b64(header)}.${b64(claims)}.a+b/c=`],
  ])('refuses %s: TOKEN_INVALID', (_name, token) => {
    expect(thrownBy(verify(token))).toMatchObject(INVALID);
  });
});

describe('algorithm confusion', () => {
  it('refuses an HS256 token presented to an RS256 server: TOKEN_INVALID', () => {
    const rs = asymmetricKeys('RS256', 'confusion-rs');
    const token = signAccessToken(optionsFor(hs256Keys()), SUBJECT, NOW).token;
    expect(thrownBy(() => verifyAccessToken(optionsFor(rs.keys), token, NOW))).toMatchObject(
      INVALID,
    );
  });

  it('refuses an HS256 token keyed with the RS256 public key: TOKEN_INVALID', () => {
    const rs = asymmetricKeys('RS256', 'confusion-pub');
    const token = forge(
      { alg: 'HS256', typ: 'at+jwt', kid: rs.keys.kid },
      {
        iss: 'test-issuer',
        aud: 'test-audience',
        sub: 'user-1',
        role: 'ADMIN',
        sid: 's',
        jti: 'j',
        exp: NOW + TTL,
      },
      rs.publicPem,
    );
    expect(thrownBy(() => verifyAccessToken(optionsFor(rs.keys), token, NOW))).toMatchObject(
      INVALID,
    );
  });

  it('refuses an RS256 token presented to an ES256 server: TOKEN_INVALID', () => {
    const token = signAccessToken(optionsFor(asymmetricKeys('RS256', 'x-rs').keys), SUBJECT, NOW);
    const es = optionsFor(asymmetricKeys('ES256', 'x-es').keys);
    expect(thrownBy(() => verifyAccessToken(es, token.token, NOW))).toMatchObject(INVALID);
  });
});

describe('loadSigningKeys', () => {
  it.each([
    ['an RSA key for ES256', 'ES256', 'RS256'],
    ['an EC key for EdDSA', 'EdDSA', 'ES256'],
    ['an Ed25519 key for RS256', 'RS256', 'EdDSA'],
  ] as const)('refuses %s, naming JWT_PRIVATE_KEY_FILE', (_name, algorithm, keyOf) => {
    const file = join(dir, `${keyOf}-for-${algorithm}.pem`);
    const { keys } = asymmetricKeys(keyOf, `${keyOf}-for-${algorithm}-src`);
    writeFileSync(file, keys.signingKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() =>
      loadSigningKeys({ algorithm, secret: undefined, privateKeyFile: file, secretDir: undefined }),
    ).toThrow(/JWT_PRIVATE_KEY_FILE/);
  });

  it('refuses an RSA key shorter than 2048 bits', () => {
    const file = join(dir, 'rsa-1024.pem');
    const pair = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(file, pair.privateKey);
    expect(() =>
      loadSigningKeys({
        algorithm: 'RS256',
        secret: undefined,
        privateKeyFile: file,
        secretDir: undefined,
      }),
    ).toThrow(/JWT_PRIVATE_KEY_FILE/);
  });

  it('keeps a generated HS256 secret in its directory, readable by the owner only', () => {
    const secretDir = join(dir, 'generated');
    const source = {
      algorithm: 'HS256',
      secret: undefined,
      privateKeyFile: undefined,
      secretDir,
    } as const;
    const first = loadSigningKeys(source);
    const second = loadSigningKeys(source);
    expect(second.kid).toBe(first.kid);
    const file = join(secretDir, 'jwt-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.byteLength(readFileSync(file, 'utf8'))).toBeGreaterThanOrEqual(32);
    const token = signAccessToken(optionsFor(first), SUBJECT, NOW).token;
    expect(verifyAccessToken(optionsFor(second), token, NOW).userId).toBe('user-1');
  });

  it('derives the HS256 kid from the secret without revealing it', () => {
    const keys = hs256Keys();
    expect(keys.kid).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(SECRET).not.toContain(keys.kid);
    expect(hs256Keys(`${SECRET}!`).kid).not.toBe(keys.kid);
  });
});
