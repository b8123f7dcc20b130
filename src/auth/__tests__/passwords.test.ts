/**
 * Passwords (docs/API.md, "Passwords"): 8 to 256 characters, bcrypt with the configured cost,
 * and every character counts — no silent 72-byte truncation, no stop at a NUL byte.
 */
import bcrypt from 'bcrypt';
import { BadUserInput } from '../errors';
import { checkPasswordPolicy, PasswordHasher } from '../passwords';

const hasher = new PasswordHasher(4);

describe('the password policy', () => {
  it.each([
    ['7 characters', 'x'.repeat(7)],
    ['257 characters', 'x'.repeat(257)],
    ['no characters', ''],
    ['4 emoji: 8 UTF-16 units but 4 characters', '🔑'.repeat(4)],
  ])('refuses %s: BAD_USER_INPUT', (_name, password) => {
    expect(() => checkPasswordPolicy(password)).toThrow(BadUserInput);
    expect(() => checkPasswordPolicy(password)).toThrow(/8 to 256 characters/);
  });

  it.each([
    ['8 characters', 'x'.repeat(8)],
    ['256 characters', 'x'.repeat(256)],
    ['256 emoji: 512 UTF-16 units, 1024 bytes, but 256 characters', '🔑'.repeat(256)],
  ])('accepts %s', (_name, password) => {
    expect(() => checkPasswordPolicy(password)).not.toThrow();
  });

  it('is applied by hash too', async () => {
    await expect(hasher.hash('short')).rejects.toBeInstanceOf(BadUserInput);
    await expect(hasher.hash('x'.repeat(257))).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('PasswordHasher', () => {
  it('hashes with bcrypt at the configured cost, salted', async () => {
    const a = await hasher.hash('correct horse');
    const b = await hasher.hash('correct horse');
    expect(a).toMatch(/^\$2[aby]\$04\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('correct horse');
    await expect(hasher.verify('correct horse', hash)).resolves.toBe(true);
    await expect(hasher.verify('correct horsf', hash)).resolves.toBe(false);
    await expect(hasher.verify('Correct horse', hash)).resolves.toBe(false);
  });

  it('counts the characters after byte 72', async () => {
    const long = 'a'.repeat(100);
    const hash = await hasher.hash(long);
    await expect(hasher.verify(long, hash)).resolves.toBe(true);
    await expect(hasher.verify(`${'a'.repeat(99)}b`, hash)).resolves.toBe(false);
    await expect(hasher.verify('a'.repeat(72), hash)).resolves.toBe(false);
    await expect(hasher.verify('a'.repeat(73), hash)).resolves.toBe(false);
  });

  it('counts multi-byte characters past byte 72 too', async () => {
    const password = 'é'.repeat(40); // 80 bytes in UTF-8
    const hash = await hasher.hash(password);
    await expect(hasher.verify(`${'é'.repeat(39)}e`, hash)).resolves.toBe(false);
    await expect(hasher.verify(password, hash)).resolves.toBe(true);
  });

  it('refuses to set a password with a NUL byte, and counts what follows one when comparing', async () => {
    // The rule for text (input-text.ts) refuses it when set; a comparison still reads past it,
    // where bcrypt alone would stop.
    await expect(hasher.hash('abcdefgh\u0000one')).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    const hash = await hasher.hash('abcdefgh');
    await expect(hasher.verify('abcdefgh\u0000one', hash)).resolves.toBe(false);
    await expect(hasher.verify('abcdefgh', hash)).resolves.toBe(true);
  });

  it('answers false from verifyNothing, whatever the password', async () => {
    await expect(hasher.verifyNothing('anything at all')).resolves.toBe(false);
    await expect(hasher.verifyNothing('')).resolves.toBe(false);
  });

  it('answers false for a hash that is not bcrypt', async () => {
    await expect(hasher.verify('correct horse', 'not-a-hash')).resolves.toBe(false);
  });
});

describe('the comparison for an unknown username', () => {
  it('runs against a well-formed hash at the configured cost, which nothing matches', async () => {
    const compared: string[] = [];
    const engine = {
      pending: 0,
      hash: async () => '',
      compare: async (_data: string, hash: string) => {
        compared.push(hash);
        return bcrypt.compare(_data, hash);
      },
      close: async () => undefined,
    };
    const withCost = new PasswordHasher(5, engine);
    expect(await withCost.verifyNothing('whatever-password')).toBe(false);
    expect(await withCost.verifyNothing('')).toBe(false);
    expect(compared[0]).toMatch(/^\$2b\$05\$[./A-Za-z0-9]{53}$/);
    expect(compared[1]).toBe(compared[0]); // one per process: every unknown username alike
  });
});
