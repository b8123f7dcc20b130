import { canonicalEmail, newEmail } from '../emails';
import { BadUserInput } from '../errors';

describe('canonicalEmail', () => {
  it('is one form for the spellings of one inbox', () => {
    expect(canonicalEmail(' Dana@Example.COM ')).toBe('dana@example.com');
    expect(canonicalEmail('ｄａｎａ@example.com')).toBe('dana@example.com');
    expect(canonicalEmail('josé@exämple.com')).toBe('josé@exämple.com');
  });

  it('is no address for what could become two recipients, a name, or no domain', () => {
    for (const text of [
      'a,b@example.com',
      'a;b@example.com',
      '"a"@example.com',
      'Dana <dana@example.com>',
      'dana@example',
      'dana@@example.com',
      'da na@example.com',
      '@example.com',
      `${'a'.repeat(65)}@example.com`,
      `a@${'b'.repeat(250)}.com`,
    ]) {
      expect([text, canonicalEmail(text)]).toEqual([text, undefined]);
    }
  });

  it('is BAD_USER_INPUT for a new account, with a control character too', () => {
    expect(() => newEmail('dana@example')).toThrow(BadUserInput);
    expect(() => newEmail('dana\n@example.com')).toThrow(BadUserInput);
    expect(newEmail(' Dana@Example.com')).toEqual({
      email: 'Dana@Example.com',
      canonicalEmail: 'dana@example.com',
    });
  });
});
