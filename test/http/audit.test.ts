import { firstCode, LOGIN as LOGIN_RAW, postGraphQL } from '../security/support';
import { firstError, startTestServer, type TestServer } from '../support/harness';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ REFRESH_REUSE_INTERVAL: '0' });
});
afterAll(() => server.close());

interface Event {
  type: string;
  userId: string | null;
  sessionId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  username: string | null;
  count: number;
  at: string;
}

const EVENTS = `query ($userId: ID, $limit: Int) {
  authEvents(userId: $userId, limit: $limit) {
    type userId sessionId clientAddress userAgent username count at
  }
}`;
const LOGIN =
  'mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken } }';
const REFRESH = 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }';

describe('the audit log', () => {
  it('records every auth event of a session, newest first, with client address and user agent', async () => {
    const admin = await server.login('alice', 'secret123');
    const headers = { 'user-agent': 'audit-test/1.0' };
    const created = await server.gql<{ createUser: { id: string } }>(
      'mutation { createUser(input: { username: "frank", password: "frank-password" }) { id } }',
      { token: admin.accessToken, headers },
    );
    const frankId = created.data!.createUser.id;
    await server.gql(LOGIN, { variables: { u: 'frank', p: 'wrong-password' }, headers });
    const login = await server.gql<{ login: { accessToken: string; refreshToken: string } }>(
      LOGIN,
      {
        variables: { u: 'frank', p: 'frank-password' },
        headers,
      },
    );
    const first = login.data!.login;
    const rotated = await server.gql<{ refresh: { accessToken: string } }>(REFRESH, {
      variables: { t: first.refreshToken },
      headers,
    });
    expect(rotated.errors).toBeUndefined();
    await server.gql(REFRESH, { variables: { t: first.refreshToken }, headers }); // reuse
    const second = await server.login('frank', 'frank-password');
    await server.gql(
      'mutation { changePassword(currentPassword: "frank-password", newPassword: "frank-password-2") }',
      { token: second.accessToken, headers },
    );
    await server.gql('mutation { logout }', { token: second.accessToken, headers });
    await server.gql(`mutation { setUserActive(id: "${frankId}", active: false) { id } }`, {
      token: admin.accessToken,
      headers,
    });

    const res = await server.gql<{ authEvents: Event[] }>(EVENTS, {
      variables: { userId: frankId },
      token: admin.accessToken,
    });
    expect(res.errors).toBeUndefined();
    const events = res.data!.authEvents;
    expect(events.map((e) => e.type)).toEqual([
      'USER_DEACTIVATED',
      'LOGGED_OUT',
      'PASSWORD_CHANGED',
      'LOGIN_SUCCEEDED',
      'REFRESH_REUSE_DETECTED',
      'REFRESHED',
      'LOGIN_SUCCEEDED',
      'LOGIN_FAILED',
      'USER_CREATED',
    ]);
    expect(events.every((e) => e.userId === frankId)).toBe(true);
    const reuse = events.find((e) => e.type === 'REFRESH_REUSE_DETECTED')!;
    expect(reuse).toMatchObject({ clientAddress: '127.0.0.1', userAgent: 'audit-test/1.0' });
    expect(reuse.sessionId).toEqual(expect.any(String));
    const times = events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('limits the answer and shows every user without userId', async () => {
    const admin = await server.login('alice', 'secret123');
    const res = await server.gql<{ authEvents: Event[] }>(EVENTS, {
      variables: { limit: 3 },
      token: admin.accessToken,
    });
    expect(res.data!.authEvents).toHaveLength(3);
    expect(res.data!.authEvents[0]).toMatchObject({ type: 'LOGIN_SUCCEEDED' });
  });

  it('keeps one row per limit and window for a flood of refused logins, with a count', async () => {
    const admin = await server.login('alice', 'secret123');
    // Windows are fixed (LOGIN_FAILURE_WINDOW, 15 min): start at the beginning of one, so the
    // flood does not straddle two.
    const windowMs = 15 * 60 * 1000;
    server.clock.advance((windowMs - (server.clock.now() % windowMs)) / 1000 + 1);
    const from = '127.0.30.1';
    const attempt = (userAgent: string) =>
      postGraphQL(server.url, LOGIN_RAW, {
        variables: { u: 'BOB', p: 'wrong-password' },
        headers: { 'user-agent': userAgent },
        localAddress: from,
      });
    for (let i = 0; i < 5; i++) await attempt('flood/1.0');
    const longAgent = `flood/2.0 ${'x'.repeat(1000)}`;
    for (let i = 0; i < 60; i++) {
      expect(firstCode(await attempt(longAgent))?.code).toBe('RATE_LIMITED');
    }

    const res = await server.gql<{ authEvents: Event[] }>(EVENTS, {
      variables: { limit: 500 },
      token: admin.accessToken,
    });
    const fromFlood = res.data!.authEvents.filter((e) => e.clientAddress === from);
    const limited = fromFlood.filter((e) => e.type === 'LOGIN_RATE_LIMITED');
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({ count: 60, username: 'bob', userId: null });
    expect(limited[0]!.userAgent!.length).toBeLessThanOrEqual(160);
    expect(limited[0]!.userAgent!.startsWith('flood/2.0 ')).toBe(true);
    // The failures before the limit are events of their own, named by the canonical username.
    const failed = fromFlood.filter((e) => e.type === 'LOGIN_FAILED');
    expect(failed.map((e) => [e.username, e.count])).toEqual(Array(5).fill(['bob', 1]));

    // The next window starts a new row.
    server.clock.advance(15 * 60);
    for (let i = 0; i < 5; i++) await attempt('flood/3.0');
    expect(firstCode(await attempt('flood/3.0'))?.code).toBe('RATE_LIMITED');
    const later = await server.gql<{ authEvents: Event[] }>(EVENTS, {
      variables: { limit: 500 },
      token: (await server.login('alice', 'secret123')).accessToken,
    });
    const counts = later
      .data!.authEvents.filter((e) => e.clientAddress === from && e.type === 'LOGIN_RATE_LIMITED')
      .map((e) => e.count);
    expect(counts).toEqual([1, 60]);
  });

  it('is for admins only', async () => {
    const bob = await server.login('bob', 'password456');
    const res = await server.gql(EVENTS, { token: bob.accessToken });
    expect(firstError(res)).toEqual({ code: 'FORBIDDEN' });
  });
});
