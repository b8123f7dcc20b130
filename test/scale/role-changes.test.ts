/**
 * setUserRole with two instances on one PostgreSQL and Redis (docs/API.md, "Accounts"): a role
 * changed through one instance ends the user's sessions on the other at once, and the other
 * never mints or shows the old role afterwards, though its user cache may have the old record.
 *
 * The embedded database belongs to one process, so there is no second instance to ask there:
 * on that backend these cases are skipped.
 */
import jwt from 'jsonwebtoken';
import { firstError, startTestServer, type TestServer, type TokenPair } from '../support/harness';
import { createTestBackend, postgresBackendEnabled, type TestBackend } from '../support/postgres';

const PASSWORD = 'a-long-password';
const REVOKED = { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' };
const DASHBOARD = '{ adminDashboard { userCount } }';
const SET_ROLE =
  'mutation ($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { id role } }';

const twoInstances = postgresBackendEnabled() ? describe : describe.skip;

twoInstances('a role changed through instance A, seen from instance B', () => {
  let backend: TestBackend;
  let a: TestServer;
  let b: TestServer;
  let alice: string; // ADMIN, logged in on A
  beforeAll(async () => {
    backend = await createTestBackend();
    const env = { ...backend.env, LOGIN_MAX_FAILURES: '1000' };
    [a, b] = [await startTestServer(env), await startTestServer(env)];
    alice = (await a.login('alice', 'secret123')).accessToken;
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await backend?.drop();
  });

  async function createUser(username: string, role: string): Promise<string> {
    const res = await a.gql<{ createUser: { id: string } }>(
      'mutation ($u: String!, $p: String!, $r: Role!) { createUser(input: { username: $u, password: $p, role: $r }) { id } }',
      { token: alice, variables: { u: username, p: PASSWORD, r: role } },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createUser.id;
  }

  async function setRole(server: TestServer, token: string, id: string, role: string) {
    const res = await server.gql<{ setUserRole: { id: string; role: string } }>(SET_ROLE, {
      token,
      variables: { id, role },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.setUserRole).toEqual({ id, role });
  }

  /** `me` on `server`: the role it answers (read through that instance's user cache). */
  async function meRole(server: TestServer, token: string): Promise<string> {
    const res = await server.gql<{ me: { role: string } }>('{ me { role } }', { token });
    expect(res.errors).toBeUndefined();
    return res.data!.me.role;
  }

  function refresh(server: TestServer, refreshToken: string) {
    return server.gql<{ refresh: TokenPair }>(
      'mutation ($r: String!) { refresh(refreshToken: $r) { accessToken refreshToken } }',
      { variables: { r: refreshToken } },
    );
  }

  function roleIn(accessToken: string): string {
    return (jwt.decode(accessToken, { json: true }) as { role: string }).role;
  }

  /** Logs in on A and uses the token on B, so that B's user cache holds the user as they are. */
  async function seenOnB(username: string, role: string): Promise<TokenPair> {
    const pair = await a.login(username, PASSWORD);
    expect(await meRole(b, pair.accessToken)).toBe(role);
    return pair;
  }

  it('refuses the old token on B on the very next request, and B refreshes a new login with the new role', async () => {
    const id = await createUser('promoted_on_a', 'USER');
    const old = await seenOnB('promoted_on_a', 'USER');

    await setRole(a, alice, id, 'ADMIN');

    expect(firstError(await b.gql('{ me { role } }', { token: old.accessToken }))).toEqual(REVOKED);
    expect(firstError(await refresh(b, old.refreshToken))).toEqual(REVOKED);

    const fresh = await a.login('promoted_on_a', PASSWORD);
    expect(roleIn(fresh.accessToken)).toBe('ADMIN');
    const refreshed = await refresh(b, fresh.refreshToken);
    expect(refreshed.errors).toBeUndefined();
    const onB = refreshed.data!.refresh.accessToken;
    expect(roleIn(onB)).toBe('ADMIN');
    expect((await b.gql(DASHBOARD, { token: onB })).errors).toBeUndefined();
    expect(await meRole(b, onB)).toBe('ADMIN');
  });

  it('gives a new login on B after a demotion through A the new role, in the token and in me', async () => {
    const id = await createUser('demoted_on_a', 'ADMIN');
    const old = await seenOnB('demoted_on_a', 'ADMIN');

    await setRole(a, alice, id, 'USER');

    expect(firstError(await b.gql(DASHBOARD, { token: old.accessToken }))).toEqual(REVOKED);
    const fresh = await b.login('demoted_on_a', PASSWORD);
    expect(roleIn(fresh.accessToken)).toBe('USER');
    expect(firstError(await b.gql(DASHBOARD, { token: fresh.accessToken }))).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await meRole(b, fresh.accessToken)).toBe('USER');
    const refreshed = await refresh(b, fresh.refreshToken);
    expect(roleIn(refreshed.data!.refresh.accessToken)).toBe('USER');
  });

  it('applies a change through B right after one through A: B does not mistake it for the same role', async () => {
    const id = await createUser('changed_twice', 'USER');
    await seenOnB('changed_twice', 'USER');
    const aliceOnB = (await b.login('alice', 'secret123')).accessToken;

    await setRole(a, alice, id, 'ADMIN');
    const asAdmin = await a.login('changed_twice', PASSWORD);
    // B was told USER before; the user is ADMIN now, so USER is a change, and ends the session.
    await setRole(b, aliceOnB, id, 'USER');

    expect(firstError(await a.gql(DASHBOARD, { token: asAdmin.accessToken }))).toEqual(REVOKED);
    const again = await a.login('changed_twice', PASSWORD);
    expect(roleIn(again.accessToken)).toBe('USER');
    const listed = await a.gql<{ users: { role: string }[] }>(
      '{ users(search: "changed_twice") { role } }',
      { token: alice },
    );
    expect(listed.data!.users).toEqual([{ role: 'USER' }]);
  });
});
