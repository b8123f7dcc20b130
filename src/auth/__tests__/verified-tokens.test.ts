import { CLOCK_TOLERANCE_SECONDS, type Principal } from '../access-tokens';
import { VerifiedTokens } from '../verified-tokens';

const principal = (expiresAt: number): Principal => ({
  userId: 'u',
  role: 'USER',
  sessionId: 's',
  tokenId: 't',
  expiresAt,
});

describe('VerifiedTokens', () => {
  it('answers a verified header until its token expires, then forgets it', () => {
    const cache = new VerifiedTokens();
    cache.set('Bearer a.b.c', principal(1000));
    expect(cache.get('Bearer a.b.c', 990)).toEqual(principal(1000));
    expect(cache.get('Bearer a.b.c', 1000 + CLOCK_TOLERANCE_SECONDS)).toBeUndefined();
    expect(cache.get('Bearer a.b.c', 990)).toBeUndefined();
  });

  it('knows only the exact header string', () => {
    const cache = new VerifiedTokens();
    cache.set('Bearer a.b.c', principal(1000));
    expect(cache.get('Bearer a.b.d', 990)).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const cache = new VerifiedTokens(2);
    cache.set('one', principal(1000));
    cache.set('two', principal(1000));
    cache.set('three', principal(1000));
    expect(cache.get('one', 0)).toBeUndefined();
    expect(cache.get('three', 0)).toBeDefined();
  });
});
