/** Signing keys that rotate (src/auth/key-ring.ts): who signs, who verifies, and for how long. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signAccessToken, verifyAccessToken, type AccessTokenOptions } from '../access-tokens';
import { Unauthenticated } from '../errors';
import { KeyRing } from '../key-ring';
import { loadSigningKeys, type SigningKeys } from '../keys';
import type { StoredSigningKey } from '../../store/signing-key-store';
import { thrownBy } from '../../__tests__/support/thrown-by';

const LIFETIME = 905;
const SECRET = 'unit-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const SUBJECT = {
  userId: 'user-1',
  role: 'USER',
  sessionId: 'session-1',
  level: 'aal1',
} as const;
let clock = Date.parse('2026-12-01T12:00:00Z');
const now = () => clock;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'key-ring-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hs256 = (secret = SECRET) =>
  loadSigningKeys({ algorithm: 'HS256', secret, privateKeyFile: undefined, secretDir: undefined });

function es256(): SigningKeys {
  const file = join(dir, `es256-${Math.random()}.pem`);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return loadSigningKeys({
    algorithm: 'ES256',
    secret: undefined,
    privateKeyFile: file,
    secretDir: undefined,
  });
}

function options(keys: SigningKeys): AccessTokenOptions {
  return { keys, issuer: 'iss', audience: 'aud', ttlSeconds: 900 };
}
const sign = (keys: SigningKeys) =>
  signAccessToken(options(keys), SUBJECT, Math.floor(clock / 1000)).token;
const verify = (keys: SigningKeys, token: string) =>
  verifyAccessToken(options(keys), token, Math.floor(clock / 1000));
const kidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

/** What the database holds: the keys rotate-key stored, in any order. */
function rotate(ring: KeyRing, stored: StoredSigningKey[], activateInMs: number): StoredSigningKey {
  const key = ring.newKey(new Date(clock + activateInMs));
  stored.push(key);
  ring.load([...stored].reverse());
  return key;
}

it('signs with the configured key until a new key activates, and verifies both meanwhile', () => {
  const ring = new KeyRing(es256(), LIFETIME, now);
  const stored: StoredSigningKey[] = [];
  const before = sign(ring);
  expect(kidOf(before)).toBe(ring.root.kid);

  const next = rotate(ring, stored, 20_000);
  // Published before it signs: every instance verifies it by the time any signs with it.
  expect(ring.jwks.keys.map((k) => k.kid)).toEqual([ring.root.kid, next.kid]);
  expect(kidOf(sign(ring))).toBe(ring.root.kid);

  clock += 20_000;
  const after = sign(ring);
  expect(kidOf(after)).toBe(next.kid);
  expect(verify(ring, before).userId).toBe('user-1');
  expect(verify(ring, after).userId).toBe('user-1');

  // Another instance that loads the same rows verifies the new key's tokens too.
  const other = new KeyRing(ring.root, LIFETIME, now);
  other.load(stored);
  expect(verify(other, after).userId).toBe('user-1');
});

it('retires a replaced key one token lifetime after its replacement activated', () => {
  const ring = new KeyRing(hs256(), LIFETIME, now);
  const stored: StoredSigningKey[] = [];
  const first = rotate(ring, stored, 0);
  const signedByFirst = sign(ring);
  expect(kidOf(signedByFirst)).toBe(first.kid);
  clock += 1000;
  const second = rotate(ring, stored, 0);
  expect(kidOf(sign(ring))).toBe(second.kid);

  clock += (LIFETIME - 2) * 1000;
  expect(verify(ring, signedByFirst).userId).toBe('user-1');
  expect(ring.retired()).toEqual([]);

  clock += 2000;
  expect(ring.retired()).toEqual([first.kid]);
  // Its tokens have expired anyway; the key itself is no longer one of ours.
  expect(ring.verificationKeyFor(first.kid)).toBeUndefined();
  expect(ring.verificationKeyFor(second.kid)).toBeDefined();
  expect(ring.verificationKeyFor(ring.root.kid)).toBeUndefined();
});

it('keeps HS256 keys out of the JWKS, and refuses a kid that is none of its keys', () => {
  const ring = new KeyRing(hs256(), LIFETIME, now);
  rotate(ring, [], 0);
  expect(ring.jwks).toEqual({ keys: [] });
  const token = sign(ring);
  const [, payload, signature] = token.split('.');
  const header = Buffer.from(
    JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: '../../etc/passwd' }),
  ).toString('base64url');
  const error = thrownBy(() => verify(ring, `${header}.${payload}.${signature}`));
  expect(error).toBeInstanceOf(Unauthenticated);
  expect((error as Unauthenticated).reason).toBe('TOKEN_INVALID');
});

it('cannot open keys sealed under another configured key', () => {
  const ring = new KeyRing(hs256(), LIFETIME, now);
  const key = ring.newKey(new Date(clock));
  const stranger = new KeyRing(hs256(`${SECRET}-another`), LIFETIME, now);
  expect(() => stranger.load([key])).toThrow(/another key/);
  const tampered = { ...key, kid: 'someone-elses-kid' };
  expect(() => ring.load([tampered])).toThrow();
});
