/**
 * Subscriptions over graphql-ws (docs/API.md, "Subscriptions"): the token in connection_init,
 * the guards at subscribe and per event, the socket closed with 4401 when its session ends
 * (on every instance) or its token expires unrefreshed, and audit events to admins.
 */
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../support/harness';
import { createTestBackend, postgresBackendEnabled, type TestBackend } from '../support/postgres';
import { collect, connect, sleep, wsUrl } from '../support/websocket';

const SESSION_ENDED = 'subscription { sessionEnded { sessionId reason } }';
const AUTH_EVENTS =
  'subscription ($u: ID) { authEventAdded(userId: $u) { type userId sessionId } }';
const LOGOUT = 'mutation ($r: String) { logout(refreshToken: $r) }';
const ME = '{ me { id } }';

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Logs `username` out through `server` and measures until `closedAt` from the response. */
async function logoutAndMeasure(
  server: TestServer,
  refreshToken: string,
  closed: Promise<{ code: number; at: number }>,
): Promise<number> {
  const res = await server.gql(LOGOUT, { variables: { r: refreshToken } });
  const answered = performance.now();
  expect(res.errors).toBeUndefined();
  const { code, at } = await closed;
  expect(code).toBe(4401);
  return Math.max(0, at - answered);
}

describe('subscriptions over graphql-ws', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' });
  });
  afterAll(() => server?.close());

  describe('the upgrade', () => {
    function upgrade(
      path: string,
      protocol?: string,
      headers?: Record<string, string>,
      url = server.url,
    ) {
      return new Promise<number | string>((resolve) => {
        const ws = new WebSocket(`${wsUrl(url).replace('/graphql', '')}${path}`, protocol, {
          headers,
        });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => {
          resolve('open');
          ws.close();
        });
        ws.on('error', () => undefined);
      });
    }

    it('is refused on another path or without the graphql-transport-ws subprotocol', async () => {
      expect(await upgrade('/other', 'graphql-transport-ws')).toBe(404);
      expect(await upgrade('/graphql')).toBe(400);
      expect(await upgrade('/graphql', 'graphql-ws')).toBe(400);
      expect(await upgrade('/graphql', 'graphql-transport-ws')).toBe('open');
    });

    it('is refused in cookie mode for an Origin outside CORS_ORIGINS', async () => {
      const cookies = await startTestServer({
        AUTH_COOKIE: 'true',
        CORS_ORIGINS: 'https://app.example',
      });
      try {
        const from = (origin: string) =>
          upgrade('/graphql', 'graphql-transport-ws', { origin }, cookies.url);
        expect(await from('https://evil.example')).toBe(403);
        expect(await from('https://app.example')).toBe('open');
      } finally {
        await cookies.close();
      }
    });
  });

  it('refuses a subscription over HTTP in validation', async () => {
    const res = await server.gql(SESSION_ENDED);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]).toMatchObject({
      message: expect.stringContaining('websocket'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('closes a connection without a token with 4401', async () => {
    const socket = connect(server.url);
    await expect(socket.connected).rejects.toThrow();
    expect(await socket.closed).toMatchObject({ code: 4401, reason: 'Unauthorized' });
  });

  it('closes a connection with a bad token with 4401', async () => {
    const socket = connect(server.url, { authorization: 'Bearer not.a.token' });
    expect(await socket.closed).toMatchObject({ code: 4401 });
    const other = connect(server.url, { authorization: 'nonsense' });
    expect(await other.closed).toMatchObject({ code: 4401 });
  });

  it('refuses queries and mutations over the socket', async () => {
    const { accessToken } = await server.login('bob', 'password456');
    const socket = connect(server.url, { authorization: `Bearer ${accessToken}` });
    await socket.connected;
    const query = collect(socket.client, ME);
    expect(await query.ended).toEqual([
      expect.objectContaining({ message: expect.stringContaining('Only subscriptions') }),
    ]);
    await socket.close();
  });

  it("refuses a USER's authEventAdded, while sessionEnded on the same socket keeps working", async () => {
    const bob = await server.login('bob', 'password456');
    const socket = connect(server.url, { authorization: `Bearer ${bob.accessToken}` });
    await socket.connected;
    const ended = collect(socket.client, SESSION_ENDED);
    const events = collect(socket.client, AUTH_EVENTS);
    // Refused at subscribe: one result with the error and no data, then complete.
    expect(await events.ended).toBeUndefined();
    expect(events.results).toEqual([
      {
        errors: [
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
        ],
      },
    ]);
    // The socket is still open, and its other subscription still gets its event.
    await sleep(50);
    expect(ended.results).toEqual([]);
    const res = await server.gql(LOGOUT, { variables: { r: bob.refreshToken } });
    expect(res.errors).toBeUndefined();
    const event = await ended.next();
    expect(event.data).toEqual({
      sessionEnded: { sessionId: expect.any(String), reason: 'LOGGED_OUT' },
    });
    expect(await socket.closed).toMatchObject({ code: 4401 });
  });

  it('sends sessionEnded and closes the socket with 4401 within 100 ms of a logout elsewhere', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const bob = await server.login('bob', 'password456');
      const socket = connect(server.url, { authorization: `Bearer ${bob.accessToken}` });
      await socket.connected;
      const ended = collect(socket.client, SESSION_ENDED);
      await sleep(20); // the subscribe message is on its way
      latencies.push(await logoutAndMeasure(server, bob.refreshToken, socket.closed));
      expect(ended.results[0]?.data).toMatchObject({ sessionEnded: { reason: 'LOGGED_OUT' } });
    }
    console.log(`close after logout (ms): ${latencies.map((ms) => ms.toFixed(1)).join(', ')}`);
    expect(median(latencies)).toBeLessThan(100);
  });

  it('delivers a login to an admin subscriber of authEventAdded, filtered by userId', async () => {
    const alice = await server.login('alice', 'secret123');
    const socket = connect(server.url, { authorization: `Bearer ${alice.accessToken}` });
    await socket.connected;
    const me = await server.gql<{ me: { id: string } }>(ME, { token: alice.accessToken });
    const aliceId = me.data!.me.id;
    const all = collect(socket.client, AUTH_EVENTS);
    const onlyAlice = collect(socket.client, AUTH_EVENTS, { u: aliceId });
    await sleep(50);
    await server.login('bob', 'password456');
    expect((await all.next()).data).toMatchObject({
      authEventAdded: { type: 'LOGIN_SUCCEEDED', sessionId: expect.any(String) },
    });
    await server.login('alice', 'secret123');
    const second = await all.next();
    expect(second.data).toMatchObject({
      authEventAdded: { type: 'LOGIN_SUCCEEDED', userId: aliceId },
    });
    // Bob's login was not Alice's: her filtered subscription saw only her own.
    expect((await onlyAlice.next()).data).toMatchObject({
      authEventAdded: { type: 'LOGIN_SUCCEEDED', userId: aliceId },
    });
    expect(onlyAlice.results).toHaveLength(1);
    await socket.close();
  });

  it('stops deliveries at once when the subscriber is deactivated', async () => {
    const alice = await server.login('alice', 'secret123');
    const created = await server.gql<{ createUser: { id: string } }>(
      'mutation { createUser(input: { username: "carol", password: "a-long-password", role: ADMIN }) { id } }',
      { token: alice.accessToken },
    );
    expect(created.errors).toBeUndefined();
    const carolId = created.data!.createUser.id;
    const carol = await server.login('carol', 'a-long-password');
    const socket = connect(server.url, { authorization: `Bearer ${carol.accessToken}` });
    await socket.connected;
    const ended = collect(socket.client, SESSION_ENDED);
    const events = collect(socket.client, AUTH_EVENTS);
    await sleep(50);
    const before = events.results.length;
    const res = await server.gql(
      'mutation ($id: ID!) { setUserActive(id: $id, active: false) { isActive } }',
      { token: alice.accessToken, variables: { id: carolId } },
    );
    expect(res.errors).toBeUndefined();
    expect((await ended.next()).data).toMatchObject({ sessionEnded: { reason: 'DEACTIVATED' } });
    expect(await socket.closed).toMatchObject({ code: 4401 });
    const seen = events.results.length;
    await server.login('bob', 'password456');
    await sleep(100);
    expect(events.results.length).toBe(seen);
    // What came between the end of the session and the close (USER_DEACTIVATED, recorded right
    // after) failed the per-event check: an error, no data.
    for (const result of events.results.slice(before)) {
      expect(result).toEqual({
        data: null,
        errors: [
          expect.objectContaining({
            extensions: expect.objectContaining({
              code: 'UNAUTHENTICATED',
              reason: 'TOKEN_REVOKED',
            }),
          }),
        ],
      });
    }
  });

  describe('access-token expiry', () => {
    it('closes the socket with 4401 when the token expires', async () => {
      const bob = await server.login('bob', 'password456');
      const socket = connect(server.url, { authorization: `Bearer ${bob.accessToken}` });
      await socket.connected;
      const ended = collect(socket.client, SESSION_ENDED);
      await sleep(50);
      server.clock.advance(bob.expiresIn + 1);
      expect(await socket.closed).toMatchObject({ code: 4401, reason: 'Token expired' });
      expect(ended.results[0]?.data).toMatchObject({ sessionEnded: { reason: 'EXPIRED' } });
    });

    it('keeps the socket open when a fresh token came in a ping first', async () => {
      const bob = await server.login('bob', 'password456');
      const socket = connect(server.url, { authorization: `Bearer ${bob.accessToken}` });
      await socket.connected;
      const ended = collect(socket.client, SESSION_ENDED);
      server.clock.advance(bob.expiresIn - 60);
      const refreshed = await server.gql<{ refresh: { accessToken: string; expiresIn: number } }>(
        'mutation ($r: String) { refresh(refreshToken: $r) { accessToken expiresIn } }',
        { variables: { r: bob.refreshToken } },
      );
      expect(refreshed.errors).toBeUndefined();
      const fresh = refreshed.data!.refresh.accessToken;
      socket.send({ type: 'ping', payload: { authorization: `Bearer ${fresh}` } });
      await sleep(100);
      server.clock.advance(120); // past the first token's expiry, well before the fresh one's
      await sleep(1200);
      expect(ended.results).toEqual([]);
      const closedYet = await Promise.race([socket.closed, sleep(0).then(() => 'open')]);
      expect(closedYet).toBe('open');
      // A token of another session does not refresh this one: the socket closes.
      const other = await server.login('bob', 'password456');
      socket.send({ type: 'ping', payload: { authorization: `Bearer ${other.accessToken}` } });
      expect(await socket.closed).toMatchObject({ code: 4401 });
    });
  });

  it('closes every socket with 1001 when the server closes', async () => {
    const own = await startTestServer();
    const { accessToken } = await own.login('bob', 'password456');
    const socket = connect(own.url, { authorization: `Bearer ${accessToken}` });
    await socket.connected;
    collect(socket.client, SESSION_ENDED);
    await sleep(20);
    await own.close();
    expect(await socket.closed).toMatchObject({ code: 1001 });
  });
});

const twoInstances = postgresBackendEnabled() ? describe : describe.skip;

twoInstances('a logout on instance A closes the socket on instance B', () => {
  let backend: TestBackend;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    backend = await createTestBackend();
    const env = { ...backend.env, LOGIN_MAX_FAILURES: '1000' };
    [a, b] = [await startTestServer(env), await startTestServer(env)];
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await backend?.drop();
  });

  it('sends sessionEnded and closes with 4401 within 100 ms', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const bob = await a.login('bob', 'password456');
      const socket = connect(b.url, { authorization: `Bearer ${bob.accessToken}` });
      await socket.connected;
      const ended = collect(socket.client, SESSION_ENDED);
      await sleep(20);
      latencies.push(await logoutAndMeasure(a, bob.refreshToken, socket.closed));
      expect(ended.results[0]?.data).toMatchObject({ sessionEnded: { reason: 'LOGGED_OUT' } });
    }
    console.log(
      `close on B after logout on A (ms): ${latencies.map((ms) => ms.toFixed(1)).join(', ')}`,
    );
    expect(median(latencies)).toBeLessThan(100);
  });

  it("delivers instance A's audit events to an admin subscribed on B, once each", async () => {
    const alice = await b.login('alice', 'secret123');
    const socket = connect(b.url, { authorization: `Bearer ${alice.accessToken}` });
    await socket.connected;
    const events = collect(socket.client, AUTH_EVENTS);
    await sleep(100);
    await a.login('bob', 'password456');
    expect((await events.next()).data).toMatchObject({
      authEventAdded: { type: 'LOGIN_SUCCEEDED' },
    });
    await sleep(200);
    expect(events.results).toHaveLength(1);
    await socket.close();
  });
});
