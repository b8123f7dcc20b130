import { CLOCK_TOLERANCE_SECONDS, type Principal } from '../access-tokens';
import { VerifiedTokens } from '../verified-tokens';

const principal = (expiresAt: number): Principal => ({
  userId: 'u',
  role: 'USER',
  sessionId: 's',
  tokenId: 't',
  expiresAt,
  acr: 'aal1',
  amr: ['pwd'],
});

describe('VerifiedTokens', () => {
  it('answers a verified token until it expires, then forgets it', () => {
    const cache = new VerifiedTokens();
    cache.set('a.b.c', principal(1000));
    expect(cache.get('a.b.c', 990)).toEqual(principal(1000));
    expect(cache.get('a.b.c', 1000 + CLOCK_TOLERANCE_SECONDS)).toBeUndefined();
    expect(cache.get('a.b.c', 990)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('knows only the exact token', () => {
    const cache = new VerifiedTokens();
    cache.set('a.b.c', principal(1000));
    expect(cache.get('a.b.d', 990)).toBeUndefined();
  });

  it('stays within its bound in bytes, dropping the oldest', () => {
    const cache = new VerifiedTokens(3000);
    const token = (n: number) => `${'x'.repeat(500)}.${n}`;
    for (let n = 0; n < 100; n += 1) cache.set(token(n), principal(1000));
    expect(cache.size).toBeLessThanOrEqual(3000);
    expect(cache.get(token(0), 0)).toBeUndefined();
    expect(cache.get(token(99), 0)).toBeDefined();
  });

  it('counts a token set twice once', () => {
    const cache = new VerifiedTokens();
    cache.set('a.b.c', principal(1000));
    const once = cache.size;
    cache.set('a.b.c', principal(1000));
    expect(cache.size).toBe(once);
  });
});
