/**
 * The example client against the real server (in-process, memory:// database): typed requests,
 * refresh on TOKEN_EXPIRED and ahead of expiry with single flight, reuse detection when two
 * clients share one refresh token, the cross-tab lock, and logout when a refresh fails.
 */
import { startTestServer, type TestServer } from '../../../test/support/harness';
import {
  createAuthClient,
  defaultLock,
  GraphQLRequestError,
  memoryStorage,
  REFRESH_LOCK_NAME,
  type AuthClientOptions,
  type Lock,
  type LogoutEvent,
} from './auth-client';
import { AdminDashboardDocument, MeDocument, type MeQuery } from './generated/graphql';

const ACCESS_TTL = 60;
const REFRESH_TTL = 600;

interface Call {
  operation: string;
  authorization: string | null;
  /** extensions.reason of the first error, if any. */
  reason?: string;
}

/** A fetch that records every GraphQL call: operation name, bearer, and the error reason. */
function recordingFetch(calls: Call[]): typeof fetch {
  return async (input, init) => {
    const { query } = JSON.parse(String(init?.body)) as { query: string };
    const operation = /^(?:query|mutation) (\w+)/m.exec(query)?.[1] ?? '?';
    const authorization = new Headers(init?.headers).get('authorization');
    const response = await fetch(input, init);
    const body = (await response.clone().json()) as {
      errors?: { extensions?: { reason?: string } }[];
    };
    calls.push({ operation, authorization, reason: body.errors?.[0]?.extensions?.reason });
    return response;
  };
}

describe('example auth client', () => {
  let server: TestServer;
  let offsetMs: number;
  let calls: Call[];
  const clientNow = () => Date.now() + offsetMs;
  /** Moves the server's clock and the client's together. */
  const advance = (seconds: number) => {
    offsetMs += seconds * 1000;
    server.clock.advance(seconds);
  };
  const count = (operation: string) => calls.filter((c) => c.operation === operation).length;
  const client = (options: Partial<AuthClientOptions> = {}) =>
    createAuthClient({
      url: `${server.url}/graphql`,
      fetch: recordingFetch(calls),
      now: clientNow,
      ...options,
    });
  const logoutEvents = (c: ReturnType<typeof client>) => {
    const events: LogoutEvent[] = [];
    c.on('logout', (event) => events.push(event));
    return events;
  };

  // One server for the file; every test logs in afresh. No grace for a retired refresh token,
  // so that presenting one twice is reuse at once.
  beforeAll(async () => {
    server = await startTestServer({
      ACCESS_TOKEN_TTL: String(ACCESS_TTL),
      REFRESH_TOKEN_TTL: String(REFRESH_TTL),
      REFRESH_REUSE_INTERVAL: '0',
    });
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    offsetMs = 0;
    calls = [];
  });

  it('logs in and runs typed operations; logout ends the session', async () => {
    const alice = client();
    const events = logoutEvents(alice);
    await alice.login('alice', 'secret123');
    expect(alice.isLoggedIn()).toBe(true);

    const { me }: MeQuery = await alice.request(MeDocument);
    expect(me).toMatchObject({ username: 'alice', role: 'ADMIN', isActive: true });
    const { adminDashboard } = await alice.request(AdminDashboardDocument);
    expect(adminDashboard.message).toBe("Welcome, alice. Here's the admin dashboard.");
    expect(calls.find((c) => c.operation === 'Me')?.authorization).toMatch(/^Bearer ey/);

    await alice.logout();
    expect(events).toEqual([{ reason: 'user' }]);
    expect(alice.isLoggedIn()).toBe(false);
    await expect(alice.request(MeDocument)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_MISSING',
    });
  });

  it('a bad login rejects with the server error and stays logged out', async () => {
    const c = client();
    const error = await c.login('alice', 'wrong-password').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphQLRequestError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
    expect(c.isLoggedIn()).toBe(false);
  });

  it('10 concurrent requests meeting an expired token cause exactly one refresh, then all succeed', async () => {
    const locked: string[] = [];
    const lock: Lock = (name, fn) => {
      locked.push(name);
      return fn();
    };
    const bob = client({ lock });
    await bob.login('bob', 'password456');
    // Only the server's clock moves: the client still believes its token valid and sends it.
    server.clock.advance(ACCESS_TTL + 10);

    const results = await Promise.all(Array.from({ length: 10 }, () => bob.request(MeDocument)));

    expect(results.map((r) => r.me.username)).toEqual(Array(10).fill('bob'));
    expect(count('Refresh')).toBe(1);
    expect(count('Me')).toBe(20);
    const me = calls.filter((c) => c.operation === 'Me');
    expect(me.filter((c) => c.reason === 'TOKEN_EXPIRED')).toHaveLength(10);
    expect(me.filter((c) => c.reason === undefined)).toHaveLength(10);
    // The refresh ran inside the cross-tab lock.
    expect(locked).toEqual([REFRESH_LOCK_NAME]);
  });

  it('refreshes ahead of expiry: no round trip meets TOKEN_EXPIRED', async () => {
    const bob = client({ refreshAheadSeconds: 20 });
    await bob.login('bob', 'password456');
    advance(ACCESS_TTL - 10); // 10 s left, inside the 20 s window

    await Promise.all([bob.request(MeDocument), bob.request(MeDocument)]);

    expect(calls.map((c) => c.operation)).toEqual(['Login', 'Refresh', 'Me', 'Me']);
    expect(calls.every((c) => c.reason === undefined)).toBe(true);
    // A request well before the window does not refresh.
    advance(10);
    await bob.request(MeDocument);
    expect(count('Refresh')).toBe(1);
  });

  it('two clients sharing one refresh token: reuse is detected and both are logged out', async () => {
    const firstStorage = memoryStorage();
    const first = client({ storage: firstStorage });
    await first.login('alice', 'secret123');
    // A second client with a copy of the refresh token, taken before the first rotates it.
    const copy = client({ storage: memoryStorage(firstStorage.get()) });
    const firstEvents = logoutEvents(first);
    const copyEvents = logoutEvents(copy);
    server.clock.advance(ACCESS_TTL + 10);

    await first.request(MeDocument); // TOKEN_EXPIRED, refresh, retry: fine
    const rotated = firstStorage.get();
    await expect(copy.request(MeDocument)).rejects.toMatchObject({ reason: 'TOKEN_REVOKED' });
    expect(copyEvents).toEqual([{ reason: 'refresh-failed' }]);

    // Reuse revoked the whole session: the first client's fresh access token is refused too.
    await expect(first.request(MeDocument)).rejects.toMatchObject({ reason: 'TOKEN_REVOKED' });
    expect(firstEvents).toEqual([{ reason: 'revoked' }]);
    expect([first.isLoggedIn(), copy.isLoggedIn()]).toEqual([false, false]);
    expect(count('Refresh')).toBe(2);
    const again = await server.gql(
      'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }',
      {
        variables: { t: rotated },
      },
    );
    expect(again.errors?.[0]?.extensions).toMatchObject({ reason: 'TOKEN_REVOKED' });
  });

  it('tabs sharing one storage take turns through the lock: no reuse, both stay logged in', async () => {
    const shared = memoryStorage();
    let tail: Promise<unknown> = Promise.resolve();
    const mutex: Lock = (_name, fn) => {
      const run = tail.then(fn);
      tail = run.catch(() => undefined);
      return run;
    };
    const tab1 = client({ storage: shared, lock: mutex });
    const tab2 = client({ storage: shared, lock: mutex });
    await tab1.login('bob', 'password456');
    await tab2.request(MeDocument); // no access token yet: refreshes with the shared token
    server.clock.advance(ACCESS_TTL + 10);

    await Promise.all([tab1.request(MeDocument), tab2.request(MeDocument)]);

    expect(count('Refresh')).toBe(3);
    expect(calls.filter((c) => c.reason === 'TOKEN_REVOKED')).toEqual([]);
    expect(tab1.isLoggedIn() && tab2.isLoggedIn()).toBe(true);
  });

  it('a refused refresh logs out: one logout event, every waiting request rejects', async () => {
    const bob = client();
    const events = logoutEvents(bob);
    await bob.login('bob', 'password456');
    server.clock.advance(REFRESH_TTL + 10); // the refresh token has expired too

    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => bob.request(MeDocument)),
    );

    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(count('Refresh')).toBe(1);
    expect(calls.find((c) => c.operation === 'Refresh')?.reason).toBe('TOKEN_EXPIRED');
    expect(events).toEqual([{ reason: 'refresh-failed' }]);
    expect(bob.isLoggedIn()).toBe(false);
  });
});

describe('defaultLock', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  afterEach(() => {
    if (original) Object.defineProperty(globalThis, 'navigator', original);
    else Reflect.deleteProperty(globalThis, 'navigator');
  });

  it('uses navigator.locks.request when the platform has Web Locks', async () => {
    const requested: string[] = [];
    const locks = {
      request: <T>(name: string, fn: () => Promise<T>) => {
        requested.push(name);
        return fn();
      },
    };
    Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true });
    await expect(defaultLock(REFRESH_LOCK_NAME, async () => 42)).resolves.toBe(42);
    expect(requested).toEqual([REFRESH_LOCK_NAME]);
  });

  it('runs the function directly without Web Locks', async () => {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
    await expect(defaultLock(REFRESH_LOCK_NAME, async () => 'ran')).resolves.toBe('ran');
  });
});
