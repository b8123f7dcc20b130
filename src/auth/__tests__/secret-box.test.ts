/** Sealed secrets (src/auth/secret-box.ts): AES-256-GCM under a key HKDF derives from ours. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSigningKeys } from '../keys';
import { SecretBox } from '../secret-box';

const SECRET = 'unit-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const hs256 = (secret = SECRET) =>
  loadSigningKeys({ algorithm: 'HS256', secret, privateKeyFile: undefined, secretDir: undefined });
const PLAIN = Buffer.from('a TOTP secret of twenty');

it('opens what it sealed, for the same context, with a fresh IV each time', () => {
  const box = SecretBox.fromSigningKeys(hs256(), 'totp');
  const a = box.seal(PLAIN, 'user-1');
  const b = box.seal(PLAIN, 'user-1');
  expect(a).not.toBe(b);
  expect(a).not.toContain(PLAIN.toString('base64url'));
  expect(box.open(a, 'user-1')).toEqual(PLAIN);
  expect(SecretBox.fromSigningKeys(hs256(), 'totp').open(b, 'user-1')).toEqual(PLAIN);
});

it('refuses a box of another row, an altered box, and one of another key or purpose', () => {
  const box = SecretBox.fromSigningKeys(hs256(), 'totp');
  const sealed = box.seal(PLAIN, 'user-1');
  expect(() => box.open(sealed, 'user-2')).toThrow(/does not authenticate/);
  const [version, kid, payload] = sealed.split('.') as [string, string, string];
  const flipped = Buffer.from(payload, 'base64url');
  flipped[flipped.length - 1]! ^= 1;
  expect(() => box.open(`${version}.${kid}.${flipped.toString('base64url')}`, 'user-1')).toThrow(
    /does not authenticate/,
  );
  const other = SecretBox.fromSigningKeys(hs256(`${SECRET}-rotated`), 'totp');
  expect(() => other.open(sealed, 'user-1')).toThrow(/another key: JWT_SECRET/);
  expect(() => SecretBox.fromSigningKeys(hs256(), 'other').open(sealed, 'user-1')).toThrow(
    /another key/,
  );
  expect(() => box.open('plain text', 'user-1')).toThrow(/not a sealed secret/);
});

it('derives its key from the private key for the asymmetric algorithms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-box-'));
  try {
    const file = join(dir, 'ed25519.pem');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const load = () =>
      loadSigningKeys({
        algorithm: 'EdDSA',
        secret: undefined,
        privateKeyFile: file,
        secretDir: undefined,
      });
    const sealed = SecretBox.fromSigningKeys(load(), 'totp').seal(PLAIN, 'user-1');
    expect(SecretBox.fromSigningKeys(load(), 'totp').open(sealed, 'user-1')).toEqual(PLAIN);
    expect(() => SecretBox.fromSigningKeys(hs256(), 'totp').open(sealed, 'user-1')).toThrow(
      /another key/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
