/**
 * mySessions and revokeSession over HTTP (docs/API.md, "Accounts"): a user's live sessions with
 * where and when they were last used, and ending one of them at once, as logout does.
 */
import jwt from 'jsonwebtoken';
import {
  firstError,
  startTestServer,
  type GraphQLResponse,
  type TestServer,
  type TokenPair,
} from '../support/harness';

const PAIR = 'accessToken refreshToken tokenType expiresIn refreshExpiresIn';
const MY_SESSIONS = '{ mySessions { id createdAt lastUsedAt clientAddress userAgent current } }';
const REVOKE = 'mutation ($id: ID!) { revokeSession(id: $id) }';
const REVOKED = { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' };

interface Session {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  clientAddress: string | null;
  userAgent: string | null;
  current: boolean;
}

let server: TestServer;
let alice: string; // ADMIN
beforeAll(async () => {
  // TRUST_PROXY=1: X-Forwarded-For names the client, so each login can come from its own address.
  server = await startTestServer({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES: '1000' });
  alice = (await server.login('alice', 'secret123')).accessToken;
});
afterAll(() => server.close());

let accounts = 0;
/** A new USER account, so that each test sees only the sessions it starts. */
async function newUser(): Promise<string> {
  const username = `sessions_user_${++accounts}`;
  const res = await server.gql(
    'mutation ($u: String!) { createUser(input: { username: $u, password: "a-long-password" }) { id } }',
    { token: alice, variables: { u: username } },
  );
  expect(res.errors).toBeUndefined();
  return username;
}

function from(userAgent: string, address: string): Record<string, string> {
  return { 'user-agent': userAgent, 'x-forwarded-for': address };
}

async function login(username: string, headers: Record<string, string>): Promise<TokenPair> {
  const res = await server.gql<{ login: TokenPair }>(
    `mutation ($u: String!) { login(username: $u, password: "a-long-password") { ${PAIR} } }`,
    { variables: { u: username }, headers },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.login;
}

function refresh(refreshToken: string, headers: Record<string, string> = {}) {
  return server.gql<{ refresh: TokenPair }>(
    `mutation ($r: String!) { refresh(refreshToken: $r) { ${PAIR} } }`,
    { variables: { r: refreshToken }, headers },
  );
}

async function mySessions(token: string): Promise<Session[]> {
  const res = await server.gql<{ mySessions: Session[] }>(MY_SESSIONS, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.mySessions;
}

function revoke(token: string, id: string): Promise<GraphQLResponse<{ revokeSession: boolean }>> {
  return server.gql(REVOKE, { token, variables: { id } });
}

function sessionOf(pair: Pick<TokenPair, 'accessToken'>): string {
  return (jwt.decode(pair.accessToken, { json: true }) as { sid: string }).sid;
}

async function expectWorks(pair: Pick<TokenPair, 'accessToken'>): Promise<void> {
  const res = await server.gql('{ me { username } }', { token: pair.accessToken });
  expect(res.errors).toBeUndefined();
}

/** Both tokens of the pair are refused: the access token at once, the refresh token too. */
async function expectEnded(pair: TokenPair): Promise<void> {
  expect(firstError(await server.gql('{ me { username } }', { token: pair.accessToken }))).toEqual(
    REVOKED,
  );
  expect(firstError(await refresh(pair.refreshToken))).toEqual(REVOKED);
}

describe('mySessions', () => {
  it('lists two logins from two devices, each with its address and user agent; current marks the caller', async () => {
    const username = await newUser();
    const before = server.clock.now();
    const phone = await login(username, from('phone-agent/1.0', '203.0.113.10'));
    const laptop = await login(username, from('laptop-agent/2.0', '198.51.100.20'));

    for (const [caller, other] of [
      [phone, laptop],
      [laptop, phone],
    ] as const) {
      const sessions = await mySessions(caller.accessToken);
      expect(sessions).toHaveLength(2);
      const mine = sessions.find((s) => s.id === sessionOf(caller))!;
      const theirs = sessions.find((s) => s.id === sessionOf(other))!;
      expect(mine.current).toBe(true);
      expect(theirs.current).toBe(false);
    }

    const sessions = await mySessions(phone.accessToken);
    expect(sessions.find((s) => s.id === sessionOf(phone))).toMatchObject({
      userAgent: 'phone-agent/1.0',
      clientAddress: '203.0.113.10',
    });
    expect(sessions.find((s) => s.id === sessionOf(laptop))).toMatchObject({
      userAgent: 'laptop-agent/2.0',
      clientAddress: '198.51.100.20',
    });
    for (const session of sessions) {
      const lastUsed = new Date(session.lastUsedAt).getTime();
      expect(lastUsed).toBeGreaterThanOrEqual(before - 1000);
      expect(lastUsed).toBeLessThanOrEqual(server.clock.now() + 1000);
      expect(new Date(session.createdAt).getTime()).toBeLessThanOrEqual(lastUsed);
    }
    // The most recently used first.
    expect(sessions.map((s) => s.id)).toEqual([sessionOf(laptop), sessionOf(phone)]);
  });

  it('moves lastUsedAt forward on a refresh and takes the refreshing client’s user agent and address', async () => {
    const username = await newUser();
    const phone = await login(username, from('phone-agent/1.0', '203.0.113.10'));
    const laptop = await login(username, from('laptop-agent/2.0', '198.51.100.20'));
    const [before] = (await mySessions(phone.accessToken)).filter((s) => s.id === sessionOf(phone));

    server.clock.advance(30);
    const refreshed = await refresh(phone.refreshToken, from('phone-agent/1.1', '203.0.113.11'));
    expect(refreshed.errors).toBeUndefined();
    const next = refreshed.data!.refresh;
    expect(sessionOf(next)).toBe(sessionOf(phone));

    const sessions = await mySessions(next.accessToken);
    expect(sessions).toHaveLength(2);
    const after = sessions.find((s) => s.id === sessionOf(phone))!;
    expect(new Date(after.lastUsedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(before!.lastUsedAt).getTime() + 29_000,
    );
    expect(after).toMatchObject({
      userAgent: 'phone-agent/1.1',
      clientAddress: '203.0.113.11',
      current: true,
      createdAt: before!.createdAt,
    });
    // The refreshed session is now the most recently used; the other one is unchanged.
    expect(sessions[0]!.id).toBe(sessionOf(phone));
    expect(sessions.find((s) => s.id === sessionOf(laptop))).toMatchObject({
      userAgent: 'laptop-agent/2.0',
      current: false,
    });
  });

  it('leaves out ended sessions', async () => {
    const username = await newUser();
    const kept = await login(username, from('kept', '203.0.113.1'));
    const ended = await login(username, from('ended', '203.0.113.2'));
    const out = await server.gql('mutation { logout }', { token: ended.accessToken });
    expect(out.errors).toBeUndefined();
    expect((await mySessions(kept.accessToken)).map((s) => s.id)).toEqual([sessionOf(kept)]);
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const res = await server.gql(MY_SESSIONS);
    expect(firstError(res)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
  });
});

describe('revokeSession', () => {
  it('ends another session of the caller’s at once: its access and refresh tokens are refused', async () => {
    const username = await newUser();
    const mine = await login(username, from('mine', '203.0.113.1'));
    const other = await login(username, from('other', '203.0.113.2'));
    await expectWorks(other);

    const res = await revoke(mine.accessToken, sessionOf(other));
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ revokeSession: true });

    await expectEnded(other);
    await expectWorks(mine);
    expect((await mySessions(mine.accessToken)).map((s) => s.id)).toEqual([sessionOf(mine)]);
    // Ended is not live: a second revocation is an unknown id.
    expect(firstError(await revoke(mine.accessToken, sessionOf(other)))).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });

  it('ends the caller’s own current session too', async () => {
    const username = await newUser();
    const only = await login(username, from('only', '203.0.113.1'));
    const res = await revoke(only.accessToken, sessionOf(only));
    expect(res.data).toEqual({ revokeSession: true });
    await expectEnded(only);
  });

  it('refuses a USER another user’s session with BAD_USER_INPUT, and leaves it alone', async () => {
    const victim = await login(await newUser(), from('victim', '203.0.113.1'));
    const stranger = await login(await newUser(), from('stranger', '203.0.113.2'));
    const res = await revoke(stranger.accessToken, sessionOf(victim));
    expect(firstError(res)).toMatchObject({ code: 'BAD_USER_INPUT' });
    // The same answer as an unknown id: it does not confirm that the session exists.
    expect(res.errors![0]!.message).toBe(
      `No live session of yours has the id "${sessionOf(victim)}".`,
    );
    expect(res.data ?? null).toBeNull();
    await expectWorks(victim);
    expect((await mySessions(victim.accessToken)).map((s) => s.id)).toEqual([sessionOf(victim)]);
  });

  it('lets an ADMIN end anyone’s session', async () => {
    const victim = await login(await newUser(), from('victim', '203.0.113.1'));
    const res = await revoke(alice, sessionOf(victim));
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ revokeSession: true });
    await expectEnded(victim);
    await expectWorks({ accessToken: alice });
  });

  it.each([
    ['an unknown id', '00000000-0000-4000-8000-000000000000'],
    ['garbage', 'not-a-session-id'],
    ['an empty id', ''],
    ['a long id', 'x'.repeat(5000)],
    ['SQL', "' OR 1=1 --"],
    ['a number', '12345'],
  ])('answers %s with BAD_USER_INPUT, not an internal error', async (_name, id) => {
    for (const token of [
      alice,
      (await login(await newUser(), from('u', '203.0.113.1'))).accessToken,
    ]) {
      const res = await revoke(token, id);
      expect(res.status).toBe(200);
      expect(firstError(res)).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(res.errors![0]!.message).toMatch(/No live session of yours has the id/);
    }
  });

  it('is UNAUTHENTICATED without a token, and records SESSION_REVOKED', async () => {
    const username = await newUser();
    const mine = await login(username, from('mine', '203.0.113.1'));
    const other = await login(username, from('other', '203.0.113.2'));
    expect(
      firstError(await server.gql(REVOKE, { variables: { id: sessionOf(other) } })),
    ).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expectWorks(other);
    expect((await revoke(mine.accessToken, sessionOf(other))).data).toEqual({
      revokeSession: true,
    });
    const userId = (jwt.decode(mine.accessToken, { json: true }) as { sub: string }).sub;
    const events = await server.gql<{ authEvents: { type: string; sessionId: string | null }[] }>(
      'query ($id: ID!) { authEvents(userId: $id) { type sessionId } }',
      { token: alice, variables: { id: userId } },
    );
    expect(events.errors).toBeUndefined();
    expect(events.data!.authEvents).toContainEqual({
      type: 'SESSION_REVOKED',
      sessionId: sessionOf(other),
    });
  });
});
