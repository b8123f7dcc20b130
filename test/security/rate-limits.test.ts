/**
 * The failure counter (src/store/failure-counter.ts) and the policy on top of it
 * (src/auth/rate-limits.ts), without a server: windows, expiry, bounded memory, and concurrent
 * attempts, such as the fields of one operation running at once.
 */
import { RateLimited, Unauthenticated } from '../../src/auth/errors';
import { RateLimits } from '../../src/auth/rate-limits';
import { MemoryFailureCounter } from '../../src/store/failure-counter';

describe('MemoryFailureCounter', () => {
  it('counts in a fixed window and forgets it when it ends', async () => {
    const counter = new MemoryFailureCounter();
    expect(await counter.peek('k', 0)).toEqual({ count: 0, retryAfterSeconds: 0 });
    expect(await counter.hit('k', 60, 0)).toEqual({ count: 1, retryAfterSeconds: 60 });
    expect(await counter.hit('k', 60, 30_000)).toEqual({ count: 2, retryAfterSeconds: 30 });
    expect(await counter.peek('k', 59_500)).toEqual({ count: 2, retryAfterSeconds: 1 });
    expect(await counter.peek('k', 60_000)).toEqual({ count: 0, retryAfterSeconds: 0 });
    expect(await counter.hit('k', 60, 60_000)).toEqual({ count: 1, retryAfterSeconds: 60 });
    await counter.reset('k');
    expect(await counter.peek('k', 60_001)).toEqual({ count: 0, retryAfterSeconds: 0 });
  });

  it('sweeps expired windows and never holds more than maxKeys', async () => {
    const counter = new MemoryFailureCounter({ maxKeys: 100, sweepIntervalMs: 1000 });
    for (let i = 0; i < 1000; i++) await counter.hit(`flood-${i}`, 60, 0);
    expect(counter.size).toBe(100);
    // The newest survive; the oldest were dropped.
    expect((await counter.peek('flood-999', 0)).count).toBe(1);
    expect((await counter.peek('flood-0', 0)).count).toBe(0);
    // Once their windows are over, the next hit sweeps them all.
    await counter.hit('late', 60, 61_000);
    expect(counter.size).toBe(1);
    await counter.close();
    expect(counter.size).toBe(0);
  });
});

describe('RateLimits', () => {
  const setup = (maxFailures = 3) => {
    let now = 1_000_000;
    const counter = new MemoryFailureCounter();
    const limits = new RateLimits(counter, { maxFailures, windowSeconds: 60 }, () => now);
    return { limits, counter, advance: (s: number) => void (now += s * 1000) };
  };
  const client = { address: '203.0.113.1' };
  const fail = () => Promise.reject(new Unauthenticated('INVALID_CREDENTIALS'));

  it('refuses without running the attempt once a key has maxFailures, with retryAfter', async () => {
    const { limits, advance } = setup();
    for (let i = 0; i < 3; i++) {
      await expect(limits.login('bob', client, fail)).rejects.toBeInstanceOf(Unauthenticated);
    }
    advance(20);
    const attempt = jest.fn(async () => 'ok');
    const refused = await limits.login('bob', { address: '198.51.100.1' }, attempt).catch((e) => e);
    expect(refused).toBeInstanceOf(RateLimited);
    expect((refused as RateLimited).retryAfterSeconds).toBe(40);
    expect(attempt).not.toHaveBeenCalled();
    advance(41);
    await expect(limits.login('bob', client, attempt)).resolves.toBe('ok');
  });

  it('counts only Unauthenticated failures, not other errors', async () => {
    const { limits, counter } = setup();
    await expect(
      limits.login('bob', client, () => Promise.reject(new Error('db down'))),
    ).rejects.toThrow('db down');
    expect((await counter.peek('login:user:bob', 1_000_000)).count).toBe(0);
  });

  it('lets no more concurrent attempts through than failures remain (aliases, bursts)', async () => {
    const { limits } = setup(3);
    let started = 0;
    const slowFail = async () => {
      started += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Unauthenticated('INVALID_CREDENTIALS');
    };
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        limits.login('bob', { address: `10.0.0.${i}` }, slowFail),
      ),
    );
    expect(started).toBe(3);
    const reasons = results.map((r) => (r.status === 'rejected' ? r.reason : undefined));
    expect(reasons.filter((e) => e instanceof RateLimited)).toHaveLength(7);
  });

  it('keys refreshes per client, apart from logins', async () => {
    const { limits } = setup(2);
    const badRefresh = () => Promise.reject(new Unauthenticated('TOKEN_INVALID'));
    await expect(limits.refresh(client, badRefresh)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(limits.refresh(client, badRefresh)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(limits.refresh(client, async () => 'ok')).rejects.toBeInstanceOf(RateLimited);
    await expect(limits.login('bob', client, async () => 'ok')).resolves.toBe('ok');
  });
});
