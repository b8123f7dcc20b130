/**
 * setUserRole over HTTP (docs/API.md, "Accounts"): a new role ends every session of the user,
 * since their tokens carry the old one, and takes effect at their next login. Not one's own
 * role, not ADMIN of the last active admin; the same role again changes nothing.
 */
import jwt from 'jsonwebtoken';
import {
  firstError,
  startTestServer,
  type GraphQLResponse,
  type TestServer,
  type TokenPair,
} from '../support/harness';

const SET_ROLE =
  'mutation ($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { id username role isActive } }';
const DASHBOARD = '{ adminDashboard { userCount } }';
const REVOKED = { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' };
const PASSWORD = 'a-long-password';

let server: TestServer;
let alice: string; // ADMIN
let aliceId: string;
beforeAll(async () => {
  server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' });
  alice = (await server.login('alice', 'secret123')).accessToken;
  aliceId = userIdOf(alice);
});
afterAll(() => server.close());

function userIdOf(accessToken: string): string {
  return (jwt.decode(accessToken, { json: true }) as { sub: string }).sub;
}

function roleIn(accessToken: string): string {
  return (jwt.decode(accessToken, { json: true }) as { role: string }).role;
}

async function createUser(username: string, role = 'USER'): Promise<string> {
  const res = await server.gql<{ createUser: { id: string } }>(
    'mutation ($u: String!, $p: String!, $r: Role!) { createUser(input: { username: $u, password: $p, role: $r }) { id } }',
    { token: alice, variables: { u: username, p: PASSWORD, r: role } },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.createUser.id;
}

function setRole(
  token: string,
  id: string,
  role: string,
): Promise<GraphQLResponse<{ setUserRole: { id: string; role: string } }>> {
  return server.gql(SET_ROLE, { token, variables: { id, role } });
}

function refresh(refreshToken: string) {
  return server.gql<{ refresh: TokenPair }>(
    'mutation ($r: String!) { refresh(refreshToken: $r) { accessToken refreshToken } }',
    { variables: { r: refreshToken } },
  );
}

async function meRole(token: string): Promise<string> {
  const res = await server.gql<{ me: { role: string } }>('{ me { role } }', { token });
  expect(res.errors).toBeUndefined();
  return res.data!.me.role;
}

async function expectEnded(pair: TokenPair): Promise<void> {
  expect(firstError(await server.gql('{ me { role } }', { token: pair.accessToken }))).toEqual(
    REVOKED,
  );
  expect(firstError(await refresh(pair.refreshToken))).toEqual(REVOKED);
}

it('promotes a USER to ADMIN: their tokens are refused at once, and a new login may use the dashboard', async () => {
  const id = await createUser('promoted');
  const before = await server.login('promoted', PASSWORD);
  const otherDevice = await server.login('promoted', PASSWORD);
  expect(firstError(await server.gql(DASHBOARD, { token: before.accessToken }))).toMatchObject({
    code: 'FORBIDDEN',
  });

  const res = await setRole(alice, id, 'ADMIN');
  expect(res.errors).toBeUndefined();
  expect(res.data!.setUserRole).toEqual({
    id,
    username: 'promoted',
    role: 'ADMIN',
    isActive: true,
  });

  await expectEnded(before);
  await expectEnded(otherDevice);
  const after = await server.login('promoted', PASSWORD);
  expect(roleIn(after.accessToken)).toBe('ADMIN');
  expect(await meRole(after.accessToken)).toBe('ADMIN');
  const dashboard = await server.gql(DASHBOARD, { token: after.accessToken });
  expect(dashboard.errors).toBeUndefined();
  // A refresh keeps the new role.
  const refreshed = await refresh(after.refreshToken);
  expect(refreshed.errors).toBeUndefined();
  expect(roleIn(refreshed.data!.refresh.accessToken)).toBe('ADMIN');
});

it('demotes an ADMIN to USER: their ADMIN token is refused at once, and a new login is FORBIDDEN the dashboard', async () => {
  const id = await createUser('demoted', 'ADMIN');
  const asAdmin = await server.login('demoted', PASSWORD);
  expect((await server.gql(DASHBOARD, { token: asAdmin.accessToken })).errors).toBeUndefined();

  const res = await setRole(alice, id, 'USER');
  expect(res.errors).toBeUndefined();
  expect(res.data!.setUserRole).toMatchObject({ id, role: 'USER' });

  // The old token still claims ADMIN; it is refused, not honoured.
  expect(roleIn(asAdmin.accessToken)).toBe('ADMIN');
  expect(firstError(await server.gql(DASHBOARD, { token: asAdmin.accessToken }))).toEqual(REVOKED);
  await expectEnded(asAdmin);

  const asUser = await server.login('demoted', PASSWORD);
  expect(roleIn(asUser.accessToken)).toBe('USER');
  expect(await meRole(asUser.accessToken)).toBe('USER');
  expect(firstError(await server.gql(DASHBOARD, { token: asUser.accessToken }))).toMatchObject({
    code: 'FORBIDDEN',
  });
  // A demoted admin can no longer change roles either.
  expect(firstError(await setRole(asUser.accessToken, aliceId, 'USER'))).toMatchObject({
    code: 'FORBIDDEN',
  });
});

it('round-trips USER → ADMIN → USER, each time ending the sessions of the role before', async () => {
  const id = await createUser('round_trip');
  const first = await server.login('round_trip', PASSWORD);
  expect((await setRole(alice, id, 'ADMIN')).errors).toBeUndefined();
  await expectEnded(first);
  const second = await server.login('round_trip', PASSWORD);
  expect((await server.gql(DASHBOARD, { token: second.accessToken })).errors).toBeUndefined();
  expect((await setRole(alice, id, 'USER')).errors).toBeUndefined();
  await expectEnded(second);
  const third = await server.login('round_trip', PASSWORD);
  expect(firstError(await server.gql(DASHBOARD, { token: third.accessToken }))).toMatchObject({
    code: 'FORBIDDEN',
  });
});

it('refuses an admin their own role with BAD_USER_INPUT, and ends none of their sessions', async () => {
  const res = await setRole(alice, aliceId, 'USER');
  expect(firstError(res)).toMatchObject({ code: 'BAD_USER_INPUT' });
  expect(res.errors![0]!.message).toMatch(/own role/);
  // Even "changing" it to what it is.
  expect(firstError(await setRole(alice, aliceId, 'ADMIN'))).toMatchObject({
    code: 'BAD_USER_INPUT',
  });
  expect(await meRole(alice)).toBe('ADMIN');
  expect((await server.gql(DASHBOARD, { token: alice })).errors).toBeUndefined();
});

it('changes nothing for the same role again: no session ends, no ROLE_CHANGED', async () => {
  const id = await createUser('same_role');
  const pair = await server.login('same_role', PASSWORD);
  const res = await setRole(alice, id, 'USER');
  expect(res.errors).toBeUndefined();
  expect(res.data!.setUserRole).toMatchObject({ id, role: 'USER' });
  expect(await meRole(pair.accessToken)).toBe('USER');
  const refreshed = await refresh(pair.refreshToken);
  expect(refreshed.errors).toBeUndefined();
  const events = await server.gql<{ authEvents: { type: string }[] }>(
    'query ($id: ID!) { authEvents(userId: $id) { type } }',
    { token: alice, variables: { id } },
  );
  expect(events.data!.authEvents.map((e) => e.type)).not.toContain('ROLE_CHANGED');
});

it('records ROLE_CHANGED for a change', async () => {
  const id = await createUser('audited_role');
  expect((await setRole(alice, id, 'ADMIN')).errors).toBeUndefined();
  const events = await server.gql<{ authEvents: { type: string }[] }>(
    'query ($id: ID!) { authEvents(userId: $id) { type } }',
    { token: alice, variables: { id } },
  );
  expect(events.data!.authEvents.map((e) => e.type)).toContain('ROLE_CHANGED');
  expect((await setRole(alice, id, 'USER')).errors).toBeUndefined();
});

it('refuses a USER with FORBIDDEN, and an unknown or garbage id with BAD_USER_INPUT', async () => {
  const id = await createUser('not_admin');
  const user = await server.login('not_admin', PASSWORD);
  expect(firstError(await setRole(user.accessToken, id, 'ADMIN'))).toMatchObject({
    code: 'FORBIDDEN',
  });
  expect(await meRole(user.accessToken)).toBe('USER');
  for (const unknown of ['00000000-0000-4000-8000-000000000000', 'not-an-id', '']) {
    const res = await setRole(alice, unknown, 'ADMIN');
    expect(firstError(res)).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(res.errors![0]!.message).toMatch(/No user has the id/);
  }
});

describe('the last active admin', () => {
  // A server of its own per test: alice and carol are its only admins.
  let fresh: TestServer;
  let aliceToken: string;
  let carolToken: string;
  let aliceIdHere: string;
  let carolId: string;
  beforeEach(async () => {
    fresh = await startTestServer();
    aliceToken = (await fresh.login('alice', 'secret123')).accessToken;
    aliceIdHere = userIdOf(aliceToken);
    const created = await fresh.gql<{ createUser: { id: string } }>(
      'mutation ($p: String!) { createUser(input: { username: "carol_admin", password: $p, role: ADMIN }) { id } }',
      { token: aliceToken, variables: { p: PASSWORD } },
    );
    expect(created.errors).toBeUndefined();
    carolId = created.data!.createUser.id;
    carolToken = (await fresh.login('carol_admin', PASSWORD)).accessToken;
  });
  afterEach(() => fresh.close());

  const demote = (token: string, id: string) =>
    fresh.gql(SET_ROLE, { token, variables: { id, role: 'USER' } });

  async function activeAdmins(token: string): Promise<string[]> {
    const res = await fresh.gql<{ users: { username: string }[] }>(
      '{ users(role: ADMIN, active: true) { username } }',
      { token },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.users.map((u) => u.username);
  }

  it('lets one of two admins demoting each other at once succeed, and refuses the other', async () => {
    const [byAlice, byCarol] = await Promise.all([
      demote(aliceToken, carolId),
      demote(carolToken, aliceIdHere),
    ]);
    const answers = [byAlice, byCarol];
    expect(answers.filter((res) => res.errors === undefined)).toHaveLength(1);
    const refused = answers.find((res) => res.errors !== undefined)!;
    // Refused by the rule, or (had the winner's commit come first) by the guard: its session ended.
    expect(['BAD_USER_INPUT', 'UNAUTHENTICATED']).toContain(firstError(refused)?.code);
    if (firstError(refused)?.code === 'BAD_USER_INPUT') {
      expect(refused.errors![0]!.message).toMatch(/last active admin/);
    }
    const survivor = byAlice.errors === undefined ? aliceToken : carolToken;
    expect(await activeAdmins(survivor)).toHaveLength(1);
  });

  it('refuses with BAD_USER_INPUT the demotion of the last active admin, when both demotions got past the guard', async () => {
    // Hold each demotion at the store until both have arrived there: both requests have then
    // passed their guards as admins, and only the store's rule can refuse the second.
    const users = fresh.app.services.deps.users;
    const setRoleInStore = users.setRole.bind(users);
    let arrived = 0;
    let bothArrived!: () => void;
    const barrier = new Promise<void>((resolve) => {
      bothArrived = resolve;
      // Should the second never come, fail on `arrived` below rather than hang.
      setTimeout(resolve, 5000).unref();
    });
    const spy = jest.spyOn(users, 'setRole').mockImplementation(async (id, role) => {
      if (++arrived === 2) bothArrived();
      await barrier;
      return setRoleInStore(id, role);
    });
    let answers: GraphQLResponse[];
    try {
      answers = await Promise.all([demote(aliceToken, carolId), demote(carolToken, aliceIdHere)]);
    } finally {
      spy.mockRestore();
    }
    expect(arrived).toBe(2);
    expect(answers.filter((res) => res.errors === undefined)).toHaveLength(1);
    const refused = answers.find((res) => res.errors !== undefined)!;
    expect(firstError(refused)).toEqual({ code: 'BAD_USER_INPUT' });
    expect(refused.errors![0]!.message).toMatch(/last active admin/);

    const winner = answers[0]!.errors === undefined ? aliceToken : carolToken;
    const loser = winner === aliceToken ? carolToken : aliceToken;
    expect(await activeAdmins(winner)).toEqual([winner === aliceToken ? 'alice' : 'carol_admin']);
    // The demoted one's sessions ended; the last admin's did not.
    expect(firstError(await fresh.gql('{ me { role } }', { token: loser }))).toEqual(REVOKED);
    expect((await fresh.gql(DASHBOARD, { token: winner })).errors).toBeUndefined();
  });
});
