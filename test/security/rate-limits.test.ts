/**
 * The failure counter (src/store/failure-counter.ts) and the policy on top of it
 * (src/auth/rate-limits.ts), without a server: windows, expiry, bounded memory, the pair,
 * username and address limits, and concurrent attempts. On the postgres+redis project the
 * counter is the one several instances share, in Redis; else the in-process one.
 */
import { RateLimited, Unauthenticated } from '../../src/auth/errors';
import { RateLimits, type LoginLimits } from '../../src/auth/rate-limits';
import { MemoryFailureCounter, type FailureCounter } from '../../src/store/failure-counter';
import { RedisFailureCounter } from '../../src/store/redis-failure-counter';
import { openTestRedis, postgresBackendEnabled } from '../support/postgres';

const drops: (() => Promise<void>)[] = [];
/** What the Redis counter survived by counting in memory instead: a test on Redis wants none. */
const storeErrors: string[] = [];
afterEach(async () => {
  await Promise.all(drops.splice(0).map((drop) => drop()));
  expect(storeErrors.splice(0)).toEqual([]);
});

/** A fresh counter of the backend this project tests. */
async function projectCounter(): Promise<FailureCounter> {
  if (!postgresBackendEnabled()) return new MemoryFailureCounter();
  const { redis, drop } = await openTestRedis();
  drops.push(drop);
  return new RedisFailureCounter(redis, (what) => void storeErrors.push(what));
}

describe('the failure counter', () => {
  it('counts in a fixed window and forgets it when it ends', async () => {
    const counter = await projectCounter();
    expect(await counter.peek('k', 0)).toEqual({ count: 0, retryAfterSeconds: 0 });
    expect(await counter.hit('k', 60, 0)).toEqual({ count: 1, retryAfterSeconds: 60 });
    expect(await counter.hit('k', 60, 30_000)).toEqual({ count: 2, retryAfterSeconds: 30 });
    expect(await counter.peek('k', 59_500)).toEqual({ count: 2, retryAfterSeconds: 1 });
    expect(await counter.peek('k', 60_000)).toEqual({ count: 0, retryAfterSeconds: 0 });
    expect(await counter.hit('k', 60, 60_000)).toEqual({ count: 1, retryAfterSeconds: 60 });
    await counter.reset('k');
    expect(await counter.peek('k', 60_001)).toEqual({ count: 0, retryAfterSeconds: 0 });
  });
});

describe('MemoryFailureCounter', () => {
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
  const setup = async (limits: Partial<LoginLimits> = {}) => {
    let now = 1_000_000;
    const counter = await projectCounter();
    const rateLimits = new RateLimits(
      counter,
      {
        perPair: 3,
        perUsername: 6,
        perAddress: 10,
        refreshPerAddress: 4,
        windowSeconds: 60,
        ...limits,
      },
      () => now,
    );
    return { limits: rateLimits, counter, advance: (s: number) => void (now += s * 1000) };
  };
  const client = { address: '203.0.113.1' };
  const fail = () => Promise.reject(new Unauthenticated('INVALID_CREDENTIALS'));
  const ok = async () => 'ok';
  const slowly = (result: () => Promise<string>) => async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return result();
  };

  it('refuses a (username, address) pair past its limit without running the attempt, with retryAfter', async () => {
    const { limits, advance } = await setup();
    for (let i = 0; i < 3; i++) {
      await expect(limits.login('bob', client, fail)).rejects.toBeInstanceOf(Unauthenticated);
    }
    advance(20);
    const attempt = jest.fn(ok);
    const refused = await limits.login('BOB', client, attempt).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimited);
    expect((refused as RateLimited).retryAfterSeconds).toBe(40);
    expect(attempt).not.toHaveBeenCalled();
    // The account is not locked out for everyone: another address still gets in.
    await expect(limits.login('bob', { address: '198.51.100.1' }, ok)).resolves.toBe('ok');
    advance(41);
    await expect(limits.login('bob', client, ok)).resolves.toBe('ok');
  });

  it('resets the pair on success, but neither the username nor the address', async () => {
    const { limits, counter } = await setup();
    await expect(limits.login('bob', client, fail)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(limits.login('bob', client, ok)).resolves.toBe('ok');
    expect((await counter.peek('login:pair:203.0.113.1:login:user:bob', 1_000_000)).count).toBe(0);
    expect((await counter.peek('login:user:bob', 1_000_000)).count).toBe(1);
    expect((await counter.peek('login:address:203.0.113.1', 1_000_000)).count).toBe(1);
  });

  it('slows guessing from many addresses: past perUsername, the account is refused everywhere', async () => {
    const { limits } = await setup();
    for (const address of ['10.0.0.1', '10.0.0.2']) {
      for (let i = 0; i < 3; i++) {
        await expect(limits.login('bob', { address }, fail)).rejects.toBeInstanceOf(
          Unauthenticated,
        );
      }
    }
    await expect(limits.login('bob', { address: '10.0.0.3' }, ok)).rejects.toBeInstanceOf(
      RateLimited,
    );
  });

  it('stops a client spraying many usernames at perAddress, but not an office’s typos', async () => {
    const { limits } = await setup();
    // Five users behind one address each mistype once: the others still log in.
    for (let i = 0; i < 5; i++) {
      await expect(limits.login(`user${i}`, client, fail)).rejects.toBeInstanceOf(Unauthenticated);
    }
    await expect(limits.login('carol', client, ok)).resolves.toBe('ok');
    for (let i = 5; i < 10; i++) {
      await expect(limits.login(`user${i}`, client, fail)).rejects.toBeInstanceOf(Unauthenticated);
    }
    await expect(limits.login('carol', client, ok)).rejects.toBeInstanceOf(RateLimited);
    await expect(limits.login('carol', { address: '198.51.100.1' }, ok)).resolves.toBe('ok');
  });

  it('counts a name that is no one’s on its pair and address only', async () => {
    const { limits, counter } = await setup();
    await expect(limits.login('b\u200Bob', client, fail)).rejects.toBeInstanceOf(Unauthenticated);
    expect((await counter.peek('login:user:bob', 1_000_000)).count).toBe(0);
    expect((await counter.peek('login:address:203.0.113.1', 1_000_000)).count).toBe(1);
  });

  it('counts only Unauthenticated failures, not other errors', async () => {
    const { limits, counter } = await setup();
    await expect(
      limits.login('bob', client, () => Promise.reject(new Error('db down'))),
    ).rejects.toThrow('db down');
    expect((await counter.peek('login:user:bob', 1_000_000)).count).toBe(0);
  });

  it('lets no more concurrent guesses at one account through than failures remain', async () => {
    const { limits } = await setup();
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
    // The pairs differ; the username's limit (6) holds the burst.
    expect(started).toBe(6);
    const reasons = results.map((r) => (r.status === 'rejected' ? r.reason : undefined));
    expect(reasons.filter((e) => e instanceof RateLimited)).toHaveLength(4);
  });

  it('never refuses concurrent logins of different users from one address (default limits)', async () => {
    const { limits } = await setup({ perPair: 5, perUsername: 50, perAddress: 100 });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => limits.login(`user${i}`, client, slowly(ok))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill('fulfilled'));
  });

  it('bounds the attempts in flight from one address by perAddress', async () => {
    const { limits } = await setup();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => limits.login(`user${i}`, client, slowly(ok))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
  });

  it('keys refreshes per address, apart from logins, and counts only unknown tokens', async () => {
    const { limits } = await setup();
    // An office's stale tokens: expired or ended sessions are not guesses.
    for (let i = 0; i < 10; i++) {
      const stale = () =>
        Promise.reject(new Unauthenticated(i % 2 ? 'TOKEN_EXPIRED' : 'TOKEN_REVOKED'));
      await expect(limits.refresh(client, stale)).rejects.toBeInstanceOf(Unauthenticated);
    }
    await expect(limits.refresh(client, ok)).resolves.toBe('ok');
    const unknown = () => Promise.reject(new Unauthenticated('TOKEN_INVALID'));
    for (let i = 0; i < 4; i++) {
      await expect(limits.refresh(client, unknown)).rejects.toBeInstanceOf(Unauthenticated);
    }
    await expect(limits.refresh(client, ok)).rejects.toBeInstanceOf(RateLimited);
    await expect(limits.login('bob', client, ok)).resolves.toBe('ok');
  });

  it('never refuses concurrent valid refreshes from one address for each other', async () => {
    const { limits } = await setup();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => limits.refresh(client, slowly(ok))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill('fulfilled'));
  });
});
