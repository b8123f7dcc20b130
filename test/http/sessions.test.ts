/**
 * Sessions as a client sees them over HTTP (docs/API.md, "Tokens", "Passwords", "Errors"):
 * login, rotation, reuse, logout, password changes, deactivation, and the access token itself.
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
const REVOKED = { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' };
const INVALID_CREDENTIALS = { code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' };
const BAD_USER_INPUT = { code: 'BAD_USER_INPUT' };

/** Talks to one server: the operations the tests below repeat. */
function client(server: TestServer) {
  const api = {
    me: (token: string) =>
      server.gql<{ me: { username: string } }>('{ me { username } }', { token }),
    refresh: (refreshToken: string) =>
      server.gql<{ refresh: TokenPair }>(
        `mutation ($r: String!) { refresh(refreshToken: $r) { ${PAIR} } }`,
        { variables: { r: refreshToken } },
      ),
    login: (username: string, password: string) =>
      server.gql<{ login: TokenPair }>(
        `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { ${PAIR} } }`,
        { variables: { u: username, p: password } },
      ),
    logout: (
      args: { token?: string; refreshToken?: string; allSessions?: boolean } = {},
    ): Promise<GraphQLResponse<{ logout: boolean }>> =>
      server.gql(
        'mutation ($r: String, $all: Boolean! = false) { logout(refreshToken: $r, allSessions: $all) }',
        {
          token: args.token,
          variables: { r: args.refreshToken, all: args.allSessions ?? false },
        },
      ),
    /** Expects the access token to work: `me` answers with a username. */
    expectWorks: async (accessToken: string) => {
      const res = await api.me(accessToken);
      expect(res.errors).toBeUndefined();
      expect(res.data?.me.username).toEqual(expect.any(String));
    },
    expectRevoked: async (pair: Pick<TokenPair, 'accessToken' | 'refreshToken'>) => {
      expect(firstError(await api.me(pair.accessToken))).toEqual(REVOKED);
      expect(firstError(await api.refresh(pair.refreshToken))).toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    },
  };
  return api;
}

function claimsOf(accessToken: string): jwt.JwtPayload {
  const decoded = jwt.decode(accessToken, { json: true });
  if (!decoded) throw new Error('not a JWT');
  return decoded;
}

describe('sessions with REFRESH_REUSE_INTERVAL=10s', () => {
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let alice: string;
  beforeAll(async () => {
    server = await startTestServer({ REFRESH_REUSE_INTERVAL: '10s', LOGIN_MAX_FAILURES: '1000' });
    api = client(server);
    alice = (await server.login('alice', 'secret123')).accessToken;
  });
  afterAll(() => server.close());

  /** alice creates an account; its id. */
  async function createAccount(username: string, password: string): Promise<string> {
    const res = await server.gql<{ createUser: { id: string } }>(
      'mutation ($u: String!, $p: String!) { createUser(input: { username: $u, password: $p }) { id } }',
      { token: alice, variables: { u: username, p: password } },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createUser.id;
  }

  async function createUserResult(username: string, password: string) {
    return server.gql(
      'mutation ($u: String!, $p: String!) { createUser(input: { username: $u, password: $p }) { id } }',
      { token: alice, variables: { u: username, p: password } },
    );
  }

  describe('refresh', () => {
    it('returns a new pair of the same session that works', async () => {
      const first = await server.login('bob', 'password456');
      const res = await api.refresh(first.refreshToken);
      expect(res.errors).toBeUndefined();
      const next = res.data!.refresh;
      expect(next.accessToken).not.toBe(first.accessToken);
      expect(next.refreshToken).not.toBe(first.refreshToken);
      expect(next).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      expect(claimsOf(next.accessToken).sid).toBe(claimsOf(first.accessToken).sid);
      await api.expectWorks(next.accessToken);
      expect((await api.refresh(next.refreshToken)).errors).toBeUndefined();
    });

    it('gives another pair of the same session for a token retired within the interval', async () => {
      const first = await server.login('bob', 'password456');
      const a = (await api.refresh(first.refreshToken)).data!.refresh;
      server.clock.advance(5);
      const again = await api.refresh(first.refreshToken);
      expect(again.errors).toBeUndefined();
      const b = again.data!.refresh;
      expect(b.refreshToken).not.toBe(a.refreshToken);
      expect(claimsOf(b.accessToken).sid).toBe(claimsOf(first.accessToken).sid);
      await api.expectWorks(a.accessToken);
      await api.expectWorks(b.accessToken);
    });

    it('revokes the whole session when a retired token comes back after the interval', async () => {
      const first = await server.login('bob', 'password456');
      const second = (await api.refresh(first.refreshToken)).data!.refresh;
      const third = (await api.refresh(second.refreshToken)).data!.refresh;
      server.clock.advance(11);

      expect(firstError(await api.refresh(first.refreshToken))).toEqual(REVOKED);

      for (const pair of [first, second, third]) {
        expect(firstError(await api.me(pair.accessToken))).toEqual(REVOKED);
      }
      // Even the newest, never-used refresh token of that session is refused.
      expect(firstError(await api.refresh(third.refreshToken))).toEqual(REVOKED);
      // Another session of the same user is untouched.
      await api.expectWorks((await server.login('bob', 'password456')).accessToken);
    });

    it.each([
      ['garbage', 'not-a-refresh-token'],
      ['an unknown token of the right shape', 'A'.repeat(43)],
    ])('refuses %s: TOKEN_INVALID', async (_name, token) => {
      expect(firstError(await api.refresh(token))).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_INVALID',
      });
    });

    it('refuses an access token presented as a refresh token: TOKEN_INVALID', async () => {
      const { accessToken } = await server.login('bob', 'password456');
      expect(firstError(await api.refresh(accessToken))).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_INVALID',
      });
    });
  });

  describe('logout', () => {
    it('ends the session of the Bearer token: both its tokens are refused', async () => {
      const pair = await server.login('bob', 'password456');
      const res = await api.logout({ token: pair.accessToken });
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ logout: true });
      expect(firstError(await api.me(pair.accessToken))).toEqual(REVOKED);
      expect(firstError(await api.refresh(pair.refreshToken))).toEqual(REVOKED);
    });

    it('ends the session of a refresh token sent without a Bearer token', async () => {
      const pair = await server.login('bob', 'password456');
      const res = await api.logout({ refreshToken: pair.refreshToken });
      expect(res.data).toEqual({ logout: true });
      await api.expectRevoked(pair);
    });

    it('ends only the session it names', async () => {
      const ended = await server.login('bob', 'password456');
      const other = await server.login('bob', 'password456');
      await api.logout({ token: ended.accessToken });
      await api.expectWorks(other.accessToken);
    });

    it('refuses a logout with neither token: UNAUTHENTICATED TOKEN_MISSING', async () => {
      const res = await api.logout();
      expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
      expect(res.data ?? null).toBeNull();
    });

    it('refuses a logout with an unknown refresh token: UNAUTHENTICATED TOKEN_INVALID', async () => {
      const res = await api.logout({ refreshToken: 'B'.repeat(43) });
      expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
    });

    it('refuses a logout with the access token of an ended session: TOKEN_REVOKED', async () => {
      // A revoked token must not end the user's newer sessions (logout needs a valid token).
      const pair = await server.login('bob', 'password456');
      await api.logout({ token: pair.accessToken });
      const again = await api.logout({ token: pair.accessToken });
      expect(firstError(again)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
      await api.expectRevoked(pair);
    });

    it('ends every session of the user with allSessions, and no other user’s', async () => {
      await createAccount('gina', 'gina-password');
      const one = await server.login('gina', 'gina-password');
      const two = await server.login('gina', 'gina-password');
      const bob = await server.login('bob', 'password456');
      const res = await api.logout({ token: one.accessToken, allSessions: true });
      expect(res.data).toEqual({ logout: true });
      await api.expectRevoked(one);
      await api.expectRevoked(two);
      await api.expectWorks(bob.accessToken);
      await api.expectWorks(alice);
    });

    it('ends every session of the user with allSessions and only a refresh token', async () => {
      await createAccount('hank', 'hank-password');
      const one = await server.login('hank', 'hank-password');
      const two = await server.login('hank', 'hank-password');
      const res = await api.logout({ refreshToken: two.refreshToken, allSessions: true });
      expect(res.data).toEqual({ logout: true });
      await api.expectRevoked(one);
      await api.expectRevoked(two);
    });

    it('treats a token retired past the reuse interval as reuse: its session ends, no other', async () => {
      await createAccount('ivan', 'ivan-password');
      const laptop = await server.login('ivan', 'ivan-password');
      const phone = await server.login('ivan', 'ivan-password');
      const rotated = (await api.refresh(laptop.refreshToken)).data!.refresh;
      server.clock.advance(11);

      const res = await api.logout({ refreshToken: laptop.refreshToken, allSessions: true });
      expect(firstError(res)).toEqual(REVOKED);
      expect(res.data ?? null).toBeNull();
      // The stolen token's session is over, as after a reused refresh...
      await api.expectRevoked(rotated);
      // ...and every other session of the user goes on.
      await api.expectWorks(phone.accessToken);
      expect((await api.refresh(phone.refreshToken)).errors).toBeUndefined();
    });

    it('still logs out all sessions with a token retired within the reuse interval', async () => {
      await createAccount('jane', 'jane-password');
      const one = await server.login('jane', 'jane-password');
      const two = await server.login('jane', 'jane-password');
      await api.refresh(one.refreshToken);
      server.clock.advance(5);
      const res = await api.logout({ refreshToken: one.refreshToken, allSessions: true });
      expect(res.data).toEqual({ logout: true });
      await api.expectRevoked(two);
    });
  });

  describe('changePassword', () => {
    const CHANGE =
      'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';

    it('refuses a wrong current password and a too-short new one, then ends every other session', async () => {
      await createAccount('carol', 'carol-old-password');
      const current = await server.login('carol', 'carol-old-password');
      const other = await server.login('carol', 'carol-old-password');

      const wrong = await server.gql(CHANGE, {
        token: current.accessToken,
        variables: { c: 'not-the-password', n: 'carol-new-password' },
      });
      expect(firstError(wrong)).toEqual(INVALID_CREDENTIALS);

      const short = await server.gql(CHANGE, {
        token: current.accessToken,
        variables: { c: 'carol-old-password', n: 'short' },
      });
      expect(firstError(short)).toEqual(BAD_USER_INPUT);
      await api.expectWorks(other.accessToken); // failed attempts ended nothing

      const ok = await server.gql(CHANGE, {
        token: current.accessToken,
        variables: { c: 'carol-old-password', n: 'carol-new-password' },
      });
      expect(ok.errors).toBeUndefined();
      expect(ok.data).toEqual({ changePassword: true });

      await api.expectWorks(current.accessToken);
      expect((await api.refresh(current.refreshToken)).errors).toBeUndefined();
      await api.expectRevoked(other);

      expect(firstError(await api.login('carol', 'carol-old-password'))).toEqual(
        INVALID_CREDENTIALS,
      );
      expect((await api.login('carol', 'carol-new-password')).data?.login).toMatchObject({
        tokenType: 'Bearer',
      });
    });
  });

  describe('setUserActive', () => {
    const SET_ACTIVE =
      'mutation ($id: ID!, $a: Boolean!) { setUserActive(id: $id, active: $a) { username isActive } }';

    it('ends every session of a deactivated user; login answers FORBIDDEN until reactivation', async () => {
      const id = await createAccount('dave', 'dave-password');
      const one = await server.login('dave', 'dave-password');
      const two = await server.login('dave', 'dave-password');

      const off = await server.gql(SET_ACTIVE, { token: alice, variables: { id, a: false } });
      expect(off.data).toEqual({ setUserActive: { username: 'dave', isActive: false } });
      await api.expectRevoked(one);
      await api.expectRevoked(two);

      expect(firstError(await api.login('dave', 'dave-password'))).toEqual({ code: 'FORBIDDEN' });
      expect(firstError(await api.login('dave', 'wrong-password'))).toEqual(INVALID_CREDENTIALS);

      const on = await server.gql(SET_ACTIVE, { token: alice, variables: { id, a: true } });
      expect(on.data).toEqual({ setUserActive: { username: 'dave', isActive: true } });
      await api.expectWorks((await server.login('dave', 'dave-password')).accessToken);
    });

    it('refuses an unknown user id: BAD_USER_INPUT', async () => {
      const res = await server.gql(SET_ACTIVE, {
        token: alice,
        variables: { id: '00000000-0000-4000-8000-000000000000', a: false },
      });
      expect(firstError(res)).toEqual(BAD_USER_INPUT);
    });
  });

  describe('login', () => {
    it('answers an unknown username and a wrong password with the same error', async () => {
      const unknown = await api.login('nobody-here', 'password456');
      const wrong = await api.login('bob', 'not-his-password');
      expect(firstError(unknown)).toEqual(INVALID_CREDENTIALS);
      expect(unknown.errors).toEqual(wrong.errors);
      expect(unknown.data ?? null).toBeNull();
      expect(wrong.data ?? null).toBeNull();
    });

    it('finds the username regardless of case', async () => {
      expect((await api.login('BOB', 'password456')).errors).toBeUndefined();
    });
  });

  describe('passwords', () => {
    const long = 'p'.repeat(99) + 'a';

    it('counts every character of a 100-character password: no 72-byte truncation', async () => {
      await createAccount('longpass', long);
      expect((await api.login('longpass', long)).errors).toBeUndefined();
      const lastChanged = long.slice(0, -1) + 'b';
      expect(firstError(await api.login('longpass', lastChanged))).toEqual(INVALID_CREDENTIALS);
      expect(firstError(await api.login('longpass', long.slice(0, 72)))).toEqual(
        INVALID_CREDENTIALS,
      );
    });

    it.each([
      ['7', 'x'.repeat(7)],
      ['257', 'x'.repeat(257)],
    ])('refuses a password of %s characters: BAD_USER_INPUT', async (_n, password) => {
      const res = await createUserResult(`short${password.length}`, password);
      expect(firstError(res)).toEqual(BAD_USER_INPUT);
    });

    it.each([
      ['8', 'x'.repeat(8)],
      ['256', 'x'.repeat(256)],
    ])('accepts a password of %s characters', async (n, password) => {
      const res = await createUserResult(`edge${n}`, password);
      expect(res.errors).toBeUndefined();
      expect((await api.login(`edge${n}`, password)).errors).toBeUndefined();
    });

    it('refuses a username that differs from an existing one only in case: BAD_USER_INPUT', async () => {
      for (const username of ['ALICE', 'Bob']) {
        expect(firstError(await createUserResult(username, 'long-enough-1'))).toEqual(
          BAD_USER_INPUT,
        );
      }
    });
  });

  describe('the access token', () => {
    it('is an at+jwt with the contract claims and nothing secret', async () => {
      const pair = await server.login('bob', 'password456');
      expect(pair).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshExpiresIn: 7 * 24 * 3600,
      });
      const decoded = jwt.decode(pair.accessToken, { complete: true });
      if (!decoded || typeof decoded.payload === 'string') throw new Error('not a JWT');
      expect(decoded.header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: expect.any(String) });
      expect(decoded.header.kid).not.toBe('');

      const payload = decoded.payload;
      expect(Object.keys(payload).sort()).toEqual(
        ['acr', 'amr', 'aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub'].sort(),
      );
      expect(payload).toMatchObject({
        iss: 'graphql-auth',
        aud: 'graphql-api',
        role: 'USER',
        sub: expect.any(String),
        sid: expect.any(String),
        jti: expect.any(String),
        // A password login, second factor or not: verifyMfa raises it.
        amr: ['pwd'],
        acr: 'aal1',
      });
      expect(payload.exp! - payload.iat!).toBe(900);
      const text = Buffer.from(pair.accessToken.split('.')[1]!, 'base64url').toString('utf8');
      expect(text).not.toContain('password456');
      expect(text).not.toContain('$2'); // no bcrypt hash
      expect(text).not.toContain(pair.refreshToken);
    });

    it('names the user in sub and the session in sid', async () => {
      const me = await server.gql<{ me: { id: string } }>('{ me { id } }', {
        token: (await server.login('bob', 'password456')).accessToken,
      });
      const pair = await server.login('bob', 'password456');
      const other = await server.login('bob', 'password456');
      expect(claimsOf(pair.accessToken).sub).toBe(me.data?.me.id);
      expect(claimsOf(pair.accessToken).sid).not.toBe(claimsOf(other.accessToken).sid);
    });
  });
});

describe('sessions with REFRESH_REUSE_INTERVAL=0', () => {
  let server: TestServer;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    server = await startTestServer({ REFRESH_REUSE_INTERVAL: '0', LOGIN_MAX_FAILURES: '1000' });
    api = client(server);
  });
  afterAll(() => server.close());

  it('retires the old refresh token at once: presenting it again revokes the session', async () => {
    const first = await server.login('bob', 'password456');
    const next = (await api.refresh(first.refreshToken)).data!.refresh;
    expect(firstError(await api.refresh(first.refreshToken))).toEqual(REVOKED);
    await api.expectRevoked(next);
  });

  it('lets at most one of 10 concurrent refreshes with one token succeed', async () => {
    const { refreshToken } = await server.login('bob', 'password456');
    const results = await Promise.all(Array.from({ length: 10 }, () => api.refresh(refreshToken)));
    const succeeded = results.filter((r) => r.data?.refresh);
    expect(succeeded.length).toBeLessThanOrEqual(1);
    for (const failed of results.filter((r) => !r.data?.refresh)) {
      expect(firstError(failed)).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });
});
